namespace SparseDictionary.Cli.Tests;

public sealed class AppTests
{
    [Fact]
    public void NoArguments_PrintsTheCommands()
    {
        var run = Sdict.Run();

        run.Exit.Should().Be(0);
        run.Out.Should().Contain("sdict").And.Contain("train").And.Contain("eval").And.Contain("convert").And.Contain("inspect").And.Contain("synth");
    }

    [Theory]
    [InlineData("train", "--mfr-matcher")]
    [InlineData("eval", "--ground-truth")]
    [InlineData("convert", "--to")]
    [InlineData("inspect", "path")]
    [InlineData("synth", "--mode")]
    public void Help_ListsEachCommandsFlags(string command, string flag)
    {
        var run = Sdict.Run(command, "--help");

        run.Exit.Should().Be(0);
        run.Out.Should().Contain(flag);
    }

    [Fact]
    public void AnUnknownCommand_IsOneErrorLineAndAHint()
    {
        var run = Sdict.Run("fit");

        run.ShouldFailWith("'fit'");
        run.Error.Should().Contain("sdict --help");
    }
}

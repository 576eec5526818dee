namespace SparseDictionary.Cli;

/// <summary>A mistake in what the user asked for (a missing file, a bad value, a shape that does not fit); printed as one line.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public CliException()
    {
    }
}

namespace SparseDictionary.Cli.Tests.Config;

public sealed class ConfigFileTests
{
    [Fact]
    public void SaveThenLoad_KeepsEveryPart()
    {
        using var folder = new TempFolder();
        var config = new TrainConfig
        {
            Output = "run",
            Data = new DataConfig { Synthetic = new SyntheticFeatureOptions { InputDimension = 8, ActiveSetMode = SyntheticActiveSetMode.SharedWithinChunk } },
            Sae = new SaeConfig { Latents = 64, Activation = "relu", Count = 3, Seed = 9 },
            Trainer = new SaeTrainerOptions { LearningRate = 0.01f, Reinitialization = new ReinitializationOptions { Measure = InactivityMeasure.Cubed }, DecoderBiasInitialization = DecoderBiasInitialization.None },
            AuxK = new AuxKOptions { KAux = 7 },
            Mfr = new MfrConfig { Matcher = "hungarian" },
            Noise = new NoiseConfig { Kind = "gaussian", StandardDeviation = 0.5f },
            SaveLayout = SaeFileLayout.Sparsify,
        };

        ConfigFile.Save(config, folder["c.json"]);
        var text = File.ReadAllText(folder["c.json"]);
        var loaded = ConfigFile.Load(folder["c.json"]);

        text.Should().Contain("\"learningRate\": 0.01").And.Contain("\"shared-within-chunk\"").And.Contain("\"cubed\"").And.Contain("\"saveLayout\": \"sparsify\"").And.NotContain("\"steps\": 2441");
        loaded.Should().BeEquivalentTo(config);
    }

    [Theory]
    [InlineData("{ \"trainer\": { \"checkpoints\": { \"every\": 5 } } }", "unknown field 'trainer.checkpoints.every'")]
    [InlineData("{ \"data\": { \"synthetic\": { \"dims\": 5 } } }", "unknown field 'data.synthetic.dims'")]
    [InlineData("{ \"trainer\": { \"steps\": 5 } }", "unknown field 'trainer.steps'")]
    [InlineData("{ \"trainer\": { \"decoderBiasInitialization\": \"median\" } }", "field 'trainer.decoderBiasInitialization'")]
    [InlineData("{ \"sae\": ", "c.json")]
    public void Load_AMistake_NamesTheField(string json, string fragment)
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["c.json"], json);

        var act = () => ConfigFile.Load(folder["c.json"]);

        act.Should().Throw<CliException>().Which.Message.Should().Contain(fragment).And.Contain(folder["c.json"]);
    }
}

using System.CommandLine;
using System.Globalization;
using SparseDictionary.Metrics;

namespace SparseDictionary.Cli;

/// <summary><c>sdict eval</c>: the library's standard metrics for one or several SAEs on a data set, as text, Markdown or JSON, plus plots.</summary>
internal static class EvalCommand
{
    private const long DefaultSyntheticRows = 65_536;

    public static Command Create(CliContext context)
    {
        var saes = new Argument<string[]>("sae") { Description = "SAE folders (any layout), checkpoint folders or folders of checkpoints.", Arity = ArgumentArity.OneOrMore };
        var data = new DataFlags();
        var groundTruth = new Option<string>("--ground-truth") { Description = "True feature directions as rows: a .npy file, or a .safetensors file (see --ground-truth-tensor). Synthetic data brings its own." };
        var groundTruthTensor = new Option<string>("--ground-truth-tensor") { Description = "The tensor of a safetensors --ground-truth file." };
        var rows = new Option<long?>("--rows") { Description = $"Rows evaluated at most (default: all rows of files, {DefaultSyntheticRows:N0} of synthetic data)." };
        var batch = new Option<int>("--batch-size") { Description = "Rows per batch while streaming the data.", DefaultValueFactory = _ => 4096 };
        var format = ParseResultExtensions.ChoiceOption("--format", "Report format (default text).", "text", "markdown", "json");
        var report = new Option<string>("--report") { Description = "Write the report to this file instead of standard output." };
        var plots = new Option<string>("--plots") { Description = "Folder for the plots (PNG and SVG): firing frequencies, decoder cosines, and with several SAEs and ground truth the cross-SAE scatter." };
        var command = new Command("eval", "Evaluate SAEs on a data set: reconstruction, sparsity, diversity and (with ground truth) feature recovery.")
        {
            saes, groundTruth, groundTruthTensor, rows, batch, format, report, plots,
        };
        data.AddTo(command);
        command.SetAction(parse =>
        {
            var dataConfig = new DataConfig();
            data.Apply(parse, dataConfig);
            var maxRows = parse.GetValue(rows);
            if (maxRows is < 1)
            {
                throw new CliException($"--rows must be at least 1 but is {maxRows}.");
            }

            using var opened = DataSourceFactory.Open(dataConfig, loop: false, maxRows ?? DefaultSyntheticRows);
            var loaded = parse.GetValue(saes)!.SelectMany(p => Load(p, opened)).ToArray();
            var names = SaeFolders.Distinct(loaded.Select(l => l.Name));
            var models = loaded.Select(l => l.Sae).ToArray();
            var truth = parse.GetValue(groundTruth) is { } path ? GroundTruthFile.Load(path, parse.GetValue(groundTruthTensor)) : opened.GroundTruth;
            if (truth is not null && truth.Columns != opened.Source.Dimension)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"The ground truth {parse.GetValue(groundTruth) ?? "of the data"} has {truth.Columns} columns but {opened.Label} has {opened.Source.Dimension}."));
            }

            var options = new EvaluationOptions { BatchSize = parse.GetValue(batch), MaxRows = maxRows ?? long.MaxValue, GroundTruth = truth, Names = names };
            if (options.BatchSize < 1)
            {
                throw new CliException($"--batch-size must be at least 1 but is {options.BatchSize}.");
            }

            context.Error.WriteLine($"evaluating {models.Length} SAE{(models.Length == 1 ? string.Empty : "s")} on {opened.Description}{(truth is null ? string.Empty : $" with {truth.Rows} ground-truth features")}");
            var result = SaeEvaluation.Evaluate(models, opened.Source, options);
            var text = (parse.GetValue(format) ?? "text").ToLowerInvariant() switch
            {
                "markdown" => result.ToMarkdown(),
                "json" => result.ToJson() + "\n",
                _ => result.ToText(),
            };
            if (parse.GetValue(report) is { } reportPath)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(reportPath))!);
                File.WriteAllText(reportPath, text);
                context.Error.WriteLine($"report: {reportPath}");
            }
            else
            {
                context.Out.Write(text);
            }

            if (parse.GetValue(plots) is { } folder)
            {
                WritePlots(context, folder, names, models, result, truth);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The SAEs at <paramref name="path"/>, checked against the data's width.</summary>
    private static IReadOnlyList<(string Name, SparseAutoencoder Sae)> Load(string path, OpenedData data)
    {
        var loaded = SaeFolders.Load(path);
        foreach (var (_, sae) in loaded)
        {
            if (sae.InputDimension != data.Source.Dimension)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"The SAE {path} has input dimension {sae.InputDimension} but {data.Label} has {data.Source.Dimension} columns."));
            }
        }

        return loaded;
    }

    private static void WritePlots(CliContext context, string folder, string[] names, SparseAutoencoder[] models, EvaluationReport report, Matrix? truth)
    {
        var written = new List<string>();
        for (var i = 0; i < models.Length; i++)
        {
            var slug = PlotFiles.Slug(names[i]);
            written.Add(FiringFrequencyPlot.Write(Path.Combine(folder, $"firing-frequency-{slug}"), names[i], report.Reconstructions[i].FiringFrequencies));
            written.Add(DecoderCosinePlot.Write(Path.Combine(folder, $"decoder-cosines-{slug}"), names[i], models[i].DecoderWeights));
        }

        if (models.Length >= 2 && truth is not null)
        {
            written.Add(CrossSaePlot.Write(Path.Combine(folder, "cross-sae-vs-ground-truth"), names, models, truth, [.. report.Reconstructions.Select(r => r.FiringFrequencies)]));
        }

        context.Error.WriteLine($"plots: {string.Join(", ", written)} (+ .svg)");
    }
}

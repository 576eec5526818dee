using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;

namespace SparseDictionary.Cli;

/// <summary><c>sdict train</c>: trains one or several SAEs from flags and/or a JSON config, with checkpoints, resume, curves and plots.</summary>
internal static class TrainCommand
{
    /// <summary>Exit code of a run stopped by Ctrl+C (128 + SIGINT), after its checkpoint is written.</summary>
    public const int Interrupted = 130;

    private const string ConfigFileName = "train-config.json";
    private const string MetricsFileName = "metrics.csv";

    public static Command Create(CliContext context)
    {
        var flags = new TrainFlags();
        var command = new Command("train", "Train one SAE, or several together (MFR), on .npy shards, a safetensors tensor or synthetic data.");
        flags.AddTo(command);
        command.SetAction(parse => Run(context, flags, parse));
        return command;
    }

    private static int Run(CliContext context, TrainFlags flags, ParseResult parse)
    {
        var resume = parse.GetValue(flags.Resume);
        var config = LoadConfig(flags, parse, resume);
        flags.Apply(parse, config);
        var output = config.Output ?? throw new CliException("Give the run's folder with --out (or output in the config).");
        if (!parse.GetValue(flags.NoCheckpoints))
        {
            var checkpoints = config.Trainer.Checkpoints ??= new CheckpointOptions();
            if (string.IsNullOrWhiteSpace(checkpoints.Directory))
            {
                checkpoints.Directory = Path.Combine(output, "checkpoints");
            }
        }

        var plan = TrainingPlan.From(config);
        using var data = DataSourceFactory.Open(config.Data, loop: true);
        var checkpoint = resume ? LoadCheckpoint(config, data) : null;
        if (!resume && config.Trainer.Checkpoints is { } options && TrainingCheckpoint.List(options.Directory).Count > 0)
        {
            throw new CliException($"{options.Directory} already holds checkpoints of a run; pass --resume to continue it, or choose another --out or --checkpoint-dir.");
        }

        var saes = checkpoint?.Saes ?? TrainingPlan.CreateSaes(config.Sae, data.Source.Dimension);
        var trainer = new SaeTrainer(plan.Options, plan.Regularizers, plan.Noiser);

        Directory.CreateDirectory(output);
        ConfigFile.Save(config, Path.Combine(output, ConfigFileName));
        Describe(context, config, data, saes, plan, checkpoint);

        using var stop = new StopSignal(context);
        TrainingResult result;
        using (var log = MetricsLog.Open(Path.Combine(output, MetricsFileName), plan.Regularizers.Select(r => r.Name), checkpoint?.Step))
        {
            result = TrainingDisplay.Run(context, plan.Options.Steps, log, progress => checkpoint is null
                ? trainer.Train(saes, data.Source, progress, stop.Token)
                : trainer.Resume(checkpoint, data.Source, progress, stop.Token));
        }

        if (result.Cancelled)
        {
            var written = config.Trainer.Checkpoints is { } c && TrainingCheckpoint.List(c.Directory) is [var newest, ..]
                ? $"checkpoint {newest} written; continue with --resume --out {output}"
                : "no checkpoint written (checkpoints are off)";
            context.Error.WriteLine($"sdict: interrupted after step {result.Steps:N0}; {written}.");
            return Interrupted;
        }

        Finish(context, config, output, saes, result);
        return 0;
    }

    private static TrainConfig LoadConfig(TrainFlags flags, ParseResult parse, bool resume)
    {
        if (parse.GetValue(flags.Config) is { } path)
        {
            return ConfigFile.Load(path);
        }

        var saved = parse.GetValue(flags.Output) is { } output ? Path.Combine(output, ConfigFileName) : null;
        return resume && saved is not null && File.Exists(saved) ? ConfigFile.Load(saved) : new TrainConfig();
    }

    private static TrainingCheckpoint LoadCheckpoint(TrainConfig config, OpenedData data)
    {
        var directory = config.Trainer.Checkpoints?.Directory
            ?? throw new CliException("--resume needs checkpoints; drop --no-checkpoints.");
        if (TrainingCheckpoint.List(directory).Count == 0)
        {
            throw new CliException($"There is no checkpoint in {directory} to resume from (--resume).");
        }

        var checkpoint = TrainingCheckpoint.LoadLatest(directory);
        var width = checkpoint.Saes[0].InputDimension;
        return width == data.Source.Dimension
            ? checkpoint
            : throw new CliException($"The checkpoint {checkpoint.Path} holds SAEs of input dimension {width} but {data.Label} has {data.Source.Dimension} columns.");
    }

    private static void Describe(CliContext context, TrainConfig config, OpenedData data, IReadOnlyList<SparseAutoencoder> saes, TrainingPlan plan, TrainingCheckpoint? checkpoint)
    {
        var o = plan.Options;
        var parts = plan.Regularizers.Select(r => r.Name).Append(plan.Noiser?.Name).OfType<string>().ToArray();
        context.Out.WriteLine($"data: {data.Description}");
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{saes.Count} SAE{(saes.Count == 1 ? string.Empty : "s")}: d = {saes[0].InputDimension}, {saes[0].LatentCount} latents, {saes[0].Activation.Name}{(parts.Length > 0 ? $"; {string.Join(", ", parts)}" : string.Empty)}"));
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{o.Steps:N0} steps x {o.BatchSize:N0} rows, lr {o.LearningRate:G3}; output {config.Output}{(o.Checkpoints is { } c ? $", checkpoints every {c.IntervalSteps} steps in {c.Directory}" : string.Empty)}"));
        foreach (var skipped in checkpoint?.Skipped ?? [])
        {
            context.Error.WriteLine($"sdict: warning: skipped a damaged checkpoint: {skipped}");
        }

        if (checkpoint is not null)
        {
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"resuming from {checkpoint.Path} (step {checkpoint.Step:N0})"));
        }

        context.Out.Flush();
    }

    private static void Finish(CliContext context, TrainConfig config, string output, IReadOnlyList<SparseAutoencoder> saes, TrainingResult result)
    {
        if (result.SourceExhausted)
        {
            context.Error.WriteLine($"sdict: warning: the data ran out after {result.Tokens:N0} tokens, before the budget.");
        }

        var names = TrainingPlan.SaeFolderNames(saes.Count);
        for (var i = 0; i < saes.Count; i++)
        {
            saes[i].Save(Path.Combine(output, names[i]), config.SaveLayout);
        }

        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {result.Steps:N0} steps ({result.Tokens:N0} tokens) in {ProgressText.Duration(result.Elapsed)}; saved {string.Join(", ", names.Select(n => Path.Combine(output, n)))} ({EnumNames<SaeFileLayout>.Name(config.SaveLayout)} layout)"));
        if (result.LastProgress is { } last)
        {
            context.Out.WriteLine($"final: {ProgressText.Figures(last)}");
        }

        var metrics = Path.Combine(output, MetricsFileName);
        if (config.Plots && TrainingCurvesPlot.Write(Path.Combine(output, "plots", "training-curves"), MetricsLog.Read(metrics)) is { } plot)
        {
            context.Out.WriteLine($"curves: {metrics}, {plot} (+ .svg)");
        }
    }

    /// <summary>Ctrl+C or SIGTERM (once) asks the run to stop after its current step; a second one ends the process.</summary>
    private sealed class StopSignal : IDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly PosixSignalRegistration[] _registrations;

        public StopSignal(CliContext context)
        {
            _source = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
            _registrations = context.HandleSignals
                ? [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)]
                : [];

            void Handle(PosixSignalContext signal)
            {
                if (_source.IsCancellationRequested)
                {
                    return;
                }

                signal.Cancel = true;
                context.Error.WriteLine("sdict: stopping after the current step and writing a checkpoint (press Ctrl+C again to quit at once)...");
                _source.Cancel();
            }
        }

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }

            _source.Dispose();
        }
    }
}

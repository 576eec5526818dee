using BenchmarkDotNet.Attributes;
using SparseDictionary.Kernels;

namespace SparseDictionary.Benchmarks;

/// <summary>
/// What the step guard adds to a training step (C1: d 768, 3072 latents, k 32, batch 1024; C3: d 256, 512 latents,
/// k 36, batch 10,000), next to the step itself: the bounds it computes per step (Σ|z| and Σ|δ| over the active codes,
/// and the AdamW update bound), and the batch pass that finds max |x| in place of the finiteness pass it replaced.
/// </summary>
[MemoryDiagnoser]
public class StepGuardBenchmarks
{
    private TrainingRun _run = null!;
    private Matrix _batch = null!;
    private double _batchMaxMagnitude;

    [Params("C1", "C3")]
    public string Config { get; set; } = "C3";

    [GlobalSetup]
    public void Setup()
    {
        (_run, _batch, _batchMaxMagnitude) = TrainingStepBenchmarks.CreateRun(Config);
        _run.Step(_batch, _batchMaxMagnitude);
    }

    /// <summary>One training step (guard included), for scale.</summary>
    [Benchmark(Baseline = true)]
    public double Step() => _run.Step(_batch, _batchMaxMagnitude).Loss;

    /// <summary>The guard's per-step bounds: Σ|z|, Σ|δ| over the batch's active codes and the AdamW update bound.</summary>
    [Benchmark]
    public double GuardBounds()
    {
        var state = _run.States[0];
        var (codes, gradients) = state.Clean.CodeMagnitudes();
        var bounds = state.Guard.PlanUpdate(AdamWStep.ForStep(2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0), 1, 0);
        return codes + gradients + bounds[0];
    }

    /// <summary>The batch validation the trainer runs now: max |x| in one pass (NaN-propagating).</summary>
    [Benchmark]
    public float BatchMaxMagnitude() => System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(_batch.Span);

    /// <summary>The batch validation it replaced: the finiteness pass alone.</summary>
    [Benchmark]
    public int BatchFiniteCheck() => FiniteCheck.FirstNonFinite(_batch.Span);
}

namespace SparseDictionary.Benchmarks;

/// <summary>Runs the BenchmarkDotNet suites, or, with <c>--openblas-interleaved</c>, <see cref="OpenBlasComparison"/>.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is ["--openblas-interleaved", .. var rest])
        {
            return OpenBlasComparison.Run(rest);
        }

        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

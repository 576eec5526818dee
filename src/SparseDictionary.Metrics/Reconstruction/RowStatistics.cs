namespace SparseDictionary.Metrics;

/// <summary>Double-precision sums over one row pair (x_b, x̂_b), shared by the matrix metrics and the streaming evaluation.</summary>
/// <param name="SquaredError">||x_b - x̂_b||².</param>
/// <param name="InputSquaredNorm">||x_b||².</param>
/// <param name="ReconstructionSquaredNorm">||x̂_b||².</param>
/// <param name="Dot">⟨x_b, x̂_b⟩.</param>
internal readonly record struct RowStatistics(double SquaredError, double InputSquaredNorm, double ReconstructionSquaredNorm, double Dot)
{
    /// <summary>cos(x_b, x̂_b), or 0 when either row is the zero vector.</summary>
    public double Cosine => InputSquaredNorm > 0 && ReconstructionSquaredNorm > 0
        ? Math.Clamp(Dot / Math.Sqrt(InputSquaredNorm * ReconstructionSquaredNorm), -1, 1)
        : 0;

    /// <summary>||x̂_b|| / ||x_b||; only meaningful when ||x_b|| &gt; 0.</summary>
    public double L2Ratio => Math.Sqrt(ReconstructionSquaredNorm / InputSquaredNorm);

    public static RowStatistics Of(ReadOnlySpan<float> x, ReadOnlySpan<float> xHat)
    {
        double squaredError = 0, inputNorm = 0, reconstructionNorm = 0, dot = 0;
        for (var j = 0; j < x.Length; j++)
        {
            double a = x[j];
            double b = xHat[j];
            var diff = a - b;
            squaredError += diff * diff;
            inputNorm += a * a;
            reconstructionNorm += b * b;
            dot += a * b;
        }

        return new RowStatistics(squaredError, inputNorm, reconstructionNorm, dot);
    }
}

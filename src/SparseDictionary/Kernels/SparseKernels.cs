namespace SparseDictionary.Kernels;

/// <summary>
/// The row-parallel sparse half of an SAE step: decoding from active latents and the gradient with respect to the active
/// codes (the weight gradients, grouped by latent, are <see cref="SparseWeightGradients"/>). Every operation costs
/// O(rows · active · d); none forms a dense rows x latents matrix.
/// </summary>
/// <remarks>
/// Row-parallel operations write disjoint rows, each through the same row kernels (<see cref="SparseRowKernels"/>), so
/// the results are bit-identical whatever the thread count.
/// </remarks>
internal static class SparseKernels
{
    /// <summary>output[b] = bias + Σ_j values[b,j] · W[indices[b,j]] for each row b. <paramref name="bias"/> may be empty (no bias).</summary>
    public static void Decode(SparseCodes codes, ReadOnlyMemory<float> weights, int dimension, ReadOnlyMemory<float> bias, Matrix output)
    {
        var path = KernelPaths.Current;
        ParallelRows.For(codes.Rows, (start, end) =>
        {
            var w = weights.Span;
            for (var r = start; r < end; r++)
            {
                SparseRowKernels.Decode(codes.Indices(r), codes.Values(r), w, dimension, bias.Span, output.Row(r), path);
            }
        });
    }

    /// <summary>
    /// <see cref="Decode"/>, the reconstruction loss with its output gradient, and <see cref="CodeGradients"/> in one
    /// pass over the rows, each row's reconstruction and gradient still in cache for the next stage. Per row b:
    /// reconstruction[b] = bias + Σ_j values[b,j] · W[indices[b,j]];
    /// outputGradient[b,c] = scale · (reconstruction[b,c] - target[b,c]);
    /// rowErrors[b] = Σ_c (reconstruction[b,c] - target[b,c])², each difference rounded to float, squared exactly and
    /// summed in double (<see cref="SparseRowKernels.SquaredErrorWithGradient"/>); codeGradients[b,j] = W[indices[b,j]] ·
    /// outputGradient[b] (<see cref="SparseRowKernels.Dot"/>).
    /// </summary>
    /// <remarks>Bit-identical to <see cref="Decode"/>, then <see cref="SparseRowKernels.SquaredErrorWithGradient"/> per row,
    /// then <see cref="CodeGradients"/>: each row goes through the same row kernels. Every path gives the same bits.</remarks>
    public static void DecodeWithLossAndCodeGradients(
        SparseCodes codes,
        ReadOnlyMemory<float> weights,
        int dimension,
        ReadOnlyMemory<float> bias,
        Matrix target,
        float scale,
        Matrix reconstruction,
        Matrix outputGradient,
        double[] rowErrors,
        float[] codeGradients)
    {
        var capacity = codes.Capacity;
        var path = KernelPaths.Current;
        ParallelRows.For(codes.Rows, (start, end) =>
        {
            var w = weights.Span;
            for (var r = start; r < end; r++)
            {
                var indices = codes.Indices(r);
                var row = reconstruction.Row(r);
                SparseRowKernels.Decode(indices, codes.Values(r), w, dimension, bias.Span, row, path);
                var g = outputGradient.Row(r);
                rowErrors[r] = SparseRowKernels.SquaredErrorWithGradient(row, target.Row(r), scale, g, path);
                SparseRowKernels.Dots(indices, w, dimension, g, codeGradients.AsSpan(r * capacity, indices.Length), path);
            }
        });
    }

    /// <summary>codeGradients[b,j] = W[indices[b,j]] · outputGradient[b] for each active entry (row-blocked like <paramref name="codes"/>).</summary>
    public static void CodeGradients(SparseCodes codes, ReadOnlyMemory<float> weights, int dimension, Matrix outputGradient, float[] codeGradients)
    {
        var capacity = codes.Capacity;
        var path = KernelPaths.Current;
        ParallelRows.For(codes.Rows, (start, end) =>
        {
            var w = weights.Span;
            for (var r = start; r < end; r++)
            {
                var indices = codes.Indices(r);
                SparseRowKernels.Dots(indices, w, dimension, outputGradient.Row(r), codeGradients.AsSpan(r * capacity, indices.Length), path);
            }
        });
    }
}

namespace SparseDictionary.Kernels;

/// <summary>
/// A small left GEMM operand op(A) (<see cref="Rows"/> x <see cref="Depth"/>) packed whole, every depth block, into
/// the micro-kernel's panel layout, to be multiplied by column ranges of a <see cref="PackedRightOperand"/> on one
/// thread (<see cref="Gemm.MultiplyStrips"/>). Created by <see cref="Gemm.PackLeft"/>.
/// </summary>
/// <remarks>
/// Layout: for each depth block of <see cref="Gemm.DepthBlock"/>'s blocking (start <c>p0</c>, depth <c>kc</c>), at
/// offset <c>p0 * PaddedRows</c>, the <c>ceil(Rows / MR)</c> micro-panels of <see cref="GemmPacking.PackA"/>, each
/// <c>MR * kc</c> floats. The buffer is rented (<see cref="PackedOperand"/>).
/// </remarks>
internal sealed class PackedLeftOperand : PackedOperand
{
    /// <summary>Creates an operand over a rented buffer that the caller then fills.</summary>
    /// <param name="rows">Rows of op(A) (m), at least 1.</param>
    /// <param name="depth">Columns of op(A) (k), at least 1.</param>
    /// <param name="path">The kernel path the operand is packed and multiplied on.</param>
    internal PackedLeftOperand(int rows, int depth, KernelPath path)
        : base(CheckedLength(rows, depth), Gemm.AlignmentFloats + GemmPacking.Slack, lent: null)
    {
        Rows = rows;
        Depth = depth;
        Path = path;
        PaddedRows = PaddedRowCount(rows);
    }

    /// <summary>Rows of op(A): the m of the multiplications.</summary>
    internal int Rows { get; }

    /// <summary>Columns of op(A): the k of the multiplications.</summary>
    internal int Depth { get; }

    /// <summary><see cref="Rows"/> rounded up to a whole number of 12-row blocks (two micro-panels).</summary>
    internal int PaddedRows { get; }

    /// <summary>The kernel path the operand was packed on (its multiplications use the same).</summary>
    internal KernelPath Path { get; }

    private static int PaddedRowCount(int rows) => Gemm.CeilDiv(rows, 2 * Gemm.MR) * 2 * Gemm.MR;

    private static long CheckedLength(int rows, int depth)
    {
        long length = (long)PaddedRowCount(rows) * depth;
        if (length > Array.MaxLength - Gemm.AlignmentFloats - GemmPacking.Slack)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"op(A) of {rows} x {depth} is too large to pack whole.");
        }

        return length;
    }
}

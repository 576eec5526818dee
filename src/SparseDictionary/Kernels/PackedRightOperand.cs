namespace SparseDictionary.Kernels;

/// <summary>
/// A right GEMM operand op(B) (<see cref="Depth"/> x <see cref="Columns"/>) packed once into the micro-kernel's
/// panel layout, to multiply many left operands by it without repacking. Created by <see cref="Gemm.PackRight"/>.
/// </summary>
/// <remarks>
/// Layout: for each depth block of <see cref="Gemm.DepthBlock"/>'s blocking (start <c>p0</c>, depth <c>kc</c>), at
/// offset <c>p0 * PaddedColumns</c>, the <c>PaddedColumns / NR</c> micro-panels of all columns, each <c>kc * NR</c>
/// floats (see <see cref="GemmPacking"/>). Columns past <see cref="Columns"/> are zero. The buffer is rented or lent
/// (<see cref="PackedOperand"/>).
/// </remarks>
internal sealed class PackedRightOperand : PackedOperand
{
    /// <summary>Creates an operand over a buffer the caller then fills: <paramref name="lent"/> when it holds the packed operand, else a rented one.</summary>
    /// <param name="depth">Rows of op(B) (k).</param>
    /// <param name="columns">Columns of op(B) (n).</param>
    /// <param name="lent">A buffer to pack into instead of renting one (its contents are overwritten), or <see langword="null"/>.</param>
    internal PackedRightOperand(int depth, int columns, float[]? lent = null)
        : base(CheckedLength(depth, columns), Gemm.AlignmentFloats, lent)
    {
        Depth = depth;
        Columns = columns;
        PaddedColumns = Gemm.CeilDiv(columns, Gemm.NR) * Gemm.NR;
    }

    /// <summary>Rows of op(B): the k of the multiplications.</summary>
    internal int Depth { get; }

    /// <summary>Columns of op(B): the n of the multiplications.</summary>
    internal int Columns { get; }

    /// <summary><see cref="Columns"/> rounded up to a whole number of micro-panels.</summary>
    internal int PaddedColumns { get; }

    private static long CheckedLength(int depth, int columns)
    {
        long length = (long)depth * (Gemm.CeilDiv(columns, Gemm.NR) * Gemm.NR);
        if (length > Array.MaxLength - Gemm.AlignmentFloats)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"op(B) of {depth} x {columns} is too large to pack.");
        }

        return length;
    }
}

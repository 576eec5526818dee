namespace SparseDictionary.Kernels;

/// <summary>The operands of one GEMM call, as raw pointers (pinned by the caller for the call's duration).</summary>
internal unsafe struct GemmProblem
{
    /// <summary>The kernel path, read once at the entry of the call.</summary>
    internal KernelPath Path;

    /// <summary>Whether op(A) is the transpose of the stored A.</summary>
    internal bool TransposeA;

    /// <summary>Whether op(B) is the transpose of the stored B.</summary>
    internal bool TransposeB;

    /// <summary>Rows of op(A) and C.</summary>
    internal int M;

    /// <summary>Columns of op(B) and C.</summary>
    internal int N;

    /// <summary>Columns of op(A), rows of op(B).</summary>
    internal int K;

    /// <summary>The scale of the product.</summary>
    internal float Alpha;

    /// <summary>The stored A.</summary>
    internal float* A;

    /// <summary>The row stride of the stored A.</summary>
    internal nint Lda;

    /// <summary>The stored B (unused when B comes pre-packed).</summary>
    internal float* B;

    /// <summary>The row stride of the stored B.</summary>
    internal nint Ldb;

    /// <summary>C.</summary>
    internal float* C;

    /// <summary>The row stride of C.</summary>
    internal nint Ldc;
}

/// <summary>What the items of one phase do.</summary>
internal enum GemmPhaseKind
{
    /// <summary>Each item packs a range of B micro-panels of one (column block, depth block).</summary>
    PackB = 0,

    /// <summary>Each item packs an A block and multiplies it by a range of packed B micro-panels, updating C.</summary>
    Compute = 1,
}

/// <summary>One phase of a GEMM call: a set of independent work items over one (column block, depth block).</summary>
internal unsafe struct GemmPhase
{
    /// <summary>What the items do.</summary>
    internal GemmPhaseKind Kind;

    /// <summary>The number of items.</summary>
    internal int ItemCount;

    /// <summary>The first column of the column block.</summary>
    internal int Col0;

    /// <summary>The number of columns of the column block.</summary>
    internal int Cols;

    /// <summary>The number of B micro-panels of the column block.</summary>
    internal int Panels;

    /// <summary>The first depth index of the depth block.</summary>
    internal int P0;

    /// <summary>The depth of the depth block.</summary>
    internal int Kc;

    /// <summary>The packed B of the (column block, depth block): <see cref="Panels"/> micro-panels of <c>Kc * NR</c> floats.</summary>
    internal float* PackedB;

    /// <summary>The beta to apply: the caller's for the first depth block, 1 for the following ones.</summary>
    internal float Beta;

    /// <summary>Compute phases: the number of row blocks C is split into.</summary>
    internal int RowBlocks;

    /// <summary>Compute phases: the number of column chunks the column block is split into.</summary>
    internal int ColChunks;
}

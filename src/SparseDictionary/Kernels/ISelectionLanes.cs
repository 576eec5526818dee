namespace SparseDictionary.Kernels;

/// <summary>
/// What the passes of <see cref="SelectionPasses{TLanes, TValues, TIndices, TCounts}"/> need of one register width: a
/// block of <see cref="Count"/> entries, its compare as mask bits, the read of a row's last partial block, the writing of
/// a block's kept entries, and counting. The implementations are <see langword="readonly"/> structs, so that each width
/// gets its own compiled copy of every pass with every call inlined (the pattern of <see cref="IVectorLanes{TVector}"/>).
/// </summary>
/// <remarks>
/// <para>Implementations: <see cref="SelectionLanes512"/> (AVX-512 F, 16 entries), <see cref="SelectionLanes256{TMemory}"/>
/// (8 entries; with <see cref="Avx2BlockMemory"/> on AVX2, with <see cref="Vector256BlockMemory"/> on portable
/// <see cref="System.Runtime.Intrinsics.Vector256{T}"/>) and <see cref="SelectionLanesScalar"/> (1 entry).</para>
/// <para>Blocks are compared with <c>&gt;=</c>, under which NaN never compares true: a lane filled with NaN is never kept
/// nor counted.</para>
/// </remarks>
/// <typeparam name="TValues">A block of floats (a vector, or one float).</typeparam>
/// <typeparam name="TIndices">A block of ints of the same width: the entries' positions.</typeparam>
/// <typeparam name="TCounts">A running count of compares, in the form this width adds fastest.</typeparam>
internal unsafe interface ISelectionLanes<TValues, TIndices, TCounts>
    where TValues : struct
    where TIndices : struct
    where TCounts : struct
{
    /// <summary>Entries per block.</summary>
    static abstract int Count { get; }

    /// <summary>No compare counted yet.</summary>
    static abstract TCounts NoCounts { get; }

    /// <summary>A block with <paramref name="value"/> in every lane.</summary>
    static abstract TValues Broadcast(float value);

    /// <summary>The block of <see cref="Count"/> entries at <paramref name="source"/>.</summary>
    static abstract TValues Load(float* source);

    /// <summary>The block of <see cref="Count"/> positions at <paramref name="source"/>.</summary>
    static abstract TIndices LoadIndices(int* source);

    /// <summary>
    /// The block holding the last entries of a row, from <paramref name="start"/> (1 to <see cref="Count"/> - 1 entries
    /// before <paramref name="length"/>): lane j holds entry <paramref name="first"/> + j where that entry is at or past
    /// <paramref name="start"/>, and <paramref name="fill"/> in the other lanes; <paramref name="first"/> is
    /// <paramref name="start"/>, or less where the block reaches back over entries already read.
    /// </summary>
    static abstract TValues LoadLast(float* row, int start, int length, float fill, out int first);

    /// <summary>The positions of the block <see cref="LoadLast"/> read from <paramref name="first"/> (other lanes: any value).</summary>
    static abstract TIndices LoadLastIndices(int* row, int first, int length);

    /// <summary>The lanes of <paramref name="values"/> &gt;= <paramref name="minimum"/>, as bits (lane j: bit j).</summary>
    static abstract uint AtLeast(TValues values, TValues minimum);

    /// <summary>The positions <paramref name="first"/>, <paramref name="first"/> + 1, ... of a block's lanes.</summary>
    static abstract TIndices Positions(int first);

    /// <summary><paramref name="positions"/> moved on by <paramref name="entries"/>.</summary>
    static abstract TIndices Advance(TIndices positions, int entries);

    /// <summary>
    /// Writes the lanes of <paramref name="block"/> &gt;= <paramref name="minimum"/> (those of <paramref name="kept"/>,
    /// which the caller computed with <see cref="AtLeast"/>) and the same lanes of <paramref name="positions"/>, in lane
    /// order, from position <paramref name="at"/> of two outputs of <paramref name="room"/> entries each; returns
    /// <paramref name="at"/> plus their number. The caller has checked that they fit; output entries past them may be
    /// overwritten, never past <paramref name="room"/>.
    /// </summary>
    /// <remarks>
    /// The block also lies in memory: lane j is <c>source[offset + j]</c>, at position <c>sourceIndices[offset + j]</c>,
    /// or <c>offset + j</c> where <paramref name="sourceIndices"/> is null. A width that copies kept lanes one by one
    /// reads them from there, rather than reading a register's lane by a run-time lane number (which stores the whole
    /// register to the stack for every lane read).
    /// </remarks>
    static abstract int WriteKept(float* values, int* indices, int at, int room, TValues block, TValues minimum, TIndices positions, uint kept, float* source, int* sourceIndices, int offset);

    /// <summary><paramref name="counts"/> plus the number of lanes of <paramref name="values"/> &gt;= <paramref name="minimum"/>.</summary>
    static abstract TCounts CountAtLeast(TCounts counts, TValues values, TValues minimum);

    /// <summary>The number of compares counted in <paramref name="a"/> and <paramref name="b"/> together.</summary>
    static abstract int Total(TCounts a, TCounts b);

    /// <summary>The larger of each pair of lanes (neither NaN; of -0 and +0, either).</summary>
    static abstract TValues Max(TValues a, TValues b);

    /// <summary>The smaller of each pair of lanes (neither NaN; of -0 and +0, either).</summary>
    static abstract TValues Min(TValues a, TValues b);

    /// <summary>Each lane of <paramref name="values"/> &gt;= <paramref name="minimum"/>, else that lane of <paramref name="fill"/>.</summary>
    static abstract TValues KeepAtLeast(TValues values, TValues minimum, TValues fill);

    /// <summary>The largest lane of a block without NaN (of -0 and +0, either).</summary>
    static abstract float MaxAcross(TValues values);

    /// <summary>The smallest lane of a block without NaN (of -0 and +0, either).</summary>
    static abstract float MinAcross(TValues values);
}

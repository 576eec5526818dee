using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SparseDictionary.Kernels;

/// <summary>The largest and smallest lane of a 256-bit vector without NaN, by halving.</summary>
/// <remarks>
/// Native min and max: of -0 and +0, either may come out, which the counts that use these do not tell apart.
/// </remarks>
internal static class AcrossLanes
{
    /// <summary>The largest lane of <paramref name="half"/> (no lane NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(Vector256<float> half)
    {
        var quarter = Vector128.MaxNative(half.GetLower(), half.GetUpper());
        var pair = Vector128.MaxNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(pair, Vector128.Shuffle(pair, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>The smallest lane of <paramref name="half"/> (no lane NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Min(Vector256<float> half)
    {
        var quarter = Vector128.MinNative(half.GetLower(), half.GetUpper());
        var pair = Vector128.MinNative(quarter, Vector128.Shuffle(quarter, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MinNative(pair, Vector128.Shuffle(pair, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }
}

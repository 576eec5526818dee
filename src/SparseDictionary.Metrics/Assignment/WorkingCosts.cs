using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SparseDictionary.Metrics.Assignment;

/// <summary>
/// Read access to the row-major minimisation matrix the solver works on, <c>factor * costs</c> with forbidden
/// (non-finite) entries replaced by a finite penalty, computed on the fly from the caller's data so that no
/// converted copy of the matrix has to be allocated.
/// </summary>
/// <remarks>
/// Implemented by structs so that the generic solver is specialised per element type and the loads inline.
/// </remarks>
internal interface IWorkingCosts
{
    /// <summary>The working cost at flat row-major position <paramref name="index"/>.</summary>
    double this[long index] { get; }

    /// <summary>The four working costs at flat positions <c>index .. index + 3</c>.</summary>
    Vector256<double> Load4(long index);
}

/// <summary>Working costs over a row-major matrix of doubles.</summary>
internal readonly unsafe struct DoubleWorkingCosts(double* data, double factor, double forbidden, bool hasForbidden) : IWorkingCosts
{
    private readonly double* _data = data;
    private readonly double _factor = factor;
    private readonly double _forbidden = forbidden;
    private readonly bool _hasForbidden = hasForbidden;

    public double this[long index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var value = _factor * _data[index];
            return !_hasForbidden || double.IsFinite(value) ? value : _forbidden;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<double> Load4(long index)
    {
        var value = Vector256.Load(_data + index) * _factor;
        return _hasForbidden ? WorkingCosts.ReplaceNonFinite(value, _forbidden) : value;
    }
}

/// <summary>Working costs over a row-major matrix of floats, widened to double.</summary>
internal readonly unsafe struct SingleWorkingCosts(float* data, double factor, double forbidden, bool hasForbidden) : IWorkingCosts
{
    private readonly float* _data = data;
    private readonly double _factor = factor;
    private readonly double _forbidden = forbidden;
    private readonly bool _hasForbidden = hasForbidden;

    public double this[long index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var value = _factor * _data[index];
            return !_hasForbidden || double.IsFinite(value) ? value : _forbidden;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<double> Load4(long index)
    {
        var narrow = Vector128.Load(_data + index);
        var wide = Avx.IsSupported
            ? Avx.ConvertToVector256Double(narrow)
            : Vector256.Create(Vector128.WidenLower(narrow), Vector128.WidenUpper(narrow));
        var value = wide * _factor;
        return _hasForbidden ? WorkingCosts.ReplaceNonFinite(value, _forbidden) : value;
    }
}

/// <summary>Helpers shared by the <see cref="IWorkingCosts"/> implementations.</summary>
internal static class WorkingCosts
{
    /// <summary>Replaces the non-finite lanes of <paramref name="value"/> by <paramref name="forbidden"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> ReplaceNonFinite(Vector256<double> value, double forbidden)
        => Vector256.ConditionalSelect(
            Vector256.Equals(value - value, Vector256<double>.Zero), value, Vector256.Create(forbidden));
}

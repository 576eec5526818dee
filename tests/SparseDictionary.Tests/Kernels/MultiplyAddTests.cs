using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SparseDictionary.Kernels;
using SparseDictionary.Tests.Support;

namespace SparseDictionary.Tests.Kernels;

public class MultiplyAddTests
{
    // a = b = 1 + 2^-12: the exact product 1 + 2^-11 + 2^-24 needs 25 significant bits, so rounding it to float (a tie,
    // to even) drops the 2^-24. With c = -1 the separately rounded a * b + c is 2^-11, the fused one 2^-11 + 2^-24.
    // (A product that float holds exactly, such as (1 + 2^-12)(1 - 2^-12) = 1 - 2^-24, rounds the same both ways.)
    // A field, not a constant: the compiler may fold constant float arithmetic at a higher precision.
    private static readonly float A = 1f + (1f / 4096);
    private const float Separate = 1f / 2048;
    private const float Fused = (1f / 2048) + (1f / 16777216);

    [Fact]
    public void TheHandPickedCase_RoundsDifferentlyInScalarFloat()
    {
        ((A * A) + -1f).Should().Be(Separate);
        MathF.FusedMultiplyAdd(A, A, -1f).Should().Be(Fused);
        Separate.Should().NotBe(Fused);
    }

    [Fact]
    public void MultiplyThenAdd_RoundsTheProductFirst()
    {
        MultiplyThenAdd.MultiplyAdd(Vector256.Create(A), Vector256.Create(A), Vector256.Create(-1f)).Should().Be(Vector256.Create(Separate));
        MultiplyThenAdd.MultiplyAdd(Vector512.Create(A), Vector512.Create(A), Vector512.Create(-1f)).Should().Be(Vector512.Create(Separate));
        MultiplyThenAdd.MultiplySubtract(Vector256.Create(A), Vector256.Create(A), Vector256.Create(1f)).Should().Be(Vector256.Create(Separate));
        Lanes256.MultiplyAdd<MultiplyThenAdd>(Vector256.Create(A), Vector256.Create(A), Vector256.Create(-1f)).Should().Be(Vector256.Create(Separate));
        Lanes512.MultiplyAdd<MultiplyThenAdd>(Vector512.Create(A), Vector512.Create(A), Vector512.Create(-1f)).Should().Be(Vector512.Create(Separate));
    }

    [KernelPathFact(KernelPath.Avx2Fma)]
    public void FusedMultiplyAdd_RoundsOnce()
    {
        Fma.IsSupported.Should().BeTrue();
        FusedMultiplyAdd.MultiplyAdd(Vector256.Create(A), Vector256.Create(A), Vector256.Create(-1f)).Should().Be(Vector256.Create(Fused));
        FusedMultiplyAdd.MultiplySubtract(Vector256.Create(A), Vector256.Create(A), Vector256.Create(1f)).Should().Be(Vector256.Create(Fused));
        Lanes256.MultiplyAdd<FusedMultiplyAdd>(Vector256.Create(A), Vector256.Create(A), Vector256.Create(-1f)).Should().Be(Vector256.Create(Fused));
    }

    [KernelPathFact(KernelPath.Avx512Fma)]
    public void FusedMultiplyAdd_RoundsOnce_On512BitLanes()
    {
        FusedMultiplyAdd.MultiplyAdd(Vector512.Create(A), Vector512.Create(A), Vector512.Create(-1f)).Should().Be(Vector512.Create(Fused));
        Lanes512.MultiplyAdd<FusedMultiplyAdd>(Vector512.Create(A), Vector512.Create(A), Vector512.Create(-1f)).Should().Be(Vector512.Create(Fused));
    }

    [Fact]
    public void KernelPaths_PickTheFusedCopyOnTheFmaPathsOnly()
    {
        KernelPaths.UsesFusedMultiplyAdd(KernelPath.Scalar).Should().BeFalse();
        KernelPaths.UsesFusedMultiplyAdd(KernelPath.Vector256).Should().BeFalse();
        KernelPaths.UsesFusedMultiplyAdd(KernelPath.Avx2Fma).Should().Be(Fma.IsSupported);
        KernelPaths.UsesFusedMultiplyAdd(KernelPath.Avx512Fma).Should().Be(Fma.IsSupported);
    }
}

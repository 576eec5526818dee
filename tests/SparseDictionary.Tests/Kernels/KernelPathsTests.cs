using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SparseDictionary.Kernels;

namespace SparseDictionary.Tests.Kernels;

public class KernelPathsTests
{
    [Fact]
    public void Best_is_the_fastest_path_the_cpu_has()
    {
        KernelPath expected =
            Avx512F.IsSupported && Avx2.IsSupported && Fma.IsSupported ? KernelPath.Avx512Fma
            : Avx2.IsSupported && Fma.IsSupported ? KernelPath.Avx2Fma
            : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
            : KernelPath.Scalar;

        KernelPaths.Best.Should().Be(expected);
        KernelPaths.IsSupported(KernelPaths.Best).Should().BeTrue();
        KernelPaths.IsSupported(KernelPath.Scalar).Should().BeTrue();
        KernelPaths.IsSupported(KernelPath.Vector256).Should().BeTrue();
    }

    [Fact]
    public void Force_sets_the_current_path_for_its_scope_and_restores_the_previous_one()
    {
        KernelPaths.Current.Should().Be(KernelPaths.Best);
        using (KernelPaths.Force(KernelPath.Scalar))
        {
            KernelPaths.Current.Should().Be(KernelPath.Scalar);
            using (KernelPaths.Force(KernelPath.Vector256))
            {
                KernelPaths.Current.Should().Be(KernelPath.Vector256);
            }

            KernelPaths.Current.Should().Be(KernelPath.Scalar);
        }

        KernelPaths.Current.Should().Be(KernelPaths.Best);
    }

    [Fact]
    public void Force_rejects_an_undefined_path_and_one_the_cpu_lacks()
    {
        Action undefined = () => KernelPaths.Force((KernelPath)7);
        undefined.Should().Throw<ArgumentOutOfRangeException>().Where(e => e.ParamName == "path" && e.Message.Contains("Avx512Fma", StringComparison.Ordinal));
        KernelPaths.IsSupported((KernelPath)7).Should().BeFalse();

        foreach (KernelPath path in new[] { KernelPath.Avx2Fma, KernelPath.Avx512Fma }.Where(p => !KernelPaths.IsSupported(p)))
        {
            Action lacking = () => KernelPaths.Force(path);
            lacking.Should().Throw<PlatformNotSupportedException>().Where(e => e.Message.Contains(path.ToString(), StringComparison.Ordinal));
        }
    }
}

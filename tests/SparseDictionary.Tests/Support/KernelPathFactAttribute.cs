using SparseDictionary.Kernels;

namespace SparseDictionary.Tests.Support;

/// <summary>A fact that needs a kernel path: skipped, saying why, on a CPU that cannot run it.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class KernelPathFactAttribute : FactAttribute
{
    /// <summary>Marks a fact that runs only where <paramref name="path"/> is supported.</summary>
    /// <param name="path">The path the fact needs.</param>
    public KernelPathFactAttribute(KernelPath path)
    {
        if (!KernelPaths.IsSupported(path))
        {
            Skip = $"This CPU cannot run KernelPath.{path}.";
        }
    }
}

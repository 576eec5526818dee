using SparseDictionary.IO;

namespace SparseDictionary.Cli;

/// <summary>Reads a ground-truth feature matrix (features as rows): a .npy file, or a tensor of a safetensors file.</summary>
internal static class GroundTruthFile
{
    /// <summary>Loads <paramref name="path"/>; a safetensors file needs <paramref name="tensor"/> unless it holds one tensor.</summary>
    public static Matrix Load(string path, string? tensor)
    {
        DataSourceFactory.RequireFile(path, "--ground-truth");
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            return NpyFile.Load(path);
        }

        using var file = SafeTensorsFile.Open(path);
        var name = tensor ?? (file.Tensors.Count == 1
            ? file.Tensors[0].Name
            : throw new CliException($"{path} (--ground-truth) holds {file.Tensors.Count} tensors; choose one with --ground-truth-tensor ({string.Join(", ", file.Tensors.Select(t => t.Name))})."));
        return file.GetMatrix(name);
    }
}

namespace SparseDictionary.IO;

/// <summary>The two files of a SAELens or sparsify folder: detection and the checks before loading.</summary>
internal static class LayoutFolder
{
    /// <summary>Whether <paramref name="directory"/> holds both files.</summary>
    public static bool Holds(string directory, string configFile, string weightsFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return File.Exists(Path.Combine(directory, configFile)) && File.Exists(Path.Combine(directory, weightsFile));
    }

    /// <summary>The paths of the two files, after checking that the folder and the config exist.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The config file is missing; the message names it.</exception>
    public static (string ConfigPath, string WeightsPath) Open(string directory, string project, string configFile, string weightsFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The {project} folder {directory} does not exist.");
        }

        var configPath = Path.Combine(directory, configFile);
        var weightsPath = Path.Combine(directory, weightsFile);
        RequireFile(configPath, project, configFile, weightsFile);
        return (configPath, weightsPath);
    }

    /// <summary>Throws unless <paramref name="path"/> exists.</summary>
    /// <exception cref="InvalidDataException">The file is missing; the message names it.</exception>
    public static void RequireFile(string path, string project, string configFile, string weightsFile)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path} does not exist; a {project} folder holds {configFile} and {weightsFile}.");
        }
    }
}

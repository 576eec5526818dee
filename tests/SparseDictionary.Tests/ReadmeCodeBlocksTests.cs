using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SparseDictionary.Metrics;

namespace SparseDictionary.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md (and of PACKAGE.md, the NuGet readme) compiles as printed, usings
/// included: each block is a program of top-level statements, compiled by Roslyn against the two library assemblies
/// with the implicit usings of a <c>dotnet new console</c> project (System, System.IO, System.Linq, ...).
/// </summary>
public partial class ReadmeCodeBlocksTests
{
    /// <summary>The files whose C# blocks are checked.</summary>
    private static readonly string[] Documents = ["README.md", "PACKAGE.md"];

    /// <summary>The namespaces a block may import: the library's two public namespaces.</summary>
    private static readonly string[] AllowedUsings = ["SparseDictionary", "SparseDictionary.Metrics"];

    /// <summary>The global usings the .NET SDK adds to a console project with ImplicitUsings enabled.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [Fact]
    public void Readme_HasCSharpBlocks()
    {
        // The quickstart, the your-own-activations block and the papers' methods at least.
        CodeBlocks("README.md").Should().HaveCountGreaterThanOrEqualTo(3);
    }

    [Fact]
    public void EveryBlock_StartsWithItsUsings()
    {
        var problems = new List<string>();
        foreach (var (file, line, code) in Documents.SelectMany(CodeBlocks))
        {
            var usings = LeadingUsings(code);
            if (usings.Count == 0)
            {
                problems.Add($"The block at {file} line {line} does not start with a using directive.");
            }

            problems.AddRange(usings.Where(u => !AllowedUsings.Contains(u))
                .Select(u => $"The block at {file} line {line} imports {u}; blocks import only {string.Join(" and ", AllowedUsings)}."));
        }

        problems.Should().BeEmpty();
    }

    [Fact]
    public void EveryBlock_Compiles()
    {
        var references = LibraryReferences();
        var failures = new StringBuilder();
        foreach (var (file, line, code) in Documents.SelectMany(CodeBlocks))
        {
            var errors = Compile(code, references);
            if (errors.Count > 0)
            {
                failures.AppendLine(CultureInfo.InvariantCulture, $"The block at {file} line {line} does not compile:");
                foreach (var error in errors)
                {
                    // The error's line inside the block, counted from the block's first line (the line after ```csharp).
                    var position = error.Location.GetLineSpan().StartLinePosition;
                    failures.AppendLine(CultureInfo.InvariantCulture, $"  {file} line {line + position.Line}, column {position.Character + 1}: {error.Id}: {error.GetMessage(CultureInfo.InvariantCulture)}");
                }
            }
        }

        failures.ToString().Should().BeEmpty();
    }

    [Fact]
    public void Compile_ReportsABrokenBlock()
    {
        // The check itself: a block that calls a member the library does not have fails, naming the member.
        var errors = Compile("using SparseDictionary;\n\nvar sae = new SparseAutoencoder(4, 8, new TopKActivation(k: 2));\nsae.NoSuchMember();\n", LibraryReferences());
        errors.Should().ContainSingle().Which.GetMessage(CultureInfo.InvariantCulture).Should().Contain("NoSuchMember");
    }

    /// <summary>The errors of compiling <paramref name="code"/> as a console program (empty when it compiles).</summary>
    private static List<Diagnostic> Compile(string code, IReadOnlyList<MetadataReference> references)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "ReadmeBlock",
            [CSharpSyntaxTree.ParseText(code, parse, path: "Program.cs"), CSharpSyntaxTree.ParseText(ImplicitUsings, parse, path: "ImplicitUsings.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var assembly = new MemoryStream();
        var result = compilation.Emit(assembly);
        return [.. result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)];
    }

    /// <summary>
    /// The assemblies this test runs with (the .NET runtime, SparseDictionary, SparseDictionary.Metrics and their
    /// dependencies), as the host lists them.
    /// </summary>
    private static List<MetadataReference> LibraryReferences()
    {
        var trusted = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string)?.Split(Path.PathSeparator) ?? [];
        var paths = trusted.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).ToHashSet(StringComparer.Ordinal);
        paths.Add(typeof(SparseAutoencoder).Assembly.Location);
        paths.Add(typeof(FeatureSimilarity).Assembly.Location);
        return [.. paths.Order(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    /// <summary>The leading <c>using X;</c> directives of a block (not <c>using var</c> statements).</summary>
    internal static List<string> LeadingUsings(string code)
    {
        var usings = new List<string>();
        foreach (var line in code.Replace("\r\n", "\n").Split('\n'))
        {
            var match = UsingDirective().Match(line);
            if (!match.Success)
            {
                break;
            }

            usings.Add(match.Groups[1].Value);
        }

        return usings;
    }

    /// <summary>A block without its leading using directives and the blank lines after them.</summary>
    internal static string WithoutUsings(string code)
    {
        var lines = code.Replace("\r\n", "\n").Split('\n');
        var start = 0;
        while (start < lines.Length && UsingDirective().IsMatch(lines[start]))
        {
            start++;
        }

        while (start < lines.Length && lines[start].Trim().Length == 0)
        {
            start++;
        }

        return string.Join('\n', lines[start..]);
    }

    /// <summary>Each ```csharp block of <paramref name="file"/> (at the repository's root) with the line number of its first code line.</summary>
    private static List<(string File, int Line, string Code)> CodeBlocks(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), file)).Replace("\r\n", "\n");
        return [.. CSharpBlock().Matches(text).Select(m => (file, text[..m.Groups[1].Index].Count(c => c == '\n') + 1, m.Groups[1].Value))];
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SparseDictionary.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No SparseDictionary.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^using ([A-Za-z_][A-Za-z0-9_.]*);\s*$")]
    private static partial Regex UsingDirective();
}

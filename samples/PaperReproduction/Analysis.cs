using System.Globalization;
using System.Text;
using System.Text.Json;
using SparseDictionary;
using SparseDictionary.Metrics;

/// <summary>The paper's measures of one saved run, recomputed from its two SAEs.</summary>
/// <param name="Name">The run's folder name, e.g. "seed0-mfr".</param>
/// <param name="Method">The method part of the name.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Correlation">Pearson correlation of cross-SAE and ground-truth similarity over latents, averaged over both directions.</param>
/// <param name="MmcsTruth">Mean over ground-truth features of their best cosine with a decoder row, averaged over the two SAEs.</param>
/// <param name="Recovered">Share of ground-truth features with a decoder row at cosine &gt; 0.9, averaged over the two SAEs.</param>
/// <param name="Cluster">Latents per SAE with cross-SAE similarity &gt; 0.9 and ground-truth similarity &lt; 0.5.</param>
/// <param name="LooseCluster">Latents per SAE with cross-SAE similarity &gt; 0.7 and ground-truth similarity &lt; 0.5.</param>
/// <param name="Inactive">Latents per SAE that fire on fewer than 1 in 10,000 held-out samples.</param>
/// <param name="HeldOutFvu">FVU on the held-out samples (from the run's measures.json).</param>
/// <param name="ReinitializationSteps">Steps at which an SAE was reinitialised ("SAE:step").</param>
/// <param name="RecoveredPerSae">The share of ground-truth features recovered by SAE 1 and by SAE 2.</param>
internal sealed record RunAnalysis(
    string Name, string Method, int Seed, double Correlation, double MmcsTruth, double Recovered, double Cluster, double LooseCluster, double Inactive, double HeldOutFvu, string[] ReinitializationSteps, double[] RecoveredPerSae);

/// <summary>Per-latent data of one SAE of a run, for the scatter plot.</summary>
/// <param name="CrossSae">Max cosine of each decoder row with the other SAE's rows.</param>
/// <param name="GroundTruth">Max cosine of each decoder row with the ground-truth features.</param>
/// <param name="FiringFrequency">Share of held-out samples on which each latent is active.</param>
internal sealed record LatentProfile(float[] CrossSae, float[] GroundTruth, double[] FiringFrequency);

/// <summary>Recomputes the paper's measures and plots from the SAEs a full run saved with --save.</summary>
internal static class Analysis
{
    /// <summary>Cross-SAE similarity above which, with ground-truth similarity below <see cref="ClusterTruthBelow"/>, a latent belongs to the paper's cluster.</summary>
    public const double ClusterCrossAbove = 0.9;

    /// <summary>See <see cref="ClusterCrossAbove"/>.</summary>
    public const double ClusterTruthBelow = 0.5;

    /// <summary>Analyses every run folder under <paramref name="runsRoot"/>, writes a scatter plot per run and returns the results.</summary>
    public static List<RunAnalysis> Run(string runsRoot, Func<int, SyntheticFeatureSource> sourceFor, long trainingSamples, int heldOutRows, string plotsFolder)
    {
        var results = new List<RunAnalysis>();
        foreach (var folder in Directory.EnumerateDirectories(runsRoot, "seed*").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0 || !File.Exists(Path.Combine(folder, "measures.json")))
            {
                continue;
            }

            var seed = int.Parse(name.AsSpan(4, dash - 4), CultureInfo.InvariantCulture);
            var method = name[(dash + 1)..];
            var saes = new[] { SparseAutoencoder.Load(Path.Combine(folder, "sae-1")), SparseAutoencoder.Load(Path.Combine(folder, "sae-2")) };
            var source = sourceFor(seed);
            var truth = source.GroundTruthFeatures.SliceRows(0, source.UsedFeatureCount);
            source.Seek(trainingSamples);
            var heldOut = new Matrix(heldOutRows, source.Dimension);
            source.Read(heldOut);

            var profiles = new[] { Profile(saes[0], saes[1], truth, heldOut), Profile(saes[1], saes[0], truth, heldOut) };
            var correlation = profiles.Average(p => SimilarityCorrelation.Pearson(p.CrossSae.Select(v => (double)v).ToArray(), p.GroundTruth.Select(v => (double)v).ToArray()));
            var recovery = saes.Select(s => FeatureSimilarity.MaxCosinePerRow(truth, s.DecoderWeights)).ToArray();
            var cluster = profiles.Average(p => Enumerable.Range(0, p.CrossSae.Length).Count(i => p.CrossSae[i] > ClusterCrossAbove && p.GroundTruth[i] < ClusterTruthBelow));
            var looseCluster = profiles.Average(p => Enumerable.Range(0, p.CrossSae.Length).Count(i => p.CrossSae[i] > 0.7 && p.GroundTruth[i] < ClusterTruthBelow));
            var inactive = profiles.Average(p => p.FiringFrequency.Count(f => f < 1e-4));
            using var measures = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "measures.json")));
            var fvu = measures.RootElement.GetProperty("HeldOutFvu").GetDouble();
            var reinitializations = File.ReadLines(Path.Combine(folder, "reinitializations.csv")).Skip(1)
                .Select(line => line.Split(','))
                .Select(parts => $"{parts[1]}:{parts[0]}")
                .ToArray();

            results.Add(new RunAnalysis(name, method, seed, correlation, recovery.Average(r => r.Mean), recovery.Average(r => r.ShareAbove(0.9)), cluster, looseCluster, inactive, fvu, reinitializations, [.. recovery.Select(r => r.ShareAbove(0.9))]));
            ScatterPlot.Write(Path.Combine(plotsFolder, $"{name}.png"), $"{name}: r = {correlation:F3}, cluster {cluster:F1} per SAE (circles SAE 1, triangles SAE 2)", profiles);
        }

        return results;
    }

    /// <summary>A Markdown table: one column per method, mean ± sample standard deviation over seeds.</summary>
    public static string Table(IReadOnlyList<RunAnalysis> runs)
    {
        var methods = runs.Select(r => r.Method).Distinct().ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| measure | {string.Join(" | ", methods)} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"|---|{string.Concat(methods.Select(_ => "---:|"))}");
        (string Label, Func<RunAnalysis, double> Value, string Format)[] rows =
        [
            ("seeds", r => 1, "F0"),
            ("corr(cross-SAE sim., ground-truth sim.)", r => r.Correlation, "F3"),
            ("MMCS ground truth -> decoder", r => r.MmcsTruth, "F3"),
            ("ground-truth features recovered (cos > 0.9)", r => r.Recovered, "P1"),
            ($"cluster: cross-SAE > {ClusterCrossAbove}, truth < {ClusterTruthBelow} (latents per SAE)", r => r.Cluster, "F1"),
            ($"cluster: cross-SAE > 0.7, truth < {ClusterTruthBelow} (latents per SAE)", r => r.LooseCluster, "F1"),
            ("latents firing on < 1e-4 of held-out samples (per SAE)", r => r.Inactive, "F1"),
            ("FVU, held-out", r => r.HeldOutFvu, "F4"),
            ("reinitialisations per run", r => r.ReinitializationSteps.Length, "F1"),
        ];
        foreach (var (label, value, format) in rows)
        {
            var cells = methods.Select(m =>
            {
                var values = runs.Where(r => r.Method == m).Select(value).ToArray();
                return label == "seeds" ? values.Length.ToString(CultureInfo.InvariantCulture) : MeanAndDeviation(values, format);
            });
            text.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {string.Join(" | ", cells)} |");
        }

        return text.ToString();
    }

    private static LatentProfile Profile(SparseAutoencoder sae, SparseAutoencoder other, Matrix truth, Matrix heldOut)
    {
        var cross = FeatureSimilarity.MaxCosinePerRow(sae.DecoderWeights, other.DecoderWeights).Cosines.ToArray();
        var groundTruth = FeatureSimilarity.MaxCosinePerRow(sae.DecoderWeights, truth).Cosines.ToArray();
        var counts = new long[sae.LatentCount];
        var codes = sae.Encode(heldOut);
        for (var r = 0; r < codes.Rows; r++)
        {
            foreach (var latent in codes.Indices(r))
            {
                counts[latent]++;
            }
        }

        return new LatentProfile(cross, groundTruth, [.. counts.Select(c => (double)c / heldOut.Rows)]);
    }

    private static string MeanAndDeviation(double[] values, string format)
    {
        var mean = values.Average();
        if (values.Length < 2)
        {
            return mean.ToString(format, CultureInfo.InvariantCulture);
        }

        var deviation = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        return $"{mean.ToString(format, CultureInfo.InvariantCulture)} ± {deviation.ToString(format, CultureInfo.InvariantCulture)}";
    }
}

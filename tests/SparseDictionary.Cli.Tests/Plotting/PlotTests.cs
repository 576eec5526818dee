namespace SparseDictionary.Cli.Tests.Plotting;

public sealed class PlotTests
{
    [Fact]
    public void TrainingCurves_FromACsv_AreAnImageOfTheirSize()
    {
        using var folder = new TempFolder();
        var rows = Enumerable.Range(1, 30).SelectMany(step => new[] { 0, 1 }.Select(sae => new MetricsRow(step * 10, sae, 10.0 / step, 1.0 / step, 4 + sae, 0.01 * step))).ToArray();

        var path = TrainingCurvesPlot.Write(folder["curves"], rows);

        PngImage.ShouldBePlot(path!, 1200, 800);
        TrainingCurvesPlot.Write(folder["empty"], []).Should().BeNull();
    }

    [Fact]
    public void DecoderCosines_OfOrthogonalRows_AllSitAtZero()
    {
        var decoder = new Matrix(4, 4);
        for (var i = 0; i < 4; i++)
        {
            decoder[i, i] = 2;
        }

        var (pairs, nearest, rows) = DecoderCosinePlot.Histograms(decoder);

        rows.Should().Be(4);
        pairs[50].Should().Be(1);
        nearest[50].Should().Be(1);
    }

    [Fact]
    public void FiringFrequency_WithNeverFiringLatents_IsAnImage()
    {
        using var folder = new TempFolder();

        var path = FiringFrequencyPlot.Write(folder["f"], "test", [0, 0, 1e-4, 1e-3, 0.01, 0.02, 0.5]);

        PngImage.ShouldBePlot(path, 800, 500);
    }
}

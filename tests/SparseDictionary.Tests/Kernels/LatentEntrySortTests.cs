using SparseDictionary.Kernels;

namespace SparseDictionary.Tests.Kernels;

public class LatentEntrySortTests
{
    [Fact]
    public void OneTile_GroupsEachLatentsEntriesInRowOrder()
    {
        // Four rows over three latents, capacity 2, one empty row; pre-gradient at (row r, slot j) is 10 r + j.
        var codes = new SparseCodes(4, 3, 2);
        codes.SetRow(0, [2, 0], [0.5f, 1f]);
        codes.SetRow(1, [1], [2f]);
        codes.SetRow(3, [0, 2], [3f, 4f]);
        float[] preGradients = [0, 1, 10, 11, 20, 21, 30, 31];

        using var sorted = new LatentEntrySort(codes, preGradients, d: 8);

        (sorted.Tiles, sorted.TileRows, sorted.Entries, sorted.Latents).Should().Be((1, 4, 5, 3));
        Enumerable.Range(0, 3).Select(sorted.EntryCount).Should().Equal(2, 1, 2);
        Expect(sorted.Group(0, 0), rows: [0, 3], values: [1f, 3f], preGradients: [1, 30]);
        Expect(sorted.Group(0, 1), rows: [1], values: [2f], preGradients: [10]);
        Expect(sorted.Group(0, 2), rows: [0, 3], values: [0.5f, 4f], preGradients: [0, 31]);
    }

    [Fact]
    public void SeveralTiles_GroupByTileThenLatent()
    {
        // At d = 8192 a tile is at most 6 rows (Gemm.MR); 12 rows with 24 entries over 2 latents make 2 tiles of 6 rows.
        // Row r holds latent 1 (value r + 0.5) then latent 0 (value r), pre-gradients 100 r + 1 and 100 r.
        var codes = new SparseCodes(12, 2, 2);
        var preGradients = new float[24];
        for (var r = 0; r < 12; r++)
        {
            codes.SetRow(r, [1, 0], [r + 0.5f, r]);
            (preGradients[2 * r], preGradients[(2 * r) + 1]) = ((100 * r) + 1, 100 * r);
        }

        using var sorted = new LatentEntrySort(codes, preGradients, d: 8192);

        (sorted.Tiles, sorted.TileRows, sorted.Entries).Should().Be((2, 6, 24));
        sorted.EntryCount(0).Should().Be(12);
        sorted.EntryCount(1).Should().Be(12);
        for (var t = 0; t < 2; t++)
        {
            int[] rows = [.. Enumerable.Range(6 * t, 6)];
            Expect(sorted.Group(t, 0), rows, [.. rows.Select(r => (float)r)], [.. rows.Select(r => 100f * r)]);
            Expect(sorted.Group(t, 1), rows, [.. rows.Select(r => r + 0.5f)], [.. rows.Select(r => (100f * r) + 1)]);
        }
    }

    [Fact]
    public void ABatchWithoutEntries_HasOneTileOfEmptyGroups_AndDisposesTwice()
    {
        var codes = new SparseCodes(3, 4, 2);
        var sorted = new LatentEntrySort(codes, new float[6], d: 16);

        (sorted.Tiles, sorted.Entries).Should().Be((1, 0));
        Enumerable.Range(0, 4).Should().AllSatisfy(i => sorted.Group(0, i).Count.Should().Be(0));
        Enumerable.Range(0, 4).Select(sorted.EntryCount).Should().AllBeEquivalentTo(0);
        sorted.Dispose();
        sorted.Dispose();
    }

    private static void Expect(LatentEntries entries, int[] rows, float[] values, float[] preGradients)
    {
        entries.Count.Should().Be(rows.Length);
        entries.Rows.ToArray().Should().Equal(rows);
        entries.Values.ToArray().Should().Equal(values);
        entries.PreGradients.ToArray().Should().Equal(preGradients);
    }
}

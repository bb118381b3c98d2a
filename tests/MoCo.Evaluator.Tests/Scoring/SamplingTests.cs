using MoCo.Evaluator.Views;
using MoCo.Hosting.Randomness;

namespace MoCo.Evaluator.Tests.Scoring;

/// <summary>evaluation.md §5.3: the SplitMix64 vectors and seeded sampling.</summary>
public sealed class SamplingTests
{
    [Fact]
    public void SplitMix64_first_output_for_seed_zero() => Assert.Equal(0xE220A8397B1DCDAFUL, new SplitMix64(0).Next());

    [Fact]
    public void Seeded_samples_match_the_spec_vectors()
    {
        Assert.Equal([2, 3, 4], ViewSelection.Select(10, 3, 42, null).Indices);
        Assert.Equal([28, 321, 535, 851, 922], ViewSelection.Select(1000, 5, 0, null).Indices);
    }

    [Fact]
    public void Prefixes_complete_cut_groups_and_samples_take_whole_groups()
    {
        string Group(int i) => (i / 4).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (prefix, kind) = ViewSelection.Select(20, 5, null, Group);
        Assert.Equal(SelectionKind.Prefix, kind);
        Assert.Equal(Enumerable.Range(0, 8), prefix);
        var (sample, _) = ViewSelection.Select(20, 5, 7, Group);
        Assert.Equal(8, sample.Length);
        Assert.All(sample.GroupBy(i => i / 4), g => Assert.Equal(4, g.Count()));
        Assert.Equal(SelectionKind.All, ViewSelection.Select(20, 20, null, null).Kind);
    }
}

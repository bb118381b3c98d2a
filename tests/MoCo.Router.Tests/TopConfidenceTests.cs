using MoCo.Router.Routing;

namespace MoCo.Router.Tests;

/// <summary>api_cascade's confidence (methods-api.md §6): the top-k softmax maximum per token, averaged.</summary>
public sealed class TopConfidenceTests
{
    [Fact]
    public void A_token_is_the_softmax_maximum_of_its_top_logits_and_filtered_entries_count_zero()
    {
        Assert.Equal(0.5, TopConfidence.Token([1.0, 1.0]), 12);
        Assert.Equal(1 / (1 + Math.Exp(-2)), TopConfidence.Token([3.0, 1.0, double.NegativeInfinity]), 12);
        Assert.Equal(1.0, TopConfidence.Token([0.2]), 12);
    }

    [Fact]
    public void A_sequence_is_the_mean_over_its_tokens_and_zero_when_empty()
    {
        var meter = new TopConfidence();
        Assert.Equal(0.0, meter.Mean);
        meter.Add([1.0, 1.0]);
        meter.Add([5.0, double.NegativeInfinity]);
        Assert.Equal(0.75, meter.Mean, 12);
    }
}

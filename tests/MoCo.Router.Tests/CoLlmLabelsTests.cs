using MoCo.Router.Decoding;

namespace MoCo.Router.Tests;

/// <summary>CoLLM's labels (methods-api.md §8 step 3): 1 only where the mentor's gold token is its argmax and the
/// generator's is not, with numpy's isclose tolerances.</summary>
public sealed class CoLlmLabelsTests
{
    [Fact]
    public void Only_a_token_the_mentor_gets_right_and_the_generator_wrong_is_labelled_defer()
    {
        // Positions: both right, only the mentor right, only the generator right, both wrong.
        double[] generator = [-0.1, -2.0, -0.3, -3.0];
        double[] generatorMax = [-0.1, -0.5, -0.3, -0.2];
        double[] mentor = [-0.2, -0.4, -1.5, -2.5];
        double[] mentorMax = [-0.2, -0.4, -0.1, -0.3];

        Assert.Equal([0, 1, 0, 0], CoLlmLabels.Of(generator, generatorMax, mentor, mentorMax));
    }

    [Fact]
    public void The_argmax_test_is_isclose_with_its_relative_tolerance()
    {
        // |a − b| ≤ 1e-8 + 1e-5·|b|: 1e-6 apart at −1 is "the argmax", 1e-4 apart is not.
        Assert.True(CoLlmLabels.IsClose(-1.000001, -1.0));
        Assert.False(CoLlmLabels.IsClose(-1.0001, -1.0));
        Assert.Equal([1], CoLlmLabels.Of([-1.0001], [-1.0], [-1.000001], [-1.0]));
    }

    [Fact]
    public void Models_that_tokenise_differently_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => CoLlmLabels.Of([-1, -1], [-1, -1], [-1], [-1]));
        Assert.Contains("tokenizer", error.Message, StringComparison.Ordinal);
    }
}

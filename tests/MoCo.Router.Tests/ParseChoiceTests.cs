using MoCo.Router.Routing;

namespace MoCo.Router.Tests;

/// <summary>ParseChoice (methods-api.md §0.5): highest label found anywhere wins, else the fallback.</summary>
public sealed class ParseChoiceTests
{
    [Theory]
    [InlineData("Model 3", 3)]
    [InlineData("1 or 2", 2)]
    [InlineData("I pick model 1.", 1)]
    [InlineData("none", 9)]
    [InlineData("Model 12", 2)]
    public void The_highest_label_in_the_text_wins_and_none_gives_the_fallback(string text, int expected) =>
        Assert.Equal(expected, ParseChoice.Of(text, 1, 3, fallback: 9));

    [Fact]
    public void Zero_based_labels_include_zero() => Assert.Equal(0, ParseChoice.Of("The answer is model 0", 0, 2, fallback: 1));
}

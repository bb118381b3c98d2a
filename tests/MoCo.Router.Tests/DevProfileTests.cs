using MoCo.Router.Routing;

namespace MoCo.Router.Tests;

/// <summary>Dev profiles (methods-api.md §0.3): the best model and api_trained_router's labels (§4 step 2).</summary>
public sealed class DevProfileTests
{
    [Fact]
    public void The_best_model_has_the_highest_mean_and_ties_go_to_the_lowest_index()
    {
        Assert.Equal(1, new DevProfile([[0, 1, 0], [1, 1, 0], [1, 0, 1]]).Best());
        Assert.Equal(0, new DevProfile([[1, 0], [0, 1]]).Best());
    }

    [Fact]
    public void Labels_take_the_strict_winner_else_the_highest_reward_else_the_lowest_index()
    {
        var profile = new DevProfile([[1, 1, 0, 0], [0, 1, 0, 1], [0, 1, 0, 1]]);
        var asked = new List<(int Item, int Model)>();
        double[][] rewards = [[0.5, 0.2, 3, 0], [0.1, 0.9, 3, 2], [0.7, 0.9, 1, 2]];
        int Label(int j) => profile.Label(j, m =>
        {
            asked.Add((j, m));
            return rewards[m][j];
        });
        Assert.Equal(0, Label(0));
        Assert.Empty(asked);
        Assert.Equal(1, Label(1));
        Assert.Equal(0, Label(2));
        Assert.Equal(1, Label(3));
        Assert.DoesNotContain(asked, a => a.Item == 3 && a.Model == 0);
    }

    [Fact]
    public void Unscorable_items_count_as_zero() => Assert.Equal(0.5, new DevProfile([[double.NaN, 1]]).Mean(0));
}

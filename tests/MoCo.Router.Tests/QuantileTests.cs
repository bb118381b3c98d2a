using MoCo.Router.Routing;

namespace MoCo.Router.Tests;

/// <summary>The cascade threshold (methods-api.md §6): torch.quantile's linear interpolation.</summary>
public sealed class QuantileTests
{
    [Theory]
    [InlineData(0.0, 0.1)]
    [InlineData(0.5, 0.35)]
    [InlineData(1.0, 0.9)]
    [InlineData(0.25, 0.25)]
    public void Linear_interpolation_between_sorted_neighbours(double q, double expected) =>
        Assert.Equal(expected, Quantile.Linear([0.9, 0.1, 0.4, 0.3], q), 12);

    [Fact]
    public void No_values_is_an_error_naming_the_empty_dev_split() =>
        Assert.Contains("dev split is empty", Assert.Throws<ArgumentException>(() => Quantile.Linear([], 0.5)).Message, StringComparison.Ordinal);
}

using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Tests.Methods;

/// <summary>LoRAHub's gradient-free optimiser (methods-logit-weight.md §1.3 H4, acceptance test §8 (b)).</summary>
public sealed class CobylaTests
{
    private static readonly double[] Target = [-0.3, -0.7, -1.2];

    private static double Quadratic(IReadOnlyList<double> w) => w.Select((x, i) => (x - Target[i]) * (x - Target[i])).Sum();

    [Fact]
    public async Task A_quadratic_in_the_box_is_minimised_from_the_base_and_unit_simplex_within_the_budget()
    {
        var points = new List<double[]>();

        var result = await new Cobyla().MinimizeAsync(3, 100, 1.5, (k, w) =>
        {
            Assert.Equal(points.Count, k);
            points.Add([.. w]);
            return Task.FromResult(Quadratic(w));
        }, default);

        Assert.Equal(100, points.Count);
        Assert.Equal([0.0, 0.0, 0.0], points[0]);
        Assert.Equal([0.5, 0.0, 0.0], points[1]);
        Assert.Equal([0.0, 0.5, 0.0], points[2]);
        Assert.Equal([0.0, 0.0, 0.5], points[3]);
        Assert.All(points, p => Assert.All(p, x => Assert.InRange(x, -1.5, 1.5)));
        var best = points.Select(Quadratic).Min();
        Assert.Equal(best, result.Value);
        Assert.Equal(points.FindIndex(p => Quadratic(p) == best), result.Index);
        Assert.Equal(points[result.Index], result.Point);
        Assert.True(result.Value < 0.1 * Quadratic([0, 0, 0]), $"best {result.Value} is not below a tenth of f(0) = {Quadratic([0, 0, 0])}");
    }

    [Fact]
    public async Task A_budget_below_the_simplex_evaluates_its_first_points_only()
    {
        var count = 0;

        var result = await new Cobyla().MinimizeAsync(3, 2, 1.5, (_, w) => Task.FromResult(++count == 2 ? -1.0 : 0.0), default);

        Assert.Equal(2, count);
        Assert.Equal((1, -1.0), (result.Index, result.Value));
        Assert.Equal([0.5, 0.0, 0.0], result.Point);
    }

    [Fact]
    public async Task Equal_values_keep_the_earliest_point()
    {
        var result = await new Cobyla().MinimizeAsync(2, 10, 1.5, (_, _) => Task.FromResult(1.0), default);

        Assert.Equal(0, result.Index);
        Assert.Equal([0.0, 0.0], result.Point);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1.0, 0.5)]
    [InlineData(4.0, 1.0)]
    [InlineData(-4.0, -1.0)]
    [InlineData(9.0, -1.5)]
    [InlineData(-12.0, 1.5)]
    public void Standardised_points_bounce_back_into_the_box(double u, double w)
    {
        // σ = b/3 = 0.5; y = σ·u past ±1.5 is reflected (y = 2 → 1), then clipped (y = 4.5 → −1.5).
        Assert.Equal(w, Cobyla.ToBox([u], 1.5)[0], 12);
    }
}

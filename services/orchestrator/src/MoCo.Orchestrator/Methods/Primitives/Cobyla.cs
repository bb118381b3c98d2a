namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>One evaluated point of a gradient-free search: its 0-based evaluation index, the point and its objective.</summary>
public sealed record EvaluatedPoint(int Index, IReadOnlyList<double> Point, double Value);

/// <summary>A gradient-free minimiser over the box [−bound, bound]ⁿ (LoRAHub's H4, methods-logit-weight.md §1.3).</summary>
public interface IGradientFreeOptimizer
{
    /// <summary>Evaluates <paramref name="objective"/> exactly <paramref name="budget"/> times, one point at a time, and
    /// returns the evaluated point of lowest value (ties: the earliest).</summary>
    /// <param name="dimension">n.</param>
    /// <param name="budget">Objective evaluations.</param>
    /// <param name="bound">b: every point lies in [−b, b]ⁿ.</param>
    /// <param name="objective">Called with the evaluation index and the point.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    Task<EvaluatedPoint> MinimizeAsync(int dimension, int budget, double bound, Func<int, IReadOnlyList<double>, Task<double>> objective,
        CancellationToken cancellationToken);
}

/// <summary>
/// COBYLA as nevergrad's NGOpt runs it for LoRAHub (H4): Powell's linear-approximation trust region without constraints,
/// ρ_beg = 1, in the standardised space u ∈ ℝⁿ where a point is w = bounce(σ·u), σ = b/3,
/// bounce(y) = clip(2·clip(y, −b, b) − y, −b, b). The first n + 1 evaluations are the simplex u = 0 (all weights 0),
/// u = e_1, …, e_n. Then each iteration fits the linear model through the simplex and steps ρ down its gradient from
/// the best vertex; a step that improves on the worst vertex replaces it, otherwise ρ halves and the simplex shrinks
/// toward the best vertex. Later iterates need not match scipy's (the spec asks for the first n + 1 and the contract
/// of <see cref="IGradientFreeOptimizer"/>).
/// </summary>
public sealed class Cobyla : IGradientFreeOptimizer
{
    // Below this normalised volume the simplex no longer spans ℝⁿ and the linear model is not determined.
    private const double DegenerateVolume = 1e-10;

    /// <summary>The box point of a standardised point.</summary>
    public static double[] ToBox(IReadOnlyList<double> u, double bound)
    {
        ArgumentNullException.ThrowIfNull(u);
        var sigma = bound / 3;
        return [.. u.Select(x =>
        {
            var y = sigma * x;
            return Math.Clamp(2 * Math.Clamp(y, -bound, bound) - y, -bound, bound);
        })];
    }

    /// <inheritdoc/>
    public async Task<EvaluatedPoint> MinimizeAsync(int dimension, int budget, double bound, Func<int, IReadOnlyList<double>, Task<double>> objective,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ArgumentNullException.ThrowIfNull(objective);
        EvaluatedPoint? best = null;
        var count = 0;
        async Task<double?> Evaluate(double[] u)
        {
            if (count == budget)
            {
                return null;
            }
            cancellationToken.ThrowIfCancellationRequested();
            var w = ToBox(u, bound);
            var value = await objective(count, w).ConfigureAwait(false);
            if (best is null || value < best.Value)
            {
                best = new EvaluatedPoint(count, w, value);
            }
            count++;
            return value;
        }

        var rho = 1.0;
        var points = new List<double[]> { new double[dimension] };
        points.AddRange(Enumerable.Range(0, dimension).Select(j => Unit(dimension, j, rho)));
        var values = new double[dimension + 1];
        for (var j = 0; j <= dimension; j++)
        {
            if (await Evaluate(points[j]).ConfigureAwait(false) is not { } v)
            {
                return best!;
            }
            values[j] = v;
        }
        while (count < budget)
        {
            var b = ArgMin(values);
            var gradient = Gradient(points, values, b);
            if (gradient is null || Norm(gradient) == 0)
            {
                rho /= 2;
                if (!await ShrinkAsync(points, values, b, rho, Evaluate).ConfigureAwait(false))
                {
                    break;
                }
                continue;
            }
            var norm = Norm(gradient);
            var trial = points[b].Select((x, k) => x - rho * gradient[k] / norm).ToArray();
            if (await Evaluate(trial).ConfigureAwait(false) is not { } f)
            {
                break;
            }
            var worst = ArgMax(values);
            if (f < values[worst])
            {
                points[worst] = trial;
                values[worst] = f;
                if (Volume(points, ArgMin(values)) >= DegenerateVolume * Math.Pow(rho, dimension))
                {
                    continue;
                }
            }
            rho /= 2;
            if (!await ShrinkAsync(points, values, ArgMin(values), rho, Evaluate).ConfigureAwait(false))
            {
                break;
            }
        }
        return best!;
    }

    // Rebuilds the simplex as the best vertex plus ρ along each axis; false once the budget ran out.
    private static async Task<bool> ShrinkAsync(List<double[]> points, double[] values, int best, double rho, Func<double[], Task<double?>> evaluate)
    {
        var centre = points[best];
        var others = Enumerable.Range(0, points.Count).Where(j => j != best).ToList();
        for (var k = 0; k < others.Count; k++)
        {
            var u = centre.Select((x, d) => d == k ? x + rho : x).ToArray();
            if (await evaluate(u).ConfigureAwait(false) is not { } v)
            {
                return false;
            }
            points[others[k]] = u;
            values[others[k]] = v;
        }
        return true;
    }

    // The gradient g of the linear model through the simplex: (x_j − x_b)·g = f_j − f_b for every j ≠ b; null when the
    // simplex is degenerate.
    private static double[]? Gradient(List<double[]> points, double[] values, int b)
    {
        var n = points[0].Length;
        var rows = Enumerable.Range(0, points.Count).Where(j => j != b)
            .Select(j => points[j].Select((x, k) => x - points[b][k]).Append(values[j] - values[b]).ToArray()).ToArray();
        for (var col = 0; col < n; col++)
        {
            var pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(rows[r][col]));
            if (Math.Abs(rows[pivot][col]) < 1e-300)
            {
                return null;
            }
            (rows[col], rows[pivot]) = (rows[pivot], rows[col]);
            for (var r = 0; r < n; r++)
            {
                if (r != col)
                {
                    var factor = rows[r][col] / rows[col][col];
                    for (var c = col; c <= n; c++)
                    {
                        rows[r][c] -= factor * rows[col][c];
                    }
                }
            }
        }
        return [.. Enumerable.Range(0, n).Select(k => rows[k][n] / rows[k][k])];
    }

    // |det| of the edge vectors from vertex b: the simplex's volume up to n!.
    private static double Volume(List<double[]> points, int b)
    {
        var n = points[0].Length;
        var m = Enumerable.Range(0, points.Count).Where(j => j != b).Select(j => points[j].Select((x, k) => x - points[b][k]).ToArray()).ToArray();
        var det = 1.0;
        for (var col = 0; col < n; col++)
        {
            var pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(m[r][col]));
            if (m[pivot][col] == 0)
            {
                return 0;
            }
            (m[col], m[pivot]) = (m[pivot], m[col]);
            det *= m[col][col];
            for (var r = col + 1; r < n; r++)
            {
                var factor = m[r][col] / m[col][col];
                for (var c = col; c < n; c++)
                {
                    m[r][c] -= factor * m[col][c];
                }
            }
        }
        return Math.Abs(det);
    }

    private static double[] Unit(int n, int j, double length) => [.. Enumerable.Range(0, n).Select(k => k == j ? length : 0.0)];

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));

    private static int ArgMin(double[] values) => Array.IndexOf(values, values.Min());

    private static int ArgMax(double[] values) => Array.IndexOf(values, values.Max());
}

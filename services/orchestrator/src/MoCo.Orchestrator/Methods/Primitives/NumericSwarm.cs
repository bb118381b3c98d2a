using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>The PSO settings of H1 (methods-logit-weight.md §1.3; the PSO keys of config-and-cli.md §1.3).</summary>
public sealed record SwarmSettings(int Dimension, int Population, bool ZeroStartingVelocity, bool WeightRandomness, double Inertia, double Cognitive,
    double Social, double Repel, bool RepelTerm, double StepLength, double StepLengthFactor, double MinimumStepLength, int Patience, int RestartPatience)
{
    /// <summary>The settings a method's PSO keys give, for <paramref name="dimension"/> × <paramref name="population"/>.</summary>
    public static SwarmSettings From(Hyperparameters keys, int dimension, int population) => new(dimension, population,
        keys.String("starting_velocity_mode") == "zero", keys.Bool("weight_randomness"), keys.Number("inertia"), keys.Number("cognitive_coeff"),
        keys.Number("social_coeff"), keys.Number("repel_coeff"), keys.Bool("repel_term"), keys.Number("step_length"), keys.Number("step_length_factor"),
        keys.Number("minimum_step_length"), (int)keys.Int("patience"), (int)keys.Int("restart_patience"));
}

/// <summary>
/// H1 NumericSwarm (methods-logit-weight.md §1.3): particle swarm search over ℝ^D with personal bests, global best and
/// worst, patience-based stop and per-particle restarts, each move the M11 step `v' = a·v + b·(p − x) + c·(g − x) +
/// d·(x − w)`, `x' = x + s·v'` with (a, b, c, d) normalised. Randomness comes from the caller's seeded streams (one
/// per draw site, so a resumed search redraws the same numbers), never Python's global RNG; the state saves to JSON
/// for a per-iteration checkpoint.
/// </summary>
public sealed class NumericSwarm
{
    private readonly SwarmSettings _settings;
    private double[][] _x;
    private double[][] _v;
    private double[]?[] _personalBest;
    private double?[] _personalScore;
    private List<double>[] _history;
    private readonly List<double> _globalHistory = [];
    private double[]? _globalBest;
    private double[]? _globalWorst;
    private double? _g;
    private double? _gWorst;
    private double _step;

    private NumericSwarm(SwarmSettings settings, double[][] x, double[][] v)
    {
        _settings = settings;
        _x = x;
        _v = v;
        _personalBest = [.. x.Select(p => (double[]?)(double[])p.Clone())];
        _personalScore = new double?[settings.Population];
        _history = [.. Enumerable.Range(0, settings.Population).Select(_ => new List<double>())];
        _step = settings.StepLength;
    }

    /// <summary>Particle positions, in order.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Positions => _x;

    /// <summary>The best position seen; null before the first update.</summary>
    public IReadOnlyList<double>? GlobalBest => _globalBest;

    /// <summary>The best score seen (g); null before the first update.</summary>
    public double? GlobalBestScore => _g;

    /// <summary>g after each update.</summary>
    public IReadOnlyList<double> GlobalHistory => _globalHistory;

    /// <summary>The step length s of the next move.</summary>
    public double Step => _step;

    /// <summary>A new swarm: per particle D × U(−1, 1) positions, then per particle D velocities (U(−1, 1), or zeros).</summary>
    public static NumericSwarm Start(SwarmSettings settings, SeededRng rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Population, 1);
        var x = Enumerable.Range(0, settings.Population).Select(_ => Uniform(rng, settings.Dimension)).ToArray();
        var v = Enumerable.Range(0, settings.Population)
            .Select(_ => settings.ZeroStartingVelocity ? new double[settings.Dimension] : Uniform(rng, settings.Dimension)).ToArray();
        return new NumericSwarm(settings, x, v);
    }

    /// <summary>Takes the scores of the current positions (higher is better), updates the bests and, unless the global
    /// best stalled for `patience` updates, moves every particle. Returns false for "stop" (nothing moved).</summary>
    /// <param name="scores">One score per particle.</param>
    /// <param name="rng">The stream of this update's draws (restarts and the four coefficients per particle).</param>
    public bool Update(IReadOnlyList<double> scores, SeededRng rng)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(scores.Count, _settings.Population, nameof(scores));
        for (var i = 0; i < scores.Count; i++)
        {
            _history[i].Add(scores[i]);
            if (_personalScore[i] is not { } best || scores[i] > best)
            {
                _personalScore[i] = scores[i];
                _personalBest[i] = (double[])_x[i].Clone();
            }
        }
        var max = scores.Max();
        if (_g is not { } g || max > g)
        {
            _g = max;
            _globalBest = (double[])_x[IndexOf(scores, max)].Clone();
        }
        var min = scores.Min();
        if (_gWorst is not { } worst || min < worst)
        {
            _gWorst = min;
            _globalWorst = (double[])_x[IndexOf(scores, min)].Clone();
        }
        _globalHistory.Add(_g!.Value);
        if (Stalled(_globalHistory, _settings.Patience))
        {
            return false;
        }
        for (var i = 0; i < _settings.Population; i++)
        {
            if (Stalled(_history[i], _settings.RestartPatience))
            {
                _x[i] = (double[])_personalBest[i]!.Clone();
                _v[i] = Uniform(rng, _settings.Dimension);
                continue;
            }
            Move(i, rng);
        }
        _step = Math.Max(_step * _settings.StepLengthFactor, _settings.MinimumStepLength);
        return true;
    }

    /// <summary>The whole state, for a checkpoint.</summary>
    public JsonObject Save() => new()
    {
        ["x"] = Matrix(_x),
        ["v"] = Matrix(_v),
        ["p"] = Matrix(_personalBest),
        ["p_score"] = new JsonArray([.. _personalScore.Select(s => (JsonNode?)(s is { } v ? JsonValue.Create(v) : null))]),
        ["history"] = Matrix(_history.Select(h => h.ToArray())),
        ["g_history"] = Vector(_globalHistory),
        ["g"] = _g,
        ["g_worst"] = _gWorst,
        ["g_best"] = _globalBest is null ? null : Vector(_globalBest),
        ["g_worst_x"] = _globalWorst is null ? null : Vector(_globalWorst),
        ["step"] = _step,
    };

    /// <summary>A swarm from a <see cref="Save"/>d state.</summary>
    public static NumericSwarm Load(SwarmSettings settings, JsonObject state)
    {
        var swarm = new NumericSwarm(settings, Rows(state["x"])!, Rows(state["v"])!)
        {
            _personalBest = Rows(state["p"])!,
            _personalScore = [.. state["p_score"]!.AsArray().Select(s => (double?)s)],
            _history = [.. Rows(state["history"])!.Select(h => h.ToList())],
            _g = (double?)state["g"],
            _gWorst = (double?)state["g_worst"],
            _globalBest = state["g_best"]?.AsArray().Select(e => (double)e!).ToArray(),
            _globalWorst = state["g_worst_x"]?.AsArray().Select(e => (double)e!).ToArray(),
            _step = (double)state["step"]!,
        };
        swarm._globalHistory.AddRange(state["g_history"]!.AsArray().Select(e => (double)e!));
        return swarm;
    }

    // M11 with coefficients drawn for this particle, normalised to sum 1.
    private void Move(int i, SeededRng rng)
    {
        var s = _settings;
        var (a, b, c, d) = SwarmCoefficients.Draw(s.WeightRandomness, s.Inertia, s.Cognitive, s.Social, s.Repel, s.RepelTerm, rng.NextDouble);
        var (x, v, p, g, w) = (_x[i], _v[i], _personalBest[i]!, _globalBest!, _globalWorst!);
        for (var k = 0; k < x.Length; k++)
        {
            v[k] = a * v[k] + b * (p[k] - x[k]) + c * (g[k] - x[k]) + d * (x[k] - w[k]);
            x[k] += _step * v[k];
        }
    }

    // "The latest value did not rise above the `window` − 1 values before it", once more than `window` values exist.
    private static bool Stalled(List<double> history, int window) =>
        history.Count > window && history[^1] <= history.Skip(history.Count - window).Take(window - 1).Max();

    private static int IndexOf(IReadOnlyList<double> scores, double value)
    {
        for (var i = 0; i < scores.Count; i++)
        {
            if (scores[i] == value)
            {
                return i;
            }
        }
        return -1;
    }

    private static double[] Uniform(SeededRng rng, int dimension) => [.. Enumerable.Range(0, dimension).Select(_ => 2 * rng.NextDouble() - 1)];

    private static JsonArray Vector(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

    private static JsonArray Matrix(IEnumerable<double[]?> rows) => new([.. rows.Select(r => (JsonNode?)(r is null ? null : Vector(r)))]);

    private static double[][]? Rows(JsonNode? node) => node?.AsArray().Select(r => r!.AsArray().Select(e => (double)e!).ToArray()).ToArray();
}

using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>The H2 settings (methods-logit-weight.md §1.3, §7 config keys).</summary>
public sealed record ModelSwarmSettings(bool WeightRandomness, double Inertia, double Cognitive, double Social, double Repel, bool RepelTerm,
    double StepLength, double StepLengthFactor, double MinimumStepLength, int Patience, int RestartPatience)
{
    /// <summary>The settings weight_model_swarms's keys give.</summary>
    public static ModelSwarmSettings From(Hyperparameters keys) => new(keys.Bool("weight_randomness_flag"), keys.Number("inertia"),
        keys.Number("cognitive_coefficient"), keys.Number("social_coefficient"), keys.Number("repel_coefficient"), keys.Bool("repel_term_flag"),
        keys.Number("step_length"), keys.Number("step_length_factor"), keys.Number("minimum_step_length"), (int)keys.Int("patience"),
        (int)keys.Int("restart_patience"));
}

/// <summary>One particle's move of an update: whether it restarts first (x = p, v = 0) and the normalised M11
/// coefficients of its step.</summary>
public sealed record SwarmMove(int Particle, bool Restart, double A, double B, double C, double D);

/// <summary>
/// The H2 model-swarm controller (methods-logit-weight.md §1.3, model_collaboration/utils/swarm.py): the particles are
/// models, held as ids (positions, velocities, personal bests, global best and worst; a "copy" is the same id). It
/// keeps the books and decides; the caller runs the merges and reports the new ids. Every draw comes from the caller's
/// seeded streams, so a replay of the same scores makes the same decisions.
/// </summary>
public sealed class ModelSwarm
{
    // Iterations a restarted particle waits before it may restart again (hard-coded in the reference).
    private const int RestartCooldown = 3;

    private readonly ModelSwarmSettings _settings;
    private readonly string[] _x;
    private readonly string[] _v;
    private readonly string[] _p;
    private readonly double?[] _personalScore;
    private readonly List<double>[] _history;
    private readonly int[] _counter;
    private readonly List<double> _globalHistory = [];
    private double? _g;
    private double? _gWorst;

    private ModelSwarm(ModelSwarmSettings settings, IReadOnlyList<string> positions, IReadOnlyList<string> velocities)
    {
        _settings = settings;
        _x = [.. positions];
        _v = [.. velocities];
        _p = [.. positions];
        _personalScore = new double?[positions.Count];
        _history = [.. positions.Select(_ => new List<double>())];
        _counter = new int[positions.Count];
        Step = settings.StepLength;
    }

    /// <summary>Particle positions (model ids), in order.</summary>
    public IReadOnlyList<string> Positions => _x;

    /// <summary>Particle velocities (model ids), in order.</summary>
    public IReadOnlyList<string> Velocities => _v;

    /// <summary>Personal bests (model ids), in order.</summary>
    public IReadOnlyList<string> PersonalBests => _p;

    /// <summary>The best model scored so far; null before the first update.</summary>
    public string? GlobalBest { get; private set; }

    /// <summary>The worst model scored so far; null before the first update.</summary>
    public string? GlobalWorst { get; private set; }

    /// <summary>The best dev score so far (g); null before the first update.</summary>
    public double? GlobalBestScore => _g;

    /// <summary>g after each update.</summary>
    public IReadOnlyList<double> GlobalHistory => _globalHistory;

    /// <summary>The step length s of the next move.</summary>
    public double Step { get; private set; }

    /// <summary>For each particle i, the particle j ≠ i whose position starts its velocity (v_i = x_j − x_i), drawn by
    /// rejection as the reference does.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than two particles (the reference never ends).</exception>
    public static IReadOnlyList<int> VelocityPartners(int particles, SeededRng rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(particles, 2);
        ArgumentNullException.ThrowIfNull(rng);
        var partners = new int[particles];
        for (var i = 0; i < particles; i++)
        {
            int j;
            do
            {
                j = rng.Next(particles);
            }
            while (j == i);
            partners[i] = j;
        }
        return partners;
    }

    /// <summary>A swarm at its start: personal bests = positions, no scores yet.</summary>
    public static ModelSwarm Start(ModelSwarmSettings settings, IReadOnlyList<string> positions, IReadOnlyList<string> velocities)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentOutOfRangeException.ThrowIfNotEqual(velocities.Count, positions.Count, nameof(velocities));
        return new ModelSwarm(settings, positions, velocities);
    }

    /// <summary>The bookkeeping of an update: histories, personal bests, the global best and worst (first arg-max /
    /// arg-min), g's history. Returns false for "stop": g did not rise over the last `patience` − 1 updates, once more
    /// than `patience` updates exist.</summary>
    public bool Record(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentOutOfRangeException.ThrowIfNotEqual(scores.Count, _x.Length, nameof(scores));
        for (var i = 0; i < scores.Count; i++)
        {
            _history[i].Add(scores[i]);
            if (_personalScore[i] is not { } best || scores[i] > best)
            {
                _personalScore[i] = scores[i];
                _p[i] = _x[i];
            }
        }
        var max = scores.Max();
        if (_g is not { } g || max > g)
        {
            _g = max;
            GlobalBest = _x[IndexOf(scores, max)];
        }
        var min = scores.Min();
        if (_gWorst is not { } worst || min < worst)
        {
            _gWorst = min;
            GlobalWorst = _x[IndexOf(scores, min)];
        }
        _globalHistory.Add(_g!.Value);
        return !(_globalHistory.Count > _settings.Patience && _globalHistory[^1] <= _globalHistory[^_settings.Patience]);
    }

    /// <summary>The moves of this update, in particle order: a particle whose score did not rise over the last
    /// `restart_patience` − 1 updates, and that is not cooling down from a restart, restarts from its personal best
    /// (its position becomes p; the caller gives it a zero velocity) — and is still moved. Coefficients are drawn from
    /// <paramref name="rng"/>(particle) (all 1 without weight randomness) and normalised to sum 1.</summary>
    public IReadOnlyList<SwarmMove> PlanMoves(Func<int, SeededRng> rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var s = _settings;
        var moves = new List<SwarmMove>();
        for (var i = 0; i < _x.Length; i++)
        {
            var history = _history[i];
            var restart = history.Count > s.RestartPatience && history[^1] <= history[^s.RestartPatience] && _counter[i] == 0;
            if (restart)
            {
                _x[i] = _p[i];
                _counter[i] = RestartCooldown;
            }
            else
            {
                _counter[i] = Math.Max(0, _counter[i] - 1);
            }
            var draws = s.WeightRandomness ? rng(i) : null;
            double Draw() => draws?.NextDouble() ?? 1.0;
            var a = s.Inertia * Draw();
            var b = s.Cognitive * Draw();
            var c = s.Social * Draw();
            var rb = Draw();
            var d = s.RepelTerm ? s.Repel * rb : 0.0;
            var sum = a + b + c + d;
            moves.Add(new SwarmMove(i, restart, a / sum, b / sum, c / sum, d / sum));
        }
        return moves;
    }

    /// <summary>Particle <paramref name="particle"/>'s new velocity (a restart's zero velocity).</summary>
    public void SetVelocity(int particle, string velocity) => _v[particle] = velocity;

    /// <summary>Particle <paramref name="particle"/> moved to <paramref name="position"/> with <paramref name="velocity"/>.</summary>
    public void Moved(int particle, string position, string velocity) => (_x[particle], _v[particle]) = (position, velocity);

    /// <summary>After every move of an update: s = max(s · step_length_factor, minimum_step_length).</summary>
    public void DecayStep() => Step = Math.Max(Step * _settings.StepLengthFactor, _settings.MinimumStepLength);

    /// <summary>The reference's utility_scratchpad.json: g, g_worst, g_history, then per particle its latest score,
    /// personal best score and score history.</summary>
    public JsonObject Scratchpad()
    {
        var pad = new JsonObject
        {
            ["g"] = _g,
            ["g_worst"] = _gWorst,
            ["g_history"] = Numbers(_globalHistory),
        };
        for (var i = 0; i < _x.Length; i++)
        {
            var name = "model_" + i.ToString(CultureInfo.InvariantCulture);
            pad[name + "_now"] = _history[i].Count > 0 ? _history[i][^1] : null;
            pad[name + "_best"] = _personalScore[i];
            pad[name + "_history"] = Numbers(_history[i]);
        }
        return pad;
    }

    private static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);

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
}

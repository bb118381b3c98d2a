namespace MoCo.Orchestrator.Methods.Text;

/// <summary>A model's SPARTA rating: score R and deviation σ.</summary>
public sealed record SpartaRating(double Score, double Deviation)
{
    /// <summary>Every model's start: 100.0 / 0.5.</summary>
    public static SpartaRating Initial { get; } = new(100.0, 0.5);
}

/// <summary>The rating hyperparameters of text_sparta (methods-text.md §12, config keys of the same names).</summary>
public sealed record SpartaRatingSettings(double InitialK, double MinK, double DecayRate, int DecaySteps, int WindowSize, double MinDeviation,
    double Epsilon, double ScalingFactor)
{
    /// <summary>The reference defaults: K 10 → 5, decay 0.9 per 10 updates, window 10, σ ≥ 0.1, ε 0.01, scaling 20.</summary>
    public static SpartaRatingSettings Defaults { get; } = new(10.0, 5.0, 0.9, 10, 10, 0.1, 0.01, 20.0);
}

/// <summary>One judge's verdict on a pair: its name and its `ave_scores` [s_a, s_b].</summary>
public sealed record SpartaVerdict(string Judge, double ScoreA, double ScoreB);

/// <summary>What one rating update did (the reference's `debug` output): K of the update, Δ, and each player's change
/// actually applied (the floor of 10 may cut it) with its deviation after the update.</summary>
public sealed record SpartaUpdate(double K, double Delta, double ChangeA, double ChangeB, double DeviationA, double DeviationB);

/// <summary>A preference pair of step 7 before its texts are attached: which player won and the rating-weighted scores
/// [w_chosen, w_rejected].</summary>
public sealed record SpartaPreference(bool ChosenIsA, double ChosenScore, double RejectedScore)
{
    /// <summary>w_chosen − w_rejected.</summary>
    public double ScoreDiff => ChosenScore - RejectedScore;
}

/// <summary>
/// SPARTA's Elo-like rating with uncertainty (methods-text.md §12 step 5): per pair u = 1, 2, … of an iteration,
/// K_u = max(min_k, initial_k·decay_rate^(u/decay_steps)) with a continuous exponent (the code, not the docs);
/// Δ = Σ R_j(W_a·s_a − W_b·s_b) / Σ R_j over the judges with a rating; a is updated first, then b against a's new
/// rating, each by K·(±Δ)·tanh(σ_i)·max(|erf((R_i − R_j)/(√2·σc))|, ε)/scaling_factor, floored at 10; each player's
/// last window_size changes give σ = max(population std, min_deviation) once there are two. Ratings are keyed by name.
/// </summary>
public sealed class SpartaRatings
{
    private readonly Dictionary<string, SpartaRating> _ratings;
    private readonly Dictionary<string, List<double>> _history;
    private readonly SpartaRatingSettings _settings;

    /// <summary>Ratings of <paramref name="models"/> (absent from <paramref name="start"/>: 100.0 / 0.5), with the
    /// delta histories carried over (absent: empty); a loaded history of two or more changes sets σ at once.</summary>
    public SpartaRatings(IReadOnlyList<string> models, IReadOnlyDictionary<string, SpartaRating>? start, IReadOnlyDictionary<string, IReadOnlyList<double>>? history,
        SpartaRatingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(models);
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _ratings = models.ToDictionary(m => m, m => start?.GetValueOrDefault(m) ?? SpartaRating.Initial, StringComparer.Ordinal);
        _history = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var (model, deltas) in history ?? new Dictionary<string, IReadOnlyList<double>>())
        {
            _history[model] = [.. deltas];
        }
        foreach (var model in models)
        {
            RefreshDeviation(model);
        }
    }

    /// <summary>The current ratings, in model order.</summary>
    public IReadOnlyDictionary<string, SpartaRating> Ratings => _ratings;

    /// <summary>Each model's last changes (at most window_size), oldest first.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> History => _history.ToDictionary(p => p.Key, p => (IReadOnlyList<double>)p.Value, StringComparer.Ordinal);

    /// <summary>K of the <paramref name="update"/>-th pair of an iteration (1-based).</summary>
    public double K(int update) => Math.Max(_settings.MinK, _settings.InitialK * Math.Pow(_settings.DecayRate, (double)update / _settings.DecaySteps));

    /// <summary>Updates a and b from the verdicts of pair number <paramref name="update"/>; <paramref name="weights"/>
    /// are the score-type weights W (null or absent = 1). Null when no judge has a rating (Σ R_j = 0): skipped.</summary>
    public SpartaUpdate? Update(int update, string a, string b, IReadOnlyList<SpartaVerdict> verdicts, IReadOnlyDictionary<string, double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        var wa = weights?.GetValueOrDefault(a, 1.0) ?? 1.0;
        var wb = weights?.GetValueOrDefault(b, 1.0) ?? 1.0;
        double num = 0, den = 0;
        foreach (var v in Judges(a, b, verdicts))
        {
            var r = _ratings[v.Judge].Score;
            num += r * (wa * v.ScoreA - wb * v.ScoreB);
            den += r;
        }
        if (den == 0.0)
        {
            return null;
        }
        var delta = num / den;
        var k = K(update);
        var changeA = Move(a, b, k * delta);
        var changeB = Move(b, a, -k * delta);
        Record(a, changeA);
        Record(b, changeB);
        return new SpartaUpdate(k, delta, changeA, changeB, _ratings[a].Deviation, _ratings[b].Deviation);
    }

    /// <summary>Step 7: w_x = Σ R_j·s_x / Σ R_j over the judges with a rating (no W); null when Σ R_j ≤ 0 or the
    /// weighted scores tie (score_diff 0 is dropped). The chosen side is a when w_a &gt; w_b, else b.</summary>
    public SpartaPreference? Prefer(string a, string b, IReadOnlyList<SpartaVerdict> verdicts)
    {
        ArgumentNullException.ThrowIfNull(verdicts);
        double sa = 0, sb = 0, total = 0;
        foreach (var v in Judges(a, b, verdicts))
        {
            var r = _ratings[v.Judge].Score;
            sa += r * v.ScoreA;
            sb += r * v.ScoreB;
            total += r;
        }
        if (total <= 0.0)
        {
            return null;
        }
        sa /= total;
        sb /= total;
        var preference = sa > sb ? new SpartaPreference(true, sa, sb) : new SpartaPreference(false, sb, sa);
        return preference.ScoreDiff == 0.0 ? null : preference;
    }

    private IEnumerable<SpartaVerdict> Judges(string a, string b, IReadOnlyList<SpartaVerdict> verdicts) =>
        verdicts.Where(v => v.Judge != a && v.Judge != b && _ratings.ContainsKey(v.Judge));

    // Player i against j by a signed step K·(±Δ); returns the change actually applied (the floor of 10 may cut it).
    private double Move(string i, string j, double step)
    {
        var ri = _ratings[i];
        var rj = _ratings[j];
        var combined = Math.Sqrt(ri.Deviation * ri.Deviation + rj.Deviation * rj.Deviation);
        if (combined == 0.0)
        {
            combined = 1e-6;
        }
        var gap = Math.Abs(Erf((ri.Score - rj.Score) / (Math.Sqrt(2.0) * combined)));
        var delta = step * Math.Tanh(ri.Deviation) * Math.Max(gap, _settings.Epsilon) / _settings.ScalingFactor;
        var score = Math.Max(10.0, ri.Score + delta);
        _ratings[i] = ri with { Score = score };
        return score - ri.Score;
    }

    private void Record(string model, double change)
    {
        if (!_history.TryGetValue(model, out var list))
        {
            _history[model] = list = [];
        }
        list.Add(change);
        if (list.Count > _settings.WindowSize)
        {
            list.RemoveRange(0, list.Count - _settings.WindowSize);
        }
        RefreshDeviation(model);
    }

    private void RefreshDeviation(string model)
    {
        if (_history.TryGetValue(model, out var list) && list.Count >= 2 && _ratings.TryGetValue(model, out var rating))
        {
            var mean = list.Average();
            var std = Math.Sqrt(list.Sum(d => (d - mean) * (d - mean)) / list.Count);
            _ratings[model] = rating with { Deviation = Math.Max(std, _settings.MinDeviation) };
        }
    }

    /// <summary>erf(x) to about 1e-15 (.NET has none): the power series below |x| = 1.5, else 1 − erfc from its
    /// continued fraction — CPython's former portable math.erf.</summary>
    public static double Erf(double x)
    {
        const double SqrtPi = 1.772453850905516027298167483341145182798;
        var ax = Math.Abs(x);
        var x2 = x * x;
        if (ax < 1.5)
        {
            double acc = 0.0, fk = 25.5;
            for (var i = 0; i < 25; i++)
            {
                acc = 2.0 + x2 * acc / fk;
                fk -= 1.0;
            }
            return acc * x * Math.Exp(-x2) / SqrtPi;
        }
        double erfc = 0.0;
        if (ax < 30.0)
        {
            double a = 0.0, da = 0.5, p = 1.0, pLast = 0.0, q = da + x2, qLast = 1.0;
            for (var i = 0; i < 50; i++)
            {
                a += da;
                da += 2.0;
                var b = da + x2;
                (p, pLast) = (b * p - a * pLast, p);
                (q, qLast) = (b * q - a * qLast, q);
            }
            erfc = p / q * ax * Math.Exp(-x2) / SqrtPi;
        }
        return x > 0.0 ? 1.0 - erfc : erfc - 1.0;
    }
}

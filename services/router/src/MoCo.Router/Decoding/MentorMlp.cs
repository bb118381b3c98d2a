namespace MoCo.Router.Decoding;

/// <summary>
/// api_mentor_collab's train-mode judge (methods-api.md §7) in eval mode: Linear(H→2H)–BatchNorm–ReLU–Dropout,
/// Linear(2H→H)–BatchNorm–ReLU–Dropout, Linear(H→⌊H/2⌋)–Dropout, Linear(⌊H/2⌋→1), sigmoid. Dropout is the identity and
/// BatchNorm uses its running statistics (eps 1e-5), as PyTorch's eval mode does. Tensors are named by the published
/// state dict: `mlp.0`, `mlp.1`, `mlp.4`, `mlp.5`, `mlp.8` (the Sequential's indices) and `linear`.
/// </summary>
public sealed class MentorMlp
{
    private const double BatchNormEps = 1e-5;

    /// <summary>The state-dict tensors the judge reads, each with its shape for hidden size H.</summary>
    public static IReadOnlyList<(string Name, Func<int, int[]> Shape)> Layout { get; } =
    [
        ("mlp.0.weight", h => [2 * h, h]), ("mlp.0.bias", h => [2 * h]),
        ("mlp.1.weight", h => [2 * h]), ("mlp.1.bias", h => [2 * h]), ("mlp.1.running_mean", h => [2 * h]), ("mlp.1.running_var", h => [2 * h]),
        ("mlp.4.weight", h => [h, 2 * h]), ("mlp.4.bias", h => [h]),
        ("mlp.5.weight", h => [h]), ("mlp.5.bias", h => [h]), ("mlp.5.running_mean", h => [h]), ("mlp.5.running_var", h => [h]),
        ("mlp.8.weight", h => [h / 2, h]), ("mlp.8.bias", h => [h / 2]),
        ("linear.weight", h => [1, h / 2]), ("linear.bias", _ => [1]),
    ];

    private readonly IReadOnlyDictionary<string, float[]> _tensors;

    private MentorMlp(int hiddenSize, IReadOnlyDictionary<string, float[]> tensors)
    {
        HiddenSize = hiddenSize;
        _tensors = tensors;
    }

    /// <summary>H, the generator hidden size the judge reads.</summary>
    public int HiddenSize { get; }

    /// <summary>The judge's tensors by state-dict name (extra tensors, e.g. BatchNorm's num_batches_tracked, ignored).</summary>
    public IReadOnlyDictionary<string, float[]> Tensors => _tensors;

    /// <summary>The judge of <paramref name="tensors"/> (name → shape and row-major values); H comes from `mlp.0.weight`.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape; the message names it.</exception>
    public static MentorMlp FromTensors(IReadOnlyDictionary<string, (int[] Shape, float[] Values)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!tensors.TryGetValue("mlp.0.weight", out var first) || first.Shape.Length != 2 || first.Shape[1] < 2)
        {
            throw new InvalidDataException("mlp.0.weight is missing or not a [2H, H] matrix");
        }
        var h = first.Shape[1];
        var kept = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, shapeOf) in Layout)
        {
            var shape = shapeOf(h);
            if (!tensors.TryGetValue(name, out var tensor))
            {
                throw new InvalidDataException($"{name} is missing (a judge for hidden size {h} needs {string.Join(", ", Layout.Select(l => l.Name))})");
            }
            if (!tensor.Shape.SequenceEqual(shape) || tensor.Values.Length != shape.Aggregate(1, (a, b) => a * b))
            {
                throw new InvalidDataException($"{name} has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", shape)}] for hidden size {h}");
            }
            kept[name] = tensor.Values;
        }
        return new MentorMlp(h, kept);
    }

    /// <summary>The judge's score in (0, 1) for the generator's final-norm hidden state <paramref name="hidden"/>.</summary>
    public double Score(IReadOnlyList<float> hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Count != HiddenSize)
        {
            throw new ArgumentException($"the hidden state has {hidden.Count} values, the judge reads {HiddenSize}", nameof(hidden));
        }
        var x = hidden.Select(v => (double)v).ToArray();
        x = Relu(BatchNorm(Linear(x, "mlp.0"), "mlp.1"));
        x = Relu(BatchNorm(Linear(x, "mlp.4"), "mlp.5"));
        x = Linear(Linear(x, "mlp.8"), "linear");
        return 1 / (1 + Math.Exp(-x[0]));
    }

    private double[] Linear(double[] x, string name)
    {
        var weight = _tensors[name + ".weight"];
        var bias = _tensors[name + ".bias"];
        var y = new double[bias.Length];
        for (var o = 0; o < y.Length; o++)
        {
            var sum = (double)bias[o];
            for (var i = 0; i < x.Length; i++)
            {
                sum += weight[o * x.Length + i] * x[i];
            }
            y[o] = sum;
        }
        return y;
    }

    private double[] BatchNorm(double[] x, string name)
    {
        var (weight, bias) = (_tensors[name + ".weight"], _tensors[name + ".bias"]);
        var (mean, variance) = (_tensors[name + ".running_mean"], _tensors[name + ".running_var"]);
        return [.. x.Select((v, i) => (v - mean[i]) / Math.Sqrt(variance[i] + BatchNormEps) * weight[i] + bias[i])];
    }

    private static double[] Relu(double[] x) => [.. x.Select(v => Math.Max(0, v))];
}

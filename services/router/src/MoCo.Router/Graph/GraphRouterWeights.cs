using System.Text.Json.Nodes;

namespace MoCo.Router.Graph;

/// <summary>
/// The GraphRouter network's parameters (methods-api.md §5 step 4) for embedding width D and hidden width h (node width
/// 2h): the query-side task and query encoders T, Q (D→h), the model encoder L (D→2h), the edge encoder (3→3), two
/// GeneralConv layers (message 2h→2h, edge 3→2h) and two BatchNorms with running statistics. Each trainable tensor is a
/// flat row-major array, so the optimiser walks them uniformly.
/// </summary>
public sealed class GraphRouterWeights
{
    /// <summary>Edge-feature width (effect, cost, effect).</summary>
    public const int EdgeWidth = 3;

    /// <summary>Parameters at zero, running statistics at (0, 1).</summary>
    public GraphRouterWeights(int embeddingWidth, int hidden)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        (D, H) = (embeddingWidth, hidden);
        var w = 2 * hidden;
        Tensors =
        [
            new double[hidden * D], new double[hidden], // T
            new double[hidden * D], new double[hidden], // Q
            new double[w * D], new double[w], // L
            new double[EdgeWidth * EdgeWidth], new double[EdgeWidth], // edge encoder
            new double[w * w], new double[w], new double[w * EdgeWidth], new double[w], // conv1: message, edge
            new double[w * w], new double[w], new double[w * EdgeWidth], new double[w], // conv2
            new double[w], new double[w], new double[w], new double[w], // BN1 γ β, BN2 γ β
        ];
        Array.Fill(Tensors[Bn1Gamma], 1.0);
        Array.Fill(Tensors[Bn2Gamma], 1.0);
        RunningMean = [new double[w], new double[w]];
        RunningVar = [new double[w], new double[w]];
        Array.Fill(RunningVar[0], 1.0);
        Array.Fill(RunningVar[1], 1.0);
    }

    /// <summary>Indices into <see cref="Tensors"/>.</summary>
    public const int Tw = 0, Tb = 1, Qw = 2, Qb = 3, Lw = 4, Lb = 5, Ew = 6, Eb = 7, M1w = 8, M1b = 9, E1w = 10, E1b = 11,
        M2w = 12, M2b = 13, E2w = 14, E2b = 15, Bn1Gamma = 16, Bn1Beta = 17, Bn2Gamma = 18, Bn2Beta = 19;

    /// <summary>Embedding width D.</summary>
    public int D { get; }

    /// <summary>Hidden width h (node width 2h).</summary>
    public int H { get; }

    /// <summary>Trainable tensors, row-major (out × in for weights).</summary>
    public double[][] Tensors { get; }

    /// <summary>BatchNorm running means (layer 1, layer 2).</summary>
    public double[][] RunningMean { get; }

    /// <summary>BatchNorm running variances (unbiased, as PyTorch keeps them).</summary>
    public double[][] RunningVar { get; }

    /// <summary>Number of trainable values.</summary>
    public int Count => Tensors.Sum(t => t.Length);

    /// <summary>PyTorch's default initialisation: every Linear's weight and bias uniform in ±1/√fan_in (kaiming_uniform
    /// with a = √5), BatchNorm γ = 1, β = 0; draws from <paramref name="rng"/> in layer order.</summary>
    public static GraphRouterWeights Initial(int embeddingWidth, int hidden, Func<double> rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var weights = new GraphRouterWeights(embeddingWidth, hidden);
        int[] fanIn = [embeddingWidth, embeddingWidth, embeddingWidth, EdgeWidth, 2 * hidden, EdgeWidth, 2 * hidden, EdgeWidth];
        for (var layer = 0; layer < fanIn.Length; layer++)
        {
            var bound = 1 / Math.Sqrt(fanIn[layer]);
            foreach (var tensor in new[] { weights.Tensors[2 * layer], weights.Tensors[2 * layer + 1] })
            {
                for (var i = 0; i < tensor.Length; i++)
                {
                    tensor[i] = (2 * rng() - 1) * bound;
                }
            }
        }
        return weights;
    }

    /// <summary>A deep copy (the best-on-validation snapshot).</summary>
    public GraphRouterWeights Clone()
    {
        var copy = new GraphRouterWeights(D, H);
        for (var i = 0; i < Tensors.Length; i++)
        {
            Tensors[i].CopyTo(copy.Tensors[i], 0);
        }
        for (var l = 0; l < 2; l++)
        {
            RunningMean[l].CopyTo(copy.RunningMean[l], 0);
            RunningVar[l].CopyTo(copy.RunningVar[l], 0);
        }
        return copy;
    }

    /// <summary>Zeroed tensors of the same shapes (gradients, optimiser moments).</summary>
    public double[][] ZerosLike() => [.. Tensors.Select(t => new double[t.Length])];

    /// <summary>The weights as JSON: {d, h, tensors, running_mean, running_var}.</summary>
    public JsonObject ToJson() => new()
    {
        ["d"] = D,
        ["h"] = H,
        ["tensors"] = Arrays(Tensors),
        ["running_mean"] = Arrays(RunningMean),
        ["running_var"] = Arrays(RunningVar),
    };

    /// <summary>Weights from <see cref="ToJson"/>.</summary>
    public static GraphRouterWeights FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var weights = new GraphRouterWeights((int)json["d"]!, (int)json["h"]!);
        Fill(weights.Tensors, json["tensors"]!.AsArray());
        Fill(weights.RunningMean, json["running_mean"]!.AsArray());
        Fill(weights.RunningVar, json["running_var"]!.AsArray());
        return weights;
    }

    private static JsonArray Arrays(double[][] arrays) =>
        new([.. arrays.Select(a => (JsonNode)new JsonArray([.. a.Select(v => (JsonNode?)JsonValue.Create(v))]))]);

    private static void Fill(double[][] target, JsonArray source)
    {
        for (var i = 0; i < target.Length; i++)
        {
            var values = source[i]!.AsArray();
            for (var k = 0; k < target[i].Length; k++)
            {
                target[i][k] = (double)values[k]!;
            }
        }
    }
}

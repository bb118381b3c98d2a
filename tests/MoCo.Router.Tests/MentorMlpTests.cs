using MoCo.Router.Decoding;

namespace MoCo.Router.Tests;

/// <summary>api_mentor_collab's MLP judge (methods-api.md §7): the eval-mode forward on hand-computed numbers, shape
/// checks naming the tensor, and the registry — a saved judge loads back to the same scores, a missing one names the
/// generator, the file and the fix.</summary>
public sealed class MentorMlpTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "moco-mentor-mlp-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A judge for hidden size <paramref name="h"/>: linear weights from <paramref name="weight"/>, zero
    /// biases except the last layer's <paramref name="lastBias"/>, BatchNorm with unit scale, zero shift, mean 0, var 1.</summary>
    internal static MentorMlp Synthetic(int h, Func<string, int, float> weight, float lastBias)
    {
        var tensors = new Dictionary<string, (int[], float[])>();
        foreach (var (name, shapeOf) in MentorMlp.Layout)
        {
            var shape = shapeOf(h);
            var values = new float[shape.Aggregate(1, (a, b) => a * b)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = name switch
                {
                    "linear.bias" => lastBias,
                    _ when name.EndsWith(".running_var", StringComparison.Ordinal) => 1,
                    _ when name.StartsWith("mlp.1.", StringComparison.Ordinal) || name.StartsWith("mlp.5.", StringComparison.Ordinal)
                        => name.EndsWith(".weight", StringComparison.Ordinal) ? 1 : 0,
                    _ when name.EndsWith(".weight", StringComparison.Ordinal) => weight(name, i),
                    _ => 0,
                };
            }
            tensors[name] = (shape, values);
        }
        return MentorMlp.FromTensors(tensors);
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    [Fact]
    public void The_forward_is_linear_batchnorm_relu_twice_then_two_linears_and_a_sigmoid()
    {
        // H = 2: every weight of mlp.0 and mlp.8 and linear is 1, mlp.4's 0.5; BatchNorm divides by sqrt(1 + 1e-5).
        var mlp = Synthetic(2, (name, _) => name == "mlp.4.weight" ? 0.5f : 1f, -2f);
        var bn = Math.Sqrt(1 + 1e-5);
        // x = (0.25, 0.25): mlp.0 gives 0.5 on all four units, mlp.4 gives 2·(0.5/bn), mlp.8 sums both: 4·(0.5/bn)/bn.
        Assert.Equal(Sigmoid(2 / (bn * bn) - 2), mlp.Score([0.25f, 0.25f]), 12);
        // Negative inputs die at the first ReLU: only the last bias is left.
        Assert.Equal(Sigmoid(-2), mlp.Score([-1f, -1f]), 12);
        Assert.Throws<ArgumentException>(() => mlp.Score([1f, 2f, 3f]));
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_is_named()
    {
        var tensors = MentorMlp.Layout.ToDictionary(l => l.Name, l => (l.Shape(4), new float[l.Shape(4).Aggregate(1, (a, b) => a * b)]));
        tensors["mlp.8.weight"] = ([3, 4], new float[12]);
        var error = Assert.Throws<InvalidDataException>(() => MentorMlp.FromTensors(tensors));
        Assert.Contains("mlp.8.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2, 4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saved_judge_loads_back_and_a_missing_one_names_the_generator_the_file_and_the_fix()
    {
        var registry = new MentorMlpRegistry(_directory);
        var mlp = Synthetic(6, (name, i) => (float)Math.Sin(name.Length + i), 0.1f);
        registry.Save("org/gen-1", "Math", mlp);
        Assert.True(File.Exists(Path.Combine(_directory, "org_gen-1", "Math", MentorMlpRegistry.FileName)));
        var loaded = registry.Load("org/gen-1", "Math");
        float[] hidden = [0.3f, -0.2f, 0.9f, 0.1f, -0.7f, 0.4f];
        Assert.Equal(mlp.Score(hidden), loaded.Score(hidden), 12);

        var missing = Assert.Throws<FileNotFoundException>(() => registry.Load("org/gen-1", "General"));
        Assert.Contains("\"org/gen-1\"", missing.Message, StringComparison.Ordinal);
        Assert.Contains("mode \"free\"", missing.Message, StringComparison.Ordinal);
        var published = Assert.Throws<FileNotFoundException>(() => registry.Load("meta-llama/Llama-3.1-8B", "General"));
        Assert.Contains(Path.Combine(_directory, "llama3_1_8B", "General", MentorMlpRegistry.FileName), published.Message, StringComparison.Ordinal);
        Assert.Contains("SeanWang0027/MentorCollab-MLP", published.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}

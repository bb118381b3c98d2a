namespace MoCo.Router.Graph;

/// <summary>PyTorch's AdamW (betas 0.9/0.999, eps 1e-8, decoupled weight decay on every parameter) over the network's
/// tensors.</summary>
public sealed class AdamW(GraphRouterWeights weights, double learningRate, double weightDecay)
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;
    private readonly double[][] _m = weights.ZerosLike();
    private readonly double[][] _v = weights.ZerosLike();
    private int _step;

    /// <summary>One update with gradients <paramref name="grads"/>.</summary>
    public void Step(double[][] grads)
    {
        ArgumentNullException.ThrowIfNull(grads);
        _step++;
        var correction1 = 1 - Math.Pow(Beta1, _step);
        var correction2 = 1 - Math.Pow(Beta2, _step);
        for (var t = 0; t < weights.Tensors.Length; t++)
        {
            var p = weights.Tensors[t];
            for (var i = 0; i < p.Length; i++)
            {
                var g = grads[t][i];
                p[i] -= learningRate * weightDecay * p[i];
                _m[t][i] = Beta1 * _m[t][i] + (1 - Beta1) * g;
                _v[t][i] = Beta2 * _v[t][i] + (1 - Beta2) * g * g;
                p[i] -= learningRate * (_m[t][i] / correction1) / (Math.Sqrt(_v[t][i] / correction2) + Epsilon);
            }
        }
    }
}

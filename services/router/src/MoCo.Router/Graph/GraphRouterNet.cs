namespace MoCo.Router.Graph;

/// <summary>A query → model edge of the bipartite graph with its features (effect, cost, effect).</summary>
public sealed record GraphEdge(int Query, int Model, double[] Features);

/// <summary>The graph's node embeddings: the task description's, one per query, one per model description.</summary>
public sealed record GraphEmbeddings(double[] Task, IReadOnlyList<double[]> Queries, IReadOnlyList<double[]> Models);

/// <summary>
/// The GraphRouter network (methods-api.md §5 step 4) with its exact gradient. Nodes: n queries, then N models;
/// x0(query) = [T·E_t + b ‖ Q·E_j + b], x0(model) = L·E_m + b; visible edges carry e' = ReLU(W_e e + b_e); two
/// GeneralConv layers with sum aggregation and messages only query → model, out_v = x_v + Σ(W_msg x_u + b + W_edge e' + b);
/// x1 = ReLU(BN1(conv1(x0))), x2 = BN2(conv2(x1)), BatchNorm over all nodes (momentum 0.1, eps 1e-5); the logit of edge
/// (q, m) is mean_d x0[q]_d · x2[m]_d and its score the sigmoid of that.
/// </summary>
public static class GraphRouterNet
{
    private const double Eps = 1e-5;
    private const double Momentum = 0.1;

    /// <summary>Everything a forward pass computed, for scoring and the backward pass.</summary>
    public sealed class Pass
    {
        internal Pass(int queries, int rows, int width)
        {
            Queries = queries;
            X0 = Rows(rows, width);
            C1 = Rows(rows, width);
            Xhat1 = Rows(rows, width);
            Y1 = Rows(rows, width);
            X1 = Rows(rows, width);
            C2 = Rows(rows, width);
            Xhat2 = Rows(rows, width);
            X2 = Rows(rows, width);
            InvStd1 = new double[width];
            InvStd2 = new double[width];
        }

        /// <summary>Number of query nodes (model m is node <see cref="Queries"/> + m).</summary>
        public int Queries { get; }

        /// <summary>Input node features.</summary>
        public double[][] X0 { get; }

        /// <summary>Output node features.</summary>
        public double[][] X2 { get; }

        internal double[][] C1 { get; }
        internal double[][] Xhat1 { get; }
        internal double[][] Y1 { get; }
        internal double[][] X1 { get; }
        internal double[][] C2 { get; }
        internal double[][] Xhat2 { get; }
        internal double[] InvStd1 { get; }
        internal double[] InvStd2 { get; }
        internal List<(GraphEdge Edge, double[] Pre, double[] Act)> Edges { get; } = [];
        internal bool Train { get; init; }

        /// <summary>The logit of edge (query, model).</summary>
        public double Logit(int query, int model) => Logit(X0[query], model);

        /// <summary>The logit of a query with input features <paramref name="x0"/> (a query outside the graph) and a model.</summary>
        public double Logit(double[] x0, int model)
        {
            var x2 = X2[Queries + model];
            var sum = 0.0;
            for (var d = 0; d < x0.Length; d++)
            {
                sum += x0[d] * x2[d];
            }
            return sum / x0.Length;
        }
    }

    /// <summary>x0 of a query: [T·E_t + b ‖ Q·E_q + b].</summary>
    public static double[] QueryNode(GraphRouterWeights w, double[] task, double[] query)
    {
        var x = new double[2 * w.H];
        Affine(w.Tensors[GraphRouterWeights.Tw], w.Tensors[GraphRouterWeights.Tb], task, x, 0, w.H);
        Affine(w.Tensors[GraphRouterWeights.Qw], w.Tensors[GraphRouterWeights.Qb], query, x, w.H, w.H);
        return x;
    }

    /// <summary>A forward pass over the graph with <paramref name="visible"/> edges; in train mode BatchNorm uses the
    /// batch's statistics and updates the running ones, in eval mode it uses the running ones.</summary>
    public static Pass Forward(GraphRouterWeights w, GraphEmbeddings graph, IReadOnlyList<GraphEdge> visible, bool train)
    {
        var n = graph.Queries.Count;
        var rows = n + graph.Models.Count;
        var width = 2 * w.H;
        var p = new Pass(n, rows, width) { Train = train };
        for (var j = 0; j < n; j++)
        {
            QueryNode(w, graph.Task, graph.Queries[j]).CopyTo(p.X0[j], 0);
        }
        for (var m = 0; m < graph.Models.Count; m++)
        {
            Affine(w.Tensors[GraphRouterWeights.Lw], w.Tensors[GraphRouterWeights.Lb], graph.Models[m], p.X0[n + m], 0, width);
        }
        foreach (var edge in visible)
        {
            var pre = new double[GraphRouterWeights.EdgeWidth];
            Affine(w.Tensors[GraphRouterWeights.Ew], w.Tensors[GraphRouterWeights.Eb], edge.Features, pre, 0, pre.Length);
            p.Edges.Add((edge, pre, [.. pre.Select(v => Math.Max(0, v))]));
        }
        Conv(w, GraphRouterWeights.M1w, p.X0, p, p.C1);
        Norm(w, 0, GraphRouterWeights.Bn1Gamma, p.C1, p.Xhat1, p.Y1, p.InvStd1, train);
        for (var r = 0; r < rows; r++)
        {
            for (var d = 0; d < width; d++)
            {
                p.X1[r][d] = Math.Max(0, p.Y1[r][d]);
            }
        }
        Conv(w, GraphRouterWeights.M2w, p.X1, p, p.C2);
        Norm(w, 1, GraphRouterWeights.Bn2Gamma, p.C2, p.Xhat2, p.X2, p.InvStd2, train);
        return p;
    }

    /// <summary>Adds to <paramref name="grads"/> the gradient of Σ dLogit·logit over the given edges of pass
    /// <paramref name="p"/>.</summary>
    public static void Backward(GraphRouterWeights w, GraphEmbeddings graph, Pass p, IReadOnlyList<(int Query, int Model, double DLogit)> dLogits, double[][] grads)
    {
        ArgumentNullException.ThrowIfNull(p);
        var rows = p.X0.Length;
        var width = 2 * w.H;
        var n = p.Queries;
        var dX0 = Rows(rows, width);
        var dX2 = Rows(rows, width);
        foreach (var (q, m, dz) in dLogits)
        {
            for (var d = 0; d < width; d++)
            {
                dX0[q][d] += dz * p.X2[n + m][d] / width;
                dX2[n + m][d] += dz * p.X0[q][d] / width;
            }
        }
        var dC2 = NormBackward(w, GraphRouterWeights.Bn2Gamma, p.Xhat2, p.InvStd2, dX2, grads, p.Train);
        var dX1 = Copy(dC2);
        var dEdge = p.Edges.Select(_ => new double[GraphRouterWeights.EdgeWidth]).ToList();
        ConvBackward(w, GraphRouterWeights.M2w, p.X1, p, dC2, dX1, dEdge, grads);
        var dY1 = Rows(rows, width);
        for (var r = 0; r < rows; r++)
        {
            for (var d = 0; d < width; d++)
            {
                dY1[r][d] = p.Y1[r][d] > 0 ? dX1[r][d] : 0;
            }
        }
        var dC1 = NormBackward(w, GraphRouterWeights.Bn1Gamma, p.Xhat1, p.InvStd1, dY1, grads, p.Train);
        for (var r = 0; r < rows; r++)
        {
            for (var d = 0; d < width; d++)
            {
                dX0[r][d] += dC1[r][d];
            }
        }
        ConvBackward(w, GraphRouterWeights.M1w, p.X0, p, dC1, dX0, dEdge, grads);
        for (var k = 0; k < p.Edges.Count; k++)
        {
            var (edge, pre, _) = p.Edges[k];
            var dPre = dEdge[k].Select((g, i) => pre[i] > 0 ? g : 0).ToArray();
            AffineBackward(grads[GraphRouterWeights.Ew], grads[GraphRouterWeights.Eb], edge.Features, dPre, 0, dPre.Length);
        }
        for (var j = 0; j < n; j++)
        {
            AffineBackward(grads[GraphRouterWeights.Tw], grads[GraphRouterWeights.Tb], graph.Task, dX0[j], 0, w.H);
            AffineBackward(grads[GraphRouterWeights.Qw], grads[GraphRouterWeights.Qb], graph.Queries[j], dX0[j], w.H, w.H);
        }
        for (var m = 0; m < graph.Models.Count; m++)
        {
            AffineBackward(grads[GraphRouterWeights.Lw], grads[GraphRouterWeights.Lb], graph.Models[m], dX0[n + m], 0, width);
        }
    }

    // y[offset..offset+outs] = W·x + b, W outs × |x| row-major.
    private static void Affine(double[] weight, double[] bias, double[] x, double[] y, int offset, int outs)
    {
        for (var o = 0; o < outs; o++)
        {
            var sum = bias[o];
            var row = o * x.Length;
            for (var i = 0; i < x.Length; i++)
            {
                sum += weight[row + i] * x[i];
            }
            y[offset + o] = sum;
        }
    }

    private static void AffineBackward(double[] dWeight, double[] dBias, double[] x, double[] dy, int offset, int outs)
    {
        for (var o = 0; o < outs; o++)
        {
            var g = dy[offset + o];
            if (g == 0)
            {
                continue;
            }
            dBias[o] += g;
            var row = o * x.Length;
            for (var i = 0; i < x.Length; i++)
            {
                dWeight[row + i] += g * x[i];
            }
        }
    }

    // out = x + Σ over visible q→m of (W_msg x_q + b_msg + W_edge e' + b_edge); tensors at msg, msg+1, msg+2, msg+3.
    private static void Conv(GraphRouterWeights w, int msg, double[][] x, Pass p, double[][] output)
    {
        var width = 2 * w.H;
        for (var r = 0; r < x.Length; r++)
        {
            x[r].CopyTo(output[r], 0);
        }
        var message = new double[width];
        var edgePart = new double[width];
        foreach (var (edge, _, act) in p.Edges)
        {
            Affine(w.Tensors[msg], w.Tensors[msg + 1], x[edge.Query], message, 0, width);
            Affine(w.Tensors[msg + 2], w.Tensors[msg + 3], act, edgePart, 0, width);
            var target = output[p.Queries + edge.Model];
            for (var d = 0; d < width; d++)
            {
                target[d] += message[d] + edgePart[d];
            }
        }
    }

    private static void ConvBackward(GraphRouterWeights w, int msg, double[][] x, Pass p, double[][] dOut, double[][] dX, List<double[]> dEdge, double[][] grads)
    {
        var width = 2 * w.H;
        for (var k = 0; k < p.Edges.Count; k++)
        {
            var (edge, _, act) = p.Edges[k];
            var g = dOut[p.Queries + edge.Model];
            AffineBackward(grads[msg], grads[msg + 1], x[edge.Query], g, 0, width);
            AffineBackward(grads[msg + 2], grads[msg + 3], act, g, 0, width);
            var wm = w.Tensors[msg];
            var we = w.Tensors[msg + 2];
            for (var o = 0; o < width; o++)
            {
                if (g[o] == 0)
                {
                    continue;
                }
                for (var i = 0; i < width; i++)
                {
                    dX[edge.Query][i] += wm[o * width + i] * g[o];
                }
                for (var i = 0; i < GraphRouterWeights.EdgeWidth; i++)
                {
                    dEdge[k][i] += we[o * GraphRouterWeights.EdgeWidth + i] * g[o];
                }
            }
        }
    }

    private static void Norm(GraphRouterWeights w, int layer, int gammaIndex, double[][] c, double[][] xhat, double[][] y, double[] invStd, bool train)
    {
        var rows = c.Length;
        var width = c[0].Length;
        var gamma = w.Tensors[gammaIndex];
        var beta = w.Tensors[gammaIndex + 1];
        for (var d = 0; d < width; d++)
        {
            double mean, variance;
            if (train)
            {
                mean = 0;
                for (var r = 0; r < rows; r++)
                {
                    mean += c[r][d];
                }
                mean /= rows;
                variance = 0;
                for (var r = 0; r < rows; r++)
                {
                    variance += (c[r][d] - mean) * (c[r][d] - mean);
                }
                var unbiased = rows > 1 ? variance / (rows - 1) : variance;
                variance /= rows;
                w.RunningMean[layer][d] = (1 - Momentum) * w.RunningMean[layer][d] + Momentum * mean;
                w.RunningVar[layer][d] = (1 - Momentum) * w.RunningVar[layer][d] + Momentum * unbiased;
            }
            else
            {
                (mean, variance) = (w.RunningMean[layer][d], w.RunningVar[layer][d]);
            }
            invStd[d] = 1 / Math.Sqrt(variance + Eps);
            for (var r = 0; r < rows; r++)
            {
                xhat[r][d] = (c[r][d] - mean) * invStd[d];
                y[r][d] = gamma[d] * xhat[r][d] + beta[d];
            }
        }
    }

    private static double[][] NormBackward(GraphRouterWeights w, int gammaIndex, double[][] xhat, double[] invStd, double[][] dy, double[][] grads, bool train)
    {
        var rows = xhat.Length;
        var width = xhat[0].Length;
        var gamma = w.Tensors[gammaIndex];
        var dc = Rows(rows, width);
        for (var d = 0; d < width; d++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (var r = 0; r < rows; r++)
            {
                sumDy += dy[r][d];
                sumDyXhat += dy[r][d] * xhat[r][d];
            }
            grads[gammaIndex][d] += sumDyXhat;
            grads[gammaIndex + 1][d] += sumDy;
            for (var r = 0; r < rows; r++)
            {
                dc[r][d] = train
                    ? gamma[d] * invStd[d] / rows * (rows * dy[r][d] - sumDy - xhat[r][d] * sumDyXhat)
                    : gamma[d] * invStd[d] * dy[r][d];
            }
        }
        return dc;
    }

    private static double[][] Rows(int rows, int width) => [.. Enumerable.Range(0, rows).Select(_ => new double[width])];

    private static double[][] Copy(double[][] a) => [.. a.Select(r => (double[])r.Clone())];
}

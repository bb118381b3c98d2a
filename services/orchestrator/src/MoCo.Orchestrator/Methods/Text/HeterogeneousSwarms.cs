using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>A decoded swarm graph (methods-text.md §4): an in-tree over the n models whose edge (u, v) means node v reads
/// node u's answer; <see cref="Sink"/>'s answer is final; <see cref="Order"/> is the reference's topological order.</summary>
public sealed record SwarmGraph(int Sink, IReadOnlyList<(int From, int To)> Edges, IReadOnlyList<int> Order)
{
    /// <summary>Nodes whose answers node <paramref name="node"/> reads, ascending.</summary>
    public IReadOnlyList<int> Predecessors(int node) => [.. Edges.Where(e => e.To == node).Select(e => e.From).Order()];

    /// <summary>The nodes grouped by depth (0 = no predecessor; else 1 + the deepest predecessor), each group in
    /// <see cref="Order"/>: the nodes of one group are ready together, so one batch serves them.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Levels()
    {
        var depth = new int[Order.Count];
        foreach (var node in Order)
        {
            var before = Predecessors(node);
            depth[node] = before.Count == 0 ? 0 : before.Max(p => depth[p]) + 1;
        }
        return [.. Order.GroupBy(node => depth[node]).OrderBy(g => g.Key).Select(g => (IReadOnlyList<int>)[.. g])];
    }

    /// <summary>{sink, edges: [[u, v]…], order}: a checkpoint's and the log's `moco` form.</summary>
    public JsonObject ToJson() => new()
    {
        ["sink"] = Sink,
        ["edges"] = new JsonArray([.. Edges.Select(e => (JsonNode)new JsonArray(e.From, e.To))]),
        ["order"] = new JsonArray([.. Order.Select(o => (JsonNode)o)]),
    };

    /// <summary>A graph from its <see cref="ToJson"/> form.</summary>
    public static SwarmGraph FromJson(JsonNode node) => new((int)node["sink"]!,
        [.. node["edges"]!.AsArray().Select(e => ((int)e![0]!, (int)e[1]!))], [.. node["order"]!.AsArray().Select(o => (int)o!)]);
}

/// <summary>
/// text_heterogeneous_swarms' graph side (methods-text.md §4): a particle (n² numbers) as an n×n matrix with a zero
/// diagonal, its stochastic decoding into an in-tree (sink from 1/rowsum, then one remaining node at a time by rowsum,
/// joined to a placed node by its row), the reference's topological order, and the node prompts. Softmaxes are computed
/// stably (shifted by the largest non-zero entry) and a zero row sum makes its node the sink, several drawing uniformly
/// (fix: the reference divides by zero or overflows to NaN); where every candidate of a pick has weight 0 — which the
/// reference cannot survive either — the pick is uniform over the candidates.
/// </summary>
public static class HeterogeneousSwarms
{
    /// <summary>The reference's hard-coded graph top-p threshold.</summary>
    public const double GraphTopP = 0.7;

    /// <summary>Instruction of a node without predecessors.</summary>
    public const string FirstInstruction = "Please answer the following question.";

    /// <summary>Instruction of an inner node with predecessors.</summary>
    public const string InnerInstruction =
        "Please answer the following question with the help of previous responses, feel free to ignore wrong or unhelpful responses.";

    /// <summary>Instruction of the sink when it has predecessors.</summary>
    public const string LastInstruction = InnerInstruction + " Make sure to provide a final answer.";

    /// <summary>The particle as an n×n row-major matrix with its diagonal set to 0 (the reference's list_to_numpy_graph).</summary>
    public static double[][] Matrix(IReadOnlyList<double> particle)
    {
        var n = (int)Math.Round(Math.Sqrt(particle.Count));
        if (n * n != particle.Count)
        {
            throw new ArgumentException($"a particle of {particle.Count} numbers is not an n×n matrix", nameof(particle));
        }
        return [.. Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Select(j => i == j ? 0.0 : particle[i * n + j]).ToArray())];
    }

    /// <summary>Decodes <paramref name="a"/> (zero diagonal) into an in-tree; <paramref name="threshold"/> 0 is deterministic.</summary>
    public static SwarmGraph Decode(double[][] a, double threshold, SeededRng rng)
    {
        var n = a.Length;
        var rowSums = a.Select(row => row.Sum()).ToArray();
        var remaining = Enumerable.Range(0, n).ToList();
        var placed = new List<int>();
        var infinite = remaining.Where(i => double.IsInfinity(1 / rowSums[i])).ToList();
        var sink = infinite.Count > 0 ? infinite[rng.Next(infinite.Count)]
            : Pick([.. rowSums.Select(s => 1 / s)], remaining, threshold, rng);
        placed.Add(sink);
        remaining.Remove(sink);
        var edges = new List<(int, int)>();
        while (remaining.Count > 0)
        {
            var u = Pick(rowSums, remaining, threshold, rng);
            var v = Pick(a[u], placed, threshold, rng);
            edges.Add((u, v));
            placed.Add(u);
            remaining.Remove(u);
        }
        return new SwarmGraph(sink, edges, TopologicalOrder(n, edges));
    }

    /// <summary>The reference's order: repeated passes over nodes 0…n−1, each taking the nodes whose remaining in-degree
    /// is 0 and decrementing their successors at once.</summary>
    public static IReadOnlyList<int> TopologicalOrder(int n, IReadOnlyList<(int From, int To)> edges)
    {
        var inDegree = new int[n];
        foreach (var (_, to) in edges)
        {
            inDegree[to]++;
        }
        var order = new List<int>();
        while (order.Count < n)
        {
            var taken = order.Count;
            for (var node = 0; node < n; node++)
            {
                if (inDegree[node] != 0)
                {
                    continue;
                }
                order.Add(node);
                inDegree[node] = -1;
                foreach (var (_, to) in edges.Where(e => e.From == node))
                {
                    inDegree[to]--;
                }
            }
            if (order.Count == taken)
            {
                throw new ArgumentException("the graph has a cycle", nameof(edges));
            }
        }
        return order;
    }

    /// <summary>A node's prompt for one item: the first instruction when it reads no one, else the inner (or, for the
    /// sink, last) instruction and each predecessor's answer after "Previous response from node k: " (k 1-based,
    /// ascending) and a blank line; then the item's formatted prompt.</summary>
    public static string NodePrompt(string prompt, IReadOnlyList<(int Node, string Answer)> previous, bool sink) =>
        previous.Count == 0 ? FirstInstruction + "\n" + prompt
            : (sink ? LastInstruction : InnerInstruction) + "\n"
                + CandidateList.Format(previous.Select(p => p.Answer + "\n"), k => $"Previous response from node {previous[k].Node + 1}: ")
                + prompt;

    // Softmax of the candidates' values (an entry equal to 0 gets weight 0), then a top-p pick.
    private static int Pick(IReadOnlyList<double> values, IReadOnlyList<int> candidates, double threshold, SeededRng rng)
    {
        var live = candidates.Where(i => values[i] != 0).ToList();
        if (live.Count == 0)
        {
            return candidates[rng.Next(candidates.Count)];
        }
        var max = live.Max(i => values[i]);
        var probabilities = new double[values.Count];
        foreach (var i in live)
        {
            probabilities[i] = Math.Exp(values[i] - max);
        }
        var total = probabilities.Sum();
        for (var i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] /= total;
        }
        return TopP(probabilities, threshold, rng);
    }

    // Sort descending (ties: higher index first), take entries until the running sum exceeds the threshold, weight the
    // taken ones by the softmax of their probabilities (zero probabilities weigh 0), sample.
    private static int TopP(double[] probabilities, double threshold, SeededRng rng)
    {
        var sorted = Enumerable.Range(0, probabilities.Length).OrderByDescending(i => probabilities[i]).ThenByDescending(i => i).ToList();
        var taken = new List<int>();
        var sum = 0.0;
        foreach (var i in sorted)
        {
            sum += probabilities[i];
            taken.Add(i);
            if (sum > threshold)
            {
                break;
            }
        }
        if (taken.Count == 1)
        {
            return taken[0];
        }
        var weights = taken.Select(i => probabilities[i] == 0 ? 0 : Math.Exp(probabilities[i])).ToList();
        var draw = rng.NextDouble() * weights.Sum();
        for (var k = 0; k < taken.Count; k++)
        {
            draw -= weights[k];
            if (draw < 0)
            {
                return taken[k];
            }
        }
        return taken[weights.FindLastIndex(w => w > 0)];
    }
}

using System.Text.Json;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_structure's graph (methods-text.md §9): A[s][t] = true ⇔ model t sees model s's response. Built-ins are symmetric:
/// complete, chain (s ↔ s+1), tree (binary heap), circle (i ↔ i+1 mod N), star as the reference codes it (hub 0 ↔ all,
/// plus a ring over 1…N−1: a wheel). A built-in never has a self-loop in moco mode (quirk); reference mode keeps the
/// ones the reference's code makes (star with N = 2, circle with N = 1). `other` is the given 0/1 matrix, directed, its
/// diagonal allowed.
/// </summary>
public static class CommunicationGraph
{
    /// <summary>The adjacency of <paramref name="type"/> over <paramref name="n"/> models.</summary>
    /// <exception cref="ArgumentException">star with fewer than 2 models, or `other` without an N×N matrix.</exception>
    public static bool[][] Build(string type, int n, JsonElement matrix, CompatMode compat)
    {
        var a = Enumerable.Range(0, n).Select(_ => new bool[n]).ToArray();
        void Link(int s, int t) => a[s][t] = a[t][s] = true;
        switch (type)
        {
            case "complete":
                for (var s = 0; s < n; s++)
                {
                    for (var t = s + 1; t < n; t++)
                    {
                        Link(s, t);
                    }
                }
                break;
            case "chain":
                for (var s = 0; s + 1 < n; s++)
                {
                    Link(s, s + 1);
                }
                break;
            case "tree":
                for (var i = 0; i < n; i++)
                {
                    foreach (var child in new[] { 2 * i + 1, 2 * i + 2 }.Where(c => c < n))
                    {
                        Link(i, child);
                    }
                }
                break;
            case "circle":
                for (var i = 0; i < n; i++)
                {
                    Link(i, (i + 1) % n);
                }
                break;
            case "star":
                if (n < 2)
                {
                    throw new ArgumentException($"structure_type \"star\" needs at least 2 models, got {n}", nameof(n));
                }
                for (var i = 1; i < n; i++)
                {
                    Link(0, i);
                }
                for (var i = 1; i + 1 < n; i++)
                {
                    Link(i, i + 1);
                }
                Link(1, n - 1);
                break;
            case "other":
                if (matrix.ValueKind != JsonValueKind.Array || matrix.GetArrayLength() != n || matrix.EnumerateArray().Any(r => r.GetArrayLength() != n))
                {
                    throw new ArgumentException($"structure_matrix must be {n}×{n} for structure_type \"other\"", nameof(matrix));
                }
                var rows = matrix.EnumerateArray().ToList();
                for (var s = 0; s < n; s++)
                {
                    var row = rows[s].EnumerateArray().ToList();
                    for (var t = 0; t < n; t++)
                    {
                        a[s][t] = row[t].GetInt32() == 1;
                    }
                }
                return a;
            default:
                throw new ArgumentException($"unknown structure_type \"{type}\"", nameof(type));
        }
        if (compat != CompatMode.Reference)
        {
            for (var i = 0; i < n; i++)
            {
                a[i][i] = false;
            }
        }
        return a;
    }

    /// <summary>In(t) = {s : A[s][t]}, ascending.</summary>
    public static IReadOnlyList<int> InNeighbours(bool[][] a, int t) => [.. Enumerable.Range(0, a.Length).Where(s => a[s][t])];
}

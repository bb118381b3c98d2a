using System.Text.Json.Nodes;
using MoCo.Hosting.Json;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Tests.Methods;

/// <summary>The primitives that need no model: RFC 8785 canonical JSON, call keys and seeds, the seeded RNG, the
/// best-on-dev choice and the candidate-list formatter.</summary>
public sealed class PrimitivesTests
{
    [Theory]
    [InlineData(5.0, "5")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(123456789.125, "123456789.125")]
    public void Numbers_have_the_ecmascript_form(double value, string expected) => Assert.Equal(expected, CanonicalJson.Number(value));

    [Fact]
    public void Canonical_json_sorts_keys_and_drops_whitespace()
    {
        var node = JsonNode.Parse("""{ "b": [1, 2.0, "é\n"], "a": {"z": true, "y": null} }""");
        Assert.Equal("{\"a\":{\"y\":null,\"z\":true},\"b\":[1,2,\"é\\n\"]}", CanonicalJson.Serialize(node));
    }

    [Fact]
    public void Call_keys_depend_on_compat_but_seeds_do_not()
    {
        var moco = new CallSite("text_multiagent_refine", CompatMode.Moco, "test", "answer");
        var reference = moco with { Compat = CompatMode.Reference };
        var request = new JsonObject { ["prompt"] = "q", ["temperature"] = 0.7 };
        Assert.Equal(CallKeys.Key(moco, "fp", "test/1", 0, request), CallKeys.Key(moco, "fp", "test/1", 0, request.DeepClone()));
        Assert.NotEqual(CallKeys.Key(moco, "fp", "test/1", 0, request), CallKeys.Key(reference, "fp", "test/1", 0, request));
        Assert.Equal(64, CallKeys.Key(moco, "fp", "test/1", 0, request).Length);
        Assert.Equal(CallKeys.Seed(7, moco, "fp", "test/1", 0), CallKeys.Seed(7, reference, "fp", "test/1", 0));
        Assert.NotEqual(CallKeys.Seed(7, moco, "fp", "test/1", 0), CallKeys.Seed(8, moco, "fp", "test/1", 0));
    }

    [Fact]
    public void The_seeded_rng_repeats_per_scope()
    {
        var a = SeededRng.For(42, "vote", "test/3");
        var b = SeededRng.For(42, "vote", "test/3");
        var c = SeededRng.For(42, "vote", "test/4");
        var first = Enumerable.Range(0, 5).Select(_ => a.Next(10)).ToList();
        Assert.Equal(first, Enumerable.Range(0, 5).Select(_ => b.Next(10)).ToList());
        Assert.NotEqual(first, Enumerable.Range(0, 5).Select(_ => c.Next(10)).ToList());
        var d = SeededRng.For(1).NextDouble();
        Assert.InRange(d, 0, 1);
        var items = Enumerable.Range(0, 10).ToList();
        SeededRng.For(5, "shuffle").Shuffle(items);
        Assert.Equal(Enumerable.Range(0, 10), items.Order());
    }

    [Fact]
    public void Best_on_dev_is_the_first_model_with_the_highest_mean()
    {
        var selection = new DevSelection(new Dictionary<int, double> { [2] = 0.75, [0] = 0.5, [1] = 0.75 });
        Assert.Equal(1, selection.Best);
        var details = selection.Details();
        Assert.Equal("{\"dev_scores\":{\"0\":0.5,\"1\":0.75,\"2\":0.75},\"best_on_dev\":1}", details.ToJsonString());
        Assert.Equal(-1, new DevSelection(new Dictionary<int, double>()).Best);
    }

    [Fact]
    public void Candidate_lists_show_each_text_unchanged_under_its_label()
    {
        Assert.Equal("- one\n- two\nlines\n", CandidateList.Bulleted(["one", "two\nlines"]));
        Assert.Equal("Assistant 1: x\nAssistant 2: \n", CandidateList.Numbered(["x", ""], "Assistant"));
        Assert.Equal("", CandidateList.Bulleted([]));
        Assert.Equal([0, 2, 3], CandidateList.Others(4, 1));
    }
}

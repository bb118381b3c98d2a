using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;

namespace MoCo.Orchestrator.Tests.Logs;

/// <summary>json.dump(indent=4) text (config-and-cli.md §3.1) and the log file names.</summary>
public sealed class PyJsonWriterTests
{
    [Fact]
    public void It_writes_pythons_layout_and_escapes()
    {
        var node = new JsonObject
        {
            ["s"] = "a/\"b\"\\\n\té😀\u007f",
            ["i"] = 0,
            ["f"] = 1.0,
            ["g"] = 0.675,
            ["empty_list"] = new JsonArray(),
            ["empty_object"] = new JsonObject(),
            ["list"] = new JsonArray(1, 2.5, null, true, false),
            ["parsed"] = JsonNode.Parse("""{"x": 5, "y": 5.0, "z": 1e-5}"""),
        };
        var expected = "{\n    \"s\": \"a/\\\"b\\\"\\\\\\n\\t\\u00e9\\ud83d\\ude00\\u007f\",\n    \"i\": 0,\n    \"f\": 1.0,\n    \"g\": 0.675,\n" +
            "    \"empty_list\": [],\n    \"empty_object\": {},\n    \"list\": [\n        1,\n        2.5,\n        null,\n        true,\n        false\n    ],\n" +
            "    \"parsed\": {\n        \"x\": 5,\n        \"y\": 5.0,\n        \"z\": 1e-05\n    }\n}";
        Assert.Equal(expected, PyJsonWriter.Serialize(node));
    }

    [Fact]
    public void Without_ascii_escaping_text_stays_utf8()
    {
        Assert.Equal("[\n    \"é\\u0001\"\n]", PyJsonWriter.Serialize(new JsonArray("é\u0001"), ensureAscii: false));
    }

    [Theory]
    [InlineData("text_llm_blender", "llm_blender", 0.675, "agieval_tiny_3_0.675_llm_blender.json")]
    [InlineData("text_majority_vote", "majority_vote", 2.0 / 3.0, "agieval_tiny_3_0.6667_majority_vote.json")]
    [InlineData("text_structure", "text_structure", 1.0, "agieval_tiny_3_1.0_text_structure.json")]
    public void Log_names_follow_the_reference(string method, string suffix, double score, string expected) =>
        Assert.Equal(expected, LogFileName.For(method, suffix, "agieval_tiny", ["a", "b", "c"], score));

    [Fact]
    public void Single_model_and_collm_have_their_own_names()
    {
        Assert.Equal("gsm8k_Llama-3.1-8B_0.5_single_model.json", LogFileName.For("single_model", "single_model", "gsm8k", ["meta-llama/Llama-3.1-8B/"], 0.5));
        Assert.Equal("gsm8k_model_checkpoints_final_mentor_collm_thresh0.38.json",
            LogFileName.For("api_collm", "collm", "gsm8k", ["org/gen", "org/mentor"], 0.5, deferralThreshold: 0.375));
    }
}

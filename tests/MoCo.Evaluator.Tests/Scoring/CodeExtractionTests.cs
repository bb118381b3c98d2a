using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tests.Support;

namespace MoCo.Evaluator.Tests.Scoring;

/// <summary>evaluation.md §2.8: code extraction and the function bound to `candidate`.</summary>
public sealed class CodeExtractionTests
{
    private const string Add = "def add(a, b):\n    return a + b";

    [Theory]
    [InlineData("```python\ndef add(a, b):\n    return a + b\n```", Add)]
    [InlineData("def add(a, b):\n    return a + b\n", Add)]
    [InlineData("```python\nwrong\n```\nthen\n```python\ndef add(a, b):\n    return a + b\n```", Add)]
    [InlineData("```Python\ndef add(a, b):\n    return a + b\n```", Add)]
    [InlineData("```py\ndef add(a, b):\n    return a + b\n```", "py\n" + Add)]
    [InlineData("```\ndef add(a, b):\n    return a + b\n```", Add)]
    public void Fences(string output, string code) => Assert.Equal(code, CodeExtractor.Extract(output, "python"));

    [Fact]
    public void The_reference_binds_the_first_def_and_moco_the_target()
    {
        var item = TestData.Inline("""{"input": "Write add.\n\ndef add(a, b):\n    pass\n", "test": "x"}""");
        const string code = "def helper(x):\n    return x\n\ndef add(a, b):\n    return helper(a) + b";
        Assert.Equal("helper", TargetFunction.Find(code, item, item.String("input")!, CompatMode.Reference));
        Assert.Equal("add", TargetFunction.Find(code, item, item.String("input")!, CompatMode.Moco));
    }

    [Fact]
    public void Mbpp_targets_are_the_first_call_after_assert_skipping_builtins()
    {
        var item = TestData.Inline("""{"input": "task\nYour code should pass this test case: assert set(similar(1, 2)) == set((4,))", "test": "x"}""");
        const string code = "def other():\n    pass\n\ndef similar(a, b):\n    return {4}";
        Assert.Equal("similar", TargetFunction.Find(code, item, item.String("input")!, CompatMode.Moco));
        Assert.Equal("other", TargetFunction.Find(code, item, item.String("input")!, CompatMode.Reference));
    }

    [Fact]
    public void Without_a_matching_def_the_first_def_is_used_and_without_any_none() =>
        Assert.Equal((null, "f"), (TargetFunction.Find("x = 1", TestData.Inline("{}"), "def add(a):", CompatMode.Moco),
            TargetFunction.Find("def f():\n  pass", TestData.Inline("{}"), "def add(a):", CompatMode.Moco)));
}

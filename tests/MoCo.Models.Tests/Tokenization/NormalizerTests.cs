using System.Text;
using System.Text.Json;
using MoCo.Models.Tokenization.Json;
using MoCo.Models.Tokenization.Normalizers;
using MoCo.Models.Tokenization.Unicode;

namespace MoCo.Models.Tests.Tokenization;

public sealed class NormalizerTests
{
    [Fact]
    public void Unicode_forms_match_Python_unicodedata_for_every_decomposable_or_combining_code_point()
    {
        using JsonDocument goldens = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Tokenization", "TestData", "unicode-normalization.json")));
        foreach (JsonElement golden in goldens.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = golden.GetProperty("text").GetString()!;
            Assert.Equal(golden.GetProperty("nfc").GetString(), UnicodeNormalizer.Normalize(text, NormalizationForm.FormC));
            Assert.Equal(golden.GetProperty("nfd").GetString(), UnicodeNormalizer.Normalize(text, NormalizationForm.FormD));
            Assert.Equal(golden.GetProperty("nfkc").GetString(), UnicodeNormalizer.Normalize(text, NormalizationForm.FormKC));
            Assert.Equal(golden.GetProperty("nfkd").GetString(), UnicodeNormalizer.Normalize(text, NormalizationForm.FormKD));
        }
    }

    [Fact]
    public void Unchanged_text_is_returned_as_the_same_instance()
    {
        const string text = "plain text 你好 😀";
        Assert.Same(text, UnicodeNormalizer.Normalize(text, NormalizationForm.FormC));
    }

    [Theory]
    [InlineData("HeLLo WORLD", "hello world")]
    [InlineData("İstanbul", "i\u0307stanbul")]
    [InlineData("ΟΔΟΣ ΣΑ", "οδος σα")]
    [InlineData("Σ", "σ")]
    [InlineData("ΑΣ'.", "ας'.")]
    [InlineData("𐐀", "𐐨")]
    public void Lowercase_uses_the_full_Unicode_mapping(string text, string expected)
    {
        Assert.Equal(expected, Normalize("""{"type": "Lowercase"}""", text));
    }

    [Fact]
    public void Strip_prepend_replace_and_sequence()
    {
        Assert.Equal("x \u3000", Normalize("""{"type": "Strip", "strip_left": true, "strip_right": false}""", " \t x \u3000"));
        Assert.Equal("▁hi", Normalize("""{"type": "Prepend", "prepend": "▁"}""", "hi"));
        Assert.Equal("", Normalize("""{"type": "Prepend", "prepend": "▁"}""", ""));
        Assert.Equal("a$1b$1c", Normalize("""{"type": "Replace", "pattern": {"String": " "}, "content": "$1"}""", "a b c"));
        Assert.Equal("a-b-c", Normalize("""{"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "-"}""", "a  b\tc"));
        Assert.Equal("▁e\u0301▁b", Normalize("""
            {"type": "Sequence", "normalizers": [
              {"type": "NFD"}, {"type": "Lowercase"}, {"type": "Prepend", "prepend": "▁"},
              {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
            """, "É B"));
    }

    private static string Normalize(string json, string text) => NormalizerFactory.Create(JsonNode.Parse(json, "test.json")).Normalize(text);
}

using MoCo.Models.Tokenization;
using static MoCo.Models.Tests.Tokenization.Fixtures.TokenizerJson;

namespace MoCo.Models.Tests.Tokenization;

/// <summary>Unsupported features and malformed files are refused at load with the JSON path and what is supported.</summary>
public sealed class FormatErrorTests
{
    [Theory]
    [InlineData("""{"model": {"type": "Unigram", "vocab": []}}""", "model.type", "model.type \"Unigram\" is not supported; supported: BPE")]
    [InlineData("""{"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Precompiled", "precompiled_charsmap": ""}]}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""",
        "normalizer.normalizers[1].type", "normalizer \"Precompiled\" is not supported; supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace")]
    [InlineData("""{"pre_tokenizer": {"type": "Whitespace"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""",
        "pre_tokenizer.type", "pre_tokenizer \"Whitespace\" is not supported; supported: Sequence, Split, ByteLevel, Metaspace")]
    [InlineData("""{"decoder": {"type": "WordPiece", "prefix": "##"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""",
        "decoder.type", "decoder \"WordPiece\" is not supported; supported: Sequence, ByteLevel, ByteFallback, Metaspace, Replace, Strip, Fuse")]
    [InlineData("""{"post_processor": {"type": "Whatever"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""",
        "post_processor.type", "post_processor \"Whatever\" is not supported; supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}""", "model.merges[0]", "merge names token \"ab\" that is not in model.vocab")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}""", "model.merges[0]", "merge \"a\" must be two tokens separated by one space")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {}, "merges": [], "dropout": 0.1}}""", "model.dropout", "BPE dropout is not supported: it makes encoding random")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {}, "merges": [], "continuing_subword_prefix": "##"}}""", "model.continuing_subword_prefix", "a non-empty continuing_subword_prefix is not supported")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}""", "model.vocab.a", "must be a 32-bit integer, not a string")]
    [InlineData("""{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a++"}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""", "pre_tokenizer.pattern.Regex", "regex is not supported by the .NET regex engine")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {}}}""", "model.merges", "is required")]
    public void Unsupported_or_malformed_parts_are_named(string json, string path, string problem)
    {
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromJson(json));

        Assert.Equal("tokenizer.json", e.File);
        Assert.Equal(path, e.JsonPath);
        Assert.StartsWith(problem, e.Problem);
        Assert.StartsWith($"tokenizer.json: {path}: ", e.Message);
    }

    [Fact]
    public void Invalid_JSON_is_reported_as_a_format_error()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromJson("{\"model\": "));
        Assert.StartsWith("tokenizer.json: is not valid JSON", e.Message);
    }

    [Fact]
    public void A_template_referring_to_an_undefined_special_token_is_named()
    {
        string json = Build(postProcessor: """{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}""");

        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromJson(json));

        Assert.Equal("post_processor.single[0].SpecialToken", e.JsonPath);
    }
}

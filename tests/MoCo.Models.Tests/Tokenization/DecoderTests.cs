using MoCo.Models.Tokenization.Decoders;
using MoCo.Models.Tokenization.Json;

namespace MoCo.Models.Tests.Tokenization;

public sealed class DecoderTests
{
    [Fact]
    public void ByteFallback_joins_valid_bytes_and_replaces_each_invalid_byte()
    {
        Assert.Equal(["a", "é", "b", "\uFFFD", "\uFFFD"], Decode("""{"type": "ByteFallback"}""", "a", "<0xC3>", "<0xA9>", "b", "<0xE4>", "<0xBD>"));
        Assert.Equal(["<0x4G>"], Decode("""{"type": "ByteFallback"}""", "<0x4G>"));
    }

    [Fact]
    public void Metaspace_drops_the_first_tokens_replacement_unless_the_scheme_is_never()
    {
        Assert.Equal(["Hey", " friend!"], Decode("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}""", "▁Hey", "▁friend!"));
        Assert.Equal([" Hey", " friend!"], Decode("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true}""", "▁Hey", "▁friend!"));
    }

    [Fact]
    public void Replace_fuse_and_strip_form_the_Llama_2_decoder()
    {
        const string llama = """
            {"type": "Sequence", "decoders": [
              {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
              {"type": "ByteFallback"}, {"type": "Fuse"},
              {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
            """;
        Assert.Equal([" Hello world"], Decode(llama, "▁▁Hello", "▁world"));
        Assert.Equal(["xx"], Decode("""{"type": "Strip", "content": "x", "start": 2, "stop": 1}""", "xxxxx"));
    }

    [Fact]
    public void ByteLevel_decodes_all_tokens_together_and_keeps_other_tokens_as_text()
    {
        Assert.Equal(["Hello é 你好!"], Decode("""{"type": "ByteLevel"}""", "Hello", "ĠÃ", "©", "Ġ", "你好", "!"));
        Assert.Equal(["a\uFFFD"], Decode("""{"type": "ByteLevel"}""", "a", "ä"));
    }

    private static string[] Decode(string json, params string[] tokens)
    {
        var list = tokens.ToList();
        DecoderFactory.Create(JsonNode.Parse(json, "test.json")).Decode(list);
        return list.ToArray();
    }
}

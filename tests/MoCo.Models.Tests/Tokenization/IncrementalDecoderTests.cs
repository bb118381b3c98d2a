using MoCo.Models.Tokenization;

namespace MoCo.Models.Tests.Tokenization;

/// <summary>The examples of HF's DecodeStream documentation, plus flushing.</summary>
public sealed class IncrementalDecoderTests
{
    private static readonly HfTokenizer ByteFallback = HfTokenizer.FromJson("""
        {"decoder": {"type": "ByteFallback"},
         "model": {"type": "BPE", "byte_fallback": true, "vocab": {"<0x20>": 0, "<0xC3>": 1, "<0xA9>": 2, " This": 3}, "merges": []}}
        """);

    [Fact]
    public void An_incomplete_byte_sequence_is_held_until_it_completes()
    {
        IncrementalDecoder decoder = ByteFallback.CreateIncrementalDecoder();

        Assert.Equal(" ", decoder.Add(0));
        Assert.Equal("", decoder.Add(1));
        Assert.Equal("é", decoder.Add(2));
        Assert.Equal(" This", decoder.Add(3));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Flush_releases_an_unfinished_sequence_as_replacement_characters()
    {
        IncrementalDecoder decoder = ByteFallback.CreateIncrementalDecoder();

        Assert.Equal(" This", decoder.Add([3, 1]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal(" ", decoder.Add(0));
    }

    [Fact]
    public void The_space_a_Metaspace_decoder_strips_from_the_first_token_survives_between_tokens()
    {
        HfTokenizer tokenizer = HfTokenizer.FromJson("""
            {"decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
             "model": {"type": "BPE", "vocab": {"▁This": 0}, "merges": []}}
            """);
        IncrementalDecoder decoder = tokenizer.CreateIncrementalDecoder();

        Assert.Equal("This This", tokenizer.Decode([0, 0]));
        Assert.Equal("This", decoder.Add(0));
        Assert.Equal(" This", decoder.Add(0));
        Assert.Equal(" This", decoder.Add(0));
    }
}

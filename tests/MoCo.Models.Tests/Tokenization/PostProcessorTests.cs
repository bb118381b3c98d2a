using MoCo.Models.Tokenization;
using static MoCo.Models.Tests.Tokenization.Fixtures.TokenizerJson;

namespace MoCo.Models.Tests.Tokenization;

public sealed class PostProcessorTests
{
    private const int Bos = 100, Eos = 101;
    private static readonly string Specials = $"[{Added(Bos, "<s>")}, {Added(Eos, "</s>")}]";

    [Fact]
    public void Template_adds_its_special_tokens_only_when_asked()
    {
        HfTokenizer tokenizer = HfTokenizer.FromJson(Build(addedTokens: Specials, postProcessor: """
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
             "pair": [],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [100], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [101], "tokens": ["</s>"]}}}
            """));

        Assert.Equal([Bos, Ascii('h'), Ascii('i'), Eos], tokenizer.Encode("hi"));
        Assert.Equal([Ascii('h'), Ascii('i')], tokenizer.Encode("hi", addSpecialTokens: false));
        Assert.Equal(4, tokenizer.CountTokens("hi"));
    }

    [Fact]
    public void Roberta_and_a_sequence_with_ByteLevel_surround_the_sequence()
    {
        HfTokenizer tokenizer = HfTokenizer.FromJson(Build(addedTokens: Specials, postProcessor: """
            {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true},
              {"type": "RobertaProcessing", "sep": ["</s>", 101], "cls": ["<s>", 100], "trim_offsets": true, "add_prefix_space": false}]}
            """));

        Assert.Equal([Bos, Ascii('x'), Eos], tokenizer.Encode("x"));
    }

    [Theory]
    [InlineData(null, null, new[] { Bos, 88 })]
    [InlineData(false, true, new[] { 88, Eos })]
    [InlineData(true, true, new[] { Bos, 88, Eos })]
    public void Llama_tokenizer_class_takes_BOS_and_EOS_from_the_config_flags(bool? addBos, bool? addEos, int[] expected)
    {
        string flags = (addBos is null ? "" : $"\"add_bos_token\": {addBos.Value.ToString().ToLowerInvariant()},")
            + (addEos is null ? "" : $"\"add_eos_token\": {addEos.Value.ToString().ToLowerInvariant()},");
        string config = $$"""{ {{flags}} "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false} }""";

        HfTokenizer tokenizer = HfTokenizer.FromJson(Build(addedTokens: Specials), config);

        Assert.Equal(expected, tokenizer.Encode("x"));
    }
}

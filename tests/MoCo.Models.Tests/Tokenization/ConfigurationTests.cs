using MoCo.Models.Tokenization;
using static MoCo.Models.Tests.Tokenization.Fixtures.TokenizerJson;

namespace MoCo.Models.Tests.Tokenization;

public sealed class ConfigurationTests
{
    private static readonly string Json = Build(
        addedTokens: $"[{Added(100, "<s>")}, {Added(101, "</s>")}, {Added(102, "<pad>")}]",
        modelOptions: "\"unk_token\": \"?\"",
        decoder: """{"type": "Fuse"}""");

    [Fact]
    public void Special_tokens_accept_strings_and_AddedToken_objects_and_the_map_overrides_the_config()
    {
        const string config = """{"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false}, "eos_token": "<s>", "clean_up_tokenization_spaces": false}""";
        const string map = """{"eos_token": {"content": "</s>"}, "pad_token": "<pad>"}""";

        SpecialTokens special = HfTokenizer.FromJson(Json, config, map).SpecialTokens;

        Assert.Equal(new SpecialToken("<s>", 100), special.Bos);
        Assert.Equal(new SpecialToken("</s>", 101), special.Eos);
        Assert.Equal(new SpecialToken("<pad>", 102), special.Pad);
        Assert.Equal(new SpecialToken("?", Ascii('?')), special.Unk);
    }

    [Fact]
    public void A_special_token_missing_from_the_vocabulary_is_reported_with_its_path()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromJson(Json, """{"pad_token": {"content": "<nope>"}}"""));

        Assert.Equal("tokenizer_config.json", e.File);
        Assert.Equal("pad_token", e.JsonPath);
        Assert.Contains("\"<nope>\" is not in the vocabulary", e.Message);
    }

    [Fact]
    public void Clean_up_tokenization_spaces_applies_transformers_rules_when_configured()
    {
        HfTokenizer tokenizer = HfTokenizer.FromJson(Json, """{"clean_up_tokenization_spaces": true}""");
        int[] ids = tokenizer.Encode("a , b . I 'm");

        Assert.Equal("a, b. I'm", tokenizer.Decode(ids));
        Assert.Equal("a , b . I 'm", HfTokenizer.FromJson(Json).Decode(ids));
    }

    [Fact]
    public void FromDirectory_reads_the_three_files()
    {
        string directory = Directory.CreateTempSubdirectory("moco-tokenizer-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "tokenizer.json"), Json);
            File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), """{"bos_token": "<s>"}""");
            File.WriteAllText(Path.Combine(directory, "special_tokens_map.json"), """{"eos_token": "</s>"}""");

            HfTokenizer tokenizer = HfTokenizer.FromDirectory(directory);

            Assert.Equal(100, tokenizer.SpecialTokens.Bos?.Id);
            Assert.Equal(101, tokenizer.SpecialTokens.Eos?.Id);
            Assert.Equal(98, tokenizer.VocabularySize);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void FromDirectory_without_tokenizer_json_says_so()
    {
        string directory = Directory.CreateTempSubdirectory("moco-tokenizer-").FullName;
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => HfTokenizer.FromDirectory(directory));
            Assert.Contains("tokenizer.json", e.Message);
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    [Fact]
    public void Errors_in_a_directory_name_the_file_path()
    {
        string directory = Directory.CreateTempSubdirectory("moco-tokenizer-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "tokenizer.json"), """{"model": {"type": "WordPiece", "vocab": {}}}""");

            var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromDirectory(directory));

            Assert.Equal(Path.Combine(directory, "tokenizer.json"), e.File);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

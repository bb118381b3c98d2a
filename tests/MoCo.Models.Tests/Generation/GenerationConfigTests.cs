using MoCo.Models.Generation;

namespace MoCo.Models.Tests.Generation;

public sealed class GenerationConfigTests
{
    // Llama-3.1-8B-Instruct's generation_config.json.
    private const string Llama = """
        {"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009],
         "temperature": 0.6, "top_p": 0.9, "transformers_version": "4.42.3"}
        """;

    [Fact]
    public void Eos_may_be_a_list_or_one_id_and_unset_keys_are_null()
    {
        var llama = GenerationConfig.Parse(Llama, "generation_config.json");
        Assert.Equal([128001, 128008, 128009], llama.EosTokenIds);
        Assert.Equal((128000, true, 0.6f, 0.9f), (llama.BosTokenId, llama.DoSample, llama.Temperature, llama.TopP));
        Assert.Null(llama.TopK);
        Assert.Null(llama.MaxNewTokens);

        var single = GenerationConfig.Parse("""{"eos_token_id": 2, "pad_token_id": null, "top_k": 20, "repetition_penalty": 1.05, "max_new_tokens": 512}""", "g.json");
        Assert.Equal([2], single.EosTokenIds);
        Assert.Equal((20, 1.05f, 512, (int?)null), (single.TopK, single.RepetitionPenalty, single.MaxNewTokens, single.PadTokenId));
    }

    [Fact]
    public void A_missing_file_is_empty_and_a_wrong_type_names_the_file_and_key()
    {
        var dir = Directory.CreateTempSubdirectory("moco-gen-").FullName;
        try
        {
            Assert.Same(GenerationConfig.Empty, GenerationConfig.Read(dir));
            File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"eos_token_id": "</s>"}""");
            var error = Assert.Throws<InvalidDataException>(() => GenerationConfig.Read(dir));
            Assert.Contains("generation_config.json", error.Message);
            Assert.Contains("eos_token_id", error.Message);
            File.WriteAllText(Path.Combine(dir, "generation_config.json"), "{ not json");
            Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => GenerationConfig.Read(dir)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_request_wins_then_generation_config_then_the_contract_defaults()
    {
        var config = GenerationConfig.Parse(Llama, "generation_config.json");
        var settings = SamplingSettings.Resolve(new SamplingOverrides { Temperature = 0.2f, TopK = 0 }, config, roomInContext: 1000);
        Assert.Equal(new SamplingSettings(0.2f, 0.9f, 0, 0f, 1.0f, true, 1000), settings);

        var bare = SamplingSettings.Resolve(new SamplingOverrides(), GenerationConfig.Empty, roomInContext: 64);
        Assert.Equal(SamplingSettings.ContractDefaults(64), bare);
        Assert.Equal((1.0f, 1.0f, 50, 1.0f, false), (bare.Temperature, bare.TopP, bare.TopK, bare.RepetitionPenalty, bare.DoSample));
    }

    [Fact]
    public void Max_new_tokens_comes_from_the_request_or_config_and_always_fits_the_context()
    {
        var config = GenerationConfig.Parse("""{"max_new_tokens": 256}""", "g.json");
        Assert.Equal(256, SamplingSettings.Resolve(new SamplingOverrides(), config, 1000).MaxNewTokens);
        Assert.Equal(100, SamplingSettings.Resolve(new SamplingOverrides(), config, 100).MaxNewTokens);
        Assert.Equal(10, SamplingSettings.Resolve(new SamplingOverrides { MaxNewTokens = 10 }, config, 100).MaxNewTokens);
        Assert.Equal(50, SamplingSettings.Resolve(new SamplingOverrides { MaxNewTokens = 500 }, config, 50).MaxNewTokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplingSettings.Resolve(new SamplingOverrides(), config, 0));
    }

    [Fact]
    public void Eos_modes_combine_tokenizer_and_generation_config_ids()
    {
        var config = GenerationConfig.Parse(Llama, "generation_config.json");
        Assert.Equal([128001, 128008, 128009], EosStopSet.Resolve(EosStop.EosSet, 128009, config));
        Assert.Equal([7, 128001, 128008, 128009], EosStopSet.Resolve(EosStop.GenerationConfig, 128009, config, [7]));
        Assert.Equal([128009], EosStopSet.Resolve(EosStop.Tokenizer, 128009, config));
        Assert.Equal([5], EosStopSet.Resolve(EosStop.None, 128009, config, [5]));
        Assert.Equal([2], EosStopSet.Resolve(EosStop.EosSet, 2, GenerationConfig.Empty));
    }
}

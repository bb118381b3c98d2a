using MoCo.Testing.Models;
using MoCo.Models.Catalog;
using MoCo.Models.Generation;

namespace MoCo.Models.Tests.Catalog;

public sealed class ModelResolverTests : IDisposable
{
    private readonly ModelFixture _models = new();
    private readonly ModelResolver _resolver;

    public ModelResolverTests() => _resolver = new ModelResolver([_models.Root], Path.Combine(_models.Root, "zoo"), huggingFaceCache: null);

    public void Dispose() => _models.Dispose();

    [Fact]
    public void A_directory_path_resolves_first()
    {
        var r = _resolver.Resolve(_models.Llama);
        Assert.Equal(("path", _models.Llama), (r.Rule, r.Directory));
        Assert.True(Assert.Single(r.Trace).Matched);
    }

    [Fact]
    public void A_catalogue_entry_and_an_alias_resolve_to_its_path()
    {
        Assert.Equal(_models.Llama, _resolver.Resolve("Acme/Tiny-Chat").Directory);
        var alias = _resolver.Resolve("judge");
        Assert.Equal(_models.Llama, alias.Directory);
        Assert.StartsWith("alias Acme/Tiny-Chat", alias.Rule);
    }

    [Fact]
    public void The_layout_rule_maps_slash_to_double_dash()
    {
        var r = _resolver.Resolve("acme/tiny-llama");
        Assert.Equal(("layout", _models.Llama), (r.Rule, r.Directory));
    }

    [Fact]
    public void An_unknown_name_lists_every_place_searched()
    {
        var r = _resolver.Resolve("nobody/nothing");
        Assert.False(r.Found);
        Assert.Equal(["path", "catalogue", "layout", "layout"], r.Trace.Select(t => t.Rule));
        var error = Assert.Throws<ModelNotFoundException>(() => _resolver.Require("nobody/nothing"));
        Assert.Contains("CFG009", error.Message);
        Assert.Contains(Path.Combine(_models.Root, "nobody--nothing"), error.Message);
        Assert.Contains(Path.Combine(_models.Root, "catalogue.json"), error.Message);
        Assert.Contains(r.Trace, t => t.Candidate == Path.Combine(_models.Root, "nobody--nothing"));
        Assert.DoesNotContain(r.Trace, t => t.Matched);
    }

    [Fact]
    public void The_hf_cache_resolves_the_snapshot_refs_main_names()
    {
        var cache = Path.Combine(_models.Root, "hf");
        var snapshot = Path.Combine(cache, "models--org--m", "snapshots", "abc123");
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(cache, "models--org--m", "refs"));
        File.WriteAllText(Path.Combine(cache, "models--org--m", "refs", "main"), "abc123\n");
        HfModelFiles.Write(snapshot, "config.json", new { architectures = new[] { "Qwen2ForCausalLM" } });
        var r = new ModelResolver([_models.Root], Path.Combine(_models.Root, "zoo"), cache).Resolve("org/m");
        Assert.Equal(("hf-cache", snapshot), (r.Rule, r.Directory));
    }

    [Fact]
    public void An_alias_cycle_is_reported_naming_the_catalogue()
    {
        HfModelFiles.Write(_models.Root, "catalogue.json", new { models = new { a = new { alias = "b" }, b = new { alias = "a" } } });
        var error = Assert.Throws<InvalidDataException>(() => _resolver.Resolve("a"));
        Assert.Contains("alias cycle", error.Message);
        Assert.Contains("catalogue.json", error.Message);
    }

    [Fact]
    public void Listing_finds_catalogue_names_and_layout_folders()
    {
        var names = _resolver.List().Select(m => m.Name).ToList();
        Assert.Equal(["Acme/Tiny-Chat", "acme/tiny-llama", "adapters/math-lora", "judge"], names);
    }

    [Fact]
    public void Directory_metadata_comes_from_config_and_safetensors_headers()
    {
        var llama = ModelDirectory.Read(_models.Llama);
        Assert.Equal((ModelKind.CausalLm, "LlamaForCausalLM", 320L * 16 + 16, "bfloat16", 2048, 320, "unknown"),
            (llama.Kind, llama.Architecture, llama.Parameters, llama.Dtype, llama.ContextLength, llama.VocabSize, llama.TokenizerFamily));
        var adapter = ModelDirectory.Read(_models.Adapter);
        Assert.Equal((ModelKind.Adapter, 128L, "acme/tiny-llama"), (adapter.Kind, adapter.Parameters, adapter.BaseModel));
    }

    [Fact]
    public void A_broken_safetensors_header_names_the_file()
    {
        File.WriteAllBytes(Path.Combine(_models.Llama, "model.safetensors"), BitConverter.GetBytes(1_000_000UL));
        var error = Assert.Throws<InvalidDataException>(() => ModelDirectory.Read(_models.Llama));
        Assert.Contains("model.safetensors", error.Message);
    }

    [Fact]
    public void Model_files_give_special_tokens_eos_and_generation_defaults()
    {
        var files = ModelFiles.Read(_models.Llama);
        Assert.True(files.HasChatTemplate);
        Assert.Equal([(1, "<s>"), (2, "</s>")], files.SpecialTokens);
        Assert.Equal((1, 2), (files.BosId, files.TokenizerEosId));
        Assert.Null(files.PadId);
        Assert.Equal([2, 7], files.Generation.EosTokenIds);
        Assert.Equal((0.6f, 0.9f, true, (int?)null), (files.Generation.Temperature, files.Generation.TopP, files.Generation.DoSample, files.Generation.TopK));
    }
}

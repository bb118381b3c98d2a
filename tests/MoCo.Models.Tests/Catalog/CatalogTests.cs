using MoCo.Testing.Models;
using MoCo.Models.Catalog;

namespace MoCo.Models.Tests.Catalog;

public sealed class CatalogTests : IDisposable
{
    private readonly ModelFixture _models = new();
    private readonly ModelResolver _resolver;

    public CatalogTests() => _resolver = new ModelResolver([_models.Root], Path.Combine(_models.Root, "zoo"), huggingFaceCache: null);

    public void Dispose() => _models.Dispose();

    [Fact]
    public void A_relative_path_resolves_against_the_config_folder_and_two_hits_warn()
    {
        var fromConfig = _resolver.Resolve("acme--tiny-llama", configDirectory: _models.Root);
        Assert.Equal(("path", _models.Llama), (fromConfig.Rule, fromConfig.Directory));
        Assert.Empty(fromConfig.Warnings);

        var name = "moco-twin-" + Guid.NewGuid().ToString("N");
        var inWorkingDirectory = Path.GetFullPath(name);
        var configs = Path.Combine(_models.Root, "configs");
        try
        {
            foreach (var dir in new[] { inWorkingDirectory, Path.Combine(configs, name) })
            {
                Directory.CreateDirectory(dir);
                HfModelFiles.Write(dir, "config.json", new { architectures = new[] { "LlamaForCausalLM" } });
            }
            var both = _resolver.Resolve(name, configDirectory: configs);
            Assert.Equal(inWorkingDirectory, both.Directory);
            Assert.Contains("two model directories", Assert.Single(both.Warnings));
        }
        finally
        {
            Directory.Delete(inWorkingDirectory, recursive: true);
        }
    }

    [Fact]
    public void A_directory_that_is_not_a_model_is_named_as_such()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_models.Root, "just-files")).FullName;
        var error = Assert.Throws<ModelNotFoundException>(() => _resolver.Require(empty));
        Assert.Contains("is a directory but not a model", error.Message);
        Assert.Contains("config.json", error.Message);
        Assert.Contains("not a model directory", Assert.Throws<InvalidDataException>(() => ModelDirectory.Read(empty)).Message);
    }

    [Fact]
    public void A_declared_kind_that_differs_from_the_directory_is_cfg009()
    {
        HfModelFiles.Write(_models.Root, "catalogue.json", new { models = new Dictionary<string, object> { ["wrong"] = new { path = "acme--tiny-llama", kind = "lora" } } });
        var error = Assert.Throws<ModelNotFoundException>(() => ModelInspection.Inspect(_resolver, "wrong"));
        Assert.Contains("declares kind 'lora'", error.Message);
        Assert.Contains("causal-lm", error.Message);
    }

    [Fact]
    public void An_adapter_reports_how_its_base_model_resolves()
    {
        var info = ModelInspection.Inspect(_resolver, _models.Adapter);
        Assert.Equal(ModelKind.Adapter, info.Model.Kind);
        Assert.Equal(("acme/tiny-llama", _models.Llama, "layout"), (info.Model.BaseModel, info.BaseModel!.Directory, info.BaseModel.Rule));
        Assert.Equal(64, info.Fingerprint.Length);
    }

    [Fact]
    public void Tied_embeddings_count_once_and_dtype_falls_back_to_the_weights()
    {
        var tied = Path.Combine(_models.Root, "tied");
        Directory.CreateDirectory(tied);
        HfModelFiles.Write(tied, "config.json", new { architectures = new[] { "Qwen2ForCausalLM" }, tie_word_embeddings = true, n_positions = 512 });
        HfModelFiles.WriteSafetensors(Path.Combine(tied, "model.safetensors"), new() { ["model.embed_tokens.weight"] = [100, 8], ["lm_head.weight"] = [100, 8], ["norm"] = [8] });
        var model = ModelDirectory.Read(tied);
        Assert.Equal((800L + 8, "float32", 512), (model.Parameters, model.Dtype, model.ContextLength));

        HfModelFiles.Write(tied, "config.json", new { architectures = new[] { "Qwen2ForCausalLM" }, tie_word_embeddings = false });
        Assert.Equal(1600L + 8, ModelDirectory.Read(tied).Parameters);
    }

    [Theory]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split"}, {"type": "ByteLevel"}]}}""", "BPE (byte-level)")]
    [InlineData("""{"added_tokens": [{"id": 0, "content": "<s>"}], "model": {"type": "BPE", "byte_fallback": true, "vocab": {}, "merges": []}, "decoder": {"type": "Sequence"}}""", "BPE (SentencePiece, byte fallback)")]
    [InlineData("""{"model": {"type": "Unigram", "vocab": [["a", -1.0]]}}""", "Unigram")]
    [InlineData("""{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}""", "WordPiece")]
    public void The_tokenizer_family_comes_from_tokenizer_json(string tokenizerJson, string family)
    {
        File.WriteAllText(Path.Combine(_models.Llama, "tokenizer.json"), tokenizerJson);
        Assert.Equal(family, ModelDirectory.Read(_models.Llama).TokenizerFamily);
    }

    [Fact]
    public void The_zoo_resolves_zoo_names_and_is_listed()
    {
        var zoo = Path.Combine(_models.Root, "zoo");
        var judge = Path.Combine(zoo, "judge-v1");
        Directory.CreateDirectory(judge);
        HfModelFiles.Write(judge, "config.json", new { architectures = new[] { "LlamaForSequenceClassification" } });
        HfModelFiles.Write(zoo, "catalogue.json", new { version = 1, models = new { judge = new { path = "judge-v1", kind = "reward" } } });
        var r = _resolver.Resolve("zoo/judge");
        Assert.Equal(("zoo", judge, "reward"), (r.Rule, r.Directory, r.DeclaredKind));
        Assert.Contains(_resolver.List(), m => m.Name == "zoo/judge");
    }

    [Fact]
    public void Pull_from_dir_copies_or_links_and_adds_a_catalogue_entry_with_fingerprint()
    {
        var source = Path.Combine(_models.Root, "incoming", "checkpoint-7");
        Directory.CreateDirectory(source);
        foreach (var file in Directory.EnumerateFiles(_models.Llama))
        {
            File.Copy(file, Path.Combine(source, Path.GetFileName(file)));
        }
        var target = Path.Combine(_models.Root, "pulled");
        var pulled = ModelPuller.Pull(source, target);
        Assert.Equal("checkpoint-7", pulled.Name);
        Assert.True(File.Exists(Path.Combine(target, "checkpoint-7", "model.safetensors")));
        var entry = CatalogueFile.Load(CatalogueFile.PathIn(target)).Entry("checkpoint-7")!;
        Assert.Equal(("checkpoint-7", "causal-lm", pulled.Fingerprint), (entry.Path, entry.Kind, entry.Fingerprint));
        Assert.Equal(ModelFingerprint.Compute(source), pulled.Fingerprint);
        Assert.Contains("already has an entry", Assert.Throws<InvalidDataException>(() => ModelPuller.Pull(source, target)).Message);

        HfModelFiles.Write(source, "config.json", new { architectures = new[] { "LlamaForCausalLM" }, _name_or_path = "acme/checkpoint" });
        var linked = ModelPuller.Pull(source, target, link: true);
        Assert.Equal(("acme/checkpoint", true), (linked.Name, linked.Linked));
        Assert.Equal(source, new DirectoryInfo(Path.Combine(target, "acme--checkpoint")).LinkTarget);
        Assert.Equal(Path.Combine(target, "acme--checkpoint"), new ModelResolver([target], target, null).Resolve("acme/checkpoint").Directory);
    }

    [Fact]
    public void Pull_from_dir_refuses_a_model_without_a_tokenizer_or_with_a_broken_header()
    {
        var source = Path.Combine(_models.Root, "no-tokenizer");
        Directory.CreateDirectory(source);
        HfModelFiles.Write(source, "config.json", new { architectures = new[] { "LlamaForCausalLM" } });
        Assert.Contains("no tokenizer", Assert.Throws<InvalidDataException>(() => ModelPuller.Pull(source, Path.Combine(_models.Root, "out"))).Message);
        File.WriteAllBytes(Path.Combine(source, "model.safetensors"), BitConverter.GetBytes(5UL));
        Assert.Contains("model.safetensors", Assert.Throws<InvalidDataException>(() => ModelPuller.Pull(source, Path.Combine(_models.Root, "out"))).Message);
    }

    [Fact]
    public void The_fingerprint_changes_when_a_weight_or_config_changes()
    {
        var before = ModelFingerprint.Compute(_models.Llama);
        Assert.Equal(before, ModelFingerprint.Compute(_models.Llama));
        HfModelFiles.WriteSafetensors(Path.Combine(_models.Llama, "model.safetensors"), new() { ["embed.weight"] = [320, 16], ["norm.weight"] = [17] });
        var afterWeights = ModelFingerprint.Compute(_models.Llama);
        Assert.NotEqual(before, afterWeights);
        HfModelFiles.Write(_models.Llama, "config.json", new { architectures = new[] { "LlamaForCausalLM" } });
        Assert.NotEqual(afterWeights, ModelFingerprint.Compute(_models.Llama));
    }

    [Fact]
    public void Catalogue_entries_round_trip_and_unknown_kinds_are_named()
    {
        var catalogue = CatalogueFile.Load(CatalogueFile.PathIn(_models.Root));
        catalogue.Set("short", new CatalogueEntry(null, "Acme/Tiny-Chat", null));
        catalogue.Save();
        Assert.Equal(["Acme/Tiny-Chat", "judge", "short"], CatalogueFile.Load(catalogue.Path).Names);
        Assert.Equal(_models.Llama, _resolver.Resolve("short").Directory);

        HfModelFiles.Write(_models.Root, "catalogue.json", new { models = new { odd = new { path = "x", kind = "vision" } } });
        Assert.Contains("kind 'vision'", Assert.Throws<InvalidDataException>(() => _resolver.Resolve("odd")).Message);
    }
}

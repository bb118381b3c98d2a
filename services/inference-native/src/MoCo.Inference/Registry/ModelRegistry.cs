using System.Collections.Concurrent;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Scheduling;
using MoCo.Inference.Text;
using MoCo.Models.Catalog;
using MoCo.Native;
using MoCo.Native.Inference;
using MoCo.Native.Models;
using CatalogKind = MoCo.Models.Catalog.ModelKind;

namespace MoCo.Inference.Registry;

/// <summary>
/// The models resident on this replica. A name resolves to a directory (models registered at run time first, then
/// the catalogue); a full model is loaded once per directory, on LoadModel or on first use, with its KV cache and
/// scheduling loop; an adapter is loaded onto its resident base (loaded too when needed) and served through the
/// base's loop. Loads run one at a time; lookups of resident models take no lock.
/// </summary>
public sealed partial class ModelRegistry : IDisposable
{
    private readonly ModelCatalog _catalog;
    private readonly ModelTextCache _texts;
    private readonly MocoContext _context;
    private readonly InferenceOptions _options;
    private readonly SchedulerOptions _scheduling;
    private readonly object _loading = new();
    private readonly ConcurrentDictionary<string, ResidentModel> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ResidentAdapter> _adapters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ModelResolution> _runtime = new(StringComparer.Ordinal);

    public ModelRegistry(ModelCatalog catalog, ModelTextCache texts, MocoContext context, InferenceOptions options)
    {
        _catalog = catalog;
        _texts = texts;
        _context = context;
        _options = options;
        _scheduling = SchedulerOptions.From(options);
        Budget = new MemoryBudget(options.MemoryBudgetBytes ?? DeviceMemory(context));
    }

    /// <summary>The memory budget and what holds it.</summary>
    public MemoryBudget Budget { get; }

    /// <summary>The directory <paramref name="name"/> names: a run-time id, else a content-addressed trained model an
    /// earlier process left, else the catalogue's resolution.</summary>
    /// <exception cref="RpcException">NOT_FOUND naming the model.</exception>
    public ModelResolution Resolve(string name, string field = "model") =>
        _runtime.TryGetValue(name, out var runtime) ? runtime : Trained(name) ?? _catalog.Require(name, field);

    // A content-addressed trained model (`trained-{call key}`, the id the orchestrator gives every job) that an earlier
    // process of this service left in the trained-models folder, registered again on first use: Train publishes a
    // model's folder only complete, and the id fixes the job, so a resumed run (a new process) finds the model its
    // finished job trained instead of training it again (config-and-cli.md §5.2). Other ids live only as long as the process.
    private ModelResolution? Trained(string name)
    {
        if (!TrainedId().IsMatch(name))
        {
            return null;
        }
        var directory = Path.Combine(_options.TrainedModelsRoot, name);
        return Directory.Exists(directory) ? _runtime.GetOrAdd(name, new ModelResolution(name, Path.GetFullPath(directory), "runtime", null, [])) : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^trained-[0-9a-f]{64}$")]
    private static partial System.Text.RegularExpressions.Regex TrainedId();

    /// <summary>The model a call runs on, loading it (and an adapter's base) on first use.</summary>
    /// <exception cref="RpcException">NOT_FOUND, FAILED_PRECONDITION (unreadable files), RESOURCE_EXHAUSTED (budget), a load's engine error.</exception>
    public ServedModel Acquire(string name, string field = "model")
    {
        var resolution = Resolve(name, field);
        var directory = resolution.Directory!;
        if (_models.TryGetValue(directory, out var resident))
        {
            return new ServedModel(resolution.Name, resident, null, resident.Text);
        }
        if (_adapters.TryGetValue(directory, out var adapter) && _models.ContainsKey(adapter.Base.Resolution.Directory!))
        {
            return new ServedModel(resolution.Name, adapter.Base, adapter.Adapter, adapter.Text);
        }
        lock (_loading)
        {
            return LoadLocked(resolution, field, useMmap: true);
        }
    }

    /// <summary>The tokenizer and template a call on <paramref name="name"/> uses, as served: a catalogue model's own
    /// (read without loading weights), an adapter's (its base's unless it ships tokenizer files) and a run-time
    /// model's (a trained deferral model's has its added entry) from the resident model.</summary>
    /// <exception cref="RpcException">As <see cref="Resolve"/>; for adapters and run-time models as <see cref="Acquire"/>.</exception>
    public ModelText Text(string name, string field = "model")
    {
        var resolution = Resolve(name, field);
        var directory = resolution.Directory!;
        if (_models.TryGetValue(directory, out var resident))
        {
            return resident.Text;
        }
        if (_adapters.TryGetValue(directory, out var adapter))
        {
            return adapter.Text;
        }
        return _runtime.ContainsKey(name) || File.Exists(Path.Combine(directory, "adapter_config.json"))
            ? Acquire(name, field).Text
            : _texts.Get(resolution);
    }

    /// <summary>Registers a model made at run time (merged, trained, written) under <paramref name="id"/> and loads it.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT when the id names a catalogue model or another run-time model; as <see cref="Acquire"/>.</exception>
    public ServedModel Register(string id, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var resolution = new ModelResolution(id, Path.GetFullPath(directory), "runtime", null, []);
        // The same folder may already be registered: a trained model found on disk (Resolve) while its job finished.
        if (!_runtime.TryAdd(id, resolution) && _runtime[id].Directory != resolution.Directory)
        {
            throw MocoErrors.InvalidArgument(new Problem("model_id", "INVALID_VALUE", $"a run-time model '{id}' is already registered"));
        }
        try
        {
            return Acquire(id);
        }
        catch
        {
            _runtime.TryRemove(id, out _);
            throw;
        }
    }

    /// <summary>Points the run-time id <paramref name="id"/> at <paramref name="directory"/> instead (WriteModel overwrite):
    /// the old model is unloaded (failing what runs on it) and the new one loaded; if it does not load, the old
    /// resolution is restored.</summary>
    /// <returns>The old model's directory, which the caller may now delete.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="id"/> is not a run-time model.</exception>
    public string Replace(string id, string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        if (!_runtime.TryGetValue(id, out var old))
        {
            throw new InvalidOperationException($"'{id}' is not a run-time model; only those are replaced");
        }
        Unload(id);
        _runtime[id] = new ModelResolution(id, Path.GetFullPath(directory), "runtime", null, []);
        try
        {
            Acquire(id);
            return old.Directory!;
        }
        catch
        {
            _runtime[id] = old;
            throw;
        }
    }

    /// <summary>Unloads the run-time model <paramref name="id"/> and drops its id, so the name is free again; its folder
    /// is the caller's to delete. A name that is not a run-time model is left alone.</summary>
    /// <returns>The model's folder, or null when <paramref name="id"/> names no run-time model.</returns>
    public string? Forget(string id)
    {
        if (!_runtime.ContainsKey(id))
        {
            return null;
        }
        Unload(id);
        return _runtime.TryRemove(id, out var resolution) ? resolution.Directory : null;
    }

    /// <summary>Whether <paramref name="id"/> is a model registered at run time (not a catalogue model).</summary>
    public bool IsRuntime(string id) => _runtime.ContainsKey(id);

    /// <summary>LoadModel: makes the model resident and reports it.</summary>
    public ModelSummary Load(string name, bool preload)
    {
        var resolution = Resolve(name);
        lock (_loading)
        {
            if (!_models.ContainsKey(resolution.Directory!) && !_adapters.ContainsKey(resolution.Directory!))
            {
                LoadLocked(resolution, "model", useMmap: !preload);
            }
        }
        return Summary(resolution);
    }

    /// <summary>UnloadModel: an adapter leaves its base resident; a base model stops its loop (failing what waits or
    /// runs on it), and its adapters go with it. Unloading a model that is not resident does nothing.</summary>
    public void Unload(string name)
    {
        var resolution = Resolve(name);
        var directory = resolution.Directory!;
        lock (_loading)
        {
            if (_adapters.TryRemove(directory, out var adapter))
            {
                adapter.Adapter.Dispose();
                Budget.Free(directory);
            }
            if (_models.TryRemove(directory, out var model))
            {
                foreach (var (key, other) in _adapters.Where(a => a.Value.Base == model).ToList())
                {
                    _adapters.TryRemove(key, out _);
                    other.Adapter.Dispose();
                    Budget.Free(key);
                }
                model.Dispose();
                Budget.Free(directory);
            }
        }
    }

    /// <summary>Every model this replica can name, catalogue and run time, resident ones marked.</summary>
    public IEnumerable<ModelSummary> List()
    {
        var listed = _catalog.List(IsResident).ToList();
        listed.AddRange(_runtime.Values.Select(Summary));
        return listed.OrderBy(s => s.Id, StringComparer.Ordinal);
    }

    /// <summary>The summary of a resolved model, resident flag and origin set.</summary>
    public ModelSummary Summary(ModelResolution resolution)
    {
        var summary = _catalog.Summary(resolution);
        summary.Resident = IsResident(resolution.Directory!);
        summary.Origin = _runtime.ContainsKey(resolution.Name) ? ModelOrigin.Runtime : ModelOrigin.Catalogue;
        return summary;
    }

    /// <summary>The base models resident now.</summary>
    public IEnumerable<ResidentModel> Resident => _models.Values;

    /// <summary>The resident model loaded from <paramref name="name"/>'s directory, or null.</summary>
    public ResidentModel? Find(string name) => _models.GetValueOrDefault(Resolve(name).Directory!);

    /// <summary>Unloads everything.</summary>
    public void Dispose()
    {
        foreach (var adapter in _adapters.Values)
        {
            adapter.Adapter.Dispose();
        }
        foreach (var model in _models.Values)
        {
            model.Dispose();
        }
        _adapters.Clear();
        _models.Clear();
    }

    private bool IsResident(string directory) => _models.ContainsKey(directory) || _adapters.ContainsKey(directory);

    private ServedModel LoadLocked(ModelResolution resolution, string field, bool useMmap)
    {
        var directory = resolution.Directory!;
        var kind = ModelDirectory.Read(directory);
        if (kind.Kind != CatalogKind.Adapter)
        {
            var resident = _models.TryGetValue(directory, out var loaded) ? loaded : LoadBase(resolution, useMmap);
            return new ServedModel(resolution.Name, resident, null, resident.Text);
        }
        if (_adapters.TryGetValue(directory, out var present) && _models.ContainsKey(present.Base.Resolution.Directory!))
        {
            return new ServedModel(resolution.Name, present.Base, present.Adapter, present.Text);
        }
        if (kind.BaseModel is not { Length: > 0 } baseName)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"adapter '{resolution.Name}' names no base model",
                new Problem(field, "MODEL_MALFORMED", $"{Path.Combine(directory, "adapter_config.json")} has no base_model_name_or_path",
                    new Dictionary<string, string> { ["model"] = resolution.Name, ["fix"] = "set base_model_name_or_path to a model this replica can resolve" }));
        }
        var baseResolution = Resolve(baseName, field);
        var baseModel = _models.TryGetValue(baseResolution.Directory!, out var b) ? b : LoadBase(baseResolution, useMmap);
        var bytes = WeightBytes(directory);
        Budget.Check(resolution.Name, bytes, $"adapter tensors {MemoryBudget.Size(bytes)}");
        var adapter = baseModel.Model.LoadAdapter(directory);
        var text = File.Exists(Path.Combine(directory, "tokenizer.json")) ? _texts.Get(resolution) : baseModel.Text;
        _adapters[directory] = new ResidentAdapter(baseModel, adapter, text);
        Budget.Hold(directory, resolution.Name, bytes);
        return new ServedModel(resolution.Name, baseModel, adapter, text);
    }

    private ResidentModel LoadBase(ModelResolution resolution, bool useMmap)
    {
        var directory = resolution.Directory!;
        // The text files first: a model without a usable tokenizer fails before any weight is read.
        var text = _texts.Get(resolution);
        var weights = WeightBytes(directory);
        Budget.Check(resolution.Name, weights, $"weights {MemoryBudget.Size(weights)}");
        var model = MocoModel.Load(_context, directory, new ModelLoadOptions(useMmap));
        try
        {
            var blockTokens = Math.Clamp(_options.KvBlockTokens, 1, 1024);
            var blockBytes = KvCacheOptions.BlockBytes(model.Info, blockTokens);
            var blocks = (ulong)Math.Max(1, (_options.KvCacheTokens + blockTokens - 1) / blockTokens);
            var kv = (long)(blocks * blockBytes);
            Budget.Check(resolution.Name, weights + kv, $"weights {MemoryBudget.Size(weights)} + KV cache {MemoryBudget.Size(kv)}");
            var cache = model.CreateKvCache(new KvCacheOptions(blocks * blockBytes, blockTokens, _options.MaxSequences));
            var resident = new ResidentModel(resolution, _runtime.ContainsKey(resolution.Name) ? ModelOrigin.Runtime : ModelOrigin.Catalogue,
                model, cache, text, weights, _scheduling, _options.MaxSequences);
            _models[directory] = resident;
            Budget.Hold(directory, resolution.Name, weights + resident.KvBytes);
            return resident;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // What the weight files take: the engine keeps weights in their storage dtype (mapped or read).
    private static long WeightBytes(string directory) =>
        Directory.EnumerateFiles(directory, "*.safetensors").Sum(f => new FileInfo(f).Length);

    private static long DeviceMemory(MocoContext context) =>
        (long)(MocoEngine.Devices.FirstOrDefault(d => d.Name == context.Device)?.MemoryBytes ?? (ulong)GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    private sealed record ResidentAdapter(ResidentModel Base, MocoAdapter Adapter, ModelText Text);
}

using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Models.Catalog;
using MoCo.Native;

namespace MoCo.Inference;

/// <summary>The models this replica can name, as contract messages: resolution (NOT_FOUND with every place
/// searched), summaries read from the directories, and the engine's identity.</summary>
public sealed class ModelCatalog(ModelResolver resolver, MocoContext context)
{
    /// <summary>The directory a model name resolves to.</summary>
    /// <exception cref="RpcException">NOT_FOUND naming the model and listing every place searched.</exception>
    public ModelResolution Require(string name, string field = "model")
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw MocoErrors.InvalidArgument(new Problem(field, "MODEL_REQUIRED", "no model named",
                new Dictionary<string, string> { ["fix"] = "name a model as configs do: a directory, a catalogue name or zoo/<name>" }));
        }
        var resolution = Resolve(name);
        if (!resolution.Found)
        {
            throw MocoErrors.NotFound(field, "MODEL_NOT_FOUND", $"model '{name}'",
                "pass a model directory, or put the model in a models folder (MOCO_MODELS_DIR, --models-dir) or its catalogue.json",
                new Dictionary<string, string> { ["model"] = name, ["searched"] = string.Join("; ", resolution.Trace) });
        }
        return resolution;
    }

    /// <summary>Summaries of every model reachable by name, in name order, resident when <paramref name="isResident"/>
    /// says so for its directory. A directory whose files are malformed is left out of the list (ModelInfo on it reports why).</summary>
    public IEnumerable<ModelSummary> List(Func<string, bool> isResident)
    {
        foreach (var resolution in resolver.List())
        {
            ModelDirectory model;
            try
            {
                model = ModelDirectory.Read(resolution.Directory!);
            }
            catch (InvalidDataException)
            {
                continue;
            }
            var summary = Summary(resolution.Name, model);
            summary.Resident = isResident(resolution.Directory!);
            yield return summary;
        }
    }

    /// <summary>Summary of a resolved model.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION when its files are malformed, naming the file.</exception>
    public ModelSummary Summary(ModelResolution resolution) =>
        ReadOrFail(resolution, dir =>
        {
            var model = ModelDirectory.Read(dir);
            ModelInspection.CheckKind(resolution, model);
            return Summary(resolution.Name, model);
        });

    /// <summary>The token-level facts of a resolved model's files.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION when a file is malformed, naming the file.</exception>
    public static ModelFiles Files(ModelResolution resolution) => ReadOrFail(resolution, ModelFiles.Read);

    private static T ReadOrFail<T>(ModelResolution resolution, Func<string, T> read)
    {
        try
        {
            return read(resolution.Directory!);
        }
        catch (InvalidDataException e)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{resolution.Name}' cannot be read",
                new Problem("model", "MODEL_MALFORMED", e.Message, new Dictionary<string, string> { ["model"] = resolution.Name }));
        }
        catch (ModelNotFoundException e)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{resolution.Name}' is not the kind its catalogue declares",
                new Problem("model", "MODEL_KIND_MISMATCH", e.Message, new Dictionary<string, string> { ["model"] = resolution.Name }));
        }
    }

    /// <summary>The native engine's version and devices.</summary>
    public static EngineInfo Engine()
    {
        var info = new EngineInfo { NativeVersion = $"{MocoEngine.Version} ({MocoEngine.BuildInfo})" };
        info.Devices.Add(MocoEngine.Devices.Select(DeviceMessages.ToMessage));
        return info;
    }

    private ModelResolution Resolve(string name)
    {
        try
        {
            return resolver.Resolve(name);
        }
        catch (InvalidDataException e)
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, "a model catalogue is malformed",
                new Problem("model", "CATALOGUE_MALFORMED", e.Message, new Dictionary<string, string> { ["model"] = name }));
        }
    }

    private ModelSummary Summary(string name, ModelDirectory model) => new()
    {
        Id = name,
        Kind = model.Kind switch
        {
            MoCo.Models.Catalog.ModelKind.CausalLm => Contracts.V1.ModelKind.CausalLm,
            MoCo.Models.Catalog.ModelKind.SequenceClassifier => Contracts.V1.ModelKind.SeqClassifier,
            MoCo.Models.Catalog.ModelKind.Adapter => Contracts.V1.ModelKind.Adapter,
            _ => Contracts.V1.ModelKind.Encoder,
        },
        Architecture = model.Architecture,
        Parameters = model.Parameters,
        Dtype = model.Dtype switch
        {
            "float32" => DType.F32,
            "float16" => DType.F16,
            "bfloat16" => DType.Bf16,
            _ => DType.Unspecified,
        },
        ContextLength = model.ContextLength,
        VocabSize = model.VocabSize,
        Resident = false,
        Device = context.Device,
        Origin = ModelOrigin.Catalogue,
        BaseModel = model.BaseModel ?? "",
    };
}

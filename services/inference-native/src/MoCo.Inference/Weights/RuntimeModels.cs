using Grpc.Core;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;

namespace MoCo.Inference.Weights;

/// <summary>
/// Where models made at run time by WriteModel and Merge are written: the folder Train uses
/// (<see cref="InferenceOptions.TrainedModelsDirectory"/>, else moco-trained-models under the system temp folder),
/// so one setting places every run-time model. Each model is built in a hidden staging folder and renamed into
/// place only once complete, so a failed call leaves nothing a later scan could take for a model.
/// </summary>
public sealed class RuntimeModels(InferenceOptions options, ModelRegistry registry)
{
    /// <summary>The contracts.md §9 header of a response that creates a model.</summary>
    public const string ReplicaHeader = "moco-replica";

    /// <summary>The folder.</summary>
    public string Root { get; } = options.TrainedModelsDirectory ?? Path.Combine(Path.GetTempPath(), "moco-trained-models");

    /// <summary>A new empty staging folder.</summary>
    public string Stage()
    {
        var dir = Path.Combine(Root, $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Moves a complete staging folder into place and registers it under <paramref name="id"/>; on failure
    /// the folder is removed and nothing stays registered.</summary>
    /// <returns>The final folder.</returns>
    public string Publish(string staging, string id, string prefix)
    {
        var final = Path.Combine(Root, $"{prefix}-{Guid.NewGuid():N}");
        Directory.Move(staging, final);
        try
        {
            registry.Register(id, final);
            return final;
        }
        catch
        {
            Discard(final);
            throw;
        }
    }

    /// <summary>Removes a staging or failed folder.</summary>
    public static void Discard(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Fails with INVALID_ARGUMENT when <paramref name="id"/> already names a model this replica can resolve:
    /// a run-time id is never silently shadowed or replaced.</summary>
    public void RequireFree(string id, string field)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw MocoErrors.InvalidArgument(new Problem(field, "MISSING_FIELD", "the id of the new model is required"));
        }
        try
        {
            registry.Resolve(id, field);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return;
        }
        throw MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{id}' already exists",
            new Problem(field, "MODEL_EXISTS", $"'{id}' already names a model on this replica; choose another id",
                new Dictionary<string, string> { ["model"] = id }));
    }

    /// <summary>Sends the <c>moco-replica</c> header: the address the caller reached this replica by, which is the
    /// gateway's destination id for it, so the client's later calls on the new model come back here.</summary>
    public static Task AnnounceAsync(ServerCallContext context)
    {
        var host = context.GetHttpContext().Request.Host.Value ?? "";
        return context.WriteResponseHeadersAsync(new Metadata { { ReplicaHeader, host } });
    }
}

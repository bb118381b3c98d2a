using Grpc.Core;
using MoCo.Contracts;
using MoCo.Hosting;
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
    /// <summary>The folder.</summary>
    public string Root { get; } = options.TrainedModelsRoot;

    /// <summary>The folder persisted models go to (WriteModel persist_as).</summary>
    public string Artifacts { get; } = Path.GetFullPath(options.ArtifactsDirectory ?? new MocoEnvironment().ArtifactsDirectory);

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

    /// <summary>Registers a complete staging folder in place of the run-time model <paramref name="id"/> (WriteModel
    /// overwrite); the old folder is deleted once the new model loaded. On failure the new folder is removed and the
    /// old model stays registered.</summary>
    public string Replace(string staging, string id, string prefix)
    {
        var final = Path.Combine(Root, $"{prefix}-{Guid.NewGuid():N}");
        Directory.Move(staging, final);
        string old;
        try
        {
            old = registry.Replace(id, final);
        }
        catch
        {
            Discard(final);
            throw;
        }
        if (Path.GetFullPath(old).StartsWith(Path.GetFullPath(Root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            Discard(old);
        }
        return final;
    }

    /// <summary>The folder of artifact <paramref name="name"/>: a relative path of plain names inside <see cref="Artifacts"/>.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT on <paramref name="field"/> for an absolute path, an empty, hidden, "." or ".." segment.</exception>
    public string ArtifactPath(string name, string field)
    {
        var segments = name.Split('/');
        if (name.Length == 0 || Path.IsPathRooted(name) || segments.Any(s => !ModelFiles.IsPlainName(s) || s.StartsWith('.')))
        {
            throw MocoErrors.InvalidArgument(new Problem(field, "INVALID_VALUE",
                $"'{name}' must be a relative artifact name of plain '/'-separated folder names (no absolute path, '..', hidden or empty part)"));
        }
        return Path.Combine([Artifacts, .. segments]);
    }

    /// <summary>Fails when artifact folder <paramref name="path"/> holds a model other than <paramref name="model"/>'s and
    /// <paramref name="overwrite"/> is false; run before anything is registered.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION ARTIFACT_EXISTS on <paramref name="field"/>.</exception>
    public static void RequireArtifactFree(string path, string model, bool overwrite, string field)
    {
        if (!overwrite && Directory.Exists(path) && !ModelContent.Equal(path, model))
        {
            throw MocoErrors.Create(StatusCode.FailedPrecondition, $"artifact '{path}' already exists",
                new Problem(field, "ARTIFACT_EXISTS", $"{path} holds another model; choose another name or set overwrite",
                    new Dictionary<string, string> { ["path"] = path }));
        }
    }

    /// <summary>Writes a copy of <paramref name="model"/> to artifact folder <paramref name="path"/>, replacing what is
    /// there unless it is the same model; the copy is built beside it and renamed into place.</summary>
    public static void Persist(string model, string path)
    {
        if (Directory.Exists(path) && ModelContent.Equal(path, model))
        {
            return;
        }
        var parent = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(parent);
        var copy = Path.Combine(parent, $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        try
        {
            foreach (var file in Directory.EnumerateFiles(model))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }
            if (Directory.Exists(path))
            {
                var old = Path.Combine(parent, $".old-{Guid.NewGuid():N}");
                Directory.Move(path, old);
                Directory.Move(copy, path);
                Discard(old);
            }
            else
            {
                Directory.Move(copy, path);
            }
        }
        finally
        {
            Discard(copy);
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

    /// <summary>Fails with FAILED_PRECONDITION when <paramref name="id"/> already names a model this replica can resolve:
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
        return context.WriteResponseHeadersAsync(new Metadata { { RoutingHeaders.Replica, host } });
    }
}

namespace MoCo.Orchestrator.Config;

/// <summary>
/// Where each model of an embedded run lives (config-and-cli.md §2.3): the first of `--device`/`MOCO_DEVICE`, the
/// config's `device`, the gpu_ids mapping (model i on <c>cuda:gpu_ids[i mod len]</c>, a negative id on the CPU), and
/// auto (cuda:0 when there is a GPU, else the CPU); "auto" at any level defers to the next. `cuda` places models
/// round-robin over every GPU, `cuda:N` all on N, `cuda:N,M` round-robin over the list. Without a GPU, gpu_ids map to
/// the CPU with one CFGW03 notice, so every reference config runs on a laptop; a GPU that is not there is CFG011 naming
/// the visible ones, as is big_model_mode over more than one device (the engine cannot split a model yet).
/// A replica serves one device, so an embedded run opens one inference replica per device the placement uses
/// (<see cref="ReplicaPlan"/>) and routes each model's calls to its device's.
/// </summary>
/// <param name="Source">Which rule placed the models: "--device/MOCO_DEVICE", "device", "gpu_ids" or "auto".</param>
/// <param name="Models">The device of each model_names entry, in order.</param>
public sealed record DevicePlacement(string Source, IReadOnlyList<string> Models)
{
    /// <summary>The first model's device: that of the replica serving the models no group lists (<see cref="ReplicaPlan"/>).</summary>
    public string Replica => Models.Count > 0 ? Models[0] : "cpu";

    /// <summary>The placement of a validated <paramref name="config"/>'s models, problems not reported (validation did).</summary>
    public static DevicePlacement? For(RunConfig config, DeviceEnvironment devices) =>
        Place(config.ModelNames.Count, devices.Requested, config.Device, config.GpuIds, config.Hyperparameters.Bool(Methods.GeneralKeys.BigModelMode),
            devices.CudaDevices, sink: null);

    /// <summary>Places <paramref name="modelCount"/> models; problems go to <paramref name="sink"/> (null: not reported).</summary>
    /// <param name="requested">`--device`, else MOCO_DEVICE; null when neither is set.</param>
    /// <param name="configDevice">The config's `device` ("auto" when absent).</param>
    /// <param name="gpuIds">The config's gpu_ids.</param>
    /// <param name="bigModelMode">hyperparameters.big_model_mode.</param>
    /// <param name="cudaDevices">CUDA devices this process sees.</param>
    /// <returns>The placement, or null when a problem makes it impossible.</returns>
    public static DevicePlacement? Place(int modelCount, string? requested, string configDevice, IReadOnlyList<int> gpuIds, bool bigModelMode, int cudaDevices,
        ProblemSink? sink)
    {
        DevicePlacement? placement;
        if (requested is { } flag && flag != "auto")
        {
            placement = Spread("--device/MOCO_DEVICE", flag, "", modelCount, cudaDevices, sink, "pass --device cpu or a device `moco doctor` lists, or unset MOCO_DEVICE");
        }
        else if (configDevice != "auto")
        {
            placement = Spread("device", configDevice, "device", modelCount, cudaDevices, sink, "write \"device\": \"auto\", \"cpu\" or a device `moco doctor` lists");
        }
        else if (gpuIds.Count > 0)
        {
            placement = Mapped(modelCount, gpuIds, cudaDevices, sink);
        }
        else
        {
            placement = new DevicePlacement("auto", [.. Enumerable.Repeat(cudaDevices > 0 ? "cuda:0" : "cpu", modelCount)]);
        }
        if (placement is not null && bigModelMode && placement.Models.Distinct(StringComparer.Ordinal).Count() > 1)
        {
            sink?.Error(ConfigCodes.Device, "hyperparameters.big_model_mode",
                $"big_model_mode would split each model over {string.Join(", ", placement.Models.Distinct(StringComparer.Ordinal))}, which this engine cannot do yet",
                "map the run to one device (e.g. \"device\": \"cuda:0\" or gpu_ids with one index), or set big_model_mode to false");
            return null;
        }
        return placement;
    }

    /// <summary>The models <paramref name="method"/>'s keys imply beside model_names (a ranker, a fuser, a reward model),
    /// each with its key and device: where the gpu_ids rule placed the run, the key's GPU index key (ranker_gpu_id …)
    /// through the same map; otherwise, or without such a key, the first model's device. Names of model_names are left
    /// out: they are placed already.</summary>
    public IReadOnlyList<(string Key, string Name, string Device)> Implied(RunConfig config, Methods.MethodDescriptor? method, int cudaDevices)
    {
        ArgumentNullException.ThrowIfNull(config);
        var indexKeys = (method?.Keys ?? []).Where(k => k.PlacesModel is not null).ToDictionary(k => k.PlacesModel!, k => k.Name, StringComparer.Ordinal);
        return [.. Engine.ModelAddresses.KeyModelRoles(config, method)
            .Where(r => !config.ModelNames.Contains(r.Name, StringComparer.Ordinal))
            .Select(r => (r.Key, r.Name, Source == "gpu_ids" && indexKeys.TryGetValue(r.Key, out var key)
                ? OnGpu(config.Hyperparameters.Int(key), cudaDevices) ?? Replica
                : Replica))];
    }

    /// <summary>Reports a GPU index key (ranker_gpu_id …) of <paramref name="method"/> written with a GPU that is not
    /// there (CFG011), where the gpu_ids rule places the run on a machine with GPUs. (Its default, gpu_ids[0], is
    /// checked as part of gpu_ids.)</summary>
    public static void CheckIndexKeys(Methods.MethodDescriptor method, Hyperparameters hyperparameters, int cudaDevices, ProblemSink sink)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(hyperparameters);
        foreach (var key in method.Keys.Where(k => k.PlacesModel is not null))
        {
            if (cudaDevices > 0 && hyperparameters.Written.ValueKind == System.Text.Json.JsonValueKind.Object
                && hyperparameters.Written.TryGetProperty(key.Name, out _) && hyperparameters.Int(key.Name) is var index && index >= cudaDevices)
            {
                sink.Error(ConfigCodes.Device, $"hyperparameters.{key.Name}", $"{key.Name} {index} names cuda:{index}, but {Visible(cudaDevices)}",
                    $"use an index below {cudaDevices}, a negative one for the CPU, or leave the key out (gpu_ids[0])");
            }
        }
    }

    // A GPU index through the gpu_ids map: negative or no GPU at all is the CPU; null for a GPU that is not there.
    private static string? OnGpu(long index, int cudaDevices) =>
        index < 0 || cudaDevices == 0 ? "cpu" : index < cudaDevices ? $"cuda:{index}" : null;

    // A device string: cpu, cuda (every GPU), cuda:N or cuda:N,M (round-robin over the list).
    private static DevicePlacement? Spread(string source, string spec, string path, int modelCount, int cudaDevices, ProblemSink? sink, string fix)
    {
        if (spec == "cpu")
        {
            return new DevicePlacement(source, [.. Enumerable.Repeat("cpu", modelCount)]);
        }
        if (!spec.StartsWith("cuda", StringComparison.Ordinal))
        {
            sink?.Error(ConfigCodes.Device, path, $"{source} \"{spec}\" is not a device: expected auto, cpu, cuda, cuda:N or cuda:N,M", fix);
            return null;
        }
        List<int> indices;
        if (spec == "cuda")
        {
            indices = [.. Enumerable.Range(0, cudaDevices)];
        }
        else
        {
            indices = [];
            foreach (var part in spec["cuda:".Length..].Split(','))
            {
                if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    sink?.Error(ConfigCodes.Device, path, $"{source} \"{spec}\" is not a device: expected auto, cpu, cuda, cuda:N or cuda:N,M", fix);
                    return null;
                }
                indices.Add(index);
            }
        }
        var missing = indices.Where(i => i >= cudaDevices).ToList();
        if (indices.Count == 0 || missing.Count > 0)
        {
            sink?.Error(ConfigCodes.Device, path, $"{source} \"{spec}\" names {(indices.Count == 0 ? "every GPU" : string.Join(", ", missing.Select(i => $"cuda:{i}")))}, "
                + $"but {Visible(cudaDevices)}", fix);
            return null;
        }
        return new DevicePlacement(source, [.. Enumerable.Range(0, modelCount).Select(i => $"cuda:{indices[i % indices.Count]}")]);
    }

    // The reference's rule: model i on gpu_ids[i mod len]; negative on the CPU; no GPU at all maps everything to the CPU.
    private static DevicePlacement? Mapped(int modelCount, IReadOnlyList<int> gpuIds, int cudaDevices, ProblemSink? sink)
    {
        if (cudaDevices == 0)
        {
            if (gpuIds.Any(id => id >= 0))
            {
                sink?.Warning(ConfigCodes.GpuRemapped, "gpu_ids", "no CUDA device is visible: gpu_ids are mapped to the CPU",
                    "nothing to do on a machine without a GPU; write \"gpu_ids\": [-1] to say so");
            }
            return new DevicePlacement("gpu_ids", [.. Enumerable.Repeat("cpu", modelCount)]);
        }
        var missing = gpuIds.Where(id => id >= cudaDevices).Distinct().ToList();
        if (missing.Count > 0)
        {
            sink?.Error(ConfigCodes.Device, "gpu_ids", $"gpu_ids name {string.Join(", ", missing.Select(i => $"cuda:{i}"))}, but {Visible(cudaDevices)}",
                $"use indices below {cudaDevices}, a negative one for the CPU, or [] for automatic placement");
            return null;
        }
        return new DevicePlacement("gpu_ids", [.. Enumerable.Range(0, modelCount).Select(i => gpuIds[i % gpuIds.Count] is var id && id >= 0 ? $"cuda:{id}" : "cpu")]);
    }

    private static string Visible(int cudaDevices) => cudaDevices == 0 ? "no CUDA device is visible here (only cpu)"
        : $"the visible devices are {string.Join(", ", ["cpu", .. Enumerable.Range(0, cudaDevices).Select(i => $"cuda:{i}")])}";
}

using System.Globalization;
using Microsoft.Extensions.Configuration;
using MoCo.Hosting;
using MoCo.Inference;

namespace MoCo.Inference.Bench;

/// <summary>An inference host for a benchmark: loopback on free ports, CPU, quiet logs, a deep queue (benchmarks
/// flood it on purpose), run-time models under <c>runtime</c>; <c>extra</c> adds or replaces settings.</summary>
internal static class BenchHost
{
    public static Task<RunningService> StartAsync(string root, string runtime, int kvCacheTokens, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Moco:Host:BindAddress"] = "127.0.0.1",
            ["Moco:Host:GrpcPort"] = "0",
            ["Moco:Host:AdminPort"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Moco:Inference:Device"] = "cpu",
            ["Moco:Inference:ModelDirectories:0"] = root,
            ["Moco:Inference:KvCacheTokens"] = kvCacheTokens.ToString(CultureInfo.InvariantCulture),
            ["Moco:Inference:MaxQueuedRequests"] = "1024",
            ["Moco:Inference:TrainedModelsDirectory"] = runtime,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return MocoHost.StartAsync(new InferenceModule(), configure: b => b.Configuration.AddInMemoryCollection(settings));
    }
}

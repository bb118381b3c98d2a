using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Scheduling;
using MoCo.Inference.Serving;
using MoCo.Inference.Text;
using MoCo.Inference.Weights;
using MoCo.Models.Catalog;
using MoCo.Native;

namespace MoCo.Inference;

/// <summary>
/// The inference service as a hostable module: moco.v1.InferenceService over libmoco. At start it opens a
/// native context on the configured device, so a bad device fails the host before it binds a port, and it
/// resolves models through the offline catalogue of config-and-cli.md §2.2.
/// </summary>
public sealed class InferenceModule() : GrpcServiceModule<InferenceGrpcService>(
    "inference", InferenceService.Descriptor.FullName, ServicePorts.Inference, InferenceCapabilities.Pending)
{
    /// <inheritdoc/>
    protected override void ConfigureModule(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(InferenceOptions.Section).Get<InferenceOptions>() ?? new InferenceOptions();
        var env = new MocoEnvironment();
        var device = options.Device ?? env.Device;

        MocoContext context;
        try
        {
            context = MocoContext.Create(device);
        }
        catch (MocoException e)
        {
            throw new MocoConfigurationException(InferenceOptions.Section + ":Device", e.Message,
                "pick one of the devices `moco doctor` lists, or auto");
        }

        var resolver = new ModelResolver([.. options.ModelDirectories, .. env.ModelDirectories],
            Path.Combine(env.InstallDirectory, "models"), ModelResolver.DefaultHuggingFaceCache(Environment.GetEnvironmentVariable));
        builder.Services.AddSingleton(context);
        builder.Services.AddSingleton(resolver);
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<ModelTextCache>();
        builder.Services.AddSingleton<TextCalls>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ModelRegistry>();
        builder.Services.AddSingleton<ModelCalls>();
        builder.Services.AddSingleton<GenerateCall>();
        builder.Services.AddSingleton<ScoreCall>();
        builder.Services.AddSingleton<EmbedCall>();
        builder.Services.AddSingleton<DecodeCall>();
        builder.Services.AddSingleton<EnsembleCall>();
        builder.Services.AddSingleton<TrainCall>();
        builder.Services.AddSingleton<RuntimeModels>();
        builder.Services.AddSingleton<ReadWeightsCall>();
        builder.Services.AddSingleton<WriteModelCall>();
        builder.Services.AddSingleton<MergeCall>();
        builder.Services.AddHostedService<PreloadService>();
        builder.Services.AddSingleton<LoadMetrics>();
        builder.Services.AddHostedService(s => s.GetRequiredService<LoadMetrics>());
        // Results are held to the size the host's transport sends (MocoHostOptions.MaxMessageBytes).
        var host = builder.Configuration.GetSection(MocoHostOptions.Section).Get<MocoHostOptions>() ?? new MocoHostOptions();
        builder.Services.AddSingleton(new RequestLimits { MaxMessageBytes = host.MaxMessageBytes });
        builder.Services.AddSingleton<IExceptionStatusMapper, NativeStatusMapper>();
    }
}

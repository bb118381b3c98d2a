using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Service;
using MoCo.Hosting;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Outbound;

namespace MoCo.Evaluator;

/// <summary>The evaluator service as a hostable module: moco.v1.EvaluatorService on the default ports of
/// contracts.md §9, configured from <c>Moco:Evaluator</c> (<see cref="EvaluatorOptions"/>); judges, reward models and
/// encoders are called on the inference service at <see cref="EvaluatorOptions.InferenceAddress"/>.</summary>
public sealed class EvaluatorModule() : GrpcServiceModule<EvaluatorGrpcService>(
    "evaluator", EvaluatorService.Descriptor.FullName, ServicePorts.Evaluator, EvaluatorCapabilities.Pending)
{
    /// <inheritdoc/>
    protected override void ConfigureModule(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(EvaluatorOptions.Section).Get<EvaluatorOptions>() ?? new EvaluatorOptions();
        if (!Uri.TryCreate(options.InferenceAddress, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new MocoConfigurationException(EvaluatorOptions.Section + ":InferenceAddress", $"\"{options.InferenceAddress}\" is not an http:// or https:// URL",
                "give the inference service's (or the gateway's) gRPC address, e.g. http://127.0.0.1:50051");
        }
        if (options.JudgeParallelism < 1)
        {
            throw new MocoConfigurationException(EvaluatorOptions.Section + ":JudgeParallelism", $"must be ≥ 1, got {options.JudgeParallelism}", "use a small positive number such as 16");
        }
        if (options.SandboxUidBase < 1)
        {
            throw new MocoConfigurationException(EvaluatorOptions.Section + ":SandboxUidBase", $"must be > 0, got {options.SandboxUidBase}", "pick a uid range no account uses, e.g. 1900000000");
        }
        if (options.SandboxAddress is { } sandbox && (!Uri.TryCreate(sandbox, UriKind.Absolute, out var sandboxUri) || sandboxUri.Scheme is not ("http" or "https")))
        {
            throw new MocoConfigurationException(EvaluatorOptions.Section + ":SandboxAddress", $"\"{sandbox}\" is not an http:// or https:// URL",
                $"give the sandbox service's gRPC address, e.g. http://moco-sandbox:{ServicePorts.Sandbox.Grpc}, or leave it unset to run programs in the evaluator");
        }
        builder.Services.AddSingleton<IExceptionStatusMapper, EvaluatorExceptionMapper>();
        // Registered on their own so the host disposes their channels.
        builder.Services.AddSingleton<IInferenceBackend>(s => new GrpcInferenceBackend(options.InferenceAddress, s.GetRequiredService<OutboundChannels>()));
        if (options.SandboxAddress is { } sandboxAddress)
        {
            var tokenSetting = EvaluatorOptions.Section + ":" + nameof(EvaluatorOptions.SandboxToken);
            // Checked here, so a token with a line break stops the host at start rather than the first coding item.
            _ = OutboundChannels.SystemTrust.WithToken(options.SandboxToken, tokenSetting);
            builder.Services.AddSingleton<ICodeSandbox>(s => new RemoteSandbox(sandboxAddress,
                s.GetRequiredService<OutboundChannels>().WithToken(options.SandboxToken, tokenSetting)));
        }
        builder.Services.AddSingleton(services => new EvaluatorRuntime(options, new MocoEnvironment(),
            services.GetRequiredService<IInferenceBackend>(), services.GetRequiredService<ILoggerFactory>(), services.GetService<ICodeSandbox>()));
    }
}

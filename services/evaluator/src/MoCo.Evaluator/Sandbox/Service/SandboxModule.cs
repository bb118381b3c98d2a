using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Hosting;
using MoCo.Hosting.Errors;
using MoCo.Hosting.Security;

namespace MoCo.Evaluator.Sandbox.Service;

/// <summary>The code sandbox as a hostable module (`moco serve sandbox`): moco.v1.SandboxService on ports 50055 / 9055,
/// configured from <c>Moco:Sandbox</c> (<see cref="SandboxOptions"/>). Ready once a probe program has run. With a
/// tokens file, only calls bearing one of its tokens run programs.</summary>
public sealed class SandboxModule() : GrpcServiceModule<SandboxGrpcService>(
    "sandbox", SandboxService.Descriptor.FullName, ServicePorts.Sandbox, new Dictionary<string, string>())
{
    /// <inheritdoc/>
    protected override void ConfigureModule(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SandboxOptions.Section).Get<SandboxOptions>() ?? new SandboxOptions();
        if (options.UidBase < 1)
        {
            throw new MocoConfigurationException(SandboxOptions.Section + ":UidBase", $"must be > 0, got {options.UidBase}", "pick a uid range no account uses, e.g. 1900000000");
        }
        if (options.MaxParallel < 1)
        {
            throw new MocoConfigurationException(SandboxOptions.Section + ":MaxParallel", $"must be ≥ 1, got {options.MaxParallel}", "use at most the pod's CPU count");
        }
        const string tokensSetting = SandboxOptions.Section + ":" + nameof(SandboxOptions.TokensFile);
        var tokens = BearerTokens.Load(options.TokensFile, tokensSetting);
        if (tokens.Required)
        {
            builder.Services.AddSingleton(new BearerTokenInterceptor(tokens, "Moco:Evaluator:SandboxToken", tokensSetting));
            builder.Services.AddGrpc().AddServiceOptions<SandboxGrpcService>(o => o.Interceptors.Add<BearerTokenInterceptor>());
        }
        builder.Services.AddSingleton(options);
        // One instance for every call (gRPC makes one per call otherwise): its slots bound the replica's programs.
        builder.Services.AddSingleton<SandboxGrpcService>();
        builder.Services.AddSingleton<IExceptionStatusMapper, EvaluatorExceptionMapper>();
        builder.Services.AddSingleton(services =>
            LocalSandbox.OfThisMachine(options.UidBase, services.GetRequiredService<ILogger<SandboxRunner>>(), options.PodIsolation));
        builder.Services.AddHealthChecks().AddCheck<SandboxReadiness>("sandbox", tags: [MocoHost.ReadyTag]);
    }
}

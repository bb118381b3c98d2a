using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;

namespace MoCo.Router.Service;

/// <summary>The general keys a router call reads from the context's hyperparameters (methods-api.md §0.1): the config as
/// written, so absent keys take the shared defaults (512 tokens, temperature 0.7, top_p 0.9).</summary>
public static class RouterSettings
{
    /// <summary>StdGen settings of <paramref name="context"/>.</summary>
    public static SamplingSettings Sampling(RouterContext context) => new(
        (int)Number(context.Hyperparameters, "max_response_length", 512),
        Number(context.Hyperparameters, "temperature", 0.7),
        Number(context.Hyperparameters, "top_p", 0.9));

    private static double Number(Struct? hyperparameters, string key, double fallback) =>
        hyperparameters is not null && hyperparameters.Fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.NumberValue
            ? value.NumberValue
            : fallback;
}

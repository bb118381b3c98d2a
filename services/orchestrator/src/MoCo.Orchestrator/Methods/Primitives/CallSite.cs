using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>The fixed part of a call key (config-and-cli.md §5.2): method, compat mode, phase and role. Each call adds
/// its model fingerprint, item key, sample/round/iteration index and request.</summary>
public sealed record CallSite(string Method, CompatMode Compat, string Phase, string Role);

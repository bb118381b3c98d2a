using MoCo.Contracts.V1;

namespace MoCo.Router;

/// <summary>moco.v1.RouterService. Every RPC is pending (see <see cref="RouterCapabilities"/>): the generated base
/// answers UNIMPLEMENTED and the host names what each one needs.</summary>
public sealed class RouterGrpcService : RouterService.RouterServiceBase;

using MoCo.Contracts.V1;
using MoCo.Gateway;
using MoCo.Hosting;

return await MocoHost.RunAsync(new GatewayModule(
[
    CommonReflection.Descriptor, InferenceReflection.Descriptor, RouterReflection.Descriptor,
    EvaluatorReflection.Descriptor, OrchestratorReflection.Descriptor,
]), args);

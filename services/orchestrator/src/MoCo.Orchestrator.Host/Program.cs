using MoCo.Hosting;
using MoCo.Orchestrator;

return await MocoHost.RunAsync(new OrchestratorModule(), args);

using MoCo.Hosting;
using MoCo.Evaluator;

return await MocoHost.RunAsync(new EvaluatorModule(), args);

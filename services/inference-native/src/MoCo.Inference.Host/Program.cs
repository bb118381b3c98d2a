using MoCo.Hosting;
using MoCo.Inference;

return await MocoHost.RunAsync(new InferenceModule(), args);

using MoCo.Hosting;
using MoCo.Router;

return await MocoHost.RunAsync(new RouterModule(), args);

using MoCo.Cli;

return await MocoCommandLine.InvokeAsync(args);

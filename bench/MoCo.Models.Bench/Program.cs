using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using MoCo.Models.Bench;

// Run: dotnet run -c Release --project bench/MoCo.Models.Bench -- --filter '*'
// The token count is computed here too: BenchmarkDotNet runs benchmarks in child processes, and the
// summary (with the Tokens/s column) is printed by this one.
new EncodeBenchmarks().Setup();
BenchmarkSwitcher.FromAssembly(typeof(EncodeBenchmarks).Assembly)
    .Run(args, DefaultConfig.Instance.AddColumn(new TokensPerSecondColumn()));

using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Sandbox.Service;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Service;
using MoCo.Evaluator.Tests.Support;
using MoCo.Hosting;
using MoCo.Hosting.Errors;
using MoCo.Testing;
using static MoCo.Evaluator.Tests.Support.EvaluatorCalls;
using SandboxLimits = MoCo.Evaluator.Sandbox.SandboxLimits;

namespace MoCo.Evaluator.Tests.Sandbox;

/// <summary>The code sandbox as a service of its own (sandbox.proto, `moco serve sandbox`): programs end the same
/// there as in the evaluator, an evaluator given its address runs every program there, and a pod that is its own
/// boundary runs programs without namespaces and without the sandbox_weak flag.</summary>
[Collection(SandboxCollection.Name)]
public sealed class SandboxServiceTests(EvaluatorServiceFixture evaluator) : IClassFixture<EvaluatorServiceFixture>, IAsyncLifetime
{
    private RunningService _sandbox = null!;
    private GrpcChannel _channel = null!;

    private string Address => _sandbox.GrpcAddress.ToString().TrimEnd('/');
    private SandboxService.SandboxServiceClient Client => new(_channel);

    public async Task InitializeAsync()
    {
        _sandbox = await LoopbackHost.StartAsync(new SandboxModule(), ("Moco:Sandbox:MaxParallel", "4"));
        _channel = GrpcChannel.ForAddress(_sandbox.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _sandbox.DisposeAsync();
    }

    [SandboxFact]
    public async Task Programs_end_the_same_through_the_service_as_in_the_evaluator()
    {
        using var remote = new RemoteSandbox(Address);
        var limits = CodingAcceptanceTests.Fast with { TimeoutSeconds = 2 };
        foreach (var output in new[]
        {
            "def add(a, b):\n    return a + b\n",
            "def add(a, b):\n    return a * b\n",
            "```py\ndef add(a, b):\n    return a + b\n```",
            "x = input()\ndef add(a, b):\n    return a + b\n",
            "def add(a, b):\n    block = bytearray(1 << 30)\n    return a + b\n",
            "import sys\ndef add(a, b):\n    return a * b\nsys.exit(0)\n",
            "def add(a, b):\n    while True:\n        pass\n",
            "def add(a, b):\n    print('x' * (2 << 20))\n    return a + b\n",
        })
        {
            var local = await CodingAcceptanceTests.Run(output, limits: limits);
            var served = await CodingAcceptanceTests.Run(output, limits: limits, sandbox: remote);
            Assert.True(local.Error is null && served.Error is null, $"{output}: {local.Error?.Message} / {served.Error?.Message}");
            Assert.Equal((local.Score, local.Detail!.SandboxStatus, local.Detail.StderrTail, string.Join(",", local.Flags)),
                (served.Score, served.Detail!.SandboxStatus, served.Detail.StderrTail, string.Join(",", served.Flags)));
        }
    }

    [SandboxFact]
    public async Task An_evaluator_given_the_address_runs_coding_items_there_and_records_its_interpreter()
    {
        await using var replica = await evaluator.StartAsync(("Moco:Evaluator:SandboxAddress", Address));
        using var channel = GrpcChannel.ForAddress(replica.GrpcAddress);
        var client = new EvaluatorService.EvaluatorServiceClient(channel);
        var (_, humaneval) = await client.LoadAsync(new LoadDatasetRequest { Task = "humaneval", Split = Split.Dev });
        var index = humaneval.Single(i => i.Id == "HumanEval/28").Index;
        const string join = "from typing import List\n\ndef concatenate(strings: List[str]) -> str:\n    return ''.join(strings)\n";

        var (right, summary) = await client.EvaluateAsync(Header("humaneval", Split.Dev), [Output(join, index)]);
        var (wrong, _) = await client.EvaluateAsync(Header("humaneval", Split.Dev), [Output(join.Replace("''", "' '"), index)]);

        Assert.Equal((1.0, SandboxStatus.Passed), (Assert.Single(right).Score!.Value, right[0].Detail.SandboxStatus));
        Assert.Equal((0.0, SandboxStatus.AssertionFailed), (Assert.Single(wrong).Score!.Value, wrong[0].Detail.SandboxStatus));
        var prepared = await Client.PrepareSandboxAsync(new PrepareSandboxRequest());
        Assert.Equal(prepared.Python, summary.Sandbox.Python);
        Assert.Equal(SandboxIsolation.Namespaces, prepared.Isolation);
    }

    [Fact]
    public async Task An_unreachable_sandbox_service_is_unavailable_naming_its_address_never_a_score()
    {
        const string nowhere = "http://127.0.0.1:9";
        await using var replica = await evaluator.StartAsync(("Moco:Evaluator:SandboxAddress", nowhere));
        using var channel = GrpcChannel.ForAddress(replica.GrpcAddress);
        var client = new EvaluatorService.EvaluatorServiceClient(channel);

        var e = await Assert.ThrowsAsync<RpcException>(() => client.EvaluateAsync(Header("humaneval", Split.Dev), [Output("def f():\n    pass\n", 0)]));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(Reasons.SandboxUnavailable, MocoErrors.ErrorInfos(e).Single().Reason);
        Assert.Contains(nowhere, e.Status.Detail);
        Assert.Contains("SandboxAddress", e.Status.Detail);

        var tasks = await client.ListTasksAsync(new ListTasksRequest());
        var coding = tasks.TaskTypes.Single(t => t.Name == "coding");
        Assert.False(coding.Available);
        Assert.Contains(nowhere, coding.UnavailableReason);
    }

    [Fact]
    public async Task Bad_requests_name_the_field()
    {
        var empty = await Assert.ThrowsAsync<RpcException>(() => Client.RunProgramAsync(new RunProgramRequest()).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "program"), (empty.StatusCode, MocoErrors.FieldViolations(empty).Single().Field));

        var limits = await Assert.ThrowsAsync<RpcException>(() => Client.RunProgramAsync(new RunProgramRequest
        {
            Program = "print(1)\n",
            Limits = new Contracts.V1.SandboxLimits { TimeoutS = -1, MemoryMb = 0 },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, limits.StatusCode);
        Assert.Equal(["limits.timeout_s", "limits.memory_mb"], MocoErrors.FieldViolations(limits).Select(v => v.Field));
    }

    [SandboxFact]
    public async Task A_reply_carries_every_field_of_the_run()
    {
        const string program = "import sys\nprint('début', 'MARK')\nprint('é' * 3000, file=sys.stderr)\nraise MemoryError\n";
        var request = new RunProgramRequest { Program = program, Limits = new Contracts.V1.SandboxLimits { TimeoutS = 5 }, StdoutMarkers = { "MARK", "absent" } };
        var reply = await Client.RunProgramAsync(request);
        Assert.Equal(1, reply.ExitCode);
        Assert.Equal([true, false], reply.StdoutMarkersSeen);
        Assert.True(reply.MemoryError);
        Assert.False(reply.AssertionError || reply.TimedOut || reply.OutputExceeded || reply.StdoutTruncated || reply.StderrTruncated);
        Assert.Equal("début MARK\n", reply.StdoutTail);
        Assert.EndsWith("MemoryError\n", reply.StderrTail);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(reply.StderrTail), BoundedCapture.TailBytes - 1, BoundedCapture.TailBytes);
        Assert.Equal("", reply.Failure);

        var run = SandboxWire.FromWire(reply, 2, Address);
        Assert.Equal(reply, SandboxWire.ToWire(run));
        Assert.Contains("2 stdout markers for 1", SandboxWire.FromWire(reply, 1, Address).Failure);
    }

    [SandboxFact]
    public async Task Without_namespaces_a_sandbox_pod_runs_programs_as_pod_isolation_without_the_weak_flag()
    {
        var all = SandboxTools.Find().Paths;
        var noUnshare = new SandboxTools(all.Where(p => p.Key != "unshare").ToDictionary());
        var uids = new SandboxUidPool(new EvaluatorOptions().SandboxUidBase + 2_000_000);
        var pod = new LocalSandbox(new SandboxRunner(noUnshare, uids, NullLogger<SandboxRunner>.Instance, podIsolation: true), new PythonLocator(_ => null));
        var plain = new LocalSandbox(new SandboxRunner(noUnshare, uids, NullLogger<SandboxRunner>.Instance), new PythonLocator(_ => null));
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : null;
        var limits = CodingAcceptanceTests.Fast with { Python = python };

        Assert.Equal(SandboxMode.Pod, (await pod.PrepareAsync(limits, CancellationToken.None)).Mode);
        var refused = await Assert.ThrowsAsync<EvaluatorException>(() => plain.PrepareAsync(limits, CancellationToken.None));
        Assert.Contains("allow_weak_isolation", refused.Message);

        var inPod = await CodingAcceptanceTests.Run("def add(a, b):\n    return a + b\n", limits: limits, sandbox: pod);
        Assert.Equal((1.0, SandboxStatus.Passed), (inPod.Score!.Value, inPod.Detail!.SandboxStatus));
        Assert.DoesNotContain(ItemFlags.SandboxWeak, inPod.Flags);
        var weak = await CodingAcceptanceTests.Run("def add(a, b):\n    return a + b\n", limits: limits with { AllowWeakIsolation = true }, sandbox: plain);
        Assert.Contains(ItemFlags.SandboxWeak, weak.Flags);

        var session = await pod.PrepareAsync(limits, CancellationToken.None);
        var run = await pod.RunAsync("import os\nprint(os.getuid())\n", session, limits, [], CancellationToken.None);
        Assert.Equal((0, SandboxMode.Pod), (run.ExitCode!.Value, run.Mode));
        Assert.NotEqual("0", run.Stdout.Last.Trim());
    }

    [SandboxFact]
    public async Task A_replica_runs_at_most_max_parallel_programs_at_once_over_all_calls()
    {
        await using var single = await LoopbackHost.StartAsync(new SandboxModule(), ("Moco:Sandbox:MaxParallel", "1"));
        using var channel = GrpcChannel.ForAddress(single.GrpcAddress);
        var client = new SandboxService.SandboxServiceClient(channel);
        // CLOCK_MONOTONIC is the machine's, whatever namespaces a program has: each prints when it ran.
        const string program = "import time\nstart = time.monotonic()\ntime.sleep(0.3)\nprint(start, time.monotonic())\n";
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            (await client.RunProgramAsync(new RunProgramRequest { Program = program, Limits = new Contracts.V1.SandboxLimits { TimeoutS = 20 } })).StdoutTail));
        var spans = runs.Select(r => r.Split(' ').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            .OrderBy(s => s[0]).ToList();
        for (var i = 1; i < spans.Count; i++)
        {
            Assert.True(spans[i][0] >= spans[i - 1][1], $"programs overlapped: {string.Join(" | ", runs)}");
        }
    }

    [SandboxFact]
    public async Task The_service_is_ready_once_its_probe_program_ran()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(_channel);
        var reply = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = SandboxService.Descriptor.FullName });
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}

using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using MoCo.Contracts.V1;
using Status = Grpc.Core.Status;

namespace MoCo.Contracts.Tests.Affinity;

/// <summary>
/// A SUBSTITUTE for the gateway and its inference replicas, in memory, routing as contracts.md §9 does: a call whose
/// moco-replica names a live replica goes there; any other goes to the replica that serves its model's group
/// (<see cref="Homes"/>), else to <see cref="DefaultReplica"/>. Replicas hold models: catalogue models wherever a test
/// puts them, run-time models where Merge or Train made them. Merge, ModelInfo, Generate and Train are served; every
/// response names its replica in moco-replica, and a model a replica lacks is NOT_FOUND MODEL_NOT_FOUND.
/// </summary>
internal sealed class FakeGateway : CallInvoker
{
    public const string DefaultReplica = "r-default";

    /// <summary>Models by replica.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, ModelOrigin>> Replicas { get; } = new();

    /// <summary>The replica a model's group sends calls to (models no group lists go to the default).</summary>
    public Dictionary<string, string> Homes { get; } = [];

    /// <summary>Every call: method name, model header, replica header sent, replica that answered.</summary>
    public ConcurrentQueue<(string Method, string? Model, string? Pin, string Replica)> Calls { get; } = new();

    public int Merges => Calls.Count(c => c.Method == "Merge");

    public FakeGateway(params string[] replicas)
    {
        foreach (var replica in replicas.Append(DefaultReplica))
        {
            Replicas[replica] = new ConcurrentDictionary<string, ModelOrigin>(StringComparer.Ordinal);
        }
    }

    public void Put(string replica, string model) => Replicas[replica][model] = ModelOrigin.Catalogue;

    public void Drop(string replica) => Replicas.TryRemove(replica, out _);

    public bool Holds(string replica, string model) => Replicas.TryGetValue(replica, out var models) && models.ContainsKey(model);

    private string Route<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
    {
        var model = options.Headers?.GetValue(RoutingHeaders.Model);
        var pin = options.Headers?.GetValue(RoutingHeaders.Replica);
        var replica = pin is not null && Replicas.ContainsKey(pin) ? pin
            : model is not null && Homes.TryGetValue(model, out var home) && Replicas.ContainsKey(home) ? home
            : DefaultReplica;
        Calls.Enqueue((method.Name, model, pin, replica));
        return replica;
    }

    private ConcurrentDictionary<string, ModelOrigin> Require(string replica, string model) =>
        Holds(replica, model) ? Replicas[replica] : throw NotFound(model);

    public static RpcException NotFound(string model) => new Google.Rpc.Status
    {
        Code = (int)Code.NotFound,
        Message = $"model '{model}' not found",
        Details = { Any.Pack(new ErrorInfo { Reason = "MODEL_NOT_FOUND", Domain = "moco.v1", Metadata = { ["model"] = model } }) },
    }.ToRpcException();

    private static Metadata Answered(string replica) => new() { { RoutingHeaders.Replica, replica } };

    private object Unary(string method, string replica, object request) => request switch
    {
        MergeRequest merge => Merge(replica, merge),
        ModelInfoRequest info => new ModelInfoResponse
        {
            Summary = new ModelSummary { Id = info.Model, Origin = Require(replica, info.Model)[info.Model] },
        },
        _ => throw new RpcException(new Status(StatusCode.Unimplemented, method)),
    };

    private MergeResponse Merge(string replica, MergeRequest merge)
    {
        foreach (var input in merge.Inputs)
        {
            Require(replica, input.Model);
        }
        Replicas[replica][merge.OutputId] = ModelOrigin.Runtime;
        return new MergeResponse { ModelId = merge.OutputId };
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        (TResponse)Unary(method.Name, Route(method, options), request);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options,
        TRequest request)
    {
        var replica = Route(method, options);
        Task<TResponse> response;
        try
        {
            response = Task.FromResult((TResponse)Unary(method.Name, replica, request));
        }
        catch (RpcException e)
        {
            response = Task.FromException<TResponse>(e);
        }
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(Answered(replica)), () => Status.DefaultSuccess, () => [], () => { });
    }

    /// <summary>Generate: <see cref="Messages"/> deltas then a final message, or NOT_FOUND at the first read; with
    /// <see cref="FailAfterFirst"/> the stream breaks after its first message.</summary>
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options, TRequest request)
    {
        var replica = Route(method, options);
        var generate = (GenerateRequest)(object)request;
        IEnumerable<TResponse> Stream()
        {
            Require(replica, generate.Model);
            yield return (TResponse)(object)new GenerateResponse { Final = new GenerateFinal { Text = $"{generate.Model}@{replica}" } };
            if (FailAfterFirst)
            {
                throw NotFound(generate.Model);
            }
        }
        return new AsyncServerStreamingCall<TResponse>(new Reader<TResponse>(Stream().GetEnumerator()), Task.FromResult(Answered(replica)),
            () => Status.DefaultSuccess, () => [], () => { });
    }

    public bool FailAfterFirst { get; set; }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options) => throw new RpcException(new Status(StatusCode.Unimplemented, method.Name));

    /// <summary>Train: the job arrives, the replica the base model is routed to gains the output id, and the stream
    /// answers started then done; NOT_FOUND at the first read when that replica lacks the base.</summary>
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options)
    {
        var replica = Route(method, options);
        var responses = new List<TResponse>();
        RpcException? failure = null;
        var writer = new Writer<TRequest>(request =>
        {
            var job = ((TrainRequest)(object)request).Job;
            if (!Holds(replica, job.BaseModel))
            {
                failure = NotFound(job.BaseModel);
                return;
            }
            Replicas[replica][job.OutputId] = ModelOrigin.Runtime;
            responses.Add((TResponse)(object)new TrainResponse { Started = new TrainStarted { TotalSteps = 1 } });
            responses.Add((TResponse)(object)new TrainResponse { Done = new TrainDone { ModelId = job.OutputId } });
        });
        IEnumerator<TResponse> Read()
        {
            for (var i = 0; i < responses.Count || failure is not null; i++)
            {
                yield return failure is null ? responses[i] : throw failure;
            }
        }
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(writer, new Reader<TResponse>(Read()), Task.FromResult(Answered(replica)),
            () => Status.DefaultSuccess, () => [], () => { });
    }

    private sealed class Reader<T>(IEnumerator<T> items) : IAsyncStreamReader<T>
    {
        public T Current => items.Current;

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(items.MoveNext());
    }

    private sealed class Writer<T>(Action<T> write) : IClientStreamWriter<T>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task CompleteAsync() => Task.CompletedTask;

        public Task WriteAsync(T message)
        {
            write(message);
            return Task.CompletedTask;
        }
    }
}

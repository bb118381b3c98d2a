using Grpc.Core;
using MoCo.Hosting.Errors;

namespace MoCo.Evaluator.Errors;

/// <summary>Lets evaluator code throw <see cref="EvaluatorException"/>: the host's error interceptor turns it into
/// the rich gRPC error it describes.</summary>
public sealed class EvaluatorExceptionMapper : IExceptionStatusMapper
{
    /// <inheritdoc/>
    public RpcException? Map(Exception exception) => (exception as EvaluatorException)?.ToRpcException();
}

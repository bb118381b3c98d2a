using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;

namespace MoCo.Inference.Serving;

/// <summary>Reads the client's messages while a Train job runs: cancel stops the job; rewards go to a policy-gradient
/// job (<paramref name="rewards"/>), whose steps await them; anything else is out of order, which stops the job with
/// INVALID_ARGUMENT. The stream's end closes the rewards, so a step still waiting fails instead of hanging.</summary>
internal sealed class TrainListener(IAsyncStreamReader<TrainRequest> requests, CancellationTokenSource stop, ChannelWriter<TrainRewards>? rewards = null)
{
    /// <summary>The error to answer instead of CANCELLED when a bad message stopped the job.</summary>
    public RpcException? Error { get; private set; }

    /// <summary>INVALID_ARGUMENT for a message the job does not expect now.</summary>
    public static RpcException OutOfOrder(TrainRequest message) => message.PayloadCase switch
    {
        TrainRequest.PayloadOneofCase.Job => MocoErrors.InvalidArgument(new Problem("job", "INVALID_VALUE", "job is the first message only")),
        TrainRequest.PayloadOneofCase.Rewards => MocoErrors.InvalidArgument(new Problem("rewards", "INVALID_VALUE", "rewards answer rollouts, which only TRAIN_KIND_POLICY_GRADIENT sends")),
        TrainRequest.PayloadOneofCase.Examples or TrainRequest.PayloadOneofCase.ExamplesDone =>
            MocoErrors.InvalidArgument(new Problem(message.PayloadCase == TrainRequest.PayloadOneofCase.Examples ? "examples" : "examples_done", "INVALID_VALUE", "the examples already ended with examples_done")),
        _ => MocoErrors.InvalidArgument(new Problem("payload", "MISSING_FIELD", "a Train message needs a payload")),
    };

    /// <summary>Listens until the stream ends or the job stops.</summary>
    public async Task ListenAsync()
    {
        try
        {
            while (await requests.MoveNext(stop.Token).ConfigureAwait(false))
            {
                if (requests.Current.PayloadCase == TrainRequest.PayloadOneofCase.Rewards && rewards is not null)
                {
                    rewards.TryWrite(requests.Current.Rewards);
                    continue;
                }
                if (requests.Current.PayloadCase != TrainRequest.PayloadOneofCase.Cancel)
                {
                    Error = OutOfOrder(requests.Current);
                }
                await stop.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            rewards?.TryComplete();
        }
    }
}

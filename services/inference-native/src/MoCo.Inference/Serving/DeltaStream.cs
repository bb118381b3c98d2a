using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;

namespace MoCo.Inference.Serving;

/// <summary>
/// Sends a loop's output to the caller, merging the deltas that queued up while earlier writes were in flight. The loop
/// emits one delta per token, and a small model draws tokens faster than HTTP/2 frames go out: sent one by one, each
/// costs a frame, a flush and a wake-up of the client. A sample's waiting deltas become one (token ids and log-probs
/// in order, texts concatenated), which the contract allows; nothing is ever held back to wait for more, and each
/// sample's messages keep their order (its final after its deltas).
/// </summary>
internal static class DeltaStream
{
    /// <summary>Writes every message of <paramref name="output"/> to <paramref name="stream"/> until the output completes
    /// (rethrowing what it completed with); <paramref name="delta"/> finds a message's delta, or null.</summary>
    public static async Task CopyAsync<T>(ChannelReader<T> output, IAsyncStreamWriter<T> stream, Func<T, GenerateDelta?> delta)
    {
        var waiting = new List<T>();
        var open = new Dictionary<int, GenerateDelta>();
        while (await output.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            waiting.Clear();
            open.Clear();
            while (output.TryRead(out var message))
            {
                if (delta(message) is { } d)
                {
                    if (open.TryGetValue(d.SampleIndex, out var into))
                    {
                        into.TokenIds.Add(d.TokenIds);
                        into.Text += d.Text;
                        into.Logprobs.Add(d.Logprobs);
                        continue;
                    }
                    open[d.SampleIndex] = d;
                }
                waiting.Add(message);
            }
            foreach (var message in waiting)
            {
                await stream.WriteAsync(message).ConfigureAwait(false);
            }
        }
    }
}

using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Serving;

namespace MoCo.Inference.Tests.Serving;

/// <summary>DeltaStream: the deltas that wait together go out merged per sample, in order, each sample's final after its
/// deltas; what the output completes with reaches the caller.</summary>
public sealed class DeltaStreamTests
{
    private static GenerateResponse Delta(int sample, int token, string text, float logprob)
    {
        var delta = new GenerateDelta { SampleIndex = sample, Text = text, TokenIds = { token } };
        delta.Logprobs.Add(new TokenLogprob { TokenId = token, Value = logprob });
        return new GenerateResponse { Delta = delta };
    }

    private static GenerateResponse Final(int sample) => new() { Final = new GenerateFinal { SampleIndex = sample } };

    [Fact]
    public async Task Waiting_deltas_of_a_sample_merge_in_order_and_its_final_follows_them()
    {
        var output = Channel.CreateUnbounded<GenerateResponse>();
        foreach (var message in new[]
        {
            Delta(0, 11, "a", -0.5f), Delta(1, 21, "x", -1f), Delta(0, 12, "b", -0.25f), Final(1), Delta(0, 13, "", -2f), Final(0),
        })
        {
            output.Writer.TryWrite(message);
        }
        output.Writer.Complete();
        var sent = new Recorder();

        await DeltaStream.CopyAsync(output.Reader, sent, m => m.Delta);

        Assert.Equal(4, sent.Messages.Count);
        var first = sent.Messages[0].Delta;
        Assert.Equal((0, "ab"), (first.SampleIndex, first.Text));
        Assert.Equal([11, 12, 13], first.TokenIds);
        Assert.Equal([-0.5f, -0.25f, -2f], first.Logprobs.Select(l => l.Value));
        Assert.Equal((1, "x", 21), (sent.Messages[1].Delta.SampleIndex, sent.Messages[1].Delta.Text, Assert.Single(sent.Messages[1].Delta.TokenIds)));
        Assert.Equal(1, sent.Messages[2].Final.SampleIndex);
        Assert.Equal(0, sent.Messages[3].Final.SampleIndex);
    }

    [Fact]
    public async Task A_delta_arriving_after_a_write_is_sent_on_its_own()
    {
        var output = Channel.CreateUnbounded<GenerateResponse>();
        output.Writer.TryWrite(Delta(0, 11, "a", 0));
        // The recorder adds the next token while the first write is in flight: nothing waits for it.
        var sent = new Recorder { OnWrite = n => n == 1 && output.Writer.TryWrite(Delta(0, 12, "b", 0)) && output.Writer.TryComplete() };

        await DeltaStream.CopyAsync(output.Reader, sent, m => m.Delta);

        Assert.Equal(["a", "b"], sent.Messages.Select(m => m.Delta.Text));
    }

    [Fact]
    public async Task An_output_completed_with_an_error_throws_it_after_sending_what_came_before()
    {
        var output = Channel.CreateUnbounded<GenerateResponse>();
        output.Writer.TryWrite(Delta(0, 11, "a", 0));
        output.Writer.Complete(new OperationCanceledException("stopped"));
        var sent = new Recorder();

        var error = await Assert.ThrowsAsync<OperationCanceledException>(() => DeltaStream.CopyAsync(output.Reader, sent, m => m.Delta));

        Assert.Equal("stopped", error.Message);
        Assert.Single(sent.Messages);
    }

    private sealed class Recorder : IServerStreamWriter<GenerateResponse>
    {
        public List<GenerateResponse> Messages { get; } = [];

        public Func<int, bool>? OnWrite { get; init; }

        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(GenerateResponse message)
        {
            Messages.Add(message.Clone());
            OnWrite?.Invoke(Messages.Count);
            return Task.CompletedTask;
        }
    }
}

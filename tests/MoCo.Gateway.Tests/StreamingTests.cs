using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using MoCo.Contracts;
using MoCo.Gateway.Configuration;
using MoCo.Gateway.Tests.Fakes;
using MoCo.Gateway.Tests.Support;

namespace MoCo.Gateway.Tests;

public sealed class StreamingTests : IAsyncLifetime
{
    private Replica _inference = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _inference = await TestHosts.StartReplicaAsync(GatewayBackends.Inference);
        _gateway = await TestHosts.StartGatewayAsync(new GatewayOptions().Fast().AddGroup("default", [], _inference));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _inference.DisposeAsync();
    }

    [Fact]
    public async Task A_bidirectional_stream_answers_each_message_before_the_next_is_sent()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var chat = new InferenceService.InferenceServiceClient(_gateway.Channel).Chat(cancellationToken: timeout.Token);

        // Lock-step: a gateway that buffered the request stream would never deliver the first reply.
        for (var i = 0; i < 50; i++)
        {
            await chat.RequestStream.WriteAsync(new GatewayTestRequest { Text = $"step {i}" });
            Assert.True(await chat.ResponseStream.MoveNext(timeout.Token));
            Assert.Equal($"step {i}", chat.ResponseStream.Current.Text);
        }
        Assert.Equal(_inference.Id, (await chat.ResponseHeadersAsync).GetValue(RoutingHeaders.Replica));
        await chat.RequestStream.CompleteAsync();
        Assert.False(await chat.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(StatusCode.OK, chat.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Large_messages_and_long_streams_pass_intact()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var chat = new InferenceService.InferenceServiceClient(_gateway.Channel).Chat(cancellationToken: timeout.Token);
        // Nine 4 MiB chunks (contracts.md §0) exceed Kestrel's 30 MB request body default; the last message is near the 8 MiB limit.
        var sizes = Enumerable.Repeat(4 * 1024 * 1024, 9).Append(8 * 1024 * 1024 - 1024).ToList();

        var reading = Task.Run(async () =>
        {
            var hashes = new List<string>();
            while (await chat.ResponseStream.MoveNext(timeout.Token))
            {
                hashes.Add(Convert.ToHexString(SHA256.HashData(chat.ResponseStream.Current.Payload.Span)));
            }
            return hashes;
        });
        var sent = new List<string>();
        for (var i = 0; i < sizes.Count; i++)
        {
            var payload = RandomNumberGenerator.GetBytes(sizes[i]);
            sent.Add(Convert.ToHexString(SHA256.HashData(payload)));
            await chat.RequestStream.WriteAsync(new GatewayTestRequest { Text = $"chunk {i}", Payload = ByteString.CopyFrom(payload) });
        }
        await chat.RequestStream.CompleteAsync();

        Assert.Equal(sent, await reading);
        Assert.Equal(StatusCode.OK, chat.GetStatus().StatusCode);
    }
}

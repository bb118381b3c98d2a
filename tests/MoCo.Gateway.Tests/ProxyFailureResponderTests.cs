using MoCo.Gateway.Routing;

namespace MoCo.Gateway.Tests;

public sealed class ProxyFailureResponderTests
{
    [Theory]
    [InlineData("plain text: ok", "plain text: ok")]
    [InlineData("100% down", "100%25 down")]
    [InlineData("réplica", "r%C3%A9plica")]
    [InlineData("line\nbreak", "line%0Abreak")]
    public void Grpc_messages_are_percent_encoded_as_the_protocol_asks(string message, string encoded) =>
        Assert.Equal(encoded, GrpcTrailersOnly.PercentEncode(message));
}

using System.Net;
using Grpc.Health.V1;
using HealthClient = Grpc.Health.V1.Health.HealthClient;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using MoCo.Hosting.Tests.Probe;

namespace MoCo.Hosting.Tests;

public sealed class HostTests : IAsyncLifetime
{
    private readonly ProbeModule _module = new();
    private RunningService _host = null!;
    private GrpcChannel _channel = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _host = await ProbeModule.StartAsync(_module);
        _channel = GrpcChannel.ForAddress(_host.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Binds_two_distinct_ephemeral_ports_and_serves_grpc()
    {
        Assert.NotEqual(_host.GrpcAddress.Port, _host.AdminAddress.Port);
        Assert.NotEqual(0, _host.GrpcAddress.Port);
        var reply = await new ProbeService.ProbeServiceClient(_channel).CallAsync(new ProbeRequest { Text = "hi", Mode = "echo" });
        Assert.Equal("hi", reply.Text);
    }

    [Fact]
    public async Task Admin_endpoints_answer_only_on_the_admin_port()
    {
        var healthz = await _http.GetAsync(new Uri(_host.AdminAddress, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);

        // The gRPC listener speaks only HTTP/2; an HTTP/1.1 probe gets no health answer there.
        var onGrpcPort = await _http.GetAsync(new Uri(_host.GrpcAddress, "/healthz"));
        Assert.False(onGrpcPort.IsSuccessStatusCode, $"HTTP/1.1 /healthz on the gRPC port answered {onGrpcPort.StatusCode}");

        // A gRPC path on the admin listener is not a route there.
        var grpcPathOnAdmin = await _http.PostAsync(new Uri(_host.AdminAddress, "/moco.testing.ProbeService/Call"), new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.NotFound, grpcPathOnAdmin.StatusCode);
    }

    [Fact]
    public async Task Readiness_drives_readyz_and_grpc_health()
    {
        var health = new HealthClient(_channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "moco.testing.ProbeService" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(_host.AdminAddress, "/readyz"))).StatusCode);

        _module.Readiness.Ready = false;

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing,
            (await health.CheckAsync(new HealthCheckRequest { Service = "moco.testing.ProbeService" })).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing,
            (await health.CheckAsync(new HealthCheckRequest { Service = "" })).Status);
        var readyz = await _http.GetAsync(new Uri(_host.AdminAddress, "/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Contains("models loading: 0 of 1", await readyz.Content.ReadAsStringAsync());
        // Liveness is not readiness: a loading replica is alive.
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(_host.AdminAddress, "/healthz"))).StatusCode);
    }

    [Fact]
    public async Task Grpc_health_of_an_unknown_service_is_not_found()
    {
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await new HealthClient(_channel).CheckAsync(new HealthCheckRequest { Service = "moco.v1.NoSuchService" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Reflection_lists_the_module_services_and_health()
    {
        var reflection = new ServerReflection.ServerReflectionClient(_channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("moco.testing.ProbeService", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Fact]
    public async Task Metrics_are_served_in_prometheus_text_format()
    {
        await new ProbeService.ProbeServiceClient(_channel).CallAsync(new ProbeRequest { Text = "count me", Mode = "echo" });
        var metrics = await _http.GetAsync(new Uri(_host.AdminAddress, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Contains("/moco.testing.ProbeService/Call", text);
    }

    [Fact]
    public async Task Every_response_names_the_instance_that_served_it()
    {
        var call = new ProbeService.ProbeServiceClient(_channel).CallAsync(new ProbeRequest { Text = "who", Mode = "echo" });
        var headers = await call.ResponseHeadersAsync;
        Assert.Equal($"probe@{Environment.MachineName}:{_host.GrpcAddress.Port}", headers.GetValue(ServedBy.Header));
        await call;
    }
}

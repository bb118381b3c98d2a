using System.Net.Sockets;

namespace MoCo.Testing;

/// <summary>What tests that start containers through Testcontainers share.</summary>
public static class DockerApi
{
    /// <summary>Testcontainers speaks Docker API 1.44 unless told otherwise, newer than Debian 12's docker.io (1.41):
    /// it is told the local daemon's version, as its /_ping answers, unless DOCKER_HOST or DOCKER_API_VERSION is set.</summary>
    public static async Task UseDaemonVersionAsync()
    {
        const string socket = "/var/run/docker.sock";
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is not null || Environment.GetEnvironmentVariable("DOCKER_API_VERSION") is not null
            || !File.Exists(socket))
        {
            return;
        }
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancel);
                return new NetworkStream(unix, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var ping = await http.GetAsync(new System.Uri("http://docker/_ping"));
        if (ping.Headers.TryGetValues("API-Version", out var versions))
        {
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", versions.First());
        }
    }
}

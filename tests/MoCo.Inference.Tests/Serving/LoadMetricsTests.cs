using System.Diagnostics.Metrics;
using Grpc.Core;
using MoCo.Inference.Scheduling;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Serving;

[Collection(ServingCollection.Name)]
public sealed class LoadMetricsTests(ServingHost host)
{
    private static readonly int[] Prompt = GoldenModels.GoldenCase("llama_gqa_rope_llama3", 0).Prompt;

    // The gauges' values for one model, as a scrape reads them.
    private Dictionary<string, int> Scrape(string model)
    {
        var values = new Dictionary<string, int>();
        using var listener = new MeterListener();
        var meter = host.LoadMetrics.Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => t.Key == "model" && (string?)t.Value == model))
            {
                values[instrument.Name] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    [Fact]
    public async Task The_gauges_count_requests_waiting_for_a_held_loop_and_fall_to_zero_once_they_are_served()
    {
        await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, Prompt, 2));
        Assert.Equal(0, Scrape(GoldenModels.Llama)[LoadMetrics.Queued]);

        List<Grpc.Core.AsyncServerStreamingCall<MoCo.Contracts.V1.GenerateResponse>> calls;
        using (var hold = host.Hold(GoldenModels.Llama))
        {
            calls = [.. Enumerable.Range(0, 3).Select(_ => host.Client.Generate(Requests.Generate(GoldenModels.Llama, Prompt, 2)))];
            foreach (var call in calls)
            {
                Assert.True(await call.ResponseStream.MoveNext(default));
            }
            var held = Scrape(GoldenModels.Llama);
            Assert.Equal((3, 0), (held[LoadMetrics.Queued], held[LoadMetrics.Running]));
        }
        foreach (var call in calls)
        {
            // The header was read while held; the rest ends with the final message.
            var rest = await call.ResponseStream.ReadAllAsync().ToListAsync();
            Assert.NotNull(rest[^1].Final);
            call.Dispose();
        }
        var served = Scrape(GoldenModels.Llama);
        Assert.Equal((0, 0), (served[LoadMetrics.Queued], served[LoadMetrics.Running]));
    }

    [Fact]
    public async Task The_admin_port_exports_the_gauges_under_the_names_the_helm_charts_autoscaler_reads()
    {
        await Generation.RunAsync(host.Client, Requests.Generate(GoldenModels.Llama, Prompt, 2));
        using var http = new HttpClient();

        var metrics = await http.GetStringAsync(new Uri(host.AdminAddress, "/metrics"));

        foreach (var name in new[] { "moco_inference_queued_requests", "moco_inference_running_sequences" })
        {
            Assert.Matches($"(?m)^{name}{{[^}}]*model=\"{GoldenModels.Llama}\"[^}}]*}} 0$", metrics);
        }
    }
}

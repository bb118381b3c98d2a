using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Training;

/// <summary>An <see cref="InferenceHost"/> over <see cref="GoldenModels"/> whose trained models go to a temporary folder.</summary>
public sealed class TrainHost : IAsyncLifetime
{
    private InferenceHost _host = null!;

    public GoldenModels Models { get; } = new();

    public string Trained { get; } = Directory.CreateTempSubdirectory("moco-trained-").FullName;

    public InferenceService.InferenceServiceClient Client => _host.Client;

    public async Task InitializeAsync() =>
        // Resume states after every step: every job here exercises the periodic save.
        _host = await InferenceHost.StartAsync(Models.Root, ("Moco:Inference:TrainedModelsDirectory", Trained), ("Moco:Inference:TrainResumeSeconds", "0"));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Models.Dispose();
        Directory.Delete(Trained, recursive: true);
    }

    /// <summary>Sends the job, the examples and examples_done, and reads every response to the end.</summary>
    public async Task<List<TrainResponse>> RunAsync(TrainJob job, IEnumerable<TrainExample> examples)
    {
        using var call = Client.Train();
        try
        {
            await Send(call, job, examples);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The server may answer a bad job before the client has sent everything; the response stream carries its status.
        }
        var responses = new List<TrainResponse>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            responses.Add(response);
        }
        return responses;
    }

    public static async Task Send(AsyncDuplexStreamingCall<TrainRequest, TrainResponse> call, TrainJob job, IEnumerable<TrainExample> examples)
    {
        await call.RequestStream.WriteAsync(new TrainRequest { Job = job });
        var batch = new TrainExamples();
        batch.Examples.Add(examples);
        await call.RequestStream.WriteAsync(new TrainRequest { Examples = batch });
        await call.RequestStream.WriteAsync(new TrainRequest { ExamplesDone = new ExamplesDone() });
    }
}

[CollectionDefinition(Name)]
public sealed class TrainCollection : ICollectionFixture<TrainHost>
{
    public const string Name = "train host";
}

/// <summary>Builders of Train messages over the golden byte-level model (a text's ids are its UTF-8 bytes).</summary>
public static class TrainMessages
{
    /// <summary>Three prompt → completion pairs to over-fit.</summary>
    public static readonly (string Prompt, string Completion)[] Pairs = [("Q1:", "hello"), ("Q2:", "world"), ("Q3:", "tiny!")];

    public static TrainExample Sft(string prompt, string completion) =>
        new() { Prompt = new Prompt { Text = prompt }, Completion = new Continuation { Text = completion } };

    public static TrainExample Dpo(string prompt, string chosen, string rejected) => new()
    {
        Prompt = new Prompt { Text = prompt },
        Preference = new PreferencePair { Chosen = new Continuation { Text = chosen }, Rejected = new Continuation { Text = rejected } },
    };

    /// <summary>A LoRA job that over-fits a few short examples (as libmoco's own test: every projection, a high constant rate).</summary>
    public static TrainJob Overfit(string outputId, TrainKind kind = TrainKind.Sft, int epochs = 60, ulong seed = 42, float dropout = 0f)
    {
        var job = new TrainJob
        {
            Kind = kind,
            BaseModel = GoldenModels.Llama,
            OutputId = outputId,
            Lora = new LoraConfig { R = 8, Alpha = 16, Dropout = dropout },
            Hyper = new TrainHyper
            {
                LearningRate = 1e-2,
                Schedule = LrSchedule.Constant,
                WarmupRatio = 0,
                Epochs = epochs,
                GradAccum = 3,
                Seed = seed,
            },
        };
        job.Lora.TargetModules.Add(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]);
        return job;
    }
}

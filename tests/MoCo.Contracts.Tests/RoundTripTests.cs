using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using MoCo.Contracts.V1;
using RpcStatus = Google.Rpc.Status;

namespace MoCo.Contracts.Tests;

/// <summary>Messages survive the wire, wrapper presence included.</summary>
public sealed class RoundTripTests
{
    private static T RoundTrip<T>(T message) where T : IMessage<T>, new()
    {
        var parsed = new MessageParser<T>(() => new T()).ParseFrom(message.ToByteArray());
        Assert.Equal(message, parsed);
        return parsed;
    }

    [Fact]
    public void GenerateRequestKeepsWrapperPresence()
    {
        var request = new GenerateRequest
        {
            Model = "zoo/tiny-a",
            Prompt = new Prompt
            {
                Chat = new ChatPrompt
                {
                    Messages = { new ChatMessage { Role = "user", Content = "2+2?" } },
                    AddGenerationPrompt = false,
                },
            },
            Sampling = new SamplingParams { Temperature = 0f, MaxNewTokens = 64 },
            InputSettings = new InputSettings { Eos = EosStop.Tokenizer, SkipSpecialTokens = false, StopStrings = { "\n\n" } },
            N = 2,
            Seed = 0UL,
            Logprobs = new LogprobOptions { Enabled = true, TopK = 5, Value = LogprobValue.Logit },
            CallKey = "9f2c",
        };

        var parsed = RoundTrip(request);

        // Set to the default value, yet present: 0 means greedy, not "unset".
        Assert.Equal(0f, parsed.Sampling.Temperature);
        Assert.Equal(64, parsed.Sampling.MaxNewTokens);
        Assert.Equal(0UL, parsed.Seed);
        Assert.False(parsed.Prompt.Chat.AddGenerationPrompt);
        Assert.False(parsed.InputSettings.SkipSpecialTokens);
        // Unset stays unset: the model's generation_config decides.
        Assert.Null(parsed.Sampling.TopP);
        Assert.Null(parsed.Sampling.TopK);
        Assert.Null(parsed.Sampling.MinP);
        Assert.Null(parsed.Sampling.RepetitionPenalty);
        Assert.Null(parsed.Sampling.DoSample);
        Assert.Equal(Prompt.FormOneofCase.Chat, parsed.Prompt.FormCase);
    }

    [Fact]
    public void UnsetSeedIsDistinctFromSeedZero()
    {
        var parsed = RoundTrip(new GenerateRequest { Model = "m" });
        Assert.Null(parsed.Seed);
        Assert.Null(parsed.Sampling);
    }

    [Fact]
    public void DecodeMessagesKeepTheirOneofs()
    {
        var request = new DecodeRequest
        {
            Ops =
            {
                new SeqOp
                {
                    SeqId = "item7/m0",
                    Tag = 1,
                    Open = new OpenOp
                    {
                        Model = "zoo/tiny-a",
                        Prompt = new Prompt { Tokens = new TokenIds { Ids = { 1, 15, 27 } } },
                        Outputs = new StepOutputs { FullLogprobs = true, Draw = true, ArgmaxExcluding = { 32000 } },
                        Sampling = new SamplingParams { Temperature = 0.7f },
                    },
                },
                new SeqOp { SeqId = "item7/m0", Tag = 2, Fork = new ForkOp { NewSeqId = "item7/m0/look" } },
                new SeqOp { SeqId = "item7/m0", Tag = 3, Truncate = new TruncateOp { Length = 2 } },
                new SeqOp { SeqId = "item7/m0", Tag = 4, Close = new CloseOp() },
            },
        };
        var parsedRequest = RoundTrip(request);
        Assert.Equal(
            [SeqOp.OpOneofCase.Open, SeqOp.OpOneofCase.Fork, SeqOp.OpOneofCase.Truncate, SeqOp.OpOneofCase.Close],
            parsedRequest.Ops.Select(o => o.OpCase));
        Assert.Null(parsedRequest.Ops[0].Open.Seed);
        Assert.Null(parsedRequest.Ops[1].Fork.Seed);

        var logprobs = new byte[3 * sizeof(float)];
        var response = new DecodeResponse
        {
            Results =
            {
                new SeqResult
                {
                    SeqId = "item7/m0",
                    Tag = 1,
                    Step = new DecodeStep
                    {
                        Length = 3,
                        VocabSize = 3,
                        Logprobs = new PackedValues { Dtype = DType.F32, Data = ByteString.CopyFrom(logprobs), VocabSize = 3 },
                        DrawnToken = 0,
                        Argmax = 2,
                    },
                },
                new SeqResult { SeqId = "item7/m0", Tag = 2, Ack = new SeqAck { Length = 3 } },
                new SeqResult
                {
                    SeqId = "nope",
                    Tag = 9,
                    Error = new RpcStatus { Code = (int)Grpc.Core.StatusCode.InvalidArgument, Message = "unknown sequence 'nope'" },
                },
            },
        };
        var parsed = RoundTrip(response);
        Assert.Equal(0, parsed.Results[0].Step.DrawnToken);
        Assert.Null(parsed.Results[0].Step.Top1Prob);
        Assert.Equal(SeqResult.ResultOneofCase.Error, parsed.Results[2].ResultCase);
    }

    [Fact]
    public void RunEventPrintsWithTheJsonEventNames()
    {
        var runEvent = new RunEvent
        {
            V = 1,
            Ts = Timestamp.FromDateTime(new DateTime(2026, 11, 25, 14, 33, 44, DateTimeKind.Utc)),
            RunId = "20261125-143012-k7qz",
            RunFinished = new RunFinished
            {
                Status = RunStatus.Succeeded,
                Score = 0.675,
                ReferenceLog = "logs/agieval_tiny_3_0.675_llm_blender.json",
                WallS = 212.4,
            },
        };
        var parsed = RoundTrip(runEvent);
        Assert.Equal(RunEvent.TypeOneofCase.RunFinished, parsed.TypeCase);

        var json = new JsonFormatter(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true)).Format(parsed);
        Assert.Contains("\"run_id\": \"20261125-143012-k7qz\"", json, StringComparison.Ordinal);
        Assert.Contains("\"run_finished\": {", json, StringComparison.Ordinal);
        Assert.Contains("\"reference_log\": ", json, StringComparison.Ordinal);
        Assert.Contains("\"wall_s\": 212.4", json, StringComparison.Ordinal);
        Assert.Contains("\"score\": 0.675", json, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateOutputDistinguishesNullFromEmptyText()
    {
        var outputs = new EvaluateOutputs
        {
            Outputs =
            {
                new EvaluateOutput { Index = 0, Text = "" },
                new EvaluateOutput { Index = 1 },
                new EvaluateOutput { Text = "B" },
            },
        };
        var parsed = RoundTrip(new EvaluateRequest { Outputs = outputs }).Outputs.Outputs;
        Assert.Equal("", parsed[0].Text);
        Assert.Null(parsed[1].Text);
        Assert.Null(parsed[2].Index);
    }

    [Fact]
    public void MergeAndTrainRequestsRoundTrip()
    {
        var merge = new MergeRequest
        {
            Method = MergeMethod.PsoStep,
            Params = new MergeParams
            {
                PsoStep = new PsoStepParams { X = "x", V = "v", P = "p", G = "g", W = "w", A = 0.2, B = 0.3, C = 0.4, D = 0.1, Step = 0.5 },
            },
            Seed = 1234,
            CallKey = "k",
        };
        var parsedMerge = RoundTrip(merge);
        Assert.Null(parsedMerge.Params.Normalize);
        Assert.Null(parsedMerge.Params.PsoStep.VelocityOutputId);
        Assert.Equal(DType.Unspecified, parsedMerge.OutputDtype);

        var train = new TrainRequest
        {
            Job = new TrainJob
            {
                Kind = TrainKind.Dpo,
                BaseModel = "zoo/tiny-a",
                Lora = new LoraConfig { R = 8 },
                Hyper = new TrainHyper { Beta = 0.1, Epochs = 1 },
                CallKey = "k2",
            },
        };
        var parsedTrain = RoundTrip(train);
        Assert.Equal(8, parsedTrain.Job.Lora.R);
        Assert.Null(parsedTrain.Job.Lora.Alpha);
        Assert.Null(parsedTrain.Job.Hyper.LearningRate);
    }
}

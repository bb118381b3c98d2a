using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Inference.Registry;
using MoCo.Inference.Serving;
using MoCo.Inference.Text;

namespace MoCo.Inference;

/// <summary>
/// moco.v1.InferenceService. ListModels and ModelInfo are served from the model directories and the native
/// engine, Tokenize and Detokenize from the model's text component (<see cref="TextCalls"/>), LoadModel, UnloadModel
/// and the model-running RPCs from the registry and its per-model scheduling loops (Serving/). Every other RPC that
/// names a model checks the name first (NOT_FOUND lists every place searched), then falls through to the generated
/// base, whose bare UNIMPLEMENTED the host turns into a message naming what the RPC waits on (<see cref="InferenceCapabilities"/>).
/// </summary>
public sealed class InferenceGrpcService(TextCalls text, ModelRegistry registry, ModelCalls models,
    GenerateCall generate, ScoreCall score, EmbedCall embed, TrainCall train, DecodeCall decode, EnsembleCall ensemble,
    ReadWeightsCall readWeights, WriteModelCall writeModel, MergeCall merge) : InferenceService.InferenceServiceBase
{
    /// <inheritdoc/>
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse { Engine = ModelCatalog.Engine() };
        response.Models.Add(registry.List());
        return Task.FromResult(response);
    }

    /// <inheritdoc/>
    public override Task<ModelInfoResponse> ModelInfo(ModelInfoRequest request, ServerCallContext context)
    {
        // Run-time models (Train, Merge, WriteModel) answer too: callers key their calls by these models' fingerprints.
        var resolution = registry.Resolve(request.Model);
        var response = new ModelInfoResponse { Summary = registry.Summary(resolution), Engine = ModelCatalog.Engine() };
        response.ResolutionTrace.Add(resolution.Trace.Select(s => new ResolutionStep
        {
            Rule = s.Rule,
            Candidate = s.Candidate,
            Matched = s.Matched,
            Note = s.Note ?? "",
        }));
        var files = ModelCatalog.Files(resolution);
        response.HasChatTemplate = files.HasChatTemplate;
        response.BosId = files.BosId;
        response.PadId = files.PadId;
        response.EosIds = new EosIds { Tokenizer = files.TokenizerEosId };
        response.EosIds.GenerationConfig.Add(files.Generation.EosTokenIds);
        response.SpecialTokens.Add(files.SpecialTokens.Select(t => new SpecialToken { Id = t.Id, Content = t.Content }));
        var g = files.Generation;
        response.GenerationDefaults = new SamplingParams
        {
            Temperature = g.Temperature,
            TopP = g.TopP,
            TopK = g.TopK,
            MinP = g.MinP,
            RepetitionPenalty = g.RepetitionPenalty,
            DoSample = g.DoSample,
            MaxNewTokens = g.MaxNewTokens,
        };
        return Task.FromResult(response);
    }

    /// <inheritdoc/>
    public override Task<LoadModelResponse> LoadModel(LoadModelRequest request, ServerCallContext context) =>
        Task.FromResult(models.Load(request));

    /// <inheritdoc/>
    public override Task<UnloadModelResponse> UnloadModel(UnloadModelRequest request, ServerCallContext context) =>
        Task.FromResult(models.Unload(request));

    /// <inheritdoc/>
    public override Task<TokenizeResponse> Tokenize(TokenizeRequest request, ServerCallContext context) =>
        Task.FromResult(text.Tokenize(request));

    /// <inheritdoc/>
    public override Task<DetokenizeResponse> Detokenize(DetokenizeRequest request, ServerCallContext context) =>
        Task.FromResult(text.Detokenize(request));

    /// <inheritdoc/>
    public override Task<ScoreResponse> Score(ScoreRequest request, ServerCallContext context) => score.RunAsync(request, context);

    /// <inheritdoc/>
    public override Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context) => embed.RunAsync(request, context);

    /// <inheritdoc/>
    public override Task Train(IAsyncStreamReader<TrainRequest> requestStream, IServerStreamWriter<TrainResponse> responseStream, ServerCallContext context) =>
        train.RunAsync(requestStream, responseStream, context);

    /// <inheritdoc/>
    public override Task Decode(IAsyncStreamReader<DecodeRequest> requestStream, IServerStreamWriter<DecodeResponse> responseStream, ServerCallContext context) =>
        decode.RunAsync(requestStream, responseStream, context);

    /// <inheritdoc/>
    public override Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context) =>
        generate.RunAsync(request, responseStream, context);

    /// <inheritdoc/>
    public override Task GenerateEnsemble(GenerateEnsembleRequest request, IServerStreamWriter<GenerateEnsembleResponse> responseStream, ServerCallContext context) =>
        ensemble.RunAsync(request, responseStream, context);

    /// <inheritdoc/>
    public override Task ReadWeights(ReadWeightsRequest request, IServerStreamWriter<ReadWeightsResponse> responseStream, ServerCallContext context) =>
        readWeights.RunAsync(request, responseStream, context);

    /// <inheritdoc/>
    public override Task<WriteModelResponse> WriteModel(IAsyncStreamReader<WriteModelRequest> requestStream, ServerCallContext context) =>
        writeModel.RunAsync(requestStream, context);

    /// <inheritdoc/>
    public override Task<MergeResponse> Merge(MergeRequest request, ServerCallContext context) => merge.RunAsync(request, context);
}

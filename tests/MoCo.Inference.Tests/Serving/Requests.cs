using MoCo.Contracts.V1;

namespace MoCo.Inference.Tests.Serving;

/// <summary>Request builders for the serving tests.</summary>
public static class Requests
{
    /// <summary>A Generate of token ids, EOS off so length alone ends it unless the test adds stops.</summary>
    public static GenerateRequest Generate(string model, IEnumerable<int> prompt, int maxNewTokens, bool sample = false, ulong seed = 0, int n = 1)
    {
        var request = new GenerateRequest
        {
            Model = model,
            Prompt = new Prompt { Tokens = new TokenIds() },
            Sampling = new SamplingParams { DoSample = sample, MaxNewTokens = maxNewTokens },
            InputSettings = new InputSettings { Eos = EosStop.None },
            N = n,
            Seed = seed,
        };
        request.Prompt.Tokens.Ids.Add(prompt);
        if (sample)
        {
            request.Sampling.Temperature = 0.9f;
            request.Sampling.TopK = 40;
            request.Sampling.TopP = 0.95f;
        }
        return request;
    }
}

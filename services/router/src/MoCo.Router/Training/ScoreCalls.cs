using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;

namespace MoCo.Router.Training;

/// <summary>Score requests as runs and the router service send them (contracts.md §4): a continuation's log-probs after an
/// optional system message and one user turn with the generation prompt, or a reward model's logit on the whole [user,
/// assistant] conversation (methods-api.md §0.9); and how their answers read.</summary>
public static class ScoreCalls
{
    /// <summary>Classification mode when <paramref name="reward"/> (the reward head reads the conversation's last token,
    /// no generation prompt), else continuation mode.</summary>
    public static ScoreRequest Request(string model, string? system, string user, string continuation, bool reward, string callKey)
    {
        var chat = new ChatPrompt();
        if (system is not null)
        {
            chat.Messages.Add(new ChatMessage { Role = "system", Content = system });
        }
        chat.Messages.Add(new ChatMessage { Role = "user", Content = user });
        var request = new ScoreRequest { Model = model, Mode = ScoreMode.Continuation, Prompt = new Prompt { Chat = chat }, CallKey = callKey };
        if (reward)
        {
            chat.Messages.Add(new ChatMessage { Role = "assistant", Content = continuation });
            request.Mode = ScoreMode.Classification;
        }
        else
        {
            request.Continuation = new Continuation { Text = continuation };
        }
        return request;
    }

    /// <summary>Whether <paramref name="error"/> is a prompt beyond the model's context: that one request fails, the caller
    /// goes on (methods-text.md §0.3).</summary>
    public static bool PromptTooLong(RpcException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.StatusCode == StatusCode.InvalidArgument && MocoErrors.ErrorInfos(error).Any(i => i.Reason == "PROMPT_TOO_LONG");
    }

    /// <summary>The reward of a classification-mode answer: the single logit of a sequence-classification reward model.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION: <paramref name="model"/>'s head gave other than one value.</exception>
    public static double Reward(ScoreResponse response, string model)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Values.Count == 1
            ? response.Values[0]
            : throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"{model} is not a single-logit reward model: its classification head gave {response.Values.Count} values; use a sequence-classification reward model with num_labels 1"));
    }
}

using MoCo.Models.ChatTemplates;
using MoCo.Models.Tokenization;
using MoCo.Native.Training;
using MoCo.Zoo.Checkpoints;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Build;

/// <summary>
/// Turns training pairs and prompts into token ids the way inference sees them: the user message rendered with the
/// zoo's chat template (generation prompt open), then the response and the end token as the only targets.
/// </summary>
public sealed class ChatEncoder(HfTokenizer tokenizer)
{
    private static readonly ChatTemplate Template = ChatTemplate.Parse(CheckpointWriter.ChatTemplate);

    /// <summary>The tokenizer.</summary>
    public HfTokenizer Tokenizer => tokenizer;

    /// <summary>The rendered prompt text of one user message.</summary>
    public static string Render(string userMessage) =>
        PromptRenderer.Render(Template, new ChatTemplateRequest { Messages = [new ChatMessage("user", userMessage)] });

    /// <summary>The prompt's token ids.</summary>
    public int[] EncodePrompt(string userMessage) => tokenizer.Encode(Render(userMessage), addSpecialTokens: false);

    /// <summary>One SFT example: prompt tokens (not targets) then response and end tokens (targets).</summary>
    public TrainExample Encode(TrainingPair pair)
    {
        var prompt = EncodePrompt(pair.Prompt);
        var response = tokenizer.Encode(pair.Response + CheckpointWriter.EndToken, addSpecialTokens: false);
        var tokens = new int[prompt.Length + response.Length];
        prompt.CopyTo(tokens, 0);
        response.CopyTo(tokens, prompt.Length);
        var mask = new byte[tokens.Length];
        Array.Fill(mask, (byte)1, prompt.Length, response.Length);
        return new TrainExample(tokens, mask);
    }
}

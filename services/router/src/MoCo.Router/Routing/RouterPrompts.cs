using System.Globalization;
using System.Text;

namespace MoCo.Router.Routing;

/// <summary>The prompts the text routers and the cascade send (methods-api.md §2, §4, §6), word for word as the
/// reference writes them: the published routers and any comparison with reference logs depend on the wording.</summary>
public static class RouterPrompts
{
    /// <summary>api_prompt_routing (§2): role sentence, the question, the 1-based model descriptions, and a request
    /// for the model number only.</summary>
    public static string PromptRouting(string question, IReadOnlyList<string> descriptions)
    {
        var prompt = new StringBuilder("You are an AI assistant that routes user questions to the most suitable AI model based on their descriptions.\n\n");
        prompt.Append(CultureInfo.InvariantCulture, $"User question: {question}\n\n");
        prompt.Append("Model descriptions:\n");
        for (var i = 0; i < descriptions.Count; i++)
        {
            prompt.Append(CultureInfo.InvariantCulture, $"- {i + 1}: {descriptions[i]}\n");
        }
        prompt.Append("\nBased on the above descriptions, which model is best suited to answer the user's question? Respond with the model number only.");
        return prompt.ToString();
    }

    /// <summary>api_trained_router (§4 step 3), for training and test alike: with descriptions (null = none) the model
    /// is chosen from them, otherwise from the router's own knowledge; <paramref name="models"/> = N.</summary>
    public static string TrainedRouter(string question, int models, IReadOnlyList<string>? descriptions)
    {
        var prompt = new StringBuilder();
        if (descriptions is not null)
        {
            prompt.Append("You are an AI assistant tasked with choosing the best model to answer the user's question based on the model descriptions.\n\n");
            prompt.Append("Model Descriptions:\n");
            for (var m = 0; m < descriptions.Count; m++)
            {
                prompt.Append(CultureInfo.InvariantCulture, $"- Model {m + 1}: {descriptions[m]}\n");
            }
            prompt.Append(CultureInfo.InvariantCulture, $"\nQuestion: {question}\n\n");
            prompt.Append(CultureInfo.InvariantCulture, $"Based on the model descriptions, choose the best model (1-{models}) to answer the question.");
        }
        else
        {
            prompt.Append("You are an AI assistant tasked with choosing the best model to answer the user's question.\n\n");
            prompt.Append(CultureInfo.InvariantCulture, $"Question: {question}\n\n");
            prompt.Append(CultureInfo.InvariantCulture, $"Based on your knowledge, choose the best model (1-{models}) to answer the question.");
        }
        return prompt.ToString();
    }

    /// <summary>The trained router's SFT completion for a 0-based label: `Model k`, k 1-based.</summary>
    public static string TrainedRouterCompletion(int label) => string.Create(CultureInfo.InvariantCulture, $"Model {label + 1}");

    /// <summary>api_cascade's just_ask prompt (§6): the question, then a request to say "unconfident" after an answer
    /// the model is not confident of.</summary>
    public static string JustAsk(string question) =>
        $"User: ### Question: {question}\n"
        + "For the above question, please answer it to your best effort.\n"
        + "If you are not confident of your answer, please say you are unconfident after your answer.\n";

    /// <summary>The word whose presence (case-sensitive) makes a just_ask level defer.</summary>
    public const string Unconfident = "unconfident";
}

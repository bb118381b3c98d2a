using MoCo.Router.Decoding;
using MoCo.Testing.Inference;

namespace MoCo.Router.Tests;

/// <summary>api_mentor_collab free mode (methods-api.md §7 acceptance) on the real inference service's Decode with the
/// smoke models: a proportion of 0 never consults the mentor, a model mentoring itself never diverges and writes what
/// it writes alone, and consulting a different mentor diverges and judges within the token budget.</summary>
public sealed class MentorCollabTests : IAsyncLifetime
{
    private const string Input = "Question: name a prime number.\nAnswer:";
    private InferenceHost _host = null!;
    private GrpcDecodeBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _host = await InferenceHost.StartAsync(Path.GetFullPath(Path.Combine(GoldenModels.GoldenRoot, "..", "..", "..", "..", "..", "..", "examples", "smoke", "models")));
        _backend = new GrpcDecodeBackend(_host.Client);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<MentorText> RunAsync(string generator, string mentor, double proportion) =>
        MentorCollab.RunAsync(_backend, new MentorSettings(generator, mentor, proportion, StrictConsult: false, PatchSize: 4, MaxTokens: 12), Input, 3, "test/0", default);

    [Fact]
    public async Task A_proportion_of_zero_never_consults_and_a_self_mentor_never_diverges()
    {
        var alone = await RunAsync("smoke-llama", "smoke-qwen2", 0);
        Assert.Equal((0, 0), (alone.Consultations, alone.Divergences));
        Assert.NotEmpty(alone.Text);
        var self = await RunAsync("smoke-llama", "smoke-llama", 100);
        Assert.True(self.Consultations > 0);
        Assert.Equal((0, alone.Text), (self.Divergences, self.Text));
    }

    [Fact]
    public async Task A_different_mentor_diverges_and_the_text_stays_within_the_budget()
    {
        var text = await RunAsync("smoke-llama", "smoke-mistral", 100);
        Assert.True(text.Divergences > 0, "the smoke models' next words differ somewhere");
        Assert.InRange(text.MentorPatches, 0, text.Divergences);
        Assert.True(text.Divergences <= text.Consultations);
        // The loop stops once the generator's tokens reach the budget; the last step adds at most one patch or word.
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(text.Text) < 12 + 16);
    }

    [Fact]
    public void The_judge_offers_both_patches_and_ends_with_the_open_stub() => Assert.Equal(
        "\nNow I will choose the next sequence that could lead to the correct answer. Option (A): x, Option (B): y. My choice: Option (",
        MentorCollab.JudgeSuffix("x", "y"));
}

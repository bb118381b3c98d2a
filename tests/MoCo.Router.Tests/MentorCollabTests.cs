using MoCo.Router.Decoding;

namespace MoCo.Router.Tests;

/// <summary>api_mentor_collab free mode (methods-api.md §7 acceptance) on the real inference service's Decode with the
/// smoke models: a proportion of 0 never consults the mentor, a model mentoring itself never diverges and writes what
/// it writes alone, consulting a different mentor diverges and judges within the token budget, and in train mode an MLP
/// judge whose score never exceeds the threshold takes every mentor patch.</summary>
public sealed class MentorCollabTests(SmokeDecoding smoke) : IClassFixture<SmokeDecoding>
{
    private const string Input = "Question: name a prime number.\nAnswer:";
    private GrpcDecodeBackend Backend => smoke.Backend;

    private Task<MentorText> RunAsync(string generator, string mentor, double proportion) =>
        MentorCollab.RunAsync(Backend, new MentorSettings(generator, mentor, proportion, StrictConsult: false, PatchSize: 4, MaxTokens: 12), Input, 3, "test/0", default);

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

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    public async Task Train_mode_with_an_mlp_score_never_above_the_threshold_takes_every_mentor_patch(double threshold)
    {
        // A synthetic judge on the generator's 32-wide hidden state: its sigmoid lies in (0, 1), so threshold 1.0 never
        // keeps the generator's patch and −1 always does.
        var judge = MentorMlpTests.Synthetic(32, (name, i) => (float)Math.Cos(name.Length * 7 + i) / 8, 0.2f);
        var text = await MentorCollab.RunAsync(Backend, new MentorSettings("smoke-llama", "smoke-mistral", 100, StrictConsult: false, PatchSize: 4, MaxTokens: 12,
            judge, threshold), Input, 3, "test/0", default);
        Assert.True(text.Divergences > 0, "the smoke models' next words differ somewhere");
        Assert.Equal(threshold >= 1 ? text.Divergences : 0, text.MentorPatches);
    }

    [Fact]
    public void The_judge_offers_both_patches_and_ends_with_the_open_stub() => Assert.Equal(
        "\nNow I will choose the next sequence that could lead to the correct answer. Option (A): x, Option (B): y. My choice: Option (",
        MentorCollab.JudgeSuffix("x", "y"));
}

namespace MoCo.Inference.Text;

/// <summary>A token's span in the rendered text: UTF-8 byte offsets, end exclusive (contracts.md TokenOffset).</summary>
public readonly record struct TokenSpan(int Start, int End);

/// <summary>A prompt as the model sees it.</summary>
/// <param name="TokenIds">The ids, special tokens included, exactly as Generate and Score feed them.</param>
/// <param name="RenderedText">The text the ids encode: the rendered chat, the raw text, or a token prompt decoded.</param>
/// <param name="Offsets">One span per id when asked for, else null; ids with no text of their own (an added BOS) have Start = End.</param>
public sealed record EncodedPrompt(IReadOnlyList<int> TokenIds, string RenderedText, IReadOnlyList<TokenSpan>? Offsets);

/// <summary>How a prompt is turned into ids (contracts.md InputSettings.bos, TokenizeRequest.add_special_tokens).</summary>
/// <param name="Bos">BOS handling; <see cref="Contracts.V1.BosMode.Unspecified"/> and unknown values mean SINGLE.</param>
/// <param name="AddSpecialTokens">The post-processor's tokens other than BOS (e.g. an EOS suffix); null = true for
/// text, false for chat, whose template carries them.</param>
/// <param name="Offsets">Compute <see cref="EncodedPrompt.Offsets"/>.</param>
public sealed record PromptSettings(Contracts.V1.BosMode Bos = Contracts.V1.BosMode.Single, bool? AddSpecialTokens = null, bool Offsets = false);

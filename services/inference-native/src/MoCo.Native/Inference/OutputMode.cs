namespace MoCo.Native.Inference;

/// <summary>Which positions of a batch entry get logits or hidden states written (<c>moco_output_mode</c>).</summary>
public enum OutputMode
{
    /// <summary>Nothing written; the buffer may be empty (<c>MOCO_OUTPUT_NONE</c>).</summary>
    None = 0,

    /// <summary>The last new position only: one row (<c>MOCO_OUTPUT_LAST</c>), what decoding needs.</summary>
    Last = 1,

    /// <summary>Every new position: one row per new token (<c>MOCO_OUTPUT_ALL</c>), for scoring prompts.</summary>
    All = 2,
}

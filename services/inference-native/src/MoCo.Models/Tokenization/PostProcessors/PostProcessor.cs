namespace MoCo.Models.Tokenization.PostProcessors;

/// <summary>
/// The tokenizer.json "post_processor" for a single sequence: adds the template's special tokens (BOS, EOS,
/// CLS/SEP) around the encoded ids when the caller asks for special tokens.
/// </summary>
internal abstract class PostProcessor
{
    /// <summary>Surrounds the sequence that starts at <paramref name="start"/> and runs to the end of <paramref name="ids"/>.</summary>
    public abstract void Process(List<int> ids, int start);
}

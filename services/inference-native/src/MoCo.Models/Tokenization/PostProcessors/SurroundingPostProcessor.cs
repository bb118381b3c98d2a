namespace MoCo.Models.Tokenization.PostProcessors;

/// <summary>
/// Puts fixed ids before and after the sequence. TemplateProcessing's "single" template, RobertaProcessing
/// and BertProcessing all reduce to this for one sequence.
/// </summary>
internal sealed class SurroundingPostProcessor(IReadOnlyList<int> prefix, IReadOnlyList<int> suffix) : PostProcessor
{
    public override void Process(List<int> ids, int start)
    {
        ids.InsertRange(start, prefix);
        ids.AddRange(suffix);
    }
}

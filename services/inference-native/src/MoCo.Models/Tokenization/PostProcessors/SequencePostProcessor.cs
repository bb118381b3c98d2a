namespace MoCo.Models.Tokenization.PostProcessors;

/// <summary>HF "Sequence": applies its processors in order (Llama 3.1 pairs ByteLevel with TemplateProcessing).</summary>
internal sealed class SequencePostProcessor(IReadOnlyList<PostProcessor> steps) : PostProcessor
{
    public override void Process(List<int> ids, int start)
    {
        foreach (PostProcessor step in steps)
        {
            step.Process(ids, start);
        }
    }
}

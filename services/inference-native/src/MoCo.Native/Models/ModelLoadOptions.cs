namespace MoCo.Native.Models;

/// <summary>How <see cref="MocoModel.Load"/> reads the weights (<c>moco_model_options</c>).</summary>
/// <param name="UseMmap">
/// True (the default) maps the safetensors files, so several processes share the page cache; the files must
/// then not change while the model lives. False reads them into memory. Windows builds always read.
/// </param>
public sealed record ModelLoadOptions(bool UseMmap = true)
{
    /// <summary>The library defaults.</summary>
    public static ModelLoadOptions Default { get; } = new();
}

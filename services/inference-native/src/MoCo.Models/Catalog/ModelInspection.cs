namespace MoCo.Models.Catalog;

/// <summary>
/// Everything `moco models info` reports about a name: its resolution trace, the directory's metadata, its
/// fingerprint and, for an adapter, how its base model resolves. Loading checks a catalogue entry's declared
/// kind against what the directory holds.
/// </summary>
/// <param name="Resolution">How the name resolved.</param>
/// <param name="Model">The directory's metadata.</param>
/// <param name="Fingerprint">The directory's fingerprint.</param>
/// <param name="BaseModel">For an adapter: how base_model_name_or_path resolves (it may not be found).</param>
public sealed record ModelInspection(ModelResolution Resolution, ModelDirectory Model, string Fingerprint, ModelResolution? BaseModel)
{
    /// <summary>Resolves and reads <paramref name="name"/>.</summary>
    /// <exception cref="ModelNotFoundException">CFG009: not found (every place listed), not a model, or of another kind than its catalogue entry declares.</exception>
    /// <exception cref="InvalidDataException">A catalogue or model file is malformed; the message names it.</exception>
    public static ModelInspection Inspect(ModelResolver resolver, string name, string? configDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        var resolution = resolver.Require(name, configDirectory);
        var model = ModelDirectory.Read(resolution.Directory!);
        CheckKind(resolution, model);
        var baseModel = model.BaseModel is { } baseName ? resolver.Resolve(baseName, configDirectory) : null;
        return new ModelInspection(resolution, model, ModelFingerprint.Compute(model.Path), baseModel);
    }

    /// <summary>Fails when a catalogue entry's kind differs from what its directory holds.</summary>
    /// <exception cref="ModelNotFoundException">CFG009 naming both kinds.</exception>
    public static void CheckKind(ModelResolution resolution, ModelDirectory model)
    {
        ArgumentNullException.ThrowIfNull(resolution);
        ArgumentNullException.ThrowIfNull(model);
        if (resolution.DeclaredKind is { } declared && ModelKindNames.FromCatalogue(declared) is { } kind && kind != model.Kind)
        {
            throw new ModelNotFoundException(resolution,
                $"its catalogue entry declares kind '{declared}' but {model.Path} holds a {model.Kind.ToCatalogue()} model ({model.Architecture})");
        }
    }
}

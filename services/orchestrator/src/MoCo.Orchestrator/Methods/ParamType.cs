namespace MoCo.Orchestrator.Methods;

/// <summary>Hyperparameter types of config-and-cli.md §1.3 (`i`, `f`, `b`, `s`, `m`, `p`, enums, lists).</summary>
public enum ParamType
{
    /// <summary>`i`: a whole number (integral floats accepted).</summary>
    Int,
    /// <summary>`f`: any number.</summary>
    Number,
    /// <summary>`b`: true, false, 0 or 1.</summary>
    Bool,
    /// <summary>`s`: a string.</summary>
    String,
    /// <summary>`a|b`: one of a list of strings.</summary>
    Enum,
    /// <summary>`m`: a model name, resolved as config-and-cli.md §2.2.</summary>
    Model,
    /// <summary>`p`: a path.</summary>
    Path,
    /// <summary>`f[]`: a list of numbers.</summary>
    NumberList,
    /// <summary>`s[]`: a list of strings.</summary>
    StringList,
    /// <summary>`m[]`: a list of model names.</summary>
    ModelList,
    /// <summary>An n×n matrix of 0/1 (text_structure's structure_matrix).</summary>
    Matrix01,
    /// <summary>`f or f[n]`: one number or one per model (weight_dare_ties' density).</summary>
    NumberOrList,
}

/// <summary>How types read in messages.</summary>
public static class ParamTypeNames
{
    /// <summary>e.g. "integer", "list of numbers".</summary>
    public static string Describe(this ParamType type) => type switch
    {
        ParamType.Int => "integer",
        ParamType.Number => "number",
        ParamType.Bool => "boolean (true, false, 0 or 1)",
        ParamType.String => "string",
        ParamType.Enum => "string",
        ParamType.Model => "model name (string)",
        ParamType.Path => "path (string)",
        ParamType.NumberList => "list of numbers",
        ParamType.StringList => "list of strings",
        ParamType.ModelList => "list of model names",
        ParamType.Matrix01 => "n×n matrix of 0/1",
        ParamType.NumberOrList => "number or list of numbers",
        _ => type.ToString(),
    };
}

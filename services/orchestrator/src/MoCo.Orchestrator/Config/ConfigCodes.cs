namespace MoCo.Orchestrator.Config;

/// <summary>The problem codes of config-and-cli.md §1.5.</summary>
public static class ConfigCodes
{
    /// <summary>JSON syntax or duplicate key.</summary>
    public const string Syntax = "CFG001";
    /// <summary>Missing key.</summary>
    public const string Missing = "CFG002";
    /// <summary>Wrong type.</summary>
    public const string Type = "CFG003";
    /// <summary>Out of range or not one of an enum's values.</summary>
    public const string Range = "CFG004";
    /// <summary>Unknown key.</summary>
    public const string UnknownKey = "CFG005";
    /// <summary>Unknown method.</summary>
    public const string UnknownMethod = "CFG006";
    /// <summary>Unknown task or empty split.</summary>
    public const string UnknownTask = "CFG007";
    /// <summary>task_type unfit for the dataset or the method.</summary>
    public const string TaskTypeUnfit = "CFG008";
    /// <summary>Model missing or of the wrong kind.</summary>
    public const string Model = "CFG009";
    /// <summary>A cross-key rule (including the number of models a method takes).</summary>
    public const string CrossKey = "CFG010";
    /// <summary>Device.</summary>
    public const string Device = "CFG011";
    /// <summary>Warning: a general key the method ignores.</summary>
    public const string IgnoredKey = "CFGW01";
    /// <summary>Warning: a documented alias of a key.</summary>
    public const string Alias = "CFGW02";
    /// <summary>Warning: gpu_ids remapped.</summary>
    public const string GpuRemapped = "CFGW03";
}

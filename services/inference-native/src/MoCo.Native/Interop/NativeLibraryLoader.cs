using System.Reflection;
using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>
/// Resolves the "moco" library name of <see cref="NativeMethods"/> to a file: <c>MOCO_NATIVE_LIBRARY</c>
/// (a file or a folder) when set, and nothing else; otherwise the application directory (where the build
/// copies it), then the operating system's own search (LD_LIBRARY_PATH, PATH, an installed copy).
/// </summary>
internal static class NativeLibraryLoader
{
    /// <summary>Environment variable that points at libmoco (the file, or the folder holding it).</summary>
    internal const string PathVariable = "MOCO_NATIVE_LIBRARY";

    private static int _registered;

    /// <summary>The platform's file name of libmoco.</summary>
    internal static string FileName =>
        OperatingSystem.IsWindows() ? "moco.dll" :
        OperatingSystem.IsMacOS() ? "libmoco.dylib" :
        "libmoco.so";

    internal static void Register(Assembly assembly)
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
    }

    /// <summary>
    /// The paths tried, in order: only the override when one is set (an explicit choice is never
    /// silently replaced by another copy), else the application directory.
    /// </summary>
    internal static IReadOnlyList<string> CandidatePaths(string? overridePath, string baseDirectory)
    {
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            return [Directory.Exists(overridePath) ? Path.Combine(overridePath, FileName) : overridePath];
        }

        return [Path.Combine(baseDirectory, FileName)];
    }

    /// <summary>The message of the <see cref="DllNotFoundException"/> thrown when no candidate loads.</summary>
    internal static string NotFoundMessage(IReadOnlyList<string> searched) =>
        $"libmoco ({FileName}) was not found. Searched: {string.Join(", ", searched)}" +
        (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } ? $" (from {PathVariable}). " : ", then the system library path. ") +
        "Build it with `dotnet build` of a project that references MoCo.Native (that runs CMake into " +
        "artifacts/native/<Configuration> and copies the library next to the application), or with " +
        "`cmake -S services/inference-native/native -B artifacts/native/Release -DCMAKE_BUILD_TYPE=Release && " +
        "cmake --build artifacts/native/Release`, then copy it next to the application or set " +
        $"{PathVariable} to the file or its folder.";

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != NativeMethods.LibraryName)
        {
            return IntPtr.Zero;
        }

        var overridePath = Environment.GetEnvironmentVariable(PathVariable);
        var candidates = CandidatePaths(overridePath, AppContext.BaseDirectory);
        foreach (var path in candidates)
        {
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                return NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                // The file is there but the loader refused it (a missing dependency, wrong architecture).
                throw new DllNotFoundException($"libmoco at {path} exists but could not be loaded: {e.Message}", e);
            }
        }

        // An override that does not exist is an error, not a reason to pick up another copy.
        if (string.IsNullOrWhiteSpace(overridePath) &&
            NativeLibrary.TryLoad(libraryName, assembly, searchPath, out var handle))
        {
            return handle;
        }

        throw new DllNotFoundException(NotFoundMessage(candidates));
    }
}

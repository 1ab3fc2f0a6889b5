using System.Diagnostics;
using System.Globalization;

namespace ImageService.Core;

/// <summary>
/// Names for work files that start with the id of the process that made them, so a clean-up can tell a file of a
/// process that has exited (garbage, however young) from one a live request may still be using.
/// </summary>
public static class StagedFileNames
{
    /// <summary>A new unique name, <c>{process id}-{random}{suffix}</c>.</summary>
    public static string New(string suffix) => string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}-{Guid.NewGuid():N}{suffix}");

    /// <summary>Whether the file or folder name (after <paramref name="prefix"/>) names a process that is no longer running.
    /// Unknown names, and this process, count as alive; so does a reused id, leaving such files to the age rule.</summary>
    public static bool IsOfExitedProcess(string path, string prefix = "")
    {
        var name = Path.GetFileName(path);
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        name = name[prefix.Length..];
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        if (dash < 1 || !int.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
            || processId == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var owner = Process.GetProcessById(processId);
            return owner.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}

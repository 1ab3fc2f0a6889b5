using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ImageService.Core;

/// <summary>
/// Names for work files, <c>{process id}@{process space}-{random}{suffix}</c>, so a clean-up can tell a file of a
/// process that has exited (garbage, however young) from one a live request may still be using, and never touches a
/// file it did not name. The process space is a hash of the host name and, on Linux, the PID namespace: a process id
/// is only looked up when the file comes from the same space, since another container's ids mean nothing here.
/// </summary>
public static partial class StagedFileNames
{
    private static readonly string Space = ComputeSpace();

    /// <summary>The owner token of this process, <c>{process id}@{process space}</c>.</summary>
    public static string Owner { get; } = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}@{Space}");

    /// <summary>A new unique name, <c>{owner}-{random}{suffix}</c>.</summary>
    public static string New(string suffix) => $"{Owner}-{Guid.NewGuid():N}{suffix}";

    /// <summary>Whether the name (after <paramref name="prefix"/>) is one that <see cref="New"/> made, here or elsewhere.</summary>
    public static bool IsStaged(string path, string prefix = "") =>
        Path.GetFileName(path) is var name && name.StartsWith(prefix, StringComparison.Ordinal) && NamePattern().IsMatch(name[prefix.Length..]);

    /// <summary>The owner token of another process of this process space (for tests that stand in for one).</summary>
    public static string OwnerOf(int processId) => string.Create(CultureInfo.InvariantCulture, $"{processId}@{Space}");

    /// <summary>Whether the name (after <paramref name="prefix"/>) names a process of this process space that is no
    /// longer running. Unknown names, other spaces, and this process count as alive, leaving those to the age rule.</summary>
    public static bool IsOfExitedProcess(string path, string prefix = "")
    {
        var name = Path.GetFileName(path);
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || OwnerPattern().Match(name[prefix.Length..]) is not { Success: true } match
            || match.Groups["space"].Value != Space
            || !int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
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

    private static string ComputeSpace()
    {
        string? namespaceId = null;
        try
        {
            namespaceId = OperatingSystem.IsLinux() ? new FileInfo("/proc/self/ns/pid").LinkTarget : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc: the host name alone tells spaces apart.
        }

        var identity = Encoding.UTF8.GetBytes($"{Environment.MachineName}/{namespaceId}");
        return Convert.ToHexStringLower(SHA256.HashData(identity))[..8];
    }

    [GeneratedRegex(@"\A[0-9]{1,10}@[0-9a-f]{8}-[0-9a-f]{32}")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\A(?<pid>[0-9]{1,10})@(?<space>[0-9a-f]{8})-")]
    private static partial Regex OwnerPattern();
}

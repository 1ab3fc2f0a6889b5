using ImageService.Core;
using ImageService.Core.Ports;

namespace ImageService.Processing;

/// <summary>
/// The folder this process stages upload bodies in. Un-stripped uploads (with their GPS tags) sit there, so it is
/// readable by the service's user only: by default a fresh folder per process, created with mode 0700 under a
/// random name that nobody can create first; a configured folder is created 0700, and an existing one that other
/// users can enter is refused rather than used. Stale files, left by processes that died
/// mid-request, are removed: every file of a process that has exited (the folder is named after it, and so is each
/// file), and any file older than <see cref="UploadStagingOptions.StaleAfterSeconds"/>.
/// </summary>
internal sealed class UploadStaging : IStagingArea, IDisposable
{
    public const string FolderPrefix = "image-service-uploads-";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly UploadStagingOptions options;
    private readonly Lazy<string> folder;

    public UploadStaging(UploadStagingOptions options)
    {
        this.options = options;
        // Made on first use: a process that never receives an upload (the sweep command) leaves no folder behind.
        folder = new Lazy<string>(IsPerProcess ? CreatePerProcessFolder : CreateConfiguredFolder);
    }

    /// <summary>The folder to stage in, created on first use.</summary>
    public string Folder => folder.Value;

    public TimeSpan StaleAfter => TimeSpan.FromSeconds(options.StaleAfterSeconds);

    private bool IsPerProcess => string.IsNullOrWhiteSpace(options.TempFolder);

    public int RemoveStale(DateTimeOffset olderThan)
    {
        if (!IsPerProcess)
        {
            return RemoveFilesOlderThan(Path.GetFullPath(options.TempFolder!), olderThan);
        }

        var removed = 0;
        foreach (var candidate in SafeEnumerate(() => Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*")))
        {
            if (StagedFileNames.IsOfExitedProcess(candidate, FolderPrefix))
            {
                // Nothing of a dead process is in use any more, however young.
                removed += SafeEnumerate(() => Directory.EnumerateFiles(candidate)).Count();
                TryDelete(() => Directory.Delete(candidate, recursive: true));
            }
            else
            {
                removed += RemoveFilesOlderThan(candidate, olderThan);
            }
        }

        return removed;
    }

    /// <summary>A per-process folder goes with its process; a configured one stays.</summary>
    public void Dispose()
    {
        if (IsPerProcess && folder.IsValueCreated)
        {
            TryDelete(() => Directory.Delete(folder.Value, recursive: true));
        }
    }

    private static string CreatePerProcessFolder() =>
        // mkdtemp underneath: a new folder of mode 0700, failing rather than reusing one that exists. The process id
        // in the name tells a later process whether the owner is still alive.
        Directory.CreateTempSubdirectory($"{FolderPrefix}{StagedFileNames.Owner}-").FullName;

    private string CreateConfiguredFolder()
    {
        var path = Path.GetFullPath(options.TempFolder!);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, OwnerOnly);
        }

        // An existing folder is never re-moded behind the operator's back (think of /tmp); it is refused instead.
        var mode = File.GetUnixFileMode(path);
        if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.SetGroup | UnixFileMode.StickyBit)) != 0)
        {
            throw new InvalidOperationException(
                $"Uploads:TempFolder '{path}' can be entered by other users (mode {Convert.ToString((int)mode & 0x1FF, 8)}), who could read the un-stripped uploads staged there. Make it private (chmod 700 '{path}'), or leave the setting empty for a private folder per process.");
        }

        return path;
    }

    private static int RemoveFilesOlderThan(string path, DateTimeOffset olderThan)
    {
        var removed = 0;
        foreach (var file in SafeEnumerate(() => Directory.EnumerateFiles(path)))
        {
            // Only files this service named: a configured folder may hold anything else.
            if (StagedFileNames.IsStaged(file)
                && (StagedFileNames.IsOfExitedProcess(file) || File.GetLastWriteTimeUtc(file) < olderThan.UtcDateTime)
                && TryDelete(() => File.Delete(file)))
            {
                removed++;
            }
        }

        return removed;
    }

    // Another user's folder (mode 0700) cannot be read, and a file may vanish as we look: neither is an error.
    private static IEnumerable<string> SafeEnumerate(Func<IEnumerable<string>> list)
    {
        try
        {
            return [.. list()];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static bool TryDelete(Action delete)
    {
        try
        {
            delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

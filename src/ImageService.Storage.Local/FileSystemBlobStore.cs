using System.Runtime.CompilerServices;
using ImageService.Core;
using ImageService.Core.Images;
using ImageService.Core.Ports;

namespace ImageService.Storage.Local;

/// <summary>
/// Blobs as files under <c>{root}/blobs</c>. A put writes a temporary file beside the blobs and renames it
/// into place, so a reader sees the whole blob or none, and a crash leaves no half-written blob: only a part file
/// in <c>{root}/staging</c>, which <see cref="RemoveStale"/> removes.
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore, IStagingArea
{
    private readonly string blobRoot;
    private readonly string stagingRoot;

    public FileSystemBlobStore(string root)
    {
        blobRoot = Path.GetFullPath(Path.Combine(root, "blobs"));
        stagingRoot = Path.GetFullPath(Path.Combine(root, "staging"));
        Directory.CreateDirectory(blobRoot);
        Directory.CreateDirectory(stagingRoot);
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        var target = PathOf(key);
        var staging = Path.Combine(stagingRoot, StagedFileNames.New(".part"));
        try
        {
            await using (var file = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await content.CopyToAsync(file, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(staging, target, overwrite: true);
        }
        catch (IOException e) when (DiskFull.Is(e))
        {
            throw DiskFull.Unavailable("The image folder", e);
        }
        finally
        {
            File.Delete(staging);
        }
    }

    public Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true);
            var info = new FileInfo(path);
            var modified = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
            // Blobs are immutable under their key, so size and write time identify the version.
            var etag = $"\"{stream.Length:x}-{modified.ToUnixTimeMilliseconds():x}\"";
            return Task.FromResult<BlobContent?>(new BlobContent(stream, stream.Length, modified, etag));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<BlobContent?>(null);
        }
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        RemoveEmptyFolders(Path.GetDirectoryName(path)!);
        return Task.FromResult(true);
    }

    public async IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        // Start in the deepest folder the prefix names, so listing one image's keys reads only its folder.
        var folderKey = prefix[..(prefix.LastIndexOf('/') + 1)];
        var folder = folderKey.Length == 0 ? blobRoot : PathOf(folderKey.TrimEnd('/'));
        foreach (var key in SortedKeys(folder, folderKey, prefix, startAfter))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return key;
        }
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = Path.Combine(stagingRoot, $"probe-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(probe, [1], cancellationToken);
        File.Delete(probe);
    }

    private string PathOf(string key)
    {
        BlobKeys.EnsureValid(key);
        var path = Path.GetFullPath(Path.Combine(blobRoot, key));
        // BlobKeys already forbids '..'; this is the belt to those braces.
        if (!path.StartsWith(blobRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{key}' escapes the blob folder.", nameof(key));
        }

        return path;
    }

    private void RemoveEmptyFolders(string folder)
    {
        while (folder.Length > blobRoot.Length && folder.StartsWith(blobRoot, StringComparison.Ordinal))
        {
            try
            {
                Directory.Delete(folder);
            }
            catch (IOException)
            {
                return; // not empty, or a concurrent put just used it
            }

            folder = Path.GetDirectoryName(folder)!;
        }
    }

    /// <summary>Part files of puts that a killed process never finished: all of an exited process, others by age.</summary>
    public int RemoveStale(DateTimeOffset olderThan)
    {
        var removed = 0;
        foreach (var part in Directory.EnumerateFiles(stagingRoot, "*.part"))
        {
            try
            {
                if (StagedFileNames.IsStaged(part) && (StagedFileNames.IsOfExitedProcess(part) || File.GetLastWriteTimeUtc(part) < olderThan.UtcDateTime))
                {
                    File.Delete(part);
                    removed++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Finished or removed as we looked, or not ours to remove: the sweep goes on.
            }
        }

        return removed;
    }

    /// <summary>
    /// The keys under <paramref name="folder"/> in ordinal order: entries are sorted by their key, a folder's
    /// name counting as if it ended in '/', and folders that can hold no key wanted (before
    /// <paramref name="startAfter"/>, or outside <paramref name="prefix"/>) are never opened.
    /// </summary>
    private static IEnumerable<string> SortedKeys(string folder, string folderKey, string prefix, string? startAfter)
    {
        foreach (var (entry, key) in SortedEntries(folder, folderKey))
        {
            if (entry is DirectoryInfo)
            {
                var inPrefix = key.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(key, StringComparison.Ordinal);
                var reachesStart = startAfter is null || string.CompareOrdinal(key, startAfter) >= 0 || startAfter.StartsWith(key, StringComparison.Ordinal);
                if (inPrefix && reachesStart)
                {
                    foreach (var inner in SortedKeys(entry.FullName, key, prefix, startAfter))
                    {
                        yield return inner;
                    }
                }
            }
            else if (key.StartsWith(prefix, StringComparison.Ordinal) && (startAfter is null || string.CompareOrdinal(key, startAfter) > 0))
            {
                yield return key;
            }
        }
    }

    private static List<(FileSystemInfo Entry, string Key)> SortedEntries(string folder, string folderKey)
    {
        try
        {
            return [.. new DirectoryInfo(folder).EnumerateFileSystemInfos()
                .Select(entry => (Entry: entry, Key: folderKey + entry.Name + (entry is DirectoryInfo ? "/" : "")))
                .OrderBy(entry => entry.Key, StringComparer.Ordinal)];
        }
        catch (DirectoryNotFoundException)
        {
            return []; // emptied and removed by a concurrent delete
        }
    }
}

using System.Runtime.CompilerServices;
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
        var staging = Path.Combine(stagingRoot, $"{Guid.NewGuid():N}.part");
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

    public async IAsyncEnumerable<string> ListKeysAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var file in Directory.EnumerateFiles(blobRoot, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(blobRoot, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return key;
            }
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

    /// <summary>Part files of puts that a killed process never finished.</summary>
    public int RemoveStale(DateTimeOffset olderThan)
    {
        var removed = 0;
        foreach (var part in Directory.EnumerateFiles(stagingRoot, "*.part"))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(part) < olderThan.UtcDateTime)
                {
                    File.Delete(part);
                    removed++;
                }
            }
            catch (IOException)
            {
                // Finished or removed as we looked.
            }
        }

        return removed;
    }
}

using System.Security.Cryptography;

namespace ImageService.Processing;

/// <summary>Copies an untrusted stream into a new staging file, counting and optionally hashing it, and never writing
/// more than a limit: the one loop an upload body and a direct upload's stored object are both staged by.</summary>
internal static class StagedCopy
{
    /// <summary>Writes <paramref name="source"/> to the new file <paramref name="path"/>. Stops as soon as more than
    /// <paramref name="maxBytes"/> have been read, without writing the excess: a <c>Length</c> above the limit says so,
    /// and the caller refuses the file. <c>Sha256</c> (lower-case hex) is set when <paramref name="hash"/> is.</summary>
    public static async Task<(long Length, string? Sha256)> WriteAsync(
        Stream source, string path, long maxBytes, bool hash, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        using var sha256 = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true);
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                return (total, null);
            }

            sha256?.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return (total, sha256 is null ? null : Convert.ToHexStringLower(sha256.GetHashAndReset()));
    }
}

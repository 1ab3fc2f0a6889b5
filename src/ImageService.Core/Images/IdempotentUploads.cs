using System.Security.Cryptography;
using System.Text;
using ImageService.Core.Ports;

namespace ImageService.Core.Images;

/// <summary>
/// Uploads under an <c>Idempotency-Key</c> (IETF httpapi draft): a retry with the same key and body gets the
/// first upload's image and creates nothing; a retry while the first still runs is a 409; the same key with
/// another body is a 422. Keys are scoped to the caller, so two users cannot collide.
/// </summary>
public sealed class IdempotentUploads(ImageCatalog catalog, IIdempotencyStore store, IdempotencyOptions options, TimeProvider time)
{
    public const int MaxKeyLength = 255;

    public async Task<UploadOutcome> UploadAsync(
        string? idempotencyKey, string? metadataJson, string sourcePath, Caller caller, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null)
        {
            return new UploadOutcome(await catalog.UploadAsync(metadataJson, sourcePath, caller, cancellationToken), Replayed: false);
        }

        var key = Scope(idempotencyKey, caller);
        var now = time.GetUtcNow();
        var claim = await store.TryClaimAsync(key, await FingerprintAsync(metadataJson, sourcePath, cancellationToken), now,
            now.AddSeconds(options.KeyLifetimeSeconds), now.AddSeconds(-options.AbandonedAfterSeconds), cancellationToken);
        switch (claim.Outcome)
        {
            case IdempotencyOutcome.InProgress:
                throw new ImageServiceException(ImageErrorKind.Conflict,
                    "A request with this Idempotency-Key is still being processed. Wait for it to finish, then retry to get its result.");
            case IdempotencyOutcome.Mismatch:
                throw ImageServiceException.Unprocessable(
                    "This Idempotency-Key was already used for a different upload. Use a new key for a new upload.");
            case IdempotencyOutcome.Completed:
                var earlier = await catalog.GetAsync(claim.ImageId!.Value, cancellationToken) ?? throw ImageServiceException.NotFound(
                    $"The upload made with this Idempotency-Key created image {claim.ImageId:D}, which has since been deleted.");
                return new UploadOutcome(earlier, Replayed: true);
        }

        try
        {
            var record = await catalog.UploadAsync(metadataJson, sourcePath, caller, cancellationToken);
            await store.CompleteAsync(key, record.ImageId, CancellationToken.None);
            return new UploadOutcome(record, Replayed: false);
        }
        catch
        {
            await store.ReleaseAsync(key, CancellationToken.None);
            throw;
        }
    }

    private static string Scope(string key, Caller caller)
    {
        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < ' ' or > '~'))
        {
            throw ImageServiceException.Invalid($"The Idempotency-Key header must be 1–{MaxKeyLength} printable ASCII characters, such as a UUID.");
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.UserId ?? "-"}\n{key}")));
    }

    private static async Task<string> FingerprintAsync(string? metadataJson, string sourcePath, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(metadataJson ?? ""));
        hash.AppendData([0]);
        await using var file = File.OpenRead(sourcePath);
        var buffer = new byte[81920];
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>The image an upload produced, and whether it was an earlier upload's answer replayed.</summary>
public sealed record UploadOutcome(ImageRecord Record, bool Replayed);

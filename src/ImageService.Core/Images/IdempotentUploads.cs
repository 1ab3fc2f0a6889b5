using System.Security.Cryptography;
using System.Text;
using ImageService.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Images;

/// <summary>
/// Uploads under an <c>Idempotency-Key</c> (IETF httpapi draft), around <see cref="UploadWorkflow"/>: a retry with the
/// same key and body gets the first upload's image and creates nothing; a retry while the first still runs is a 409;
/// the same key with another body is a 422. Keys are scoped to the caller, so two users cannot collide.
/// One key leads to at most one visible image: each claim has a random owner token and a short lease that its live
/// request renews; the image id is recorded in the claim before the commit, so a request that takes over an
/// abandoned claim settles that image first (replays it if committed, fences it off if not); and once an image may
/// be committed, its key is never released.
/// </summary>
public sealed class IdempotentUploads(
    UploadWorkflow workflow, IIdempotencyStore store, IdempotencyOptions options, TimeProvider time, ILogger<IdempotentUploads> logger)
    : IUploadWorkflow
{
    public const int MaxKeyLength = 255;

    /// <summary>The host's entry point: the staged body's folder is where its variants are written.</summary>
    public Task<UploadOutcome> UploadAsync(
        string? idempotencyKey, string? metadataJson, string sourcePath, Caller caller, CancellationToken cancellationToken) =>
        UploadAsync(new UploadRequest(metadataJson, sourcePath, Path.GetDirectoryName(Path.GetFullPath(sourcePath))!, caller, idempotencyKey),
            cancellationToken);

    public async Task<UploadOutcome> UploadAsync(UploadRequest request, CancellationToken cancellationToken)
    {
        if (request.IdempotencyKey is null)
        {
            return await workflow.UploadAsync(request, cancellationToken);
        }

        var key = Scope(request.IdempotencyKey, request.Caller, request.IsServiceKey);
        var owner = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var now = time.GetUtcNow();
        var claim = await store.TryClaimAsync(key, await FingerprintAsync(request, cancellationToken), owner,
            now, now + options.Lease, now.AddSeconds(options.KeyLifetimeSeconds), cancellationToken);
        switch (claim.Outcome)
        {
            case IdempotencyOutcome.InProgress:
                throw new ImageServiceException(ImageErrorKind.Conflict,
                    "A request with this Idempotency-Key is still being processed. Wait for it to finish, then retry to get its result.");
            case IdempotencyOutcome.Mismatch:
                throw ImageServiceException.Unprocessable(
                    "This Idempotency-Key was already used for a different upload. Use a new key for a new upload.");
            case IdempotencyOutcome.Completed:
                var earlier = await workflow.FindCommittedAsync(claim.ImageId!.Value, cancellationToken) ?? throw ImageServiceException.NotFound(
                    $"The upload made with this Idempotency-Key created image {claim.ImageId:D}, which has since been deleted.");
                return new UploadOutcome(earlier, Replayed: true);
        }

        await using var lease = new ClaimLease(store, key, owner, options.Lease, time, logger);
        var recorded = claim.ImageId;
        ImageRecord record;
        try
        {
            // A takeover: the abandoned request was about to commit this image, and may still be running.
            if (recorded is { } abandoned && await workflow.SettleAbandonedAsync(abandoned, cancellationToken) is { } committed)
            {
                await lease.StopAsync();
                await CompleteAsync(key, owner, committed.ImageId);
                return new UploadOutcome(committed, Replayed: true);
            }

            record = await workflow.UploadAsync(request, async (imageId, token) =>
            {
                if (!await store.RecordImageAsync(key, owner, imageId, time.GetUtcNow() + options.Lease, token))
                {
                    throw new ImageServiceException(ImageErrorKind.Conflict,
                        "This upload took longer than its Idempotency-Key lease and a retry with the same key took over. Retry to get that request's result.");
                }

                recorded = imageId;
            }, cancellationToken);
        }
        catch
        {
            await lease.StopAsync();
            await GiveUpAsync(key, owner, recorded);
            throw;
        }

        // The image is visible: from here on the key may only lead to it.
        await lease.StopAsync();
        await CompleteAsync(key, owner, record.ImageId);
        return new UploadOutcome(record, Replayed: false);
    }

    /// <summary>Marks the key completed. If that fails the key stays started with the image recorded in it, so a retry
    /// after the lease finds the image committed and replays it.</summary>
    private async Task CompleteAsync(string key, string owner, Guid imageId)
    {
        try
        {
            if (!await store.CompleteAsync(key, owner, imageId, CancellationToken.None))
            {
                logger.LogWarning("Committed {ImageId}, but its Idempotency-Key was taken over meanwhile", imageId);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Committed {ImageId}, but could not complete its Idempotency-Key; a retry after the lease replays it", imageId);
        }
    }

    /// <summary>
    /// After a failure: frees the key for a retry, unless an image recorded in the claim is, or may be, committed
    /// (its commit's answer was lost, or the index cannot say): then the key must keep leading to that image.
    /// </summary>
    private async Task GiveUpAsync(string key, string owner, Guid? recorded)
    {
        try
        {
            if (recorded is { } imageId && await workflow.SettleAbandonedAsync(imageId, CancellationToken.None) is not null)
            {
                await CompleteAsync(key, owner, imageId);
                return;
            }

            if (!await store.ReleaseAsync(key, owner, CancellationToken.None))
            {
                logger.LogInformation("An Idempotency-Key was taken over by a retry before this request gave it up");
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not give up an Idempotency-Key claim; it frees itself when its lease runs out");
        }
    }

    private static string Scope(string key, Caller caller, bool serviceKey)
    {
        if (serviceKey)
        {
            // A line of its own: a client's key is printable ASCII, so it can never hash to the same scope.
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.UserId ?? "-"}\nservice\n{key}")));
        }

        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < ' ' or > '~'))
        {
            throw ImageServiceException.Invalid($"The Idempotency-Key header must be 1–{MaxKeyLength} printable ASCII characters, such as a UUID.");
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller.UserId ?? "-"}\n{key}")));
    }

    private static async Task<string> FingerprintAsync(UploadRequest request, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(request.MetadataJson ?? ""));
        hash.AppendData([0]);
        await using var file = File.OpenRead(request.StagedFilePath);
        var buffer = new byte[81920];
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

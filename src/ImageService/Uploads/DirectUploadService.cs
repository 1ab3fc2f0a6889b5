using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ImageService.Core;
using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Core.Uploads;
using ImageService.Processing;

namespace ImageService.Uploads;

/// <summary>
/// Direct uploads: <see cref="CreateAsync"/> records what the client may upload and signs a form for it; the client
/// posts the file to storage; <see cref="CompleteAsync"/> re-checks the stored bytes (an emulator, or a client that
/// found a way around the policy, may have stored anything) and runs them through the same upload path as
/// <c>POST /images</c>, under an idempotency key of the upload, so that completing twice, at once, or from an S3
/// notification as well as from the client, makes one image. The raw object is deleted once the upload has ended.
/// </summary>
internal sealed class DirectUploadService(
    IDirectUploadStore uploads,
    IBlobStore blobs,
    IBlobUrlSigner signer,
    IImageProcessor processor,
    IdempotentUploads images,
    UploadWorkflow workflow,
    UploadQueue queue,
    UploadStaging staging,
    DirectUploadOptions options,
    TimeProvider time,
    ILogger<DirectUploadService> logger)
{
    /// <summary>How long a complete waits for another one of the same upload (its twin, or the notification's) to finish,
    /// or for the mark and idempotency lease of one that died to run out: longer than both, shorter than API Gateway's
    /// 29 s.</summary>
    private static readonly TimeSpan WaitForTwin = TimeSpan.FromSeconds(20);

    /// <summary>How long a complete's mark keeps others from fetching the file again (see <see cref="FinishAsync"/>).</summary>
    private static readonly TimeSpan CompletingMark = TimeSpan.FromSeconds(15);

    /// <summary>What one sweep does at most for direct uploads: raw keys read, and uploads completed (each one an image
    /// processed, inside a scheduled Lambda invocation of at most 29 s).</summary>
    private const int SweepMaxRawKeys = 1000;
    private const int SweepMaxCompletions = 2;

    public async Task<(DirectUpload Upload, SignedUploadForm Form)> CreateAsync(string json, Caller caller, CancellationToken cancellationToken)
    {
        var (size, contentType, sha256) = ReadFileDeclaration(json);
        var metadata = UploadWorkflow.CheckMetadata(json, caller);
        var now = time.GetUtcNow();
        // Whole seconds: the form's expiry is signed in seconds, and the answer must not promise a fraction more.
        var expiresAt = await signer.LatestExpiryAsync(
            DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + options.UrlExpirySeconds), now, cancellationToken);
        // Stamped with the service's clock, which the sweep reads back from the id.
        var upload = new DirectUpload(Guid.CreateVersion7(now), metadata.UserId, caller.IsAuthenticated, json, size, contentType, sha256,
            now, expiresAt, expiresAt.AddSeconds(options.CompleteGraceSeconds));
        var form = await signer.SignUploadAsync(new UploadPermit(upload.UploadId, upload.RawKey, contentType, size, sha256), expiresAt, cancellationToken);
        if (!await uploads.TryAddAsync(upload, cancellationToken))
        {
            throw new InvalidOperationException($"Upload id {upload.UploadId} already exists.");
        }

        return (upload, form);
    }

    /// <summary>Completes the upload for <paramref name="caller"/>: 404 when there is no such upload (or it is past
    /// its time), 403 when a signed-in caller did not create it.</summary>
    public async Task<UploadOutcome> CompleteAsync(Guid uploadId, Caller caller, string client, CancellationToken cancellationToken)
    {
        var upload = await uploads.GetAsync(uploadId, cancellationToken);
        if (upload is null || (upload.IsOpen && time.GetUtcNow() >= upload.CompleteBy))
        {
            throw NoSuchUpload(uploadId);
        }

        if (caller.IsAuthenticated && (!upload.Authenticated || upload.UserId != caller.UserId))
        {
            throw ImageServiceException.NotOwner($"Upload {uploadId:D} was started by another user; only they can complete it.");
        }

        return await FinishAsync(upload, client, waitForOthers: true, cancellationToken);
    }

    /// <summary>Completes an upload whose file storage reported as arrived (an S3 notification, or the sweep), as the
    /// user who created it; true when it is now an image. Nothing happens for an upload that is unknown, past its
    /// time, or over.</summary>
    public async Task<bool> CompleteArrivedAsync(Guid uploadId, CancellationToken cancellationToken)
    {
        var upload = await uploads.GetAsync(uploadId, cancellationToken);
        if (upload is null || !upload.IsOpen || time.GetUtcNow() >= upload.CompleteBy)
        {
            logger.LogInformation("Ignored the arrival of upload {UploadId}: it is unknown, over or past its time", uploadId);
            return false;
        }

        try
        {
            // Never waits for a complete under way (the client's, usually, which S3 notifies about at the same moment):
            // that one makes the image, and the sweep is there should it die.
            var outcome = await FinishAsync(upload, $"upload:{uploadId:D}", waitForOthers: false, cancellationToken);
            logger.LogInformation("Completed upload {UploadId} as image {ImageId} on its arrival", uploadId, outcome.Record.ImageId);
            return true;
        }
        catch (ImageServiceException e)
        {
            logger.LogInformation("Upload {UploadId} did not become an image on its arrival: {Detail}", uploadId, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Completes an open upload: first the upload's completing mark, so that a second complete (a twin, the S3
    /// notification) neither fetches the file again nor takes a queue place and disk share while one is under way;
    /// it waits for that one to end instead (<paramref name="waitForOthers"/>), or answers 409 at once.
    /// </summary>
    private async Task<UploadOutcome> FinishAsync(DirectUpload upload, string client, bool waitForOthers, CancellationToken cancellationToken)
    {
        if (!upload.IsOpen)
        {
            return await OutcomeOfEndedAsync(upload, cancellationToken);
        }

        // Elapsed time, not the wall clock: a wait is a duration, whatever the clock says.
        var waitStarted = time.GetTimestamp();
        var owner = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        while (!await uploads.TryMarkCompletingAsync(upload.UploadId, owner, time.GetUtcNow() + CompletingMark, time.GetUtcNow(), cancellationToken))
        {
            var current = await uploads.GetAsync(upload.UploadId, cancellationToken) ?? throw NoSuchUpload(upload.UploadId);
            if (!current.IsOpen)
            {
                return await OutcomeOfEndedAsync(current, cancellationToken);
            }

            if (!waitForOthers || time.GetElapsedTime(waitStarted) >= WaitForTwin)
            {
                throw BeingCompleted(upload, why: null);
            }

            if (await WaitForEndAsync(upload, TimeSpan.FromSeconds(1), cancellationToken) is { } ended)
            {
                return await OutcomeOfEndedAsync(ended, cancellationToken);
            }
        }

        using var stopRenewing = new CancellationTokenSource();
        var renewing = RenewMarkAsync(upload.UploadId, owner, stopRenewing.Token);
        try
        {
            return await FinishMarkedAsync(upload, client, waitForOthers, waitStarted, cancellationToken);
        }
        catch
        {
            await StopAsync(stopRenewing, renewing);
            // Ended without an image that the next complete can rely on (not arrived, busy, a store down): it need not
            // wait for the mark to lapse. After a refusal or an image the mark no longer matters.
            try
            {
                await uploads.ReleaseCompletingAsync(upload.UploadId, owner, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not release the completing mark of upload {UploadId}; it lapses by itself", upload.UploadId);
            }

            throw;
        }
        finally
        {
            await StopAsync(stopRenewing, renewing);
        }
    }

    /// <summary>Keeps the mark while its complete runs (a wait for a processing slot alone may outlast it): renewed every
    /// third of its length. A renewal that fails is left to the next; the mark then lapses, which costs only work.</summary>
    private async Task RenewMarkAsync(Guid uploadId, string owner, CancellationToken stop)
    {
        try
        {
            using var timer = new PeriodicTimer(CompletingMark / 3, time);
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await uploads.TryMarkCompletingAsync(uploadId, owner, time.GetUtcNow() + CompletingMark, time.GetUtcNow(), stop);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    logger.LogDebug(e, "Could not renew the completing mark of upload {UploadId}", uploadId);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static async Task StopAsync(CancellationTokenSource stop, Task renewing)
    {
        if (!stop.IsCancellationRequested)
        {
            await stop.CancelAsync();
        }

        await renewing;
    }

    /// <summary>The rest of <see cref="FinishAsync"/>, once the upload is marked as this call's to complete.</summary>
    private async Task<UploadOutcome> FinishMarkedAsync(
        DirectUpload upload, string client, bool waitForOthers, long waitStarted, CancellationToken cancellationToken)
    {
        using var ticket = queue.Enter(upload.SizeBytes, client);
        var staged = await StageAsync(upload, cancellationToken);
        if (staged is null)
        {
            // Not there: never sent, or a twin completed the upload and deleted it a moment ago.
            return await uploads.GetAsync(upload.UploadId, cancellationToken) is { IsOpen: false } ended
                ? await OutcomeOfEndedAsync(ended, cancellationToken)
                : throw new ImageServiceException(ImageErrorKind.Conflict,
                    $"The file of upload {upload.UploadId:D} has not arrived. Post it to the upload's url with its fields first (the form is valid until {upload.ExpiresAt:u}), then complete.");
        }

        var request = new UploadRequest(
            upload.MetadataJson, staged.Value.Path, staging.Folder, OwnerOf(upload), $"direct-upload:{upload.UploadId:D}", upload.ContentType)
        {
            IsServiceKey = true,
        };
        UploadOutcome outcome;
        try
        {
            Recheck(upload, staged.Value.Length, staged.Value.Sha256);
            while (true)
            {
                try
                {
                    using (await ticket.WaitForProcessingAsync(cancellationToken))
                    {
                        outcome = await images.UploadAsync(request, cancellationToken);
                    }

                    break;
                }
                catch (ImageServiceException e) when (e.Kind == ImageErrorKind.Conflict && waitForOthers && time.GetElapsedTime(waitStarted) < WaitForTwin)
                {
                    // Another complete holds the upload's idempotency key though this one holds the mark: one whose mark
                    // lapsed while it ran, or one that died (its lease then runs out and a later try takes over).
                    if (await WaitForEndAsync(upload, TimeSpan.FromSeconds(1), cancellationToken) is { } ended)
                    {
                        return await OutcomeOfEndedAsync(ended, cancellationToken);
                    }
                }
            }
        }
        catch (ImageServiceException e) when (IsFinal(e.Kind))
        {
            // These bytes will never make an image: say so for good, and drop them.
            await uploads.FailAsync(upload.UploadId, new DirectUploadFailure(e.Kind, e.Message), CancellationToken.None);
            await DeleteRawAsync(upload);
            throw;
        }
        catch (ImageServiceException e) when (e.Kind == ImageErrorKind.Conflict)
        {
            throw BeingCompleted(upload, why: e.Message);
        }
        finally
        {
            File.Delete(staged.Value.Path);
        }

        await uploads.CompleteAsync(upload.UploadId, outcome.Record.ImageId, CancellationToken.None);
        await DeleteRawAsync(upload);
        return outcome;
    }

    /// <summary>
    /// The sweep's share: the raw files under <see cref="DirectUpload.RawPrefix"/> (only as many as uploads in flight; a
    /// complete deletes its own). One whose upload's form has expired, and which nobody completed, is completed now, as
    /// an S3 notification would (the phone went to sleep); one of an upload that is over, unknown or past its time is
    /// deleted. Upload ids are version 7 UUIDs, so the keys list oldest first, and the listing stops at the first upload
    /// whose form may still be in use. Bounded: <see cref="SweepMaxRawKeys"/> keys and <see cref="SweepMaxCompletions"/>
    /// completions a sweep; the next sweep goes on.
    /// </summary>
    public async Task<(int Completed, int Removed)> SweepRawAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = new List<(string Key, Guid UploadId)>();
        await foreach (var key in blobs.ListKeysAsync(DirectUpload.RawPrefix, cancellationToken))
        {
            if (DirectUpload.UploadIdOf(key) is not { } uploadId)
            {
                continue;
            }

            // Only the service names uploads, with version 7 ids; any other key under the prefix is garbage to delete.
            if ((uploadId.Version == 7 && CreatedAt(uploadId) > now.AddSeconds(-options.UrlExpirySeconds)) || keys.Count == SweepMaxRawKeys)
            {
                break;
            }

            keys.Add((key, uploadId));
        }

        int attempts = 0, completed = 0, removed = 0;
        foreach (var (key, uploadId) in keys)
        {
            var upload = await uploads.GetAsync(uploadId, cancellationToken);
            if (upload is { IsOpen: true } && now < upload.ExpiresAt)
            {
                continue; // its client may still be sending it (a form signed with a shortened lifetime cannot be)
            }

            if (upload is { IsOpen: true } && now < upload.CompleteBy)
            {
                // Attempts are what cost (a fetch and a decode), whether or not they end in an image.
                if (attempts++ < SweepMaxCompletions && await CompleteArrivedAsync(uploadId, cancellationToken))
                {
                    completed++;
                }

                continue;
            }

            removed += await blobs.DeleteAsync(key, cancellationToken) ? 1 : 0;
        }

        return (completed, removed);
    }

    /// <summary>When a version 7 UUID was made: its first 48 bits are the Unix time in milliseconds.</summary>
    private static DateTimeOffset CreatedAt(Guid uploadId) =>
        DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(uploadId.ToString("N").AsSpan(0, 12), NumberStyles.HexNumber,
            CultureInfo.InvariantCulture));

    /// <summary>The upload once it has ended, polled for at most <paramref name="patience"/>; null while it is still open.</summary>
    private async Task<DirectUpload?> WaitForEndAsync(DirectUpload upload, TimeSpan patience, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < patience)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
            if (await uploads.GetAsync(upload.UploadId, cancellationToken) is { IsOpen: false } ended)
            {
                return ended;
            }
        }

        return null;
    }

    private async Task<UploadOutcome> OutcomeOfEndedAsync(DirectUpload upload, CancellationToken cancellationToken)
    {
        if (upload.Failure is { } failure)
        {
            throw new ImageServiceException(failure.Kind, failure.Detail);
        }

        var record = await workflow.FindCommittedAsync(upload.ImageId!.Value, cancellationToken) ?? throw ImageServiceException.NotFound(
            $"Upload {upload.UploadId:D} became image {upload.ImageId:D}, which has since been deleted.");
        return new UploadOutcome(record, Replayed: true);
    }

    /// <summary>Copies the raw object into the staging folder, hashing it; null when it is not there. Stops at the first
    /// read past the declared size, which is enough to tell that it is too long.</summary>
    private async Task<(string Path, long Length, string Sha256)?> StageAsync(DirectUpload upload, CancellationToken cancellationToken)
    {
        await using var blob = await blobs.OpenReadAsync(upload.RawKey, cancellationToken);
        if (blob is null)
        {
            return null;
        }

        if (blob.Length != upload.SizeBytes)
        {
            await RefuseAsync(upload, SizeMismatch(upload, blob.Length));
        }

        var path = Path.Combine(staging.Folder, StagedFileNames.New(".direct"));
        try
        {
            // A length above the declared size comes back without a hash; Recheck refuses it.
            var (length, sha256) = await StagedCopy.WriteAsync(blob.Stream, path, upload.SizeBytes, hash: true, cancellationToken);
            return (path, length, sha256 ?? "");
        }
        catch (Exception e)
        {
            File.Delete(path);
            throw DiskFull.Is(e) ? DiskFull.Unavailable("The upload staging folder", e) : e;
        }
    }

    /// <summary>What the policy should have enforced, checked again on the bytes as stored.</summary>
    private static void Recheck(DirectUpload upload, long length, string sha256)
    {
        if (length != upload.SizeBytes)
        {
            throw SizeMismatch(upload, length);
        }

        if (upload.Sha256 is { } declared && declared != sha256)
        {
            throw ImageServiceException.Unprocessable(
                $"The stored file's SHA-256 is {sha256}, not the {declared} the upload declared: it was corrupted on the way. Start a new upload and send the file again.");
        }
    }

    private static ImageServiceException SizeMismatch(DirectUpload upload, long length) => length > upload.SizeBytes
        ? ImageServiceException.TooLarge(
            $"The stored file is {length:N0} bytes or more, larger than the {upload.SizeBytes:N0} bytes the upload declared. Start a new upload declaring the file's real size.")
        : ImageServiceException.Unprocessable(
            $"The stored file is {length:N0} bytes, smaller than the {upload.SizeBytes:N0} bytes the upload declared: it was cut short. Start a new upload and send the whole file.");

    private async Task RefuseAsync(DirectUpload upload, ImageServiceException refusal)
    {
        await uploads.FailAsync(upload.UploadId, new DirectUploadFailure(refusal.Kind, refusal.Message), CancellationToken.None);
        await DeleteRawAsync(upload);
        throw refusal;
    }

    private async Task DeleteRawAsync(DirectUpload upload)
    {
        try
        {
            await blobs.RemoveAsync(upload.RawKey, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The bucket's lifecycle rule (and the sweeper) remove it later.
            logger.LogWarning(e, "Could not delete the raw file of upload {UploadId}", upload.UploadId);
        }
    }

    private static ImageServiceException NoSuchUpload(Guid uploadId) => ImageServiceException.NotFound(
        $"There is no upload {uploadId:D}, or its time to complete has passed. Start again with POST /uploads.");

    private static ImageServiceException BeingCompleted(DirectUpload upload, string? why) => new(ImageErrorKind.Conflict,
        $"Upload {upload.UploadId:D} is being completed by another request. Retry in a few seconds to get its image.{(why is null ? "" : $" ({why})")}");

    /// <summary>Refusals that the same bytes would earn again; anything else (busy, a store down) may pass on a retry.</summary>
    private static bool IsFinal(ImageErrorKind kind) =>
        kind is ImageErrorKind.InvalidRequest or ImageErrorKind.UnsupportedFormat or ImageErrorKind.TooLarge or ImageErrorKind.Unprocessable;

    private static Caller OwnerOf(DirectUpload upload) => upload.Authenticated ? new Caller(upload.UserId) : Caller.Anonymous;

    /// <summary>The file part of a <c>POST /uploads</c> body: <c>size_bytes</c>, <c>content_type</c> and the optional
    /// <c>sha256</c>, each checked with a message that says what to send.</summary>
    private (long Size, string ContentType, string? Sha256) ReadFileDeclaration(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw ImageServiceException.Invalid(
                $"The body is not valid JSON ({e.Message.Split(". ")[0]}). Send an object such as {{\"user_id\":\"123\",\"size_bytes\":2048000,\"content_type\":\"image/jpeg\"}}.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw ImageServiceException.Invalid("The body must be a JSON object with the metadata, 'size_bytes' and 'content_type'.");
            }

            if (!root.TryGetProperty("size_bytes", out var sizeValue) || !sizeValue.TryGetInt64(out var size) || size < 1)
            {
                throw ImageServiceException.Invalid("'size_bytes' is required: the file's exact size in bytes, a positive whole number.");
            }

            if (size > options.MaxBytes)
            {
                throw ImageServiceException.TooLarge(
                    $"'size_bytes' is {size:N0}, more than the {options.MaxBytes:N0} bytes a direct upload may be (GET /limits shows max_direct_upload_bytes). Resize or compress the file.");
            }

            if (!root.TryGetProperty("content_type", out var typeValue) || typeValue.ValueKind != JsonValueKind.String)
            {
                throw ImageServiceException.Invalid($"'content_type' is required: the file's media type, one of {string.Join(", ", processor.AcceptedContentTypes)}.");
            }

            var contentType = typeValue.GetString()!.Trim().ToLowerInvariant();
            if (!processor.AcceptedContentTypes.Contains(contentType))
            {
                throw ImageServiceException.Unsupported(
                    $"'content_type' is '{typeValue.GetString()}', which this service does not accept. Send one of {string.Join(", ", processor.AcceptedContentTypes)}.");
            }

            string? sha256 = null;
            if (root.TryGetProperty("sha256", out var shaValue) && shaValue.ValueKind != JsonValueKind.Null)
            {
                sha256 = shaValue.ValueKind == JsonValueKind.String ? shaValue.GetString()!.ToLowerInvariant() : "";
                if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
                {
                    throw ImageServiceException.Invalid("'sha256' must be the file's SHA-256 as 64 hexadecimal digits, or left out.");
                }
            }

            return (size, contentType, sha256);
        }
    }
}

using System.Security.Cryptography;
using ImageService.Core.Metadata;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Images;

/// <summary>
/// An upload, start to end: metadata, then processing of the staged file, then three writes: the record as pending
/// (invisible), the blobs, the record's switch to committed (visible). A failure at any step undoes what it can and
/// leaves the rest for the sweeper; nothing half-written is ever visible.
/// </summary>
public sealed class UploadWorkflow(IImageIndex index, IBlobStore blobs, IImageProcessor processor, TimeProvider time, ILogger<UploadWorkflow> logger)
    : IUploadWorkflow
{
    public async Task<UploadOutcome> UploadAsync(UploadRequest request, CancellationToken cancellationToken) =>
        new(await UploadAsync(request, beforeCommit: null, cancellationToken), Replayed: false);

    /// <summary>
    /// The upload, with <paramref name="beforeCommit"/> asked, once everything but the commit is written, whether the
    /// image may still become visible: it throws to stop the upload, which is then abandoned like any failed one.
    /// </summary>
    public async Task<ImageRecord> UploadAsync(
        UploadRequest request, Func<Guid, CancellationToken, Task>? beforeCommit, CancellationToken cancellationToken)
    {
        // Metadata first: it is cheap, and a bad user_id should not cost a decode.
        var metadata = CheckMetadata(request.MetadataJson, request.Caller);
        if (request.ExpectedContentType is { } expected && processor.DetectContentType(request.StagedFilePath) is var found && found != expected)
        {
            throw ImageServiceException.Unsupported(found is null
                ? $"The file is not in an accepted image format, though the upload declared {expected}. Send a JPEG, PNG, WebP, GIF or AVIF file."
                : $"The file is {found}, but the upload declared {expected}. Declare the file's real type.");
        }

        using var processed = await processor.ProcessAsync(request.StagedFilePath, request.WorkFolder, cancellationToken);
        var record = await NewRecordAsync(Guid.CreateVersion7(), metadata, processed, cancellationToken);
        if (!await index.TryAddAsync(record, cancellationToken))
        {
            throw new InvalidOperationException($"Image id {record.ImageId} already exists in the index.");
        }

        try
        {
            await blobs.PutAllAsync(processed.Variants.Zip(record.Variants, (variant, stored) => (variant.FilePath, stored)), cancellationToken);

            if (beforeCommit is not null)
            {
                await beforeCommit(record.ImageId, cancellationToken);
            }

            if (!await index.TransitionConfirmedAsync(record.ImageId, ImageState.Pending, ImageState.Committed, Now(), cancellationToken))
            {
                // Taken over: by a retry with the same Idempotency-Key after this request's lease ran out, or by the sweeper.
                throw new ImageServiceException(ImageErrorKind.Conflict,
                    "This upload stalled and was taken over before it could finish (by a retry with the same Idempotency-Key, or by the clean-up); nothing of it was stored. Retry the upload to get its result.");
            }
        }
        catch
        {
            await AbandonAsync(record);
            throw;
        }

        logger.LogInformation("Stored {ImageId} for {UserId} ({Format} {Width}x{Height})",
            record.ImageId, metadata.UserId, processed.SourceFormat, processed.Width, processed.Height);
        return record with { State = ImageState.Committed };
    }

    /// <summary>The upload's metadata, checked against the rules and against who is asking: a signed-in caller may only
    /// post as themselves.</summary>
    public static UploadMetadata CheckMetadata(string? metadataJson, Caller caller)
    {
        if (caller.IsAuthenticated && !UploadMetadataParser.IsValidUserId(caller.UserId!))
        {
            throw ImageServiceException.NotOwner(
                "Your token's subject cannot be used as a user id here (1–128 letters, digits, '-', '_' or '.'). Ask the operator to map it.");
        }

        var metadata = UploadMetadataParser.Parse(metadataJson, defaultUserId: caller.UserId);
        return caller.IsAuthenticated && metadata.UserId != caller.UserId
            ? throw ImageServiceException.NotOwner(
                $"'metadata.user_id' is '{metadata.UserId}', but you are signed in as '{caller.UserId}'. You can only post as yourself; leave user_id out to use your own.")
            : metadata;
    }

    /// <summary>The image if it is committed; pending and deleting images do not exist for readers.</summary>
    public async Task<ImageRecord?> FindCommittedAsync(Guid imageId, CancellationToken cancellationToken) =>
        await index.GetAsync(imageId, cancellationToken) is { State: ImageState.Committed } record ? record : null;

    /// <summary>
    /// Settles an upload whose request is presumed dead but may still be running: if its image is committed, that is
    /// the answer; if it is still pending, it is moved to deleting, which its own commit can then never undo, and
    /// removed. Returns the committed image, or null when none is or ever will be.
    /// </summary>
    public async Task<ImageRecord?> SettleAbandonedAsync(Guid imageId, CancellationToken cancellationToken)
    {
        var record = await index.GetAsync(imageId, cancellationToken);
        if (record is { State: ImageState.Pending })
        {
            if (await index.TransitionConfirmedAsync(imageId, ImageState.Pending, ImageState.Deleting, Now(), cancellationToken))
            {
                logger.LogInformation("Fenced off {ImageId}, whose upload stalled past its idempotency lease", imageId);
                await RemoveQuietlyAsync(record);
                return null;
            }

            record = await index.GetAsync(imageId, cancellationToken);
        }

        return record is { State: ImageState.Committed } ? record : null;
    }

    /// <summary>
    /// Best effort after a failed upload: pending → deleting first, then the blobs, then the record, so that a crash
    /// in between leaves a record naming the blobs for the sweeper. Only a pending record is abandoned: a commit whose
    /// answer was lost may have succeeded, and then the blobs belong to a visible image.
    /// </summary>
    private async Task AbandonAsync(ImageRecord record)
    {
        try
        {
            // Not cancellable: clean-up must go on even when the client has gone.
            if (await index.TransitionConfirmedAsync(record.ImageId, ImageState.Pending, ImageState.Deleting, Now(), CancellationToken.None))
            {
                await RemoveQuietlyAsync(record);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Left failed upload {ImageId} pending, for the sweeper", record.ImageId);
        }
    }

    /// <summary>Removes a deleting record's blobs, then the record. A failure leaves it deleting, for the sweeper.</summary>
    private async Task RemoveQuietlyAsync(ImageRecord record)
    {
        try
        {
            await blobs.DeleteAllAsync(record, CancellationToken.None);
            await index.RemoveAsync(record.ImageId, ImageState.Deleting, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Left {ImageId} deleting, for the sweeper", record.ImageId);
        }
    }

    private async Task<ImageRecord> NewRecordAsync(Guid imageId, UploadMetadata metadata, ProcessedImage processed, CancellationToken cancellationToken)
    {
        var original = processed.Variants.Single(v => v.Name == VariantNames.Original);
        string originalSha256;
        await using (var file = File.OpenRead(original.FilePath))
        {
            originalSha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
        }

        var now = Now();
        return new ImageRecord(
            imageId,
            metadata.UserId,
            metadata.Caption,
            metadata.Tags,
            now,
            processed.Width,
            processed.Height,
            original.ContentType,
            original.Length,
            originalSha256,
            [.. processed.Variants.Select(v => new StoredVariant(
                v.Name, BlobKeys.ForVariant(imageId, v.Name, v.Extension), v.ContentType, v.Width, v.Height, v.Length))])
        {
            AltText = metadata.AltText,
            Placeholder = processed.Placeholder,
            DominantColor = processed.DominantColor,
            State = ImageState.Pending,
            StateChangedAt = now,
        };
    }

    private DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
}

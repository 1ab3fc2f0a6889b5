using System.Globalization;
using System.Security.Cryptography;
using ImageService.Core.Listing;
using ImageService.Core.Metadata;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Images;

/// <summary>The image workflows: upload, list, view and delete, over whichever stores the host wired in.</summary>
public sealed class ImageCatalog(
    IImageIndex index,
    IBlobStore blobs,
    IBlobUrlSigner signer,
    IImageProcessor processor,
    DownloadOptions downloads,
    TimeProvider time,
    ILogger<ImageCatalog> logger)
{
    /// <summary>
    /// Validates the metadata and processes the file, then commits in three steps: the record as pending
    /// (invisible), the blobs, the record's switch to committed (visible). A failure at any step undoes what it
    /// can and leaves the rest pending, for the sweeper to remove; nothing half-written is ever visible.
    /// </summary>
    public async Task<ImageRecord> UploadAsync(string? metadataJson, string sourcePath, Caller caller, CancellationToken cancellationToken)
    {
        if (caller.IsAuthenticated && !UploadMetadataParser.IsValidUserId(caller.UserId!))
        {
            throw ImageServiceException.NotOwner(
                "Your token's subject cannot be used as a user id here (1–128 letters, digits, '-', '_' or '.'). Ask the operator to map it.");
        }

        // Metadata first: it is cheap, and a bad user_id should not cost a decode.
        var metadata = UploadMetadataParser.Parse(metadataJson, defaultUserId: caller.UserId);
        if (caller.IsAuthenticated && metadata.UserId != caller.UserId)
        {
            throw ImageServiceException.NotOwner(
                $"'metadata.user_id' is '{metadata.UserId}', but you are signed in as '{caller.UserId}'. You can only post as yourself; leave user_id out to use your own.");
        }

        // The variants are written beside the staged upload, in the folder the caller already cleans.
        using var processed = await processor.ProcessAsync(sourcePath, Path.GetDirectoryName(Path.GetFullPath(sourcePath))!, cancellationToken);
        var record = await NewRecordAsync(Guid.CreateVersion7(), metadata, processed, cancellationToken);
        if (!await index.TryAddAsync(record, cancellationToken))
        {
            throw new InvalidOperationException($"Image id {record.ImageId} already exists in the index.");
        }

        try
        {
            foreach (var (variant, stored) in processed.Variants.Zip(record.Variants))
            {
                await using var content = new FileStream(variant.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1,
                    FileOptions.Asynchronous | FileOptions.SequentialScan);
                await blobs.PutAsync(stored.Key, content, stored.ContentType, cancellationToken);
            }

            if (!await index.TransitionAsync(record.ImageId, ImageState.Pending, ImageState.Committed, Now(), cancellationToken))
            {
                throw new InvalidOperationException($"Image {record.ImageId} stopped being pending before it was committed.");
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

    public async Task<ImagePage> ListAsync(ImageListRequest request, CancellationToken cancellationToken)
    {
        var userId = string.IsNullOrEmpty(request.UserId) ? null : request.UserId;
        if (userId is not null && !UploadMetadataParser.IsValidUserId(userId))
        {
            throw ImageServiceException.Invalid("'user_id' must be 1–128 characters of letters, digits, '-', '_' or '.'.");
        }

        string? tag = null;
        if (!string.IsNullOrEmpty(request.Tag))
        {
            tag = Tags.Normalize(request.Tag) ?? throw ImageServiceException.Invalid(
                "'tag' must be 1–64 letters, digits or underscores, optionally starting with '#'.");
        }

        var limit = ParseLimit(request.Limit);
        var after = string.IsNullOrEmpty(request.Cursor) ? null : ListCursor.Decode(request.Cursor, userId, tag);

        // One extra row tells whether a next page exists without a second query.
        var rows = await index.ListAsync(new IndexQuery(userId, tag, limit + 1, after), cancellationToken);
        var items = rows.Take(limit).ToList();
        var next = rows.Count > limit
            ? ListCursor.Encode(new ListPosition(items[^1].CreatedAt, items[^1].ImageId), userId, tag)
            : null;
        return new ImagePage(items, next);
    }

    /// <summary>The image if it is committed; pending and deleting images do not exist for readers.</summary>
    public async Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) =>
        await index.GetAsync(imageId, cancellationToken) is { State: ImageState.Committed } record ? record : null;

    /// <summary>
    /// Marks the record deleting (the image vanishes for readers at that instant), removes the blobs, then the
    /// record. A failure leaves it deleting; a retry, or the sweeper, finishes the job. An authenticated caller
    /// may only delete their own images.
    /// </summary>
    public async Task<bool> DeleteAsync(Guid imageId, Caller caller, CancellationToken cancellationToken)
    {
        var record = await index.GetAsync(imageId, cancellationToken);
        if (record is null or { State: ImageState.Pending })
        {
            return false;
        }

        if (caller.IsAuthenticated && record.UserId != caller.UserId)
        {
            throw ImageServiceException.NotOwner($"Image {imageId:D} belongs to another user; you can only delete your own images.");
        }

        if (record.State == ImageState.Committed
            && !await index.TransitionAsync(imageId, ImageState.Committed, ImageState.Deleting, Now(), cancellationToken)
            && (await index.GetAsync(imageId, cancellationToken))?.State != ImageState.Deleting)
        {
            return false;
        }

        await DeleteBlobsAsync(record, cancellationToken);
        await index.RemoveAsync(imageId, ImageState.Deleting, cancellationToken);
        logger.LogInformation("Deleted {ImageId}", imageId);
        return true;
    }

    /// <summary>Signs download links for the named variants (all of them when none are named).</summary>
    public async Task<SignedImage> SignAsync(ImageRecord record, CancellationToken cancellationToken, params string[] variantNames)
    {
        var expiresAt = downloads.ExpiryFrom(time.GetUtcNow());
        var urls = new Dictionary<string, Uri>();
        foreach (var variant in record.Variants.Where(v => variantNames.Length == 0 || variantNames.Contains(v.Name)))
        {
            var extension = Path.GetExtension(variant.Key);
            var fileName = string.Create(CultureInfo.InvariantCulture, $"{record.ImageId:D}-{variant.Name}{extension}");
            urls[variant.Name] = await signer.SignDownloadAsync(
                new BlobDownload(variant.Key, variant.ContentType, fileName), expiresAt, cancellationToken);
        }

        return new SignedImage(record, expiresAt, urls);
    }

    public static Guid ParseImageId(string imageId) =>
        Guid.TryParseExact(imageId, "D", out var id)
            ? id
            : throw ImageServiceException.Invalid(
                $"'{Shorten(imageId)}' is not an image id. Image ids are UUIDs such as 0193a5b2-7c4e-7d1a-9f3e-2b6c8d4e1a5f.");

    private static int ParseLimit(string? limit)
    {
        if (string.IsNullOrEmpty(limit))
        {
            return ImageListRequest.DefaultLimit;
        }

        return int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
               && value is >= 1 and <= ImageListRequest.MaxLimit
            ? value
            : throw ImageServiceException.Invalid($"'limit' must be a whole number from 1 to {ImageListRequest.MaxLimit}.");
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
            State = ImageState.Pending,
            StateChangedAt = now,
        };
    }

    /// <summary>
    /// Best effort after a failed upload. The record goes first, and only if it is still pending: a commit whose
    /// answer was lost may have succeeded, and then the blobs belong to a visible image. Blobs left without a
    /// record, or a record left pending, are the sweeper's.
    /// </summary>
    private async Task AbandonAsync(ImageRecord record)
    {
        try
        {
            // Not cancellable: clean-up must go on even when the client has gone.
            if (await index.RemoveAsync(record.ImageId, ImageState.Pending, CancellationToken.None))
            {
                await DeleteBlobsAsync(record, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Left pending upload {ImageId} for the sweeper", record.ImageId);
        }
    }

    private async Task DeleteBlobsAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        foreach (var variant in record.Variants)
        {
            await blobs.DeleteAsync(variant.Key, cancellationToken);
        }
    }

    private DateTimeOffset Now() => TruncateToMilliseconds(time.GetUtcNow());

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

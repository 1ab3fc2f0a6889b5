using System.Globalization;
using ImageService.Core.Listing;
using ImageService.Core.Metadata;
using ImageService.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Images;

/// <summary>The image workflows but upload (see <see cref="UploadWorkflow"/>): list, view and delete, over whichever stores the host wired in.</summary>
public sealed class ImageCatalog(
    IImageIndex index,
    IBlobStore blobs,
    IBlobUrlSigner signer,
    DownloadOptions downloads,
    TimeProvider time,
    ILogger<ImageCatalog> logger)
{
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
            && !await index.TransitionConfirmedAsync(imageId, ImageState.Committed, ImageState.Deleting, Now(), cancellationToken)
            // Another delete got there first: this one still finishes the job.
            && (await index.GetAsync(imageId, cancellationToken))?.State != ImageState.Deleting)
        {
            return false;
        }

        await blobs.DeleteAllAsync(record, cancellationToken);
        await index.RemoveAsync(imageId, ImageState.Deleting, cancellationToken);
        logger.LogInformation("Deleted {ImageId}", imageId);
        return true;
    }

    /// <summary>
    /// Applies a patch to a committed image and answers the record as stored. <paramref name="versionMatches"/> is the
    /// client's precondition (its <c>If-Match</c>), null when it has none: then the patch is applied to whatever version
    /// is current, retried when another edit lands in between (a merge patch means the same on any version). An
    /// authenticated caller may only edit their own images.
    /// </summary>
    public async Task<ImageRecord> EditAsync(Guid imageId, ImageEdit edit, Func<long, bool>? versionMatches, Caller caller, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var record = await GetAsync(imageId, cancellationToken) ?? throw NoSuchImage(imageId);
            if (caller.IsAuthenticated && record.UserId != caller.UserId)
            {
                throw ImageServiceException.NotOwner($"Image {imageId:D} belongs to another user; you can only edit your own images.");
            }

            // Checked against the version read now: a precondition such as * or a list still holds after another edit.
            if (versionMatches is not null && !versionMatches(record.Version))
            {
                throw Changed(imageId);
            }

            var edited = edit.Apply(record);
            if (ReferenceEquals(edited, record))
            {
                // Nothing to change: no write, the version stays. A retry of an edit whose tag entries a failure left
                // unmoved finishes them, so its answer means what any edit's answer means.
                if (record.EditUnsettled)
                {
                    await index.SettleEditAsync(imageId, CancellationToken.None);
                }

                return record;
            }

            var stored = await index.TryEditAsync(record, edited with { UpdatedAt = Now(), Version = record.Version + 1 }, cancellationToken);
            if (stored is not null)
            {
                logger.LogInformation("Edited {ImageId} to version {Version}", imageId, stored.Version);
                return stored;
            }

            // Deleted meanwhile (404 on the next read), or another edit won (412 next if the precondition named the old
            // version; otherwise the patch is applied again to the new one, after a short, jittered pause).
            if (attempt == MaxEditAttempts)
            {
                throw ImageServiceException.Conflict(
                    $"Image {imageId:D} is being edited by others at this moment; {MaxEditAttempts} attempts lost to their edits. Try again.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25) * attempt), time, cancellationToken);
        }
    }

    private const int MaxEditAttempts = 5;

    private static ImageServiceException Changed(Guid imageId) => ImageServiceException.PreconditionFailed(
        $"Image {imageId:D} was changed since the version your If-Match names. GET /images/{imageId:D} for the current version and its ETag, then apply your change to it.");

    /// <summary>The 404 of an image that is not there (never was, or deleted, or not yet committed).</summary>
    public static ImageServiceException NoSuchImage(Guid imageId) =>
        ImageServiceException.NotFound($"There is no image with id {imageId:D}. It may have been deleted; GET /images lists the ones that exist.");

    /// <summary>Signs download links for the named variants (all of them when none are named).</summary>
    public async Task<SignedImage> SignAsync(ImageRecord record, CancellationToken cancellationToken, params string[] variantNames)
    {
        var now = time.GetUtcNow();
        var expiresAt = await signer.LatestExpiryAsync(downloads.ExpiryFrom(now), now, cancellationToken);
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

    private DateTimeOffset Now() => TruncateToMilliseconds(time.GetUtcNow());

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

using System.Text;
using ImageService.Auth;
using ImageService.Core;
using ImageService.Core.Processing;
using ImageService.Processing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ImageService.Images;

/// <summary>
/// Streams a <c>multipart/form-data</c> upload: the <c>file</c> part goes to a staging file as it arrives,
/// counted against <see cref="UploadLimits.MaxUploadBytes"/>, so an oversize upload is refused without ever
/// being held in memory; the <c>metadata</c> part is read as text. Any failure deletes the staging file.
/// Nothing is read before the <see cref="UploadQueue"/> admits the upload, so a refusal costs no disk.
/// </summary>
internal sealed class UploadFormReader(UploadLimits limits, UploadStaging staging, UploadQueue queue, UploadQueueOptions queueOptions)
{
    private const int EnvelopeBytes = 64 * 1024;

    public async Task<UploadForm> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var boundary = ReadBoundary(request);
        var maxBody = limits.MaxUploadBytes + limits.MaxMetadataBytes + EnvelopeBytes;
        // Set before anything is read: Kestrel then also refuses to drain an oversize body after we answer.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = maxBody;
        }

        if (request.ContentLength > maxBody)
        {
            throw TooLarge();
        }

        // The declared length bounds what the file part can stage; without one, the largest body the limits allow.
        var ticket = queue.Enter(request.ContentLength ?? maxBody, ClientOf(request.HttpContext));
        string? metadata = null;
        string? filePath = null;
        long fileLength = 0;
        try
        {
            // Paced once admitted: a body trickling in would otherwise keep its place (and its disk) for hours.
            var body = new PacedBody(request.BodyReader, queueOptions, request.HttpContext.RequestAborted);
            var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 16 * 1024, HeadersCountLimit = 16 };
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
                    : null;
                switch (name)
                {
                    case "file" when filePath is not null:
                        throw ImageServiceException.Invalid("The request has more than one 'file' part; send exactly one image per upload.");
                    case "file":
                        filePath = NewStagingPath();
                        fileLength = await StageAsync(section.Body, filePath, cancellationToken);
                        break;
                    case "metadata" when metadata is not null:
                        throw ImageServiceException.Invalid("The request has more than one 'metadata' part; send exactly one.");
                    case "metadata":
                        metadata = await ReadTextAsync(section.Body, cancellationToken);
                        break;
                    default:
                        await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                        break;
                }
            }

            if (filePath is null)
            {
                throw ImageServiceException.Invalid("The 'file' part is missing. Send the image as a form field named 'file', e.g. curl -F file=@photo.jpg.");
            }

            if (fileLength == 0)
            {
                throw ImageServiceException.Invalid("The 'file' part is empty. Send the image's bytes in the form field named 'file'.");
            }

            return metadata is null
                ? throw ImageServiceException.Invalid(
                    "The 'metadata' part is missing. Send a form field named 'metadata' holding JSON such as {\"user_id\":\"123\",\"caption\":\"Beach\",\"tags\":[\"travel\"]}.")
                : new UploadForm(metadata, filePath, fileLength, ticket);
        }
        catch (Exception e)
        {
            ticket.Dispose();
            if (filePath is not null)
            {
                File.Delete(filePath);
            }

            if (DiskFull.Is(e))
            {
                throw DiskFull.Unavailable("The upload staging folder", e);
            }

            if (e is (IOException or InvalidDataException) and not BadHttpRequestException && !request.HttpContext.RequestAborted.IsCancellationRequested)
            {
                throw ImageServiceException.Invalid(
                    "The multipart body is malformed or ends early. Send multipart/form-data with a 'file' and a 'metadata' part, as curl -F or an HTML form does.");
            }

            throw;
        }
    }

    /// <summary>Whose share of the queue an upload takes: the signed-in user, otherwise the client's address.</summary>
    private static string ClientOf(HttpContext context) => Callers.From(context).UserId is { } user
        ? $"user:{user}"
        : $"address:{context.Connection.RemoteIpAddress}";

    private static string ReadBoundary(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw ImageServiceException.Unsupported(
                "POST /images takes multipart/form-data with a 'file' part (the image) and a 'metadata' part (JSON), e.g. curl -F file=@photo.jpg -F 'metadata={\"user_id\":\"123\"}'.");
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        return string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200
            ? throw ImageServiceException.Invalid("The multipart/form-data Content-Type has no valid boundary parameter.")
            : boundary;
    }

    private string NewStagingPath()
    {
        return Path.Combine(staging.Folder, StagedFileNames.New(".upload"));
    }

    private async Task<long> StageAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true);
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limits.MaxUploadBytes)
            {
                throw TooLarge();
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return total;
    }

    private async Task<string> ReadTextAsync(Stream body, CancellationToken cancellationToken)
    {
        using var text = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (text.Length + read > limits.MaxMetadataBytes)
            {
                throw ImageServiceException.Invalid($"The 'metadata' part is larger than {limits.MaxMetadataBytes:N0} bytes; captions and tags fit well within that.");
            }

            text.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    private ImageServiceException TooLarge() => ImageServiceException.TooLarge(
        $"The file is larger than the {limits.MaxUploadBytes:N0} bytes this service accepts (GET /limits shows max_upload_bytes). Resize or compress it and upload again.");
}

/// <summary>A received upload: the metadata text and the staged file, deleted on dispose, which also gives up its
/// place in the queue.</summary>
internal sealed record UploadForm(string Metadata, string FilePath, long FileLength, UploadQueue.Ticket Ticket) : IDisposable
{
    public void Dispose()
    {
        try
        {
            File.Delete(FilePath);
        }
        finally
        {
            // Even when the file cannot be deleted (the janitor removes it later): a place kept would be lost for good.
            Ticket.Dispose();
        }
    }
}

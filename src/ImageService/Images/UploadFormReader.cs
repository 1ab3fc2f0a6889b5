using System.Text;
using ImageService.Auth;
using ImageService.Core;
using ImageService.Core.Processing;
using ImageService.Http;
using ImageService.Processing;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ImageService.Images;

/// <summary>
/// Streams a <c>multipart/form-data</c> upload: the <c>file</c> part goes to a staging file as it arrives,
/// counted against <see cref="UploadLimits.MaxUploadBytes"/>, so an oversize upload is refused without ever
/// being held in memory; the <c>metadata</c> part is read as text. Any failure deletes the staging file.
/// Nothing of a <c>POST /images</c> body is read before the <see cref="UploadQueue"/> admits the upload, so a refusal
/// costs no disk; a direct upload's form is admitted once its small fields have authorised its file.
/// </summary>
internal sealed class UploadFormReader(UploadLimits limits, UploadStaging staging, UploadQueue queue, UploadQueueOptions queueOptions)
{
    private const int EnvelopeBytes = 64 * 1024;

    private static readonly HashSet<string> MetadataField = new(StringComparer.Ordinal) { "metadata" };

    /// <summary>The most parts a POST form may send before its file; S3's forms have about ten fields.</summary>
    private const int MaxPartsBeforeFile = 32;

    public async Task<UploadForm> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var shape = new FormShape(
            "POST /images takes multipart/form-data with a 'file' part (the image) and a 'metadata' part (JSON), e.g. curl -F file=@photo.jpg -F 'metadata={\"user_id\":\"123\"}'.",
            limits.MaxUploadBytes, MetadataField, _ => Task.FromResult(new FileRules(limits.MaxUploadBytes, TooLarge, HashFile: false)),
            ClientOf(request.HttpContext), AdmitAtFile: false);
        var form = await ReadFormAsync(request, shape, cancellationToken);
        if (!form.Fields.TryGetValue("metadata", out var metadata))
        {
            form.Dispose();
            throw ImageServiceException.Invalid(
                "The 'metadata' part is missing. Send a form field named 'metadata' holding JSON such as {\"user_id\":\"123\",\"caption\":\"Beach\",\"tags\":[\"travel\"]}.");
        }

        return new UploadForm(metadata, form.FilePath, form.FileLength, form.Ticket);
    }

    /// <summary>
    /// Streams an S3-style POST form: the named text <paramref name="fields"/> first, then the <c>file</c> part, whose
    /// rules <paramref name="authorize"/> decides from the fields before a byte of the file is staged (it throws to
    /// refuse the form). Such a form carries no sign-in: it takes its queue place, as the client's address, only once
    /// the fields have authorised the file, and for the size they allow. The file is hashed as it arrives.
    /// </summary>
    public Task<ReceivedForm> ReadPostFormAsync(
        HttpRequest request, long maxFileBytes, IReadOnlySet<string> fields, Func<IReadOnlyDictionary<string, string>, Task<FileRules>> authorize,
        CancellationToken cancellationToken) =>
        ReadFormAsync(request, new FormShape(
            "Upload forms take multipart/form-data: the fields the upload was given, then the file in a part named 'file'.",
            maxFileBytes, fields, authorize, AddressOf(request.HttpContext), AdmitAtFile: true), cancellationToken);

    private async Task<ReceivedForm> ReadFormAsync(HttpRequest request, FormShape shape, CancellationToken cancellationToken)
    {
        var boundary = ReadBoundary(request, shape.Usage);
        var maxBody = shape.MaxFileBytes + limits.MaxMetadataBytes + EnvelopeBytes;
        // Set before anything is read: Kestrel then also refuses to drain an oversize body after we answer.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = maxBody;
        }

        if (request.ContentLength > maxBody)
        {
            throw shape.AdmitAtFile
                ? ImageServiceException.TooLarge(
                    $"The request body is larger than a form with a file of {shape.MaxFileBytes:N0} bytes can be (GET /limits shows max_direct_upload_bytes). Nothing was stored.")
                : TooLarge(shape.MaxFileBytes);
        }

        // The declared length bounds what the file part can stage; without one, the largest body the limits allow.
        var ticket = shape.AdmitAtFile ? null : queue.Enter(request.ContentLength ?? maxBody, shape.Client);
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var partsBeforeAdmission = 0;
        string? filePath = null;
        long fileLength = 0;
        string? sha256 = null;
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
                        var rules = await shape.Authorize(fields);
                        ticket ??= queue.Enter(Math.Min(request.ContentLength ?? maxBody, rules.MaxBytes + EnvelopeBytes), shape.Client);
                        filePath = NewStagingPath();
                        (fileLength, sha256) = await StageAsync(section.Body, filePath, rules, cancellationToken);
                        break;
                    case not null when shape.TextFields.Contains(name) && fields.ContainsKey(name):
                        throw ImageServiceException.Invalid($"The request has more than one '{name}' part; send exactly one.");
                    case not null when shape.TextFields.Contains(name):
                        fields[name] = await ReadTextAsync(section.Body, name, cancellationToken);
                        break;
                    case var _ when ticket is null:
                        // Not admitted yet, so not yet bounded by the queue: a few small parts at most, as a form has.
                        if (++partsBeforeAdmission > MaxPartsBeforeFile)
                        {
                            throw ImageServiceException.Invalid($"The form has more than {MaxPartsBeforeFile} parts before its file; send the fields it was given, then the file.");
                        }

                        (await BoundedBody.ReadAsync(section.Body, limits.MaxMetadataBytes, () => ImageServiceException.Invalid(
                            $"A form field before the file is larger than {limits.MaxMetadataBytes:N0} bytes; send the fields the form was given, then the file."),
                            cancellationToken)).Dispose();
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

            return fileLength == 0
                ? throw ImageServiceException.Invalid("The 'file' part is empty. Send the image's bytes in the form field named 'file'.")
                : new ReceivedForm(fields, filePath, fileLength, sha256, ticket!);
        }
        catch (Exception e)
        {
            ticket?.Dispose();
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
                    "The multipart body is malformed or ends early. Send multipart/form-data with its fields and a 'file' part, as curl -F or an HTML form does.");
            }

            throw;
        }
    }

    /// <summary>Whose share of the queue an upload takes: the signed-in user, otherwise the client's address.</summary>
    internal static string ClientOf(HttpContext context) => Callers.From(context).UserId is { } user
        ? $"user:{user}"
        : AddressOf(context);

    private static string AddressOf(HttpContext context) => $"address:{context.Connection.RemoteIpAddress}";

    private static string ReadBoundary(HttpRequest request, string usage)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw ImageServiceException.Unsupported(usage);
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

    private static async Task<(long Length, string? Sha256)> StageAsync(Stream body, string path, FileRules rules, CancellationToken cancellationToken)
    {
        var staged = await StagedCopy.WriteAsync(body, path, rules.MaxBytes, rules.HashFile, cancellationToken);
        return staged.Length > rules.MaxBytes ? throw rules.TooLarge(rules.MaxBytes) : staged;
    }

    private Task<string> ReadTextAsync(Stream body, string name, CancellationToken cancellationToken) =>
        BoundedBody.ReadTextAsync(body, limits.MaxMetadataBytes, () => ImageServiceException.Invalid(
            $"The '{name}' part is larger than {limits.MaxMetadataBytes:N0} bytes; captions, tags and upload fields fit well within that."), cancellationToken);

    private static ImageServiceException TooLarge(long maxBytes) => ImageServiceException.TooLarge(
        $"The file is larger than the {maxBytes:N0} bytes this service accepts in POST /images (GET /limits shows max_upload_bytes). Resize or compress it, or send it as a direct upload (POST /uploads), which takes larger files.");

    /// <summary>What a form may hold: the text fields kept (others are skipped), the most its file may be, and the rules
    /// for the file, decided from the fields that came before it.</summary>
    private sealed record FormShape(
        string Usage, long MaxFileBytes, IReadOnlySet<string> TextFields, Func<IReadOnlyDictionary<string, string>, Task<FileRules>> Authorize,
        string Client, bool AdmitAtFile);
}

/// <summary>How one form's file is staged: at most <paramref name="MaxBytes"/> (<paramref name="TooLarge"/> refuses more),
/// and hashed with SHA-256 when <paramref name="HashFile"/>.</summary>
internal sealed record FileRules(long MaxBytes, Func<long, ImageServiceException> TooLarge, bool HashFile);

/// <summary>A received form: its kept text fields and the staged file (with its SHA-256 when it was hashed), deleted on
/// dispose, which also gives up its place in the queue.</summary>
internal sealed record ReceivedForm(IReadOnlyDictionary<string, string> Fields, string FilePath, long FileLength, string? Sha256, UploadQueue.Ticket Ticket)
    : IDisposable
{
    public void Dispose() => Release(FilePath, Ticket);

    /// <summary>Deletes a staged file and gives up its queue place, the place even when the file cannot be deleted (the
    /// janitor removes it later): a place kept would be lost for good.</summary>
    internal static void Release(string filePath, UploadQueue.Ticket ticket)
    {
        try
        {
            File.Delete(filePath);
        }
        finally
        {
            ticket.Dispose();
        }
    }
}

/// <summary>A received upload: the metadata text and the staged file, deleted on dispose, which also gives up its
/// place in the queue.</summary>
internal sealed record UploadForm(string Metadata, string FilePath, long FileLength, UploadQueue.Ticket Ticket) : IDisposable
{
    public void Dispose() => ReceivedForm.Release(FilePath, Ticket);
}

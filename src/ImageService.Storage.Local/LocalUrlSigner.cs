using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageService.Core.Ports;

namespace ImageService.Storage.Local;

/// <summary>
/// Download links the app serves itself: <c>/files/{key}?exp=…&amp;ct=…&amp;fn=…&amp;sig=…</c>, where the
/// signature is an HMAC-SHA256 over the key, the expiry, the content type and the file name. Upload forms the app
/// takes itself, shaped like S3's POST forms: <c>POST /uploads/{id}/file</c> with the fields <c>key</c>,
/// <c>Content-Type</c>, <c>policy</c> (what the file must be, until when) and <c>signature</c> (an HMAC of the policy).
/// </summary>
public sealed class LocalUrlSigner(byte[] key) : IBlobUrlSigner
{
    /// <summary>Relative, without a leading slash, so it resolves under whatever base path the app is served from.</summary>
    public const string RoutePrefix = "files/";

    public ValueTask<Uri> SignDownloadAsync(BlobDownload download, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var expires = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = Sign(download.Key, expires, download.ContentType, download.FileName);
        var url = $"{RoutePrefix}{download.Key}?exp={expires}&ct={Uri.EscapeDataString(download.ContentType)}"
                  + $"&fn={Uri.EscapeDataString(download.FileName)}&sig={signature}";
        return ValueTask.FromResult(new Uri(url, UriKind.Relative));
    }

    /// <summary>The app's own key never expires.</summary>
    public ValueTask<DateTimeOffset> LatestExpiryAsync(DateTimeOffset wanted, DateTimeOffset now, CancellationToken cancellationToken) =>
        ValueTask.FromResult(wanted);

    public ValueTask<SignedUploadForm> SignUploadAsync(UploadPermit permit, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var policy = new LocalUploadPolicy(permit.UploadId, permit.Key, permit.ContentType, permit.SizeBytes, permit.Sha256,
            DateTimeOffset.FromUnixTimeSeconds(expiresAt.ToUnixTimeSeconds()));
        var encoded = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(policy.Canonical()));
        var fields = new Dictionary<string, string>
        {
            ["key"] = permit.Key,
            ["Content-Type"] = permit.ContentType,
            ["policy"] = encoded,
            ["signature"] = SignPolicy(encoded),
        };
        return ValueTask.FromResult(new SignedUploadForm(new Uri($"uploads/{permit.UploadId:D}/file", UriKind.Relative), fields));
    }

    /// <summary>The policy of an upload form, if <paramref name="signature"/> is its genuine signature; null otherwise.
    /// Whether it has expired is the caller's to check.</summary>
    public LocalUploadPolicy? VerifyUpload(string? policy, string? signature)
    {
        if (policy is null || signature is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(SignPolicy(policy)), Encoding.ASCII.GetBytes(signature)))
        {
            return null;
        }

        try
        {
            return LocalUploadPolicy.Parse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(policy)));
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Checks a link's parts; says whether it is genuine and, if so, whether it is still valid at <paramref name="now"/>.</summary>
    public SignedLinkStatus Verify(string blobKey, string? expires, string? contentType, string? fileName, string? signature, DateTimeOffset now)
    {
        if (expires is null || contentType is null || fileName is null || signature is null
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var unixSeconds))
        {
            return SignedLinkStatus.Invalid;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(blobKey, expires, contentType, fileName));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)))
        {
            return SignedLinkStatus.Invalid;
        }

        return now.ToUnixTimeSeconds() < unixSeconds ? SignedLinkStatus.Valid : SignedLinkStatus.Expired;
    }

    /// <summary>Reads the key from configuration, or from <c>{root}/url-signing.key</c>, creating that file on first run.</summary>
    public static byte[] LoadOrCreateKey(LocalStorageOptions options, string root)
    {
        if (!string.IsNullOrEmpty(options.SigningKey))
        {
            return Convert.FromBase64String(options.SigningKey);
        }

        var path = Path.Combine(root, "url-signing.key");
        if (!File.Exists(path))
        {
            // Written aside and renamed into place, so no process ever reads a half-written key.
            Directory.CreateDirectory(root);
            var staged = $"{path}.{Guid.NewGuid():N}.tmp";
            // Created readable by this user only: a key that is restricted after it is written can be read before.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new StreamWriter(staged, Encoding.ASCII, create))
            {
                file.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            }

            try
            {
                File.Move(staged, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process got there first; everyone uses its key.
                File.Delete(staged);
            }
        }

        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }

    // Domain-separated from download signatures: a policy's payload starts with a line no download payload can have.
    private string SignPolicy(string encodedPolicy) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"upload-policy\n{encodedPolicy}")));

    private string Sign(string blobKey, string expires, string contentType, string fileName)
    {
        var payload = Encoding.UTF8.GetBytes($"{blobKey}\n{expires}\n{contentType}\n{fileName}");
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, payload));
    }
}

/// <summary>What a signed upload form allows: one file at <paramref name="Key"/> for upload <paramref name="UploadId"/>,
/// exactly <paramref name="SizeBytes"/> long, of <paramref name="ContentType"/> (and <paramref name="Sha256"/>), until
/// <paramref name="ExpiresAt"/>.</summary>
public sealed record LocalUploadPolicy(Guid UploadId, string Key, string ContentType, long SizeBytes, string? Sha256, DateTimeOffset ExpiresAt)
{
    public string Canonical() => string.Join('\n', "v1", UploadId.ToString("D"), Key, ContentType,
        SizeBytes.ToString(CultureInfo.InvariantCulture), Sha256 ?? "", ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));

    public static LocalUploadPolicy Parse(string canonical) => canonical.Split('\n') is ["v1", var id, var key, var type, var size, var sha, var expires]
        ? new LocalUploadPolicy(Guid.ParseExact(id, "D"), key, type, long.Parse(size, NumberStyles.None, CultureInfo.InvariantCulture),
            sha.Length == 0 ? null : sha, DateTimeOffset.FromUnixTimeSeconds(long.Parse(expires, NumberStyles.None, CultureInfo.InvariantCulture)))
        : throw new FormatException("Not an upload policy.");
}

public enum SignedLinkStatus
{
    Valid,
    Expired,
    Invalid,
}

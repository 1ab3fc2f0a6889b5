using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ImageService.Core.Listing;

/// <summary>
/// The opaque <c>cursor</c> of a list page: the position of the last item returned, bound to the filters of
/// the query it came from so it cannot be replayed against another one.
/// </summary>
public static class ListCursor
{
    private const string Version = "c1";

    public static string Encode(ListPosition position, string? userId, string? tag)
    {
        var payload = string.Join('|',
            Version,
            position.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            position.ImageId.ToString("N"),
            Fingerprint(userId, tag));
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload));
    }

    public static ListPosition Decode(string cursor, string? userId, string? tag)
    {
        var parts = TryReadPayload(cursor)?.Split('|');
        if (parts is not [Version, var millis, var id, var fingerprint]
            || !long.TryParse(millis, NumberStyles.None, CultureInfo.InvariantCulture, out var unixMs)
            || unixMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            || !Guid.TryParseExact(id, "N", out var imageId))
        {
            throw ImageServiceException.Invalid(
                "The 'cursor' is not one this service issued. Use the URL in the previous page's Link header, or leave 'cursor' out to start from the newest image.");
        }

        if (fingerprint != Fingerprint(userId, tag))
        {
            throw ImageServiceException.Invalid(
                "The 'cursor' belongs to a query with other 'user_id'/'tag' filters. Keep the filters of the page it came from, or leave 'cursor' out to start again.");
        }

        return new ListPosition(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), imageId);
    }

    private static string? TryReadPayload(string cursor)
    {
        if (cursor.Length is 0 or > 200)
        {
            return null;
        }

        Span<byte> buffer = stackalloc byte[200];
        return Base64Url.IsValid(cursor) && Base64Url.TryDecodeFromChars(cursor, buffer, out var written)
            ? Encoding.UTF8.GetString(buffer[..written])
            : null;
    }

    private static string Fingerprint(string? userId, string? tag)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}\n{tag}"));
        return Convert.ToHexStringLower(hash, 0, 6);
    }
}

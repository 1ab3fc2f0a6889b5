using System.Buffers.Text;
using System.Text;

namespace ImageService.Core.Sweeping;

/// <summary>
/// Where a full reconciliation stopped: the phase (the bucket, then the index) and the last blob key or index
/// position it finished. Base64url text, so it passes through a shell and a JSON report unchanged.
/// </summary>
internal sealed record FullSweepMarker(string Phase, string? After)
{
    public const string Blobs = "blobs";
    public const string Entries = "entries";

    public static readonly FullSweepMarker Beginning = new(Blobs, null);

    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Phase}\n{After}"));

    public static FullSweepMarker Decode(string text)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text));
        }
        catch (FormatException)
        {
            decoded = "";
        }

        return decoded.Split('\n', 2) switch
        {
            [Blobs, { Length: > 0 } key] => new(Blobs, key),
            [Entries, var position] => new(Entries, position.Length == 0 ? null : position),
            _ => throw new ArgumentException(
                $"'{text}' is not a marker that 'sweep --full' printed as 'next'. Start again without --from, or pass the 'next' of the last run."),
        };
    }
}

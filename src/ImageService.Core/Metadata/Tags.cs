using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ImageService.Core.Processing;

namespace ImageService.Core.Metadata;

/// <summary>Tag rules, shared by uploads and list filters so that <c>?tag=#Travel</c> finds what <c>"travel"</c> stored.</summary>
public static partial class Tags
{
    /// <summary>Normalises a tag: trim, drop one leading '#', Unicode NFC, lower-case. Returns null when what is
    /// left is not 1–64 letters, digits or underscores.</summary>
    public static string? Normalize(string raw)
    {
        var tag = raw.Trim();
        if (tag.StartsWith('#'))
        {
            tag = tag[1..];
        }

        tag = tag.Normalize(NormalizationForm.FormC).ToLower(CultureInfo.InvariantCulture);
        return IsValid(tag) ? tag : null;
    }

    public static bool IsValid(string tag) =>
        tag.Length is > 0 and <= UploadLimits.MaxTagLength && TagPattern().IsMatch(tag);

    /// <summary>The hashtags written in a caption, normalised, in order of appearance; ones too long to be tags are skipped.</summary>
    public static IEnumerable<string> FromCaption(string caption) =>
        HashtagPattern().Matches(caption)
            .Select(match => Normalize(match.Groups[1].Value))
            .OfType<string>();

    // Letters and digits of any script; combining marks stay because NFC leaves some scripts with them.
    [GeneratedRegex(@"^[\p{L}\p{M}\p{Nd}_]+\z")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"(?<![\p{L}\p{M}\p{Nd}_&])#([\p{L}\p{M}\p{Nd}_]+)")]
    private static partial Regex HashtagPattern();
}

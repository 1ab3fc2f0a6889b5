using System.Text.RegularExpressions;
using ImageService.Core.Metadata;
using ImageService.Testing;

namespace ImageService.Core.Tests;

/// <summary>In .NET, <c>$</c> also matches before a final newline, so a pattern anchored with it lets "alice\n" through.</summary>
public sealed partial class ValidationPatternTests
{
    [Theory]
    [InlineData("alice\n")]
    [InlineData("alice\r\n")]
    [InlineData("\nalice")]
    public void A_user_id_with_a_line_break_is_refused(string userId)
    {
        Assert.False(UploadMetadataParser.IsValidUserId(userId));
        var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["user_id"] = userId });
        var error = Assert.Throws<ImageServiceException>(() => UploadMetadataParser.Parse(json));
        Assert.Contains("'metadata.user_id' must be 1–128", error.Message);
    }

    [Fact]
    public void A_tag_with_a_trailing_newline_is_not_a_tag()
    {
        Assert.True(Tags.IsValid("travel"));
        Assert.False(Tags.IsValid("travel\n"));
    }

    [Fact]
    public void No_pattern_in_the_source_is_anchored_with_a_dollar()
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(path => File.ReadLines(path).Select((line, i) => (path, line, number: i + 1)))
            .Where(entry => DollarAnchoredPattern().IsMatch(entry.line))
            .Select(entry => $"{Path.GetRelativePath(RepositoryPaths.Root, entry.path)}:{entry.number}: {entry.line.Trim()}")
            .ToList();

        Assert.True(offenders.Count == 0, "Anchor patterns with \\z, not $:\n" + string.Join('\n', offenders));
    }

    // A GeneratedRegex or Regex constructor whose pattern string ends in an unescaped '$'.
    [GeneratedRegex("""(GeneratedRegex|new Regex|Regex\.\w+)\(.*[^\\]\$"\s*[,)]""")]
    private static partial Regex DollarAnchoredPattern();
}

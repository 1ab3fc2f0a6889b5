using ImageService.Core;
using ImageService.Core.Metadata;

namespace ImageService.Core.Tests;

public sealed class UploadMetadataParserTests
{
    [Fact]
    public void The_original_specification_example_parses()
    {
        var metadata = UploadMetadataParser.Parse("""{"user_id":"123","caption":"Beach vibes","tags":["travel","beach"]}""");

        Assert.Equal("123", metadata.UserId);
        Assert.Equal("Beach vibes", metadata.Caption);
        Assert.Equal(["travel", "beach"], metadata.Tags);
    }

    [Fact]
    public void Tags_are_trimmed_unhashed_lower_cased_composed_and_deduplicated()
    {
        // "Cafe\u0301" is "Café" written with a combining accent; NFC makes it the same tag as "café".
        var metadata = UploadMetadataParser.Parse("""{"user_id":"u","tags":["  #Travel ","TRAVEL","Cafe\u0301","café","東京"]}""");

        Assert.Equal(["travel", "café", "東京"], metadata.Tags);
    }

    [Fact]
    public void Hashtags_in_the_caption_count_as_tags_after_the_given_ones()
    {
        var metadata = UploadMetadataParser.Parse("""{"user_id":"u","caption":"Sunset at the #Beach with #friends, #beach again. Mail me: a#b","tags":["travel"]}""");

        Assert.Equal(["travel", "beach", "friends"], metadata.Tags);
        Assert.Equal("Sunset at the #Beach with #friends, #beach again. Mail me: a#b", metadata.Caption);
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_absent_optional_fields_default()
    {
        var metadata = UploadMetadataParser.Parse("""{"user_id":"abc.DEF_1-2","location":"somewhere","likes":5}""");

        Assert.Equal("abc.DEF_1-2", metadata.UserId);
        Assert.Equal("", metadata.Caption);
        Assert.Empty(metadata.Tags);
    }

    [Fact]
    public void A_numeric_user_id_is_accepted_as_its_digits()
    {
        Assert.Equal("123", UploadMetadataParser.Parse("""{"user_id":123}""").UserId);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{}", "'metadata.user_id' is required")]
    [InlineData("""{"user_id":null}""", "'metadata.user_id' is required")]
    [InlineData("""{"user_id":""}""", "'metadata.user_id' must be 1–128")]
    [InlineData("""{"user_id":"a b"}""", "'metadata.user_id' must be 1–128")]
    [InlineData("""{"user_id":"../etc"}""", "'metadata.user_id' must be 1–128")]
    [InlineData("""{"user_id":true}""", "must be a string (or a non-negative whole number), not a boolean")]
    [InlineData("""{"user_id":-4}""", "not a negative or fractional number")]
    [InlineData("""{"user_id":1.5}""", "not a negative or fractional number")]
    [InlineData("""{"user_id":"u","caption":42}""", "'metadata.caption' must be a string")]
    [InlineData("""{"user_id":"u","caption":"bell\u0007"}""", "control characters")]
    [InlineData("""{"user_id":"u","tags":"travel"}""", "'metadata.tags' must be an array")]
    [InlineData("""{"user_id":"u","tags":["ok",7]}""", "'metadata.tags[1]' must be a string")]
    [InlineData("""{"user_id":"u","tags":["two words"]}""", "'metadata.tags[0]' is not a valid tag")]
    [InlineData("""{"user_id":"u","tags":["#"]}""", "'metadata.tags[0]' is not a valid tag")]
    [InlineData("""{"user_id":"u","tags":["tab\u0009tab"]}""", "'metadata.tags[0]' is not a valid tag")]
    public void Each_broken_rule_names_the_field_and_the_fix(string json, string expected)
    {
        var error = Assert.Throws<ImageServiceException>(() => UploadMetadataParser.Parse(json));

        Assert.Equal(ImageErrorKind.InvalidRequest, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_on_user_id_caption_tag_length_and_tag_count_are_Instagrams()
    {
        Assert.Equal(new string('u', 128), UploadMetadataParser.Parse($$"""{"user_id":"{{new string('u', 128)}}"}""").UserId);
        Assert.Throws<ImageServiceException>(() => UploadMetadataParser.Parse($$"""{"user_id":"{{new string('u', 129)}}"}"""));

        Assert.Equal(2200, UploadMetadataParser.Parse($$"""{"user_id":"u","caption":"{{new string('c', 2200)}}"}""").Caption.Length);
        var longCaption = Assert.Throws<ImageServiceException>(() =>
            UploadMetadataParser.Parse($$"""{"user_id":"u","caption":"{{new string('c', 2201)}}"}"""));
        Assert.Contains("2201 characters; the limit is 2200", longCaption.Message, StringComparison.Ordinal);

        Assert.Single(UploadMetadataParser.Parse($$"""{"user_id":"u","tags":["{{new string('t', 64)}}"]}""").Tags);
        Assert.Throws<ImageServiceException>(() => UploadMetadataParser.Parse($$"""{"user_id":"u","tags":["{{new string('t', 65)}}"]}"""));
    }

    [Fact]
    public void Thirty_tags_pass_and_the_thirty_first_counting_caption_hashtags_fails()
    {
        var thirty = string.Join(',', Enumerable.Range(1, 30).Select(i => $"\"t{i}\""));
        Assert.Equal(30, UploadMetadataParser.Parse($$"""{"user_id":"u","tags":[{{thirty}}]}""").Tags.Count);

        var error = Assert.Throws<ImageServiceException>(() =>
            UploadMetadataParser.Parse($$"""{"user_id":"u","caption":"one more #extra","tags":[{{thirty}}]}"""));
        Assert.Contains("31 distinct tags", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicates_do_not_count_against_the_tag_limit()
    {
        var repeated = string.Join(',', Enumerable.Repeat("\"same\"", 100));

        Assert.Equal(["same"], UploadMetadataParser.Parse($$"""{"user_id":"u","tags":[{{repeated}}]}""").Tags);
    }
}

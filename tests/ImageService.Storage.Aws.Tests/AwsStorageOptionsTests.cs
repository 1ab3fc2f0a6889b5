using ImageService.Storage.Aws;

namespace ImageService.Storage.Aws.Tests;

public sealed class AwsStorageOptionsTests
{
    [Theory]
    [InlineData("images-bucket\n", "images_metadata", "Storage:Aws:Bucket")]
    [InlineData("images-bucket", "images_metadata\n", "Storage:Aws:Table")]
    public void A_name_with_a_trailing_newline_is_refused_at_start(string bucket, string table, string key)
    {
        var errors = new AwsStorageOptions { Bucket = bucket, Table = table }.Validate().ToList();

        Assert.Contains(errors, error => error.StartsWith(key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, null, "Storage:Aws:IndexShards")]
    [InlineData(65, null, "Storage:Aws:IndexShards")]
    [InlineData(8, 4, "Storage:Aws:ReadIndexShards")]
    [InlineData(4, 65, "Storage:Aws:ReadIndexShards")]
    public void A_shard_count_lists_could_not_serve_is_refused_at_start(int shards, int? read, string key)
    {
        var errors = new AwsStorageOptions { IndexShards = shards, ReadIndexShards = read }.Validate().ToList();

        Assert.Contains(errors, error => error.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(new AwsStorageOptions().Validate());
}

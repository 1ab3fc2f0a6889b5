using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace ImageService.Storage.Aws;

/// <summary>Attribute values as the adapters write them (strings, and numbers in invariant culture), and their
/// conditional writes.</summary>
internal static class DynamoDbValues
{
    /// <summary>Runs one conditional write on <paramref name="store"/>: false when its condition failed,
    /// <see cref="Core.StoreUnavailableException"/> when DynamoDB is unavailable for now.</summary>
    public static Task<bool> ConditionalWriteAsync(string store, Func<Task> write) => AwsFailures.Guard(store, async () =>
    {
        try
        {
            await write();
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    });

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static long Long(AttributeValue value) => long.Parse(value.N, CultureInfo.InvariantCulture);
}

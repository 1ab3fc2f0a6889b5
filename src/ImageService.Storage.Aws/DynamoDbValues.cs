using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace ImageService.Storage.Aws;

/// <summary>Attribute values as the adapters write them: strings, and numbers in invariant culture.</summary>
internal static class DynamoDbValues
{
    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static long Long(AttributeValue value) => long.Parse(value.N, CultureInfo.InvariantCulture);
}

using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace ImageService.Testing.Aws;

/// <summary>
/// Reads deploy/template.yaml (JSON, which is YAML) so that the tests create their tables from the definition
/// that is deployed, not from a copy of it.
/// </summary>
public static class DeploymentTemplate
{
    private static readonly Lazy<JsonElement> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Template)).RootElement.Clone());

    public static JsonElement Resource(string name) => Document.Value.GetProperty("Resources").GetProperty(name);

    public static string ParameterDefault(string name) =>
        Document.Value.GetProperty("Parameters").GetProperty(name).GetProperty("Default").ToString();

    /// <summary>The CreateTable request for the template's table. Point-in-time recovery, TTL and encryption are
    /// account settings the emulators do not have; keys, indexes and billing mode are all taken.</summary>
    public static CreateTableRequest TableRequest(string tableName)
    {
        var table = Resource("ImagesTable").GetProperty("Properties");
        return new CreateTableRequest
        {
            TableName = tableName,
            BillingMode = new BillingMode(table.GetProperty("BillingMode").GetString()),
            AttributeDefinitions = [.. table.GetProperty("AttributeDefinitions").EnumerateArray().Select(a =>
                new AttributeDefinition(a.GetProperty("AttributeName").GetString(), new ScalarAttributeType(a.GetProperty("AttributeType").GetString())))],
            KeySchema = KeySchema(table.GetProperty("KeySchema")),
            GlobalSecondaryIndexes = [.. table.GetProperty("GlobalSecondaryIndexes").EnumerateArray().Select(index => new GlobalSecondaryIndex
            {
                IndexName = index.GetProperty("IndexName").GetString(),
                KeySchema = KeySchema(index.GetProperty("KeySchema")),
                Projection = new Projection { ProjectionType = new ProjectionType(index.GetProperty("Projection").GetProperty("ProjectionType").GetString()) },
            })],
        };
    }

    private static List<KeySchemaElement> KeySchema(JsonElement keys) =>
        [.. keys.EnumerateArray().Select(k => new KeySchemaElement(k.GetProperty("AttributeName").GetString(), new KeyType(k.GetProperty("KeyType").GetString())))];
}

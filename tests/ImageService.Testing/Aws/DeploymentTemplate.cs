using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace ImageService.Testing.Aws;

/// <summary>
/// Reads deploy/template.yaml (JSON, which is YAML) so that the tests create their tables from the definition
/// that is deployed, not from a copy of it, and can check what a deployment with given parameters would get.
/// </summary>
public static class DeploymentTemplate
{
    private static readonly Lazy<JsonElement> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Template)).RootElement.Clone());

    public static JsonElement Resource(string name) => Document.Value.GetProperty("Resources").GetProperty(name);

    public static string ParameterDefault(string name) =>
        Document.Value.GetProperty("Parameters").GetProperty(name).GetProperty("Default").ToString();

    public static JsonElement ParameterDeclaration(string name) => Document.Value.GetProperty("Parameters").GetProperty(name);

    public static JsonElement Output(string name) => Document.Value.GetProperty("Outputs").GetProperty(name);

    /// <summary>The names of the template's resources.</summary>
    public static IEnumerable<string> ResourceNames() =>
        Document.Value.GetProperty("Resources").EnumerateObject().Select(r => r.Name);

    /// <summary>Whether the condition <paramref name="name"/> holds for a stack deployed with <paramref name="parameters"/>.</summary>
    public static bool Condition(string name, IReadOnlyDictionary<string, string>? parameters = null) =>
        new Resolver(parameters ?? new Dictionary<string, string>()).Condition(name);

    /// <summary>
    /// The resources <paramref name="resource"/> refers to as written, before the SAM transform: Ref, Fn::GetAtt,
    /// the ${Name} and ${Name.Attribute} of Fn::Sub, and DependsOn. (The transform adds edges of its own, for example
    /// from a bucket's notification to the function; cfn-lint checks the expanded template for cycles.)
    /// </summary>
    public static IReadOnlySet<string> References(string resource)
    {
        var names = ResourceNames().ToHashSet();
        var found = new HashSet<string>();
        Collect(Resource(resource), names, found);
        return found;
    }

    private static void Collect(JsonElement value, HashSet<string> names, HashSet<string> found)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    switch (property.Name)
                    {
                        case "Ref" or "DependsOn" when property.Value.ValueKind == JsonValueKind.String:
                            Add(property.Value.GetString()!);
                            break;
                        case "DependsOn" when property.Value.ValueKind == JsonValueKind.Array:
                            foreach (var name in property.Value.EnumerateArray())
                            {
                                Add(name.GetString()!);
                            }

                            break;
                        case "Fn::GetAtt" when property.Value.ValueKind == JsonValueKind.Array:
                            Add(property.Value[0].GetString()!);
                            break;
                        case "Fn::GetAtt" when property.Value.ValueKind == JsonValueKind.String:
                            Add(property.Value.GetString()!.Split('.')[0]);
                            break;
                        case "Fn::Sub":
                            var text = property.Value.ValueKind == JsonValueKind.Array ? property.Value[0] : property.Value;
                            foreach (Match match in
                                Regex.Matches(text.GetString()!, @"\$\{([^!}][^}.]*)[^}]*\}"))
                            {
                                Add(match.Groups[1].Value);
                            }

                            if (property.Value.ValueKind == JsonValueKind.Array)
                            {
                                Collect(property.Value[1], names, found);
                            }

                            break;
                        default:
                            Collect(property.Value, names, found);
                            break;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    Collect(item, names, found);
                }

                break;
        }

        void Add(string name)
        {
            if (names.Contains(name))
            {
                found.Add(name);
            }
        }
    }

    /// <summary>
    /// <paramref name="value"/> as CloudFormation would see it for a stack deployed with <paramref name="parameters"/>
    /// (the rest at their defaults): Ref to a parameter (a list for a CommaDelimitedList), Fn::If with Fn::Equals and Fn::Not conditions, and Fn::Split
    /// are worked out, and a property set to AWS::NoValue is left out. Other Refs and functions (resource attributes,
    /// Fn::Sub) stay as written.
    /// </summary>
    public static JsonNode? Resolve(JsonElement value, IReadOnlyDictionary<string, string>? parameters = null) =>
        new Resolver(parameters ?? new Dictionary<string, string>()).Resolve(value);

    private sealed class Resolver(IReadOnlyDictionary<string, string> parameters)
    {
        // Stands for AWS::NoValue until the property holding it is dropped.
        private static readonly JsonNode NoValue = JsonValue.Create("<AWS::NoValue>");

        public JsonNode? Resolve(JsonElement value)
        {
            var resolved = Visit(value);
            return ReferenceEquals(resolved, NoValue) ? null : resolved;
        }

        private JsonNode? Visit(JsonElement value)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object when Single(value) is ("Ref", var name) && Parameter(name.GetString()!) is { } parameter:
                    return IsList(name.GetString()!)
                        ? new JsonArray([.. parameter.Split(',').Select(item => JsonValue.Create(item))])
                        : JsonValue.Create(parameter);
                case JsonValueKind.Object when Single(value) is ("Ref", var name) && name.GetString() == "AWS::NoValue":
                    return NoValue;
                case JsonValueKind.Object when Single(value) is ("Fn::If", var choice):
                    return Visit(Condition(choice[0].GetString()!) ? choice[1] : choice[2]);
                case JsonValueKind.Object when Single(value) is ("Fn::Split", var split):
                    return new JsonArray([.. Visit(split[1])!.GetValue<string>().Split(split[0].GetString()).Select(part => JsonValue.Create(part))]);
                case JsonValueKind.Object:
                    var result = new JsonObject();
                    foreach (var property in value.EnumerateObject())
                    {
                        if (Visit(property.Value) is var child && !ReferenceEquals(child, NoValue))
                        {
                            result[property.Name] = child;
                        }
                    }

                    return result;
                case JsonValueKind.Array:
                    return new JsonArray([.. value.EnumerateArray().Select(Visit)]);
                default:
                    return JsonNode.Parse(value.GetRawText());
            }
        }

        private string? Parameter(string name) =>
            parameters.TryGetValue(name, out var given) ? given
            : Document.Value.GetProperty("Parameters").TryGetProperty(name, out var declared) ? declared.GetProperty("Default").ToString()
            : null;

        // A CommaDelimitedList parameter's Ref is the list of its items.
        private static bool IsList(string name) =>
            Document.Value.GetProperty("Parameters").TryGetProperty(name, out var declared)
            && declared.GetProperty("Type").GetString() == "CommaDelimitedList";

        public bool Condition(string name) => Test(Document.Value.GetProperty("Conditions").GetProperty(name));

        private bool Test(JsonElement condition) => Single(condition) switch
        {
            ("Fn::Equals", var pair) => Text(pair[0]) == Text(pair[1]),
            ("Fn::Not", var inner) => !Test(inner[0]),
            ("Condition", var name) => Condition(name.GetString()!),
            var other => throw new NotSupportedException($"The tests cannot evaluate the condition {other.Name}."),
        };

        private string Text(JsonElement value) => Visit(value)!.ToString();

        private static (string Name, JsonElement Value) Single(JsonElement value)
        {
            using var properties = value.EnumerateObject();
            return properties.MoveNext() && properties.Current is var first && !properties.MoveNext()
                ? (first.Name, first.Value)
                : ("", default);
        }
    }

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

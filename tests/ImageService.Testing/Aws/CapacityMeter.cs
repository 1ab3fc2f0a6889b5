using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace ImageService.Testing.Aws;

/// <summary>
/// The DynamoDB capacity the requests through a <see cref="RequestCounter"/> consume, in on-demand read and write request
/// units. The table's share is dynalite's own figure: each request is sent with <c>ReturnConsumedCapacity</c> = TOTAL
/// (dynalite does not check signatures, so the body can be changed after signing; AWS would refuse it), and dynalite
/// prices it by DynamoDB's rules from the items it reads and writes (1 KB per write unit, the larger of the old and new
/// item; 4 KB per read unit, halved when eventually consistent; a query's items summed before rounding, a query of an
/// index by the projected entries it reads). dynalite does not price the writes of global secondary indexes, so their
/// share is found here: every item a write touches is read (by a client that is not counted) before and after, and each
/// index it enters, leaves or changes is charged as DynamoDB does, one write of the entry at its projected size (1 KB per
/// unit) when it appears, disappears or its projected attributes change, a delete and a put when its key moves, nothing
/// when it is unchanged. The indexes are the table's own (deploy/template.yaml: keys only, so an entry is one unit) unless
/// a caller names others, as the list-design benchmark does for indexes that project a list item.
/// </summary>
public sealed class CapacityMeter(IAmazonDynamoDB reader, IReadOnlyList<GlobalSecondaryIndex>? indexes = null)
{
    private static readonly string[] TableKeys = ["pk", "sk"];

    /// <summary>The table's indexes (deploy/template.yaml): each partition key with the sort key <c>sort</c>, keys only.</summary>
    private static readonly GlobalSecondaryIndex[] TableIndexes = [.. new[] { "user_pk", "all_pk", "tag_pk", "user_tag_pk", "unsettled_pk" }
        .Select(key => new GlobalSecondaryIndex
        {
            IndexName = key,
            KeySchema = [new KeySchemaElement(key, KeyType.HASH), new KeySchemaElement("sort", KeyType.RANGE)],
            Projection = new Projection { ProjectionType = ProjectionType.KEYS_ONLY },
        })];

    private readonly IReadOnlyList<GlobalSecondaryIndex> indexes = indexes ?? TableIndexes;
    private readonly Lock gate = new();
    private double reads;
    private double tableWrites;
    private int indexWrites;
    private int largestItem;

    /// <summary>The least a query is charged. DynamoDB charges half a unit for a query that finds nothing, dynalite
    /// nothing; 0 (the default) keeps dynalite's figure, so a test can bound it from both sides.</summary>
    public double MinimumQueryUnits { get; init; }

    public double ReadUnits => reads;

    public double TableWriteUnits => tableWrites;

    public int IndexWriteUnits => indexWrites;

    public double WriteUnits => tableWrites + indexWrites;

    /// <summary>The size by DynamoDB's rules of the largest item a write left, since the last <see cref="Reset"/>: what
    /// decides whether each write of it costs one unit (under 1 KB) or more.</summary>
    public int LargestItemBytes => largestItem;

    public void Reset()
    {
        lock (gate)
        {
            (reads, tableWrites, indexWrites, largestItem) = (0, 0, 0, 0);
        }
    }

    internal async Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage request, string operation, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send,
        CancellationToken cancellationToken)
    {
        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
        body["ReturnConsumedCapacity"] = "TOTAL";
        var mediaType = request.Content.Headers.ContentType;
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        request.Content.Headers.ContentType = mediaType;

        var keys = WrittenKeys(operation, body);
        var before = await Task.WhenAll(keys.Select(key => ReadAsync(key, cancellationToken)));
        var response = await send(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var answer = new StringContent(text, Encoding.UTF8);
        answer.Headers.ContentType = response.Content.Headers.ContentType;
        response.Content = answer;
        if (!response.IsSuccessStatusCode)
        {
            return response;
        }

        var after = await Task.WhenAll(keys.Select(key => ReadAsync(key, cancellationToken)));
        var units = Units(JsonNode.Parse(text)?["ConsumedCapacity"]);
        var index = before.Zip(after).Sum(change => indexes.Sum(i => IndexWriteCost(change.First, change.Second, i)));
        lock (gate)
        {
            if (keys.Count > 0)
            {
                tableWrites += units;
                indexWrites += index;
                largestItem = before.Concat(after).Select(ItemBytes).Append(largestItem).Max();
            }
            else
            {
                reads += operation == "Query" ? Math.Max(MinimumQueryUnits, units) : units;
            }
        }

        return response;
    }

    /// <summary>An item's size as DynamoDB counts it: each attribute's name and value in UTF-8 bytes; a number about one
    /// byte per two significant digits plus one; a list or set three bytes plus one per element plus its elements.</summary>
    public static int ItemBytes(IReadOnlyDictionary<string, AttributeValue>? item) =>
        item?.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + ValueBytes(a.Value)) ?? 0;

    private static int ValueBytes(AttributeValue value) => value switch
    {
        { S: { } s } => Encoding.UTF8.GetByteCount(s),
        { N: { } n } => (n.TrimStart('-').Replace(".", "", StringComparison.Ordinal).Trim('0').Length + 1) / 2 + 1,
        { L: { Count: > 0 } list } => 3 + list.Sum(v => 1 + ValueBytes(v)),
        { SS: { Count: > 0 } set } => 3 + set.Sum(v => 1 + Encoding.UTF8.GetByteCount(v)),
        { M: { Count: > 0 } map } => 3 + map.Sum(a => 1 + Encoding.UTF8.GetByteCount(a.Key) + ValueBytes(a.Value)),
        _ => 1,
    };

    /// <summary>The entry <paramref name="item"/> has in <paramref name="index"/>: its keys and its projected attributes,
    /// or null when the item lacks the index's keys (the indexes are sparse).</summary>
    public static Dictionary<string, AttributeValue>? Entry(IReadOnlyDictionary<string, AttributeValue>? item, GlobalSecondaryIndex index)
    {
        var keys = index.KeySchema.Select(k => k.AttributeName).ToList();
        if (item is null || !keys.All(item.ContainsKey))
        {
            return null;
        }

        var projected = index.Projection.ProjectionType == ProjectionType.ALL
            ? item.Keys
            : keys.Concat(TableKeys).Concat(index.Projection.NonKeyAttributes ?? []);
        return projected.Distinct().Where(item.ContainsKey).ToDictionary(name => name, name => item[name]);
    }

    /// <summary>The write units one item's change costs <paramref name="index"/>.</summary>
    public static int IndexWriteCost(IReadOnlyDictionary<string, AttributeValue>? before, IReadOnlyDictionary<string, AttributeValue>? after, GlobalSecondaryIndex index)
    {
        static int Units(Dictionary<string, AttributeValue> entry) => Math.Max(1, (ItemBytes(entry) + 1023) / 1024);
        var (old, now) = (Entry(before, index), Entry(after, index));
        var key = index.KeySchema.Select(k => k.AttributeName).ToList();
        return (old, now) switch
        {
            (null, null) => 0,
            (null, { } added) => Units(added),
            ({ } removed, null) => Units(removed),
            ({ } o, { } n) when key.Any(k => !Same(o[k], n[k])) => Units(o) + Units(n),
            ({ } o, { } n) => o.Count == n.Count && o.All(a => n.TryGetValue(a.Key, out var v) && Same(a.Value, v)) ? 0 : Units(n),
        };
    }

    private static bool Same(AttributeValue a, AttributeValue b) =>
        a.S == b.S && a.N == b.N && (a.L?.Count ?? 0) == (b.L?.Count ?? 0) && (a.L ?? []).Zip(b.L ?? []).All(p => Same(p.First, p.Second))
        && (a.SS ?? []).SequenceEqual(b.SS ?? []);

    private static double Units(JsonNode? consumed) => consumed switch
    {
        JsonArray tables => tables.Sum(Units),
        JsonObject one => one["CapacityUnits"]?.GetValue<double>() ?? 0,
        _ => 0,
    };

    /// <summary>The keys of the items a write request names; none for a read.</summary>
    private static List<(string Table, Dictionary<string, AttributeValue> Key)> WrittenKeys(string operation, JsonObject body) => operation switch
    {
        "PutItem" => [(Table(body), KeyOf(body["Item"]!))],
        "UpdateItem" or "DeleteItem" => [(Table(body), KeyOf(body["Key"]!))],
        "BatchWriteItem" => [.. body["RequestItems"]!.AsObject().SelectMany(t => t.Value!.AsArray()
            .Select(w => (t.Key, KeyOf(w!["PutRequest"]?["Item"] ?? w["DeleteRequest"]!["Key"]!))))],
        "Query" or "GetItem" or "BatchGetItem" or "Scan" => [],
        _ => throw new NotSupportedException($"CapacityMeter does not price {operation}."),
    };

    private static string Table(JsonObject body) => body["TableName"]!.GetValue<string>();

    private static Dictionary<string, AttributeValue> KeyOf(JsonNode item) => TableKeys.ToDictionary(
        name => name, name => new AttributeValue { S = item[name]!["S"]!.GetValue<string>() });

    private async Task<Dictionary<string, AttributeValue>?> ReadAsync((string Table, Dictionary<string, AttributeValue> Key) written, CancellationToken cancellationToken)
    {
        var (table, key) = written;
        var response = await reader.GetItemAsync(new GetItemRequest { TableName = table, Key = key, ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>For a message: "12 RRU, 7 WRU (3 table + 4 index)".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reads:0.#} RRU, {WriteUnits:0.#} WRU ({tableWrites:0.#} table + {indexWrites} index), largest item {largestItem} B");

    /// <summary>Whether a request (its <c>X-Amz-Target</c>) is one to price: DynamoDB's data requests, not the tables'
    /// creation and description.</summary>
    internal static bool Prices(string target) =>
        target.StartsWith("DynamoDB_", StringComparison.Ordinal) && !target.EndsWith(".CreateTable", StringComparison.Ordinal) && !target.EndsWith(".DescribeTable", StringComparison.Ordinal);
}

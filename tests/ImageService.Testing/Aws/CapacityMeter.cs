using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace ImageService.Testing.Aws;

/// <summary>
/// The DynamoDB capacity the requests through a <see cref="RequestCounter"/> consume, in on-demand read and write request
/// units. The table's share is dynalite's own figure: each request is sent with <c>ReturnConsumedCapacity</c> = TOTAL
/// (dynalite does not check signatures, so the body can be changed after signing; AWS would refuse it), and dynalite
/// prices it by DynamoDB's rules from the items it reads and writes (1 KB per write unit, the larger of the old and new
/// item; 4 KB per read unit, halved when eventually consistent; a query's items summed before rounding). dynalite does
/// not price the global secondary indexes, so their share is found here: every item a write touches is read (by a client
/// that is not counted) before and after, and each of the table's indexes it enters, leaves or moves within costs one
/// write unit per entry written or removed (every index projects keys only, so an entry is far below 1 KB).
/// </summary>
public sealed class CapacityMeter(IAmazonDynamoDB reader)
{
    /// <summary>The partition key attribute of each of the table's indexes (deploy/template.yaml); all share the sort key
    /// <c>sort</c>.</summary>
    private static readonly string[] IndexKeys = ["user_pk", "all_pk", "tag_pk", "user_tag_pk", "unsettled_pk"];

    private double reads;
    private double tableWrites;
    private int indexWrites;
    private int largestItem;

    public double ReadUnits => reads;

    public double TableWriteUnits => tableWrites;

    public int IndexWriteUnits => indexWrites;

    public double WriteUnits => tableWrites + indexWrites;

    /// <summary>The size by DynamoDB's rules of the largest item a write left, since the last <see cref="Reset"/>: what
    /// decides whether each write of it costs one unit (under 1 KB) or more.</summary>
    public int LargestItemBytes => largestItem;

    public void Reset() => (reads, tableWrites, indexWrites, largestItem) = (0, 0, 0, 0);

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
        lock (IndexKeys)
        {
            if (keys.Count > 0)
            {
                tableWrites += units;
                indexWrites += before.Zip(after, IndexEntriesWritten).Sum();
                largestItem = before.Concat(after).Select(ItemBytes).Append(largestItem).Max();
            }
            else
            {
                reads += units;
            }
        }

        return response;
    }

    /// <summary>The table and index entries of one item that a write changed: an entry added or removed costs one unit,
    /// one whose key changed costs two (the old removed, the new written), one left as it was costs nothing.</summary>
    private static int IndexEntriesWritten(Dictionary<string, AttributeValue>? before, Dictionary<string, AttributeValue>? after) =>
        IndexKeys.Sum(index => (Entry(before, index), Entry(after, index)) switch
        {
            (null, null) => 0,
            (null, _) or (_, null) => 1,
            ({ } old, { } now) => old == now ? 0 : 2,
        });

    /// <summary>An item's size as DynamoDB counts it: each attribute's name and value in UTF-8 bytes; a number about one
    /// byte per two significant digits plus one; a list or set three bytes plus one per element plus its elements.</summary>
    private static int ItemBytes(Dictionary<string, AttributeValue>? item) =>
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

    private static string? Entry(Dictionary<string, AttributeValue>? item, string index) =>
        item is not null && item.TryGetValue(index, out var key) && item.TryGetValue("sort", out var sort) ? $"{key.S}|{sort.S}" : null;

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

    private static Dictionary<string, AttributeValue> KeyOf(JsonNode item) => new()
    {
        ["pk"] = new AttributeValue { S = item["pk"]!["S"]!.GetValue<string>() },
        ["sk"] = new AttributeValue { S = item["sk"]!["S"]!.GetValue<string>() },
    };

    private async Task<Dictionary<string, AttributeValue>?> ReadAsync((string Table, Dictionary<string, AttributeValue> Key) written, CancellationToken cancellationToken)
    {
        var (table, key) = written;
        var response = await reader.GetItemAsync(new GetItemRequest { TableName = table, Key = key, ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>For a message: "12 RRU, 7 WRU (3 table + 4 index)".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reads:0.#} RRU, {WriteUnits:0.#} WRU ({tableWrites:0.#} table + {indexWrites} index), largest item {largestItem} B");

    internal static bool Prices(string target) => target.StartsWith("DynamoDB_", StringComparison.Ordinal);
}

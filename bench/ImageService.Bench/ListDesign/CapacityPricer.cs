using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace ImageService.Bench.ListDesign;

/// <summary>
/// Prices every DynamoDB request a client sends in on-demand request units, for either list design, by one set of rules.
/// The table's share is dynalite's own answer to <c>ReturnConsumedCapacity</c> (added to each request: dynalite checks no
/// signatures). For a query of an index that is the projected entries read, summed before rounding, half a unit per 4 KB;
/// dynalite charges an empty query nothing where DynamoDB charges half a unit, so each query costs at least 0.5 here.
/// dynalite does not price index writes at all, so each written item is read before and after (by a client that is not
/// priced) and every index it enters, leaves or changes is charged as DynamoDB does: one write of the entry at its
/// projected size (1 KB per unit) when it appears, disappears or its projected attributes change; a delete and a put
/// when its key moves; nothing when its projection is unchanged. Unlike the test suite's CapacityMeter, which assumes
/// keys-only entries (always one unit), this one sizes each entry by its index's projection.
/// </summary>
public sealed class CapacityPricer(IAmazonDynamoDB reader, IReadOnlyList<GlobalSecondaryIndex> indexes) : HttpClientFactory
{
    private static readonly string[] TableKeys = ["pk", "sk"];
    private readonly ConcurrentQueue<string> operations = new();
    private readonly Lock gate = new();
    private double readUnits;
    private double tableWriteUnits;
    private double indexWriteUnits;

    public double ReadUnits => readUnits;

    public double TableWriteUnits => tableWriteUnits;

    public double IndexWriteUnits => indexWriteUnits;

    public double WriteUnits => tableWriteUnits + indexWriteUnits;

    public int Requests => operations.Count;

    /// <summary>"BatchGetItem 1, Query 4": the requests since the last <see cref="Reset"/>, in a stable order.</summary>
    public string Show() => string.Join(", ", operations.GroupBy(o => o).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));

    public void Reset()
    {
        lock (gate)
        {
            operations.Clear();
            (readUnits, tableWriteUnits, indexWriteUnits) = (0, 0, 0);
        }
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new PricingHandler(this) { InnerHandler = new SocketsHttpHandler() });

    /// <summary>An item's size by DynamoDB's rules: each attribute's name and value in UTF-8; a number about one byte per two
    /// significant digits plus one; a list three bytes plus one per element plus the elements.</summary>
    public static int ItemBytes(IReadOnlyDictionary<string, AttributeValue>? item) =>
        item?.Sum(a => Encoding.UTF8.GetByteCount(a.Key) + ValueBytes(a.Value)) ?? 0;

    private static int ValueBytes(AttributeValue value) => value switch
    {
        { S: { } s } => Encoding.UTF8.GetByteCount(s),
        { N: { } n } => ((n.TrimStart('-').Replace(".", "", StringComparison.Ordinal).Trim('0').Length + 1) / 2) + 1,
        { L: { Count: > 0 } list } => 3 + list.Sum(v => 1 + ValueBytes(v)),
        { SS: { Count: > 0 } set } => 3 + set.Sum(v => 1 + Encoding.UTF8.GetByteCount(v)),
        { M: { Count: > 0 } map } => 3 + map.Sum(a => 1 + Encoding.UTF8.GetByteCount(a.Key) + ValueBytes(a.Value)),
        _ => 1,
    };

    /// <summary>The entry <paramref name="item"/> has in <paramref name="index"/>: its key and its projected attributes,
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

    private async Task<HttpResponseMessage> PriceAsync(HttpRequestMessage request, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        var target = request.Headers.TryGetValues("X-Amz-Target", out var targets) ? targets.First() : "";
        var operation = target[(target.IndexOf('.') + 1)..];
        operations.Enqueue(operation);
        if (!target.StartsWith("DynamoDB_", StringComparison.Ordinal) || operation is "DescribeTable" or "CreateTable")
        {
            return await send(request, cancellationToken);
        }

        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
        body["ReturnConsumedCapacity"] = "TOTAL";
        var mediaType = request.Content.Headers.ContentType;
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        request.Content.Headers.ContentType = mediaType;

        var written = WrittenKeys(operation, body);
        var before = await Task.WhenAll(written.Select(key => ReadAsync(key, cancellationToken)));
        var response = await send(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var answer = new StringContent(text, Encoding.UTF8);
        answer.Headers.ContentType = response.Content.Headers.ContentType;
        response.Content = answer;
        if (!response.IsSuccessStatusCode)
        {
            return response;
        }

        var after = await Task.WhenAll(written.Select(key => ReadAsync(key, cancellationToken)));
        var units = Units(JsonNode.Parse(text)?["ConsumedCapacity"]);
        var index = before.Zip(after).Sum(change => indexes.Sum(i => IndexWriteCost(change.First, change.Second, i)));
        lock (gate)
        {
            if (written.Count > 0)
            {
                tableWriteUnits += units;
                indexWriteUnits += index;
            }
            else
            {
                readUnits += operation == "Query" ? Math.Max(0.5, units) : units;
            }
        }

        return response;
    }

    private static double Units(JsonNode? consumed) => consumed switch
    {
        JsonArray tables => tables.Sum(Units),
        JsonObject one => one["CapacityUnits"]?.GetValue<double>() ?? 0,
        _ => 0,
    };

    private static List<(string Table, Dictionary<string, AttributeValue> Key)> WrittenKeys(string operation, JsonObject body) => operation switch
    {
        "PutItem" => [(Table(body), KeyOf(body["Item"]!))],
        "UpdateItem" or "DeleteItem" => [(Table(body), KeyOf(body["Key"]!))],
        "BatchWriteItem" => [.. body["RequestItems"]!.AsObject().SelectMany(t => t.Value!.AsArray()
            .Select(w => (t.Key, KeyOf(w!["PutRequest"]?["Item"] ?? w["DeleteRequest"]!["Key"]!))))],
        "Query" or "GetItem" or "BatchGetItem" => [],
        _ => throw new NotSupportedException($"CapacityPricer does not price {operation}."),
    };

    private static string Table(JsonObject body) => body["TableName"]!.GetValue<string>();

    private static Dictionary<string, AttributeValue> KeyOf(JsonNode item) => TableKeys.ToDictionary(
        name => name, name => new AttributeValue { S = item[name]!["S"]!.GetValue<string>() });

    private async Task<Dictionary<string, AttributeValue>?> ReadAsync((string Table, Dictionary<string, AttributeValue> Key) written, CancellationToken cancellationToken)
    {
        var response = await reader.GetItemAsync(new GetItemRequest { TableName = written.Table, Key = written.Key, ConsistentRead = true }, cancellationToken);
        return response.IsItemSet && response.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>For a log line: "12.5 RRU, 7 WRU (3 table + 4 index)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{readUnits:0.#} RRU, {WriteUnits:0.#} WRU ({tableWriteUnits:0.#} table + {indexWriteUnits:0.#} index)");

    private sealed class PricingHandler(CapacityPricer pricer) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            pricer.PriceAsync(request, base.SendAsync, cancellationToken);
    }
}

using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Ports;

namespace ImageService.Storage.Aws;

/// <summary>
/// Idempotency-Key claims as items of the image table (<c>pk = idem#{key}</c>), each claim one conditional put.
/// <c>expires_at_epoch</c> is the table's TTL attribute, so DynamoDB drops old keys by itself; until it does,
/// the condition treats an expired key as free.
/// </summary>
public sealed class DynamoDbIdempotencyStore(IAmazonDynamoDB dynamo, AwsStorageOptions options) : IIdempotencyStore
{
    private const string SortKey = "idem";

    public async Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, DateTimeOffset now, DateTimeOffset expiresAt, DateTimeOffset abandonedBefore, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                await dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = options.Table,
                    Item = new()
                    {
                        ["pk"] = S(Partition(key)),
                        ["sk"] = S(SortKey),
                        ["fingerprint"] = S(fingerprint),
                        ["state"] = S("started"),
                        ["claimed_at"] = N(now.ToUnixTimeMilliseconds()),
                        ["expires_at_epoch"] = N(expiresAt.ToUnixTimeSeconds()),
                    },
                    ConditionExpression =
                        "attribute_not_exists(pk) OR expires_at_epoch <= :now OR (#state = :started AND claimed_at < :abandoned AND fingerprint = :fingerprint)",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new()
                    {
                        [":now"] = N(now.ToUnixTimeSeconds()),
                        [":started"] = S("started"),
                        [":abandoned"] = N(abandonedBefore.ToUnixTimeMilliseconds()),
                        [":fingerprint"] = S(fingerprint),
                    },
                }, cancellationToken);
                return new IdempotencyClaim(IdempotencyOutcome.Claimed);
            }
            catch (ConditionalCheckFailedException)
            {
                var existing = await dynamo.GetItemAsync(new GetItemRequest { TableName = options.Table, Key = Key(key), ConsistentRead = true }, cancellationToken);
                if (existing.Item is not { Count: > 0 } item)
                {
                    continue; // released or expired in between: try to claim again
                }

                return item["fingerprint"].S != fingerprint ? new IdempotencyClaim(IdempotencyOutcome.Mismatch)
                    : item["state"].S == "started" ? new IdempotencyClaim(IdempotencyOutcome.InProgress)
                    : new IdempotencyClaim(IdempotencyOutcome.Completed, Guid.Parse(item["image_id"].S));
            }
        }

        return new IdempotencyClaim(IdempotencyOutcome.InProgress);
    }

    public Task CompleteAsync(string key, Guid imageId, CancellationToken cancellationToken) =>
        dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = Key(key),
            UpdateExpression = "SET #state = :completed, image_id = :id",
            ConditionExpression = "#state = :started",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new() { [":completed"] = S("completed"), [":started"] = S("started"), [":id"] = S(imageId.ToString("D")) },
        }, cancellationToken);

    public async Task ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = options.Table,
                Key = Key(key),
                ConditionExpression = "#state = :started",
                ExpressionAttributeNames = new() { ["#state"] = "state" },
                ExpressionAttributeValues = new() { [":started"] = S("started") },
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already completed or gone: nothing to give up.
        }
    }

    private static string Partition(string key) => $"idem#{key}";

    private static Dictionary<string, AttributeValue> Key(string key) => new() { ["pk"] = S(Partition(key)), ["sk"] = S(SortKey) };

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}

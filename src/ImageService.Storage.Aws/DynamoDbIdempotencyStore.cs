using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core.Ports;

using static ImageService.Storage.Aws.DynamoDbValues;

namespace ImageService.Storage.Aws;

/// <summary>
/// Idempotency-Key claims as items of the image table (<c>pk = idem#{key}</c>), each change one conditional write.
/// <c>expires_at_epoch</c> is the table's TTL attribute, so DynamoDB drops old keys by itself; until it does,
/// the condition treats an expired key as free. When a condition fails the item is read back with a consistent
/// read: the SDK retries a write whose answer was lost, and that retry fails the condition the first attempt met.
/// </summary>
public sealed class DynamoDbIdempotencyStore(IAmazonDynamoDB dynamo, AwsStorageOptions options) : IIdempotencyStore
{
    private const string SortKey = "idem";
    private const string Store = "The DynamoDB idempotency table";

    public async Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        // Twice at most: a claim released between a failed write and the read-back leaves nothing to read.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await WriteAsync(() => dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = options.Table,
                    Item = new()
                    {
                        ["pk"] = S(Partition(key)),
                        ["sk"] = S(SortKey),
                        ["fingerprint"] = S(fingerprint),
                        ["state"] = S("started"),
                        ["claim_owner"] = S(owner),
                        ["claimed_at"] = N(now.ToUnixTimeMilliseconds()),
                        ["lease_until"] = N(leaseUntil.ToUnixTimeMilliseconds()),
                        ["expires_at_epoch"] = N(expiresAt.ToUnixTimeSeconds()),
                    },
                    // An expired key starts afresh, unless it is still started: then a live request may hold it (only a
                    // takeover, below, may move it on), or, for another body, once its lease has run out.
                    ConditionExpression =
                        "attribute_not_exists(pk) OR (expires_at_epoch <= :now AND (#state <> :started OR (lease_until <= :now_ms AND fingerprint <> :fingerprint)))",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new()
                    {
                        [":now"] = N(now.ToUnixTimeSeconds()),
                        [":now_ms"] = N(now.ToUnixTimeMilliseconds()),
                        [":started"] = S("started"),
                        [":fingerprint"] = S(fingerprint),
                    },
                }, cancellationToken)))
            {
                return new IdempotencyClaim(IdempotencyOutcome.Claimed);
            }

            // A takeover keeps the image id the abandoned request recorded: the new owner must settle it.
            if (await WriteAsync(() => dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = options.Table,
                    Key = Key(key),
                    UpdateExpression = "SET claim_owner = :owner, claimed_at = :now_ms, lease_until = :lease, expires_at_epoch = :expires",
                    ConditionExpression =
                        "#state = :started AND fingerprint = :fingerprint AND (lease_until <= :now_ms OR attribute_not_exists(lease_until))",
                    ExpressionAttributeNames = new() { ["#state"] = "state" },
                    ExpressionAttributeValues = new()
                    {
                        [":owner"] = S(owner),
                        [":now_ms"] = N(now.ToUnixTimeMilliseconds()),
                        [":lease"] = N(leaseUntil.ToUnixTimeMilliseconds()),
                        [":expires"] = N(expiresAt.ToUnixTimeSeconds()),
                        [":started"] = S("started"),
                        [":fingerprint"] = S(fingerprint),
                    },
                }, cancellationToken)))
            {
                var taken = await ReadAsync(key, cancellationToken);
                return new IdempotencyClaim(IdempotencyOutcome.Claimed, taken is not null && taken.Owner == owner ? taken.ImageId : null);
            }

            if (await ReadAsync(key, cancellationToken) is { } existing)
            {
                return IdempotencyClaim.ReadBack(owner, fingerprint, existing.Owner, existing.Fingerprint, existing.State == "started", existing.ImageId);
            }
        }

        return new IdempotencyClaim(IdempotencyOutcome.InProgress);
    }

    public Task<bool> RenewAsync(string key, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        ChangeAsync(key, owner, "SET lease_until = :lease", new() { [":lease"] = N(leaseUntil.ToUnixTimeMilliseconds()) },
            stored => stored is { State: "started" } && stored.LeaseUntil == leaseUntil.ToUnixTimeMilliseconds(), cancellationToken, leaseUntil);

    public Task<bool> RecordImageAsync(string key, string owner, Guid imageId, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        ChangeAsync(key, owner, "SET image_id = :id, lease_until = :lease",
            new() { [":id"] = S(imageId.ToString("D")), [":lease"] = N(leaseUntil.ToUnixTimeMilliseconds()) },
            stored => stored is { State: "started" } && stored.ImageId == imageId, cancellationToken, leaseUntil);

    public Task<bool> CompleteAsync(string key, string owner, Guid imageId, CancellationToken cancellationToken) =>
        ChangeAsync(key, owner, "SET #state = :completed, image_id = :id",
            new() { [":completed"] = S("completed"), [":id"] = S(imageId.ToString("D")) },
            stored => stored is { State: "completed" } && stored.ImageId == imageId, cancellationToken);

    public async Task<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        await WriteAsync(() => dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = options.Table,
            Key = Key(key),
            ConditionExpression = "#state = :started AND claim_owner = :owner",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = new() { [":started"] = S("started"), [":owner"] = S(owner) },
        }, cancellationToken))
        // Already gone (an earlier attempt landed, or the claim expired): nothing of the owner's is left.
        || await ReadAsync(key, cancellationToken) is null;

    /// <summary>One conditional update of the owner's started claim; when its condition fails, whether the claim
    /// already holds what it writes. A <paramref name="lease"/> past the item's TTL moves the TTL to it: DynamoDB
    /// deletes an item whose <c>expires_at_epoch</c> has passed whatever it holds, and a claim deleted under a live
    /// request lets a retry of the same key make a second image.</summary>
    private async Task<bool> ChangeAsync(
        string key, string owner, string update, Dictionary<string, AttributeValue> values, Func<Stored?, bool> landed,
        CancellationToken cancellationToken, DateTimeOffset? lease = null)
    {
        values[":started"] = S("started");
        values[":owner"] = S(owner);
        Dictionary<string, AttributeValue>? written = null;
        var changed = await WriteAsync(async () => written = (await dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = Key(key),
            UpdateExpression = update,
            ConditionExpression = "#state = :started AND claim_owner = :owner",
            ExpressionAttributeNames = new() { ["#state"] = "state" },
            ExpressionAttributeValues = values,
            ReturnValues = lease is null ? ReturnValue.NONE : ReturnValue.ALL_NEW,
        }, cancellationToken)).Attributes);
        Stored? stored = null;
        if (!changed)
        {
            stored = await ReadAsync(key, cancellationToken);
            if (stored is null || stored.Owner != owner || !landed(stored))
            {
                return false;
            }
        }

        var expiresAt = written is { Count: > 0 } ? ToStored(written).ExpiresAt : stored?.ExpiresAt ?? long.MaxValue;
        // Rounded up: TTL counts whole seconds, and the lease must not outlive the item by a fraction.
        if (lease is { } until && (until.ToUnixTimeMilliseconds() + 999) / 1000 is var epoch && expiresAt < epoch)
        {
            await ExtendAsync(key, owner, epoch, cancellationToken);
        }

        return true;
    }

    /// <summary>Moves the claim's TTL forward to <paramref name="epoch"/>, never back: a condition that fails means
    /// the claim is no longer the owner's or already lasts long enough.</summary>
    private Task<bool> ExtendAsync(string key, string owner, long epoch, CancellationToken cancellationToken) =>
        WriteAsync(() => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = Key(key),
            UpdateExpression = "SET expires_at_epoch = :epoch",
            ConditionExpression = "claim_owner = :owner AND expires_at_epoch < :epoch",
            ExpressionAttributeValues = new() { [":owner"] = S(owner), [":epoch"] = N(epoch) },
        }, cancellationToken));

    private static Task<bool> WriteAsync(Func<Task> write) => ConditionalWriteAsync(Store, write);

    private Task<Stored?> ReadAsync(string key, CancellationToken cancellationToken) => AwsFailures.Guard(Store, async () =>
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = options.Table, Key = Key(key), ConsistentRead = true }, cancellationToken);
        return response.Item is { Count: > 0 } item ? ToStored(item) : null;
    });

    private static Stored ToStored(Dictionary<string, AttributeValue> item) => new(
        item["fingerprint"].S,
        item["state"].S,
        item.TryGetValue("image_id", out var id) ? Guid.Parse(id.S) : null,
        item.TryGetValue("claim_owner", out var owner) ? owner.S : "",
        item.TryGetValue("lease_until", out var lease) ? long.Parse(lease.N, CultureInfo.InvariantCulture) : 0,
        item.TryGetValue("expires_at_epoch", out var expires) ? long.Parse(expires.N, CultureInfo.InvariantCulture) : long.MaxValue);

    private static string Partition(string key) => $"idem#{key}";

    private static Dictionary<string, AttributeValue> Key(string key) => new() { ["pk"] = S(Partition(key)), ["sk"] = S(SortKey) };


    private sealed record Stored(string Fingerprint, string State, Guid? ImageId, string Owner, long LeaseUntil, long ExpiresAt);
}

using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImageService.Core;
using ImageService.Core.Ports;
using ImageService.Core.Uploads;
using static ImageService.Storage.Aws.DynamoDbValues;

namespace ImageService.Storage.Aws;

/// <summary>
/// Direct uploads as items of the image table (<c>pk = upload#{id}</c>), each change one conditional write, read back
/// with a consistent read when its condition fails (the SDK retries a write whose answer was lost). The table's TTL
/// attribute drops an upload a day after its last chance to complete; no index lists them, nothing needs to.
/// </summary>
public sealed class DynamoDbDirectUploadStore(IAmazonDynamoDB dynamo, AwsStorageOptions options) : IDirectUploadStore
{
    private const string SortKey = "upload";
    private const string Store = "The DynamoDB upload table";
    private static readonly TimeSpan KeptAfter = TimeSpan.FromDays(1);

    public Task<bool> TryAddAsync(DirectUpload upload, CancellationToken cancellationToken)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["pk"] = S(Partition(upload.UploadId)),
            ["sk"] = S(SortKey),
            ["user_id"] = S(upload.UserId),
            ["authenticated"] = new() { BOOL = upload.Authenticated },
            ["metadata"] = S(upload.MetadataJson),
            ["size_bytes"] = N(upload.SizeBytes),
            ["content_type"] = S(upload.ContentType),
            ["created_at"] = N(upload.CreatedAt.ToUnixTimeMilliseconds()),
            ["expires_at"] = N(upload.ExpiresAt.ToUnixTimeMilliseconds()),
            ["complete_by"] = N(upload.CompleteBy.ToUnixTimeMilliseconds()),
            ["expires_at_epoch"] = N((upload.CompleteBy + KeptAfter).ToUnixTimeSeconds()),
        };
        if (upload.Sha256 is not null)
        {
            item["sha256"] = S(upload.Sha256);
        }

        return WriteAsync(() => dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = options.Table,
            Item = item,
            ConditionExpression = "attribute_not_exists(pk)",
        }, cancellationToken));
    }

    public Task<DirectUpload?> GetAsync(Guid uploadId, CancellationToken cancellationToken) => AwsFailures.Guard(Store, async () =>
    {
        var response = await dynamo.GetItemAsync(
            new GetItemRequest { TableName = options.Table, Key = Key(uploadId), ConsistentRead = true }, cancellationToken);
        return response.Item is { Count: > 0 } item ? ToUpload(item) : null;
    });

    public Task<bool> TryMarkCompletingAsync(Guid uploadId, string owner, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(() => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = Key(uploadId),
            UpdateExpression = "SET completing_until = :until, completing_owner = :owner",
            ConditionExpression = "attribute_exists(pk) AND attribute_not_exists(image_id) AND attribute_not_exists(failure_kind)"
                                  + " AND (attribute_not_exists(completing_until) OR completing_until <= :now OR completing_owner = :owner)",
            ExpressionAttributeValues = new()
            {
                [":until"] = N(until.ToUnixTimeMilliseconds()), [":now"] = N(now.ToUnixTimeMilliseconds()), [":owner"] = S(owner),
            },
        }, cancellationToken));

    public Task ReleaseCompletingAsync(Guid uploadId, string owner, CancellationToken cancellationToken) =>
        WriteAsync(() => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = Key(uploadId),
            UpdateExpression = "SET completing_until = :zero",
            ConditionExpression = "completing_owner = :owner",
            ExpressionAttributeValues = new() { [":zero"] = N(0), [":owner"] = S(owner) },
        }, cancellationToken));

    public async Task<bool> CompleteAsync(Guid uploadId, Guid imageId, CancellationToken cancellationToken) =>
        await EndAsync(uploadId, "SET image_id = :image", new() { [":image"] = S(imageId.ToString("D")) }, cancellationToken)
        || await GetAsync(uploadId, cancellationToken) is { } stored && stored.ImageId == imageId;

    public async Task<bool> FailAsync(Guid uploadId, DirectUploadFailure failure, CancellationToken cancellationToken) =>
        await EndAsync(uploadId, "SET failure_kind = :kind, failure_detail = :detail",
            new() { [":kind"] = S(failure.Kind.ToString()), [":detail"] = S(failure.Detail) }, cancellationToken)
        || await GetAsync(uploadId, cancellationToken) is { Failure: not null };

    /// <summary>Ends an open upload, once: the condition holds only while it has neither an image nor a failure.</summary>
    private Task<bool> EndAsync(Guid uploadId, string update, Dictionary<string, AttributeValue> values, CancellationToken cancellationToken) =>
        WriteAsync(() => dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = options.Table,
            Key = Key(uploadId),
            UpdateExpression = update,
            ConditionExpression = "attribute_exists(pk) AND attribute_not_exists(image_id) AND attribute_not_exists(failure_kind)",
            ExpressionAttributeValues = values,
        }, cancellationToken));

    private static Task<bool> WriteAsync(Func<Task> write) => ConditionalWriteAsync(Store, write);

    private static DirectUpload ToUpload(Dictionary<string, AttributeValue> item) => new(
        Guid.ParseExact(item["pk"].S["upload#".Length..], "D"),
        item["user_id"].S,
        item["authenticated"].BOOL == true,
        item["metadata"].S,
        Long(item["size_bytes"]),
        item["content_type"].S,
        item.TryGetValue("sha256", out var sha) ? sha.S : null,
        DateTimeOffset.FromUnixTimeMilliseconds(Long(item["created_at"])),
        DateTimeOffset.FromUnixTimeMilliseconds(Long(item["expires_at"])),
        DateTimeOffset.FromUnixTimeMilliseconds(Long(item["complete_by"])))
    {
        ImageId = item.TryGetValue("image_id", out var image) ? Guid.Parse(image.S) : null,
        Failure = item.TryGetValue("failure_kind", out var kind)
            ? new DirectUploadFailure(Enum.Parse<ImageErrorKind>(kind.S), item["failure_detail"].S)
            : null,
    };

    private static string Partition(Guid uploadId) => $"upload#{uploadId:D}";

    private static Dictionary<string, AttributeValue> Key(Guid uploadId) => new() { ["pk"] = S(Partition(uploadId)), ["sk"] = S(SortKey) };
}

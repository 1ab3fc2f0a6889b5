using ImageService.Core.Listing;
using ImageService.Testing.Contracts;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local.Tests;

/// <summary>Deep pages must cost what the first page costs: every list query is an index range read, never a scan or a sort.</summary>
public sealed class SqliteQueryPlanTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"plan-{Guid.NewGuid():N}");

    [Theory]
    [InlineData(null, null)]
    [InlineData("alice", null)]
    [InlineData(null, "travel")]
    [InlineData("alice", "travel")]
    public async Task List_queries_search_an_index_without_sorting(string? userId, string? tag)
    {
        var database = Path.Combine(root, "index.db");
        var index = new SqliteImageIndex(database);
        for (var i = 0; i < 50; i++)
        {
            await index.TryAddAsync(ImageIndexContract.Record(i % 2 == 0 ? "alice" : "bob", i, "travel"), default);
        }

        var deepPage = new IndexQuery(userId, tag, 21, new ListPosition(DateTimeOffset.UtcNow, Guid.NewGuid()));
        var plan = await ExplainAsync(database, deepPage);

        Assert.Contains(plan, line => line.StartsWith("SEARCH", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_purge_of_expired_idempotency_keys_searches_the_expiry_index()
    {
        var database = Path.Combine(root, "index.db");
        _ = new SqliteIdempotencyStore(database);
        await using var connection = new SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteIdempotencyStore.PurgeStatement;
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var plan = await ReadPlanAsync(command);

        Assert.Contains(plan, line => line.Contains("USING INDEX idempotency_keys_expiry", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN idempotency_keys", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }

    private static async Task<List<string>> ExplainAsync(string database, IndexQuery query)
    {
        await using var connection = new SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteSchema.ListQuery(query);
        command.Parameters.AddWithValue("$user", query.UserId ?? "");
        command.Parameters.AddWithValue("$tag", query.Tag ?? "");
        command.Parameters.AddWithValue("$after_created", query.After!.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$after_id", query.After.ImageId.ToString("D"));
        command.Parameters.AddWithValue("$limit", query.Limit);
        return await ReadPlanAsync(command);
    }

    private static async Task<List<string>> ReadPlanAsync(SqliteCommand command)
    {
        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(3));
        }

        return plan;
    }
}

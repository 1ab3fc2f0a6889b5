using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImageService.Core.Listing;
using ImageService.Storage.Local;
using Microsoft.Data.Sqlite;

namespace ImageService.Bench;

/// <summary>
/// Latency of list queries on the SQLite index at 10k, 100k and 1M images (seeded directly, not uploaded):
/// first pages and deep pages (reached by cursor position, as a client paging through would), by user and by tag.
/// </summary>
public static class ListingBenchmark
{
    public static Task RunAsync(BenchOptions options, Report report)
    {
        int[] sizes = options.Smoke ? [1_000, 2_000] : options.Quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
        var results = new Dictionary<(int Size, string Query), (double P50, double P99)>();
        foreach (var size in sizes)
        {
            var database = Path.Combine(options.Work, $"listing-{size}.db");
            if (!File.Exists(database))
            {
                Seed(database, size);
            }

            var index = new SqliteImageIndex(database);
            foreach (var (name, user, tag) in ListingWorkload.Queries)
            {
                results[(size, $"{name}, first page")] = Measure(index, new IndexQuery(user, tag, ListingWorkload.PageSize + 1));
                var deep = DeepPosition(database, user, tag);
                results[(size, $"{name}, deep page")] = Measure(index, new IndexQuery(user, tag, ListingWorkload.PageSize + 1, deep.Position));
                Console.WriteLine($"listing {size}: {name} deep page at item {deep.Offset:N0}");
            }
        }

        var table = new StringBuilder("| Images | Query | p50 ms | p99 ms |\n|---:|---|---:|---:|\n");
        foreach (var ((size, query), (p50, p99)) in results)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| {size:N0} | {query} | {p50:F3} | {p99:F3} |");
        }

        var smallest = sizes[0];
        var largest = sizes[^1];
        var targets = new StringBuilder("| Target | Measured | Met |\n|---|---:|---|\n");
        foreach (var query in results.Keys.Where(k => k.Size == largest).Select(k => k.Query))
        {
            var ratio = results[(largest, query)].P99 / results[(smallest, query)].P99;
            targets.AppendLine(CultureInfo.InvariantCulture, $"| p99 at {largest:N0} ≤ 1.3 × p99 at {smallest:N0}: {query} | {ratio:F2} × | {(ratio <= 1.3 ? "yes" : "**no**")} |");
        }

        var worst = results.Where(r => r.Key.Size == largest).Max(r => r.Value.P99);
        targets.AppendLine(CultureInfo.InvariantCulture, $"| p99 at {largest:N0} under 5 ms (worst query) | {worst:F3} ms | {(worst < 5 ? "yes" : "**no**")} |");
        report.Add($"""
            ## 4. Listing at scale (SQLite)

            `SqliteImageIndex.ListAsync` for a page of {ListingWorkload.PageSize} (+1 to detect a next page), in process, after warm-up;
            {ListingWorkload.Users} users, {ListingWorkload.TagCount} tags, two tags per image. A deep page starts at the 20,000th matching image (page
            1,000) or, where a filter matches fewer, at the deepest full page, and is reached by keyset position, exactly as a
            client following `Link` headers would reach it.

            {table}
            {targets}
            """);
        return Task.CompletedTask;
    }

    private static (double P50, double P99) Measure(SqliteImageIndex index, IndexQuery query)
    {
        for (var i = 0; i < 30; i++)
        {
            index.ListAsync(query, default).GetAwaiter().GetResult();
        }

        var samples = new List<double>();
        for (var i = 0; i < 500; i++)
        {
            var clock = Stopwatch.StartNew();
            index.ListAsync(query, default).GetAwaiter().GetResult();
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }

        return (Stats.Percentile(samples, 50), Stats.Percentile(samples, 99));
    }

    private static (ListPosition Position, int Offset) DeepPosition(string database, string? user, string? tag)
    {
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using var count = connection.CreateCommand();
        var (from, where) = tag is null
            ? ("images i", user is null ? "1=1" : "i.user_id = $user")
            : ("image_tags i", user is null ? "i.tag = $tag" : "i.tag = $tag AND i.user_id = $user");
        count.CommandText = $"SELECT count(*) FROM {from} WHERE {where}";
        Bind(count, user, tag);
        var total = (long)count.ExecuteScalar()!;
        var offset = ListingWorkload.DeepOffset(total);
        using var position = connection.CreateCommand();
        position.CommandText = $"SELECT i.created_at, i.image_id FROM {from} WHERE {where} ORDER BY i.created_at DESC, i.image_id DESC LIMIT 1 OFFSET {offset}";
        Bind(position, user, tag);
        using var reader = position.ExecuteReader();
        reader.Read();
        return (new ListPosition(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), Guid.Parse(reader.GetString(1))), offset);
    }

    private static void Bind(SqliteCommand command, string? user, string? tag)
    {
        command.Parameters.AddWithValue("$user", user ?? "");
        command.Parameters.AddWithValue("$tag", tag ?? "");
    }

    private static void Seed(string database, int size)
    {
        Console.WriteLine($"seeding {size:N0} images into {database}");
        _ = new SqliteImageIndex(database); // creates the schema
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using var image = connection.CreateCommand();
        image.Transaction = transaction;
        image.CommandText = """
            INSERT INTO images (image_id, user_id, caption, tags, created_at, width, height, content_type, size_bytes, sha256, variants, state, state_changed_at)
            VALUES ($id, $user, 'seeded', $tags, $created, 1080, 1080, 'image/jpeg', 100000, 'x', '[]', 'committed', $created)
            """;
        using var edge = connection.CreateCommand();
        edge.Transaction = transaction;
        edge.CommandText = "INSERT INTO image_tags (tag, user_id, created_at, image_id) VALUES ($tag, $user, $created, $id)";
        foreach (var parameter in new[] { "$id", "$user", "$tags", "$created" })
        {
            image.Parameters.Add(new SqliteParameter(parameter, null));
        }

        foreach (var parameter in new[] { "$tag", "$user", "$created", "$id" })
        {
            edge.Parameters.Add(new SqliteParameter(parameter, null));
        }

        foreach (var record in ListingWorkload.Records(size))
        {
            var id = record.ImageId.ToString("D");
            var created = record.CreatedAt.ToUnixTimeMilliseconds();
            image.Parameters["$id"].Value = id;
            image.Parameters["$user"].Value = record.UserId;
            image.Parameters["$tags"].Value = $"[\"{string.Join("\",\"", record.Tags)}\"]";
            image.Parameters["$created"].Value = created;
            image.ExecuteNonQuery();
            foreach (var tag in record.Tags)
            {
                edge.Parameters["$tag"].Value = tag;
                edge.Parameters["$user"].Value = record.UserId;
                edge.Parameters["$created"].Value = created;
                edge.Parameters["$id"].Value = id;
                edge.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }
}

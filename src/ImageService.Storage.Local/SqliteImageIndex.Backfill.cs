using System.Text.Json;
using ImageService.Core.Images;
using ImageService.Core.Ports;

namespace ImageService.Storage.Local;

/// <summary>
/// The placeholder backfill on SQLite: committed records without a placeholder, by keyset over image_id on the partial
/// index <c>images_without_placeholder</c>, which holds exactly those records (so a page reads only what it returns,
/// and the index empties as the backfill fills them); the position in the one-row-per-backfill table <c>backfill_state</c>.
/// </summary>
public sealed partial class SqliteImageIndex : IPlaceholderBackfillStore
{
    private const string PlaceholdersBackfill = "placeholders";

    public Task<PlaceholderBackfillPage> ListWithoutPlaceholderAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        if (after is not null && !Guid.TryParseExact(after, "D", out _))
        {
            throw new ArgumentException($"'{after}' is not a position in the index that a previous page returned.", nameof(after));
        }

        return SqliteFailures.Guard(async () =>
        {
            await using var connection = Open();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT image_id, width, height, variants FROM images INDEXED BY images_without_placeholder
                WHERE placeholder IS NULL AND state = 'committed' AND image_id > $after
                ORDER BY image_id LIMIT $limit
                """;
            command.Parameters.AddWithValue("$after", after ?? "");
            command.Parameters.AddWithValue("$limit", limit);
            var records = new List<PlaceholderCandidate>(limit);
            var rows = 0;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows++;
                if (Guid.TryParseExact(reader.GetString(0), "D", out var imageId))
                {
                    records.Add(new PlaceholderCandidate(imageId, reader.GetInt32(1), reader.GetInt32(2), ThumbnailKey(reader.GetString(3))));
                }
            }

            // A full page of rows means there may be more, whether or not each row was an image the service wrote; the
            // position is the last real image id (a resumed page reads the odd rows after it again, and passes them).
            return new PlaceholderBackfillPage(records, rows == limit && records.Count > 0 ? records[^1].ImageId.ToString("D") : null);
        });
    }

    /// <summary>The thumbnail's key in a record's variants; null when they name none, or do not parse (a row the service
    /// did not write), for the backfill to log and pass rather than stop every page at this one.</summary>
    private static string? ThumbnailKey(string variants)
    {
        try
        {
            return JsonSerializer.Deserialize(variants, LocalJsonContext.Default.ListStoredVariant)?.FirstOrDefault(v => v.Name == VariantNames.Thumbnail)?.Key;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task<bool> SetPlaceholderAsync(Guid imageId, string placeholder, string dominantColor, CancellationToken cancellationToken) =>
        SqliteFailures.Guard(async () =>
        {
            await using var connection = Open();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE images SET placeholder = $placeholder, dominant_color = $color
                WHERE image_id = $id AND state = 'committed' AND placeholder IS NULL
                """;
            command.Parameters.AddWithValue("$id", Id(imageId));
            command.Parameters.AddWithValue("$placeholder", placeholder);
            command.Parameters.AddWithValue("$color", dominantColor);
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        });

    public Task<PlaceholderBackfillPosition> ReadPositionAsync(CancellationToken cancellationToken) => SqliteFailures.Guard(async () =>
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT after_position, done FROM backfill_state WHERE name = $name";
        command.Parameters.AddWithValue("$name", PlaceholdersBackfill);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new PlaceholderBackfillPosition(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1) != 0)
            : PlaceholderBackfillPosition.Beginning;
    });

    public Task SavePositionAsync(PlaceholderBackfillPosition position, CancellationToken cancellationToken) => SqliteFailures.Guard(async () =>
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO backfill_state (name, after_position, done) VALUES ($name, $after, $done)
            ON CONFLICT (name) DO UPDATE SET after_position = excluded.after_position, done = excluded.done
            """;
        command.Parameters.AddWithValue("$name", PlaceholdersBackfill);
        command.Parameters.AddWithValue("$after", (object?)position.After ?? DBNull.Value);
        command.Parameters.AddWithValue("$done", position.Done ? 1 : 0);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    });
}

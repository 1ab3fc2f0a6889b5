using ImageService.Core.Listing;

namespace ImageService.Storage.Local;

/// <summary>The SQLite schema and the one list query per filter combination.</summary>
internal static class SqliteSchema
{
    public const string Create = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS images (
            image_id     TEXT PRIMARY KEY,
            user_id      TEXT NOT NULL,
            caption      TEXT NOT NULL,
            tags         TEXT NOT NULL,
            created_at   INTEGER NOT NULL,
            width        INTEGER NOT NULL,
            height       INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            size_bytes   INTEGER NOT NULL,
            sha256       TEXT NOT NULL,
            variants     TEXT NOT NULL,
            state        TEXT NOT NULL DEFAULT 'committed',
            state_changed_at INTEGER NOT NULL DEFAULT 0,
            alt_text     TEXT,
            placeholder  TEXT,
            dominant_color TEXT,
            version      INTEGER NOT NULL DEFAULT 1,
            updated_at   INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS images_by_time ON images (created_at DESC, image_id DESC);
        CREATE INDEX IF NOT EXISTS images_by_user ON images (user_id, created_at DESC, image_id DESC);
        CREATE TABLE IF NOT EXISTS image_tags (
            tag        TEXT NOT NULL,
            user_id    TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            image_id   TEXT NOT NULL,
            PRIMARY KEY (tag, created_at DESC, image_id DESC)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS image_tags_by_user ON image_tags (tag, user_id, created_at DESC, image_id DESC);
        CREATE INDEX IF NOT EXISTS image_tags_by_image ON image_tags (image_id);
        """;

    /// <summary>Indexes that need the columns <see cref="Migrations"/> may have just added.</summary>
    public const string CreateLate = """
        CREATE INDEX IF NOT EXISTS images_unsettled ON images (state_changed_at) WHERE state <> 'committed';
        CREATE INDEX IF NOT EXISTS images_without_placeholder ON images (image_id) WHERE placeholder IS NULL AND state = 'committed';
        CREATE TABLE IF NOT EXISTS backfill_state (name TEXT PRIMARY KEY, after_position TEXT, done INTEGER NOT NULL) WITHOUT ROWID;
        """;

    /// <summary>Columns added after the first release, with the statement that adds each to an older database.</summary>
    public static readonly (string Column, string Statement)[] Migrations =
    [
        ("state", "ALTER TABLE images ADD COLUMN state TEXT NOT NULL DEFAULT 'committed'"),
        ("state_changed_at", "ALTER TABLE images ADD COLUMN state_changed_at INTEGER NOT NULL DEFAULT 0"),
        ("alt_text", "ALTER TABLE images ADD COLUMN alt_text TEXT"),
        ("placeholder", "ALTER TABLE images ADD COLUMN placeholder TEXT"),
        ("dominant_color", "ALTER TABLE images ADD COLUMN dominant_color TEXT"),
        ("version", "ALTER TABLE images ADD COLUMN version INTEGER NOT NULL DEFAULT 1"),
        ("updated_at", "ALTER TABLE images ADD COLUMN updated_at INTEGER"),
    ];

    public const string Columns =
        "i.image_id, i.user_id, i.caption, i.tags, i.created_at, i.width, i.height, i.content_type, i.size_bytes, i.sha256, i.variants, i.state, i.state_changed_at, i.alt_text, i.placeholder, i.dominant_color, i.version, i.updated_at";

    /// <summary>A tag filter reads image_tags (which carries user_id and the sort key); otherwise images itself.</summary>
    public static string ListQuery(IndexQuery query)
    {
        var alias = query.Tag is null ? "i" : "t";
        var conditions = new List<string> { "i.state = 'committed'" };
        if (query.Tag is not null)
        {
            conditions.Add("t.tag = $tag");
        }

        if (query.UserId is not null)
        {
            conditions.Add($"{alias}.user_id = $user");
        }

        if (query.After is not null)
        {
            conditions.Add($"({alias}.created_at, {alias}.image_id) < ($after_created, $after_id)");
        }

        var from = query.Tag is null
            ? "FROM images i"
            : "FROM image_tags t JOIN images i ON i.image_id = t.image_id";
        var where = "WHERE " + string.Join(" AND ", conditions);
        return $"SELECT {Columns} {from} {where} ORDER BY {alias}.created_at DESC, {alias}.image_id DESC LIMIT $limit";
    }
}

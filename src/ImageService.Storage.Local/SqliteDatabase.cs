using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local;

/// <summary>One SQLite file shared by the index and the idempotency store: pooled connections, a 30 s busy wait.</summary>
internal sealed class SqliteDatabase
{
    private readonly string connectionString;

    public SqliteDatabase(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Runs the statement of each migration whose column <paramref name="table"/> does not have yet.</summary>
    public static void AddMissingColumns(SqliteConnection connection, string table, IEnumerable<(string Column, string Statement)> migrations)
    {
        var columns = new HashSet<string>();
        using (var info = connection.CreateCommand())
        {
            info.CommandText = "SELECT name FROM pragma_table_info($table)";
            info.Parameters.AddWithValue("$table", table);
            using var reader = info.ExecuteReader();
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        foreach (var (_, statement) in migrations.Where(m => !columns.Contains(m.Column)))
        {
            Execute(connection, statement);
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

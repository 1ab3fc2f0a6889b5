using System.Runtime.CompilerServices;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;

namespace ImageService.Core.Tests.Fakes;

/// <summary>
/// Image records in a dictionary, each change one conditional step under a lock, like the real indexes. Fault points:
/// <c>index.add</c>, <c>index.{from}->{to}</c> (lower case), <c>index.edit</c> and <c>index.remove</c>.
/// </summary>
public sealed class InMemoryImageIndex(Faults faults) : IImageIndex
{
    private readonly Lock gate = new();
    private readonly Dictionary<Guid, ImageRecord> records = [];

    public IReadOnlyList<ImageRecord> All
    {
        get
        {
            lock (gate)
            {
                return [.. records.Values];
            }
        }
    }

    public Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken) =>
        faults.RunAsync("index.add", () =>
        {
            lock (gate)
            {
                return Task.FromResult(records.TryAdd(record.ImageId, record));
            }
        });

    public Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(records.GetValueOrDefault(imageId));
        }
    }

    public Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken) =>
        faults.RunAsync($"index.{from}->{to}".ToLowerInvariant(), () =>
        {
            lock (gate)
            {
                if (!records.TryGetValue(imageId, out var record) || record.State != from)
                {
                    return Task.FromResult(false);
                }

                records[imageId] = record with { State = to, StateChangedAt = at };
                return Task.FromResult(true);
            }
        });

    public Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            IReadOnlyList<ImageRecord> page = [.. records.Values
                .Where(r => r.State == ImageState.Committed)
                .Where(r => query.UserId is null || r.UserId == query.UserId)
                .Where(r => query.Tag is null || r.Tags.Contains(query.Tag))
                .Where(r => query.After is null || (r.CreatedAt, r.ImageId).CompareTo((query.After.CreatedAt, query.After.ImageId)) < 0)
                .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.ImageId)
                .Take(query.Limit)];
            return Task.FromResult(page);
        }
    }

    public Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken) =>
        faults.RunAsync("index.remove", () =>
        {
            lock (gate)
            {
                return Task.FromResult(records.TryGetValue(imageId, out var record) && record.State == expected && records.Remove(imageId));
            }
        });

    public async IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        foreach (var record in All.Where(r => r.State != ImageState.Committed && r.StateChangedAt < before))
        {
            yield return record;
        }
    }

    public Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken) =>
        faults.RunAsync("index.edit", () =>
        {
            lock (gate)
            {
                if (!records.TryGetValue(current.ImageId, out var record) || record.State != ImageState.Committed || record.Version != current.Version)
                {
                    return Task.FromResult<ImageRecord?>(null);
                }

                records[current.ImageId] = record with
                {
                    Caption = edited.Caption, Tags = edited.Tags, AltText = edited.AltText, UpdatedAt = edited.UpdatedAt, Version = edited.Version,
                };
                return Task.FromResult<ImageRecord?>(records[current.ImageId]);
            }
        });

    public Task<int> SettleEditsAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);

    public Task SettleEditAsync(Guid imageId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken) =>
        Task.FromResult(new OrphanEntriesPage(0, 0, null));

    public Task ProbeAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

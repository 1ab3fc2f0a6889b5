using ImageService.Core.Listing;

namespace ImageService.Bench.LoadSim;

/// <summary>
/// What the simulated users know of the images, shared by all of them: which exist (to view and edit), which have
/// their renditions in the bucket (to delete: a delete checks and removes each one), each one's owner and tags, and
/// the positions of the seeded images, newest first, for deep pages by cursor. A delete takes its image out first, so
/// no two users delete the same one; views and edits may still meet an image being deleted, as people do.
/// </summary>
internal sealed class Catalogue
{
    public const int Users = 200;

    private readonly Lock sync = new();
    private readonly List<Guid> live = [];
    private readonly Dictionary<Guid, int> liveAt = [];
    private readonly List<Guid> deletable = [];
    private readonly Dictionary<Guid, (string User, IReadOnlyList<string> Tags)> facts = [];

    public static string UserName(int number) => $"u{number % Users:D3}";

    /// <summary>The seeded images' list positions, newest first: all of them, and those of the hot tag.</summary>
    public List<ListPosition> Newest { get; } = [];

    public List<ListPosition> NewestOfHotTag { get; } = [];

    public void Add(Guid id, string user, IReadOnlyList<string> tags, bool withRenditions)
    {
        lock (sync)
        {
            liveAt[id] = live.Count;
            live.Add(id);
            facts[id] = (user, tags);
            if (withRenditions)
            {
                deletable.Add(id);
            }
        }
    }

    public void Retag(Guid id, IReadOnlyList<string> tags)
    {
        lock (sync)
        {
            if (facts.TryGetValue(id, out var known))
            {
                facts[id] = (known.User, tags);
            }
        }
    }

    public Guid? AnyLive(Random random)
    {
        lock (sync)
        {
            return live.Count == 0 ? null : live[random.Next(live.Count)];
        }
    }

    /// <summary>An image with renditions to delete, taken out of the catalogue, with its owner and tags.</summary>
    public (Guid Id, string User, IReadOnlyList<string> Tags)? TakeToDelete(Random random)
    {
        lock (sync)
        {
            if (deletable.Count == 0)
            {
                return null;
            }

            var at = random.Next(deletable.Count);
            var id = deletable[at];
            deletable[at] = deletable[^1];
            deletable.RemoveAt(deletable.Count - 1);
            var index = liveAt[id];
            live[index] = live[^1];
            liveAt[live[index]] = index;
            live.RemoveAt(live.Count - 1);
            liveAt.Remove(id);
            var (user, tags) = facts[id];
            facts.Remove(id);
            return (id, user, tags);
        }
    }
}

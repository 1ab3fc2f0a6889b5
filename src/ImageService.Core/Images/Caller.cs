namespace ImageService.Core.Images;

/// <summary>
/// Who is asking. With authentication off (the original specification's model) the caller is anonymous and
/// may post as any <c>user_id</c>; with it on, <see cref="UserId"/> is the token's subject and the caller
/// may only post and delete as that user.
/// </summary>
public sealed record Caller(string? UserId)
{
    public static Caller Anonymous { get; } = new((string?)null);

    public bool IsAuthenticated => UserId is not null;
}

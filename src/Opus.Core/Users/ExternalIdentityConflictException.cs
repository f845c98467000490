using Opus.Core.Jobs;

namespace Opus.Core.Users;

/// <summary>An OIDC sign-in whose user name belongs to another Opus account: refused, never merged.</summary>
public sealed class ExternalIdentityConflictException(string message) : OpusConflictException(message);

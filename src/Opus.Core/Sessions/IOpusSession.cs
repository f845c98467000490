using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Users;
using Opus.Core.Uws;

namespace Opus.Core.Sessions;

/// <summary>
/// What a client (the PowerShell module) can do with an Opus instance, the same whether it talks to
/// a server (Opus.Client's RemoteOpusSession) or opens a data folder with Core's own services
/// (<see cref="LocalOpusSession"/>). Failures are Core's exceptions: <see cref="OpusValidationException"/>,
/// <see cref="OpusStateException"/>, <see cref="OpusNotFoundException"/>, <see cref="OpusConflictException"/>;
/// a remote session adds Opus.Client's OpusSessionException when the server cannot be reached or answers unexpectedly.
/// </summary>
public interface IOpusSession : IAsyncDisposable
{
    /// <summary>The server's address, or the data folder's full path.</summary>
    string Target { get; }

    bool IsRemote { get; }

    /// <summary>Who the session acts as ("system" for a local admin session, "anonymous" without credentials).</summary>
    string UserName { get; }

    // Jobs (UWS)

    Task<UwsJob> CreateJobAsync(JobRequest request, CancellationToken cancellationToken = default);

    /// <summary>A job by id; with no <paramref name="definition"/> every job list the caller may use is searched.</summary>
    Task<UwsJob> GetJobAsync(string? definition, string id, CancellationToken cancellationToken = default);

    /// <summary>Job lists, newest first; with no definition, every list the caller may use, merged.</summary>
    IAsyncEnumerable<UwsJobRef> ListJobsAsync(JobListQuery query, CancellationToken cancellationToken = default);

    /// <summary>PHASE=RUN.</summary>
    Task<UwsJob> StartJobAsync(string definition, string id, CancellationToken cancellationToken = default);

    /// <summary>PHASE=ABORT.</summary>
    Task<UwsJob> StopJobAsync(string definition, string id, CancellationToken cancellationToken = default);

    Task RemoveJobAsync(string definition, string id, CancellationToken cancellationToken = default);

    /// <summary>Changes parameters, execution duration (both only while PENDING) and destruction.</summary>
    Task<UwsJob> UpdateJobAsync(string definition, string id, JobChanges changes, CancellationToken cancellationToken = default);

    /// <summary>One blocking wait (UWS WAIT): returns when the phase changes, the job ends, or after <paramref name="wait"/>.</summary>
    Task<UwsJob> WaitJobAsync(string definition, string id, TimeSpan wait, CancellationToken cancellationToken = default);

    /// <summary>Copies a result's content into <paramref name="destination"/>; <paramref name="progress"/> gets the bytes copied so far.</summary>
    Task DownloadResultAsync(UwsResult result, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>The job's standard output or error as written so far ("" when there is none).</summary>
    Task<string> ReadLogAsync(string definition, string id, JobLog log, CancellationToken cancellationToken = default);

    // Definitions (ActivityDescriptions)

    Task<IReadOnlyList<JobDefinition>> ListDefinitionsAsync(CancellationToken cancellationToken = default);

    Task<JobDefinition> GetDefinitionAsync(string name, string? version = null, CancellationToken cancellationToken = default);

    /// <summary>Proposes a definition document (YAML, JSON or VOTable), published at once when <paramref name="publish"/> (admins only).</summary>
    Task<DefinitionVersion> ImportDefinitionAsync(string content, string source, bool publish, CancellationToken cancellationToken = default);

    /// <summary>Withdraws every version of a definition: no new jobs; existing jobs keep their history.</summary>
    Task RemoveDefinitionAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The definition written in a format (WADL describes the service's job list).</summary>
    Task<string> ExportDefinitionAsync(string name, DefinitionFormat format, string? version = null, CancellationToken cancellationToken = default);

    // Users and API tokens

    Task<User> CreateUserAsync(UserRequest request, CancellationToken cancellationToken = default);

    /// <summary>By id or user name.</summary>
    Task<User> GetUserAsync(string idOrName, CancellationToken cancellationToken = default);

    IAsyncEnumerable<User> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The users whose externalId (OIDC subject) is <paramref name="externalId"/>, compared exactly (SCIM
    /// <c>externalId eq</c>); none is an empty list. One at most among accounts linked by an admin; accounts
    /// that signed in through different issuers may share a subject.
    /// </summary>
    Task<IReadOnlyList<User>> FindUsersByExternalIdAsync(string externalId, CancellationToken cancellationToken = default);

    Task<User> UpdateUserAsync(string idOrName, UserChanges changes, CancellationToken cancellationToken = default);

    Task RemoveUserAsync(string idOrName, CancellationToken cancellationToken = default);

    /// <summary>Issues a token; the secret is in the answer and nowhere else, ever.</summary>
    Task<UserToken> IssueTokenAsync(string idOrName, string tokenName, DateTime? expiresAt = null, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<UserToken>> ListTokensAsync(string idOrName, CancellationToken cancellationToken = default);

    /// <summary>Revokes a token of the user, named by token id or token name.</summary>
    Task RevokeTokenAsync(string idOrName, string tokenIdOrName, CancellationToken cancellationToken = default);

    // Provenance

    IProvenanceSource Provenance { get; }
}

/// <summary>Provenance of jobs and entities (IVOA ProvSAP), from a server or from Core.</summary>
public interface IProvenanceSource
{
    Task<ProvenanceDocument> GetAsync(ProvenanceQuery query, CancellationToken cancellationToken = default);
}

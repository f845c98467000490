using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;

namespace Opus.Core.Operations;

/// <summary>
/// The audit trail: job phase changes and administrative actions (users, tokens, definitions) as structured
/// events under one logging category, <see cref="Category"/>, each with an <c>Action</c> field, so an operator
/// can keep or ship them apart from the rest. Called where the actions happen, one line each. No secret is a
/// parameter of any event: a token appears by its name only.
/// </summary>
public sealed partial class OpusAudit(ILoggerFactory loggers)
{
    public const string Category = "Opus.Audit";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "{Action}: job {JobId} of {Definition} owned by {Owner} is now {Phase}")]
    private partial void Job(string action, string jobId, string definition, string? owner, JobPhase phase);

    public void JobCreated(string jobId, string definition, string? owner, JobPhase phase) => Job("job.create", jobId, definition, owner, phase);

    public void PhaseChanged(string jobId, string definition, string? owner, JobPhase phase) => Job("job.phase", jobId, definition, owner, phase);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "{Action}: job {JobId} of {Definition} owned by {Owner} is deleted")]
    private partial void Deleted(string action, string jobId, string definition, string? owner);

    public void JobDeleted(string jobId, string definition, string? owner) => Deleted("job.delete", jobId, definition, owner);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "{Action}: user {UserName}, active {Active}, roles {Roles}")]
    private partial void User(string action, string userName, bool active, string roles);

    public void UserCreated(string userName, IEnumerable<string> roles) => User("user.create", userName, true, string.Join(",", roles));

    public void UserUpdated(string userName, bool active, IEnumerable<string> roles) => User("user.update", userName, active, string.Join(",", roles));

    public void UserDeleted(string userName) => User("user.delete", userName, false, "");

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "{Action}: user {UserName} linked to {Issuer}")]
    private partial void Link(string action, string userName, string issuer);

    public void UserLinked(string userName, string issuer) => Link("user.link", userName, issuer);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "{Action}: user {UserName} created by portal {Portal}, roles {Roles}")]
    private partial void PortalUser(string action, string userName, string portal, string roles);

    public void PortalUserCreated(string userName, string portal, IEnumerable<string> roles) => PortalUser("user.create", userName, portal, string.Join(",", roles));

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "{Action}: portal {Portal} acts as {UserName}: {Method} {Path}")]
    private partial void OnBehalf(string action, string portal, string userName, string method, string path);

    public void ActedOnBehalf(string portal, string userName, string method, string path) => OnBehalf("portal.act", portal, userName, method, path);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "{Action}: token {TokenName} of user {UserName}")]
    private partial void Token(string action, string tokenName, string userName);

    public void TokenIssued(string tokenName, string userName) => Token("token.issue", tokenName, userName);

    public void TokenRevoked(string tokenName, string userName) => Token("token.revoke", tokenName, userName);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "{Action}: definition {Name} version {Version} {Status} by {By}")]
    private partial void Definition(string action, string name, string? version, string status, string by);

    public void DefinitionChanged(string name, string? version, string status, string? by) =>
        Definition($"definition.{status.ToLowerInvariant()}", name, version, status, by ?? "system");
}

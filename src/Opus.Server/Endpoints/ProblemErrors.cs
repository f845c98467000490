namespace Opus.Server.Endpoints;

/// <summary>
/// Marks Opus's own JSON APIs (tokens, /jdl, the web client's /me, /jobs, /status): their errors are RFC 9457
/// problem details, whose "detail" is the one-line message (<see cref="ErrorMessages"/> writes them). UWS,
/// ProvSAP, the store and the runners' callback keep their one-line plain-text errors; SCIM has its own.
/// </summary>
public sealed record ProblemErrors;

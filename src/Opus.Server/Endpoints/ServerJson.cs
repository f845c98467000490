using System.Text.Json;
using System.Text.Json.Serialization;

namespace Opus.Server.Endpoints;

/// <summary>The JSON bodies of Opus's own (non-UWS, non-SCIM) endpoints, serialized by generated code.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TokenList))]
[JsonSerializable(typeof(TokenView))]
[JsonSerializable(typeof(DefinitionList))]
[JsonSerializable(typeof(Me))]
[JsonSerializable(typeof(JobChangeView))]
[JsonSerializable(typeof(JobProgressView))]
[JsonSerializable(typeof(SignInMethods))]
[JsonSerializable(typeof(JobPageView))]
[JsonSerializable(typeof(ServerStatus))]
[JsonSerializable(typeof(DefinitionVersions))]
[JsonSerializable(typeof(ProposedDefinition))]
public sealed partial class ServerJson : JsonSerializerContext;

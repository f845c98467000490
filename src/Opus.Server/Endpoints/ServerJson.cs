using System.Text.Json;
using System.Text.Json.Serialization;

namespace Opus.Server.Endpoints;

/// <summary>The JSON bodies of Opus's own (non-UWS, non-SCIM) endpoints, serialized by generated code.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TokenList))]
[JsonSerializable(typeof(TokenView))]
public sealed partial class ServerJson : JsonSerializerContext;

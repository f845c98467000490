using System.Text.Json;
using System.Text.Json.Serialization;

namespace Opus.Server.Endpoints;

// SCIM's wire shapes (RFC 7643, RFC 7644 3.4.2, 3.12), written by generated code. Optional members are left
// out when empty, as SCIM clients expect; the order of members is the RFCs' examples'.

public sealed record ScimUser(string[] Schemas, string Id, string UserName, bool Active, IReadOnlyList<ScimValue> Roles, ScimMeta Meta)
{
    [JsonPropertyName(ScimEndpoints.OpusUserSchema)]
    public ScimOpusUser? Opus { get; init; }

    public string? ExternalId { get; init; }

    public string? DisplayName { get; init; }

    public IReadOnlyList<ScimEmail>? Emails { get; init; }
}

public sealed record ScimValue(string Value);

public sealed record ScimEmail(string Value, bool Primary);

public sealed record ScimOpusUser(string? LastSeen, string? SlurmAccount, bool NotifyOnJobEnd, string? CreatedByPortal);

public sealed record ScimMeta(string ResourceType, string? Created, string? LastModified, string Location);

public sealed record ScimList<T>(string[] Schemas, int TotalResults, int StartIndex, int ItemsPerPage, [property: JsonPropertyName("Resources")] IReadOnlyList<T> Resources);

public sealed record ScimError(string[] Schemas, string Status, string Detail, string? ScimType);

public sealed record ScimResourceType(string[] Schemas, string Id, string Name, string Endpoint, string Description, string Schema, ScimMeta Meta)
{
    public IReadOnlyList<ScimSchemaExtension>? SchemaExtensions { get; init; }
}

public sealed record ScimSchemaExtension(string Schema, bool Required);

public sealed record ScimSchema(string[] Schemas, string Id, string Name, string Description, IReadOnlyList<ScimAttribute> Attributes, ScimMeta Meta);

public sealed record ScimAttribute(string Name, string Type, bool MultiValued, string Description, bool Required, bool CaseExact,
    string Mutability, string Returned, string Uniqueness, IReadOnlyList<ScimAttribute>? SubAttributes);

public sealed record ScimSupported(bool Supported);

public sealed record ScimBulk(bool Supported, int MaxOperations, int MaxPayloadSize);

public sealed record ScimFilter(bool Supported, int MaxResults);

public sealed record ScimAuthenticationScheme(string Type, string Name, string Description);

public sealed record ScimServiceProviderConfig(string[] Schemas, ScimSupported Patch, ScimBulk Bulk, ScimFilter Filter, ScimSupported ChangePassword,
    ScimSupported Sort, ScimSupported Etag, IReadOnlyList<ScimAuthenticationScheme> AuthenticationSchemes, ScimMeta Meta);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScimUser))]
[JsonSerializable(typeof(ScimList<ScimUser>))]
[JsonSerializable(typeof(ScimList<ScimResourceType>))]
[JsonSerializable(typeof(ScimList<ScimSchema>))]
[JsonSerializable(typeof(ScimError))]
[JsonSerializable(typeof(ScimResourceType))]
[JsonSerializable(typeof(ScimSchema))]
[JsonSerializable(typeof(ScimServiceProviderConfig))]
public sealed partial class ScimJson : JsonSerializerContext;

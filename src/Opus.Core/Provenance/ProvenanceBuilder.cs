using Opus.Core.Definitions;

namespace Opus.Core.Provenance;

/// <summary>
/// Turns a traversal's selection into a PROV document (sections 4 to 7): every selected job complete
/// with its used and generated entities (closure), then per job its owner, configuration, descriptions
/// and own detailed provenance as the query asks. A record appears once; a relation only with both ends.
/// </summary>
public sealed class ProvenanceBuilder
{
    private readonly IProvenanceGraph _graph;
    private readonly ProvenanceQuery _query;
    private readonly Func<string?, bool> _mayRead;
    private readonly ProvDocument _document = new();
    private readonly Dictionary<string, ProvRecord> _elements = new(StringComparer.Ordinal);
    private readonly HashSet<string> _relations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTime> _activityStart = new(StringComparer.Ordinal);

    private ProvenanceBuilder(IProvenanceGraph graph, ProvenanceQuery query, Func<string?, bool> mayRead)
    {
        _graph = graph;
        _query = query;
        _mayRead = mayRead;
        _document.Prefixes.AddRange(ProvNames.PrefixesFor(query.BaseUrl));
    }

    private bool Ivoa => _query.Model == ProvenanceModel.Ivoa;

    public static async Task<ProvDocument> BuildAsync(
        IProvenanceGraph graph, ProvSelection selection, ProvenanceQuery query, Func<string?, bool> mayRead, CancellationToken cancellationToken)
    {
        var builder = new ProvenanceBuilder(graph, query, mayRead);
        await builder.BuildAsync(selection, cancellationToken);
        return builder._document;
    }

    private async Task BuildAsync(ProvSelection selection, CancellationToken cancellationToken)
    {
        await PreloadAsync(selection, cancellationToken);
        var activities = new List<ProvActivityRow>();
        foreach (var jobId in selection.Jobs)
        {
            if (await _graph.ActivityAsync(jobId, cancellationToken) is { } activity && _mayRead(activity.Owner))
                activities.Add(activity);
        }

        activities = activities.OrderBy(a => a.StartTime).ThenBy(a => a.JobId, StringComparer.Ordinal).ToList();
        // One ActivityDescription per definition name: the version of the latest job in the document.
        var descriptionSource = activities.GroupBy(a => a.Definition).ToDictionary(g => g.Key, g => g.MaxBy(a => a.StartTime)!.DefinitionVersion);

        foreach (var activity in activities)
            await AddJobAsync(activity, descriptionSource[activity.Definition], cancellationToken);

        // Entities the traversal reached outside any job's closure (a start entity at depth 0, a producer's output...).
        foreach (var sha in selection.Contents)
            await ContentEntityAsync(sha, cancellationToken);
        foreach (var entity in selection.JobEntities)
        {
            if (await _graph.ActivityAsync(entity.JobId, cancellationToken) is { } owner && _mayRead(owner.Owner)
                && (await _graph.LinksOfJobAsync(entity.JobId, cancellationToken)).FirstOrDefault(l => l.Key == entity.Key) is { } link)
                await LinkedEntityAsync(owner, link, cancellationToken);
        }

        if (Ivoa && _query.Descriptions >= 2)
        {
            // Every data entity points to the description of its content type.
            foreach (var entity in _elements.Values.Where(e => e.Kind == ProvKind.Entity && e.Attribute("voprov:content_type") is not null).ToList())
            {
                var contentType = entity.Attribute("voprov:content_type")!.Text;
                var description = Element(ProvenanceDescriptions.DatasetDescription(contentType));
                Relation(ProvKind.WasInfluencedBy, [entity.Id, description.Id], Type("DescriptionRelation"));
            }
        }

        Finish();
    }

    /// <summary>
    /// Asks the graph at once for what the document reads below: the selected jobs with their links,
    /// then every content those links or the selection name, then the jobs that generated them
    /// (a few round trips rather than several per job; usually all read ahead by the traversal).
    /// </summary>
    private async Task PreloadAsync(ProvSelection selection, CancellationToken cancellationToken)
    {
        var jobs = new ProvenancePreload();
        foreach (var jobId in selection.Jobs.Concat(selection.JobEntities.Select(e => e.JobId)))
        {
            jobs.Activities.Add(jobId);
            jobs.JobLinks.Add(jobId);
        }

        await _graph.PreloadAsync(jobs, cancellationToken);
        var contents = new ProvenancePreload();
        contents.Contents.UnionWith(selection.Contents);
        foreach (var jobId in jobs.JobLinks)
        {
            foreach (var link in await _graph.LinksOfJobAsync(jobId, cancellationToken))
            {
                if (link.Sha256 is { } sha)
                    contents.Contents.Add(sha);
            }
        }

        contents.ContentLinks.UnionWith(contents.Contents);
        await _graph.PreloadAsync(contents, cancellationToken);
        var generators = new ProvenancePreload();
        foreach (var sha in contents.ContentLinks)
        {
            if ((await _graph.LinksOfContentAsync(sha, cancellationToken)).FirstOrDefault(l => l.Kind == ProvLinkKind.Generated && l.EntityKind == ProvEntityKind.Content) is { } generation)
                generators.Activities.Add(generation.JobId);
        }

        await _graph.PreloadAsync(generators, cancellationToken);
    }

    private async Task AddJobAsync(ProvActivityRow activity, string descriptionSource, CancellationToken cancellationToken)
    {
        var jobId = ProvNames.JobId(activity.Definition, activity.JobId);
        Element(new ProvRecord(ProvKind.Activity, jobId, [ProvNames.FormatTime(activity.StartTime), ProvNames.FormatTime(activity.EndTime)])
            .Add("prov:label", activity.Definition));
        _activityStart[jobId] = activity.StartTime;

        // Closure: everything the job used and generated.
        foreach (var link in await _graph.LinksOfJobAsync(activity.JobId, cancellationToken))
        {
            var entity = await LinkedEntityAsync(activity, link, cancellationToken);
            var role = new List<ProvAttribute> { new("prov:role", new(link.Role)) };
            if (link.Kind == ProvLinkKind.Used)
                Relation(ProvKind.Used, [jobId, entity, ProvNames.FormatTime(link.Time)], role);
            else
                Relation(ProvKind.WasGeneratedBy, [entity, jobId, ProvNames.FormatTime(link.Time)], role);
        }

        if (_query.Agents)
        {
            var owner = Element(new ProvRecord(ProvKind.Agent, ProvNames.UserId(activity.Owner), []).Add("prov:label", activity.Owner ?? ProvNames.AnonymousUser));
            Relation(ProvKind.WasAssociatedWith, [jobId, owner.Id, null], [new("prov:role", new("owner"))]);
        }

        if (!Ivoa)
        {
            AddInternal(activity, jobId);
            return;
        }

        var definition = await _graph.DefinitionAsync(activity.Definition, activity.DefinitionVersion, cancellationToken);
        if (_query.Configuration)
        {
            foreach (var parameter in activity.Parameters)
            {
                var described = definition?.FindParameter(parameter.Name);
                var record = ProvenanceDescriptions.Typed(ProvNames.ParameterId(activity.Definition, activity.JobId, parameter.Name), "Parameter")
                    .Add("prov:label", $"{parameter.Name} = {Shorten(parameter.Value)}")
                    .Add("voprov:name", parameter.Name)
                    .Add("prov:value", parameter.Value);
                // With the full description layer the parameter points to its description; otherwise it carries it (OPUS).
                if (described is not null && _query.Descriptions < 2)
                    record.Attributes.AddRange(ProvenanceDescriptions.ParameterAttributes(described));
                var element = Element(record);
                Relation(ProvKind.WasInfluencedBy, [jobId, element.Id], [.. Type("ConfigurationRelation"), new("voprov:artefactType", new("Parameter"))]);
                if (described is not null && _query.Descriptions >= 2)
                {
                    var description = Element(ProvenanceDescriptions.ParameterDescription(activity.Definition, described));
                    Relation(ProvKind.WasInfluencedBy, [element.Id, description.Id], Type("DescriptionRelation"));
                }
            }
        }

        if (_query.Descriptions >= 1)
        {
            // Descriptions are shared by the jobs of a definition: one version speaks for all of them.
            var shared = descriptionSource == activity.DefinitionVersion
                ? definition
                : await _graph.DefinitionAsync(activity.Definition, descriptionSource, cancellationToken) ?? definition;
            if (shared is not null)
                AddDescriptions(shared, jobId);
        }

        AddInternal(activity, jobId);
    }

    private void AddDescriptions(JobDefinition definition, string jobId)
    {
        var activityDescription = Element(ProvenanceDescriptions.ActivityDescription(definition));
        Relation(ProvKind.WasInfluencedBy, [jobId, activityDescription.Id], Type("DescriptionRelation"));
        if (_query.Agents && ProvenanceDescriptions.Contact(definition) is { } contact)
        {
            var agent = Element(contact);
            Relation(ProvKind.WasAttributedTo, [activityDescription.Id, agent.Id], [new("prov:role", new("contact"))]);
        }

        if (_query.Descriptions < 2)
            return;
        var usages = definition.Used.Select(u => (u.Name, u.Description, u.Multiplicity, u.ContentType))
            .Concat(definition.Parameters.Where(p => p.Type == ParameterTypes.File).Select(p => (p.Name, p.Description, (string?)"1", (string?)null)));
        foreach (var (name, description, multiplicity, contentType) in usages)
            AddPart(definition.Name, activityDescription.Id!, "UsageDescription", name, description, multiplicity, contentType);
        foreach (var generated in definition.Generated)
            AddPart(definition.Name, activityDescription.Id!, "GenerationDescription", generated.Name, generated.Description, generated.Multiplicity, generated.ContentType);
        foreach (var parameter in definition.Parameters.Where(p => p.Type != ParameterTypes.File))
        {
            var description = Element(ProvenanceDescriptions.ParameterDescription(definition.Name, parameter));
            Relation(ProvKind.WasInfluencedBy, [description.Id, activityDescription.Id], Type("RelatedToRelation"));
        }
    }

    private void AddPart(string definition, string activityDescription, string kind, string role, string? description, string? multiplicity, string? contentType)
    {
        var part = Element(ProvenanceDescriptions.Part(definition, kind, role, description, multiplicity));
        Relation(ProvKind.WasInfluencedBy, [part.Id, activityDescription], Type("RelatedToRelation"));
        if (string.IsNullOrWhiteSpace(contentType))
            return;
        var dataset = Element(ProvenanceDescriptions.DatasetDescription(contentType));
        Relation(ProvKind.WasInfluencedBy, [dataset.Id, part.Id], Type("RelatedToRelation"));
    }

    /// <summary>The job's own detailed provenance, merged under its activity as steps of it (ProvDM ActivityFlow / hadStep).</summary>
    private void AddInternal(ProvActivityRow activity, string jobId)
    {
        if (activity.Internal is null)
            return;
        ProvDocument records;
        try
        {
            records = ProvJsonReader.Read(activity.Internal).Document;
        }
        catch (FormatException)
        {
            return;
        }

        foreach (var element in records.Elements)
        {
            if (element.Kind == ProvKind.Agent && !_query.Agents)
                continue;
            if (!_elements.ContainsKey(element.Id!))
                Element(element);
            if (element.Kind == ProvKind.Activity)
            {
                _activityStart.TryAdd(element.Id!, ProvNames.ParseTime(element.Formals[0]) ?? activity.StartTime);
                if (Ivoa)
                    Relation(ProvKind.WasInfluencedBy, [jobId, element.Id], Type("HadStep"));
            }
        }

        foreach (var relation in records.Relations)
            Relation(relation.Kind, relation.Formals, relation.Attributes);
    }

    /// <summary>The entity a link names, added to the document with its attributes; returns its identifier.</summary>
    private async Task<string> LinkedEntityAsync(ProvActivityRow activity, ProvLinkRow link, CancellationToken cancellationToken)
    {
        var id = ProvNames.JobEntityId(activity.Definition, activity.JobId, link.Key!);
        switch (link.EntityKind)
        {
            case ProvEntityKind.Content:
                return await ContentEntityAsync(link.Sha256!, cancellationToken, link);
            case ProvEntityKind.Result:
                // Bytes another job generated first: this job's own entity, a specialization of the content (section 4 case 4).
                var content = await ContentEntityAsync(link.Sha256!, cancellationToken, link);
                Element(new ProvRecord(ProvKind.Entity, id, [])
                    .Add("prov:label", Path.GetFileName(link.FileName) ?? link.Role)
                    .Add("prov:location", ProvNames.StoreUrl(_query.BaseUrl, link.Sha256!))
                    .Add("voprov:sha256", link.Sha256)
                    .Add("voprov:content_type", link.ContentType ?? "application/octet-stream")
                    .Add("voprov:generatedAtTime", ProvValue.Time(activity.EndTime)));
                Relation(ProvKind.SpecializationOf, [id, content], []);
                return id;
            case ProvEntityKind.External:
                var location = link.Value ?? "";
                Element(new ProvRecord(ProvKind.Entity, id, [])
                    .Add("prov:label", LastSegment(location))
                    .Add("prov:location", location));
                return id;
            default:
                Element(ProvenanceDescriptions.Typed(id, "ValueEntity")
                    .Add("prov:label", link.Value ?? "")
                    .Add("prov:value", link.Value ?? ""));
                return id;
        }
    }

    /// <summary>opus_store:DIGEST with the stored row's attributes; the generation time only when its generator is readable.</summary>
    private async Task<string> ContentEntityAsync(string sha, CancellationToken cancellationToken, ProvLinkRow? seen = null)
    {
        var id = ProvNames.ContentId(sha);
        if (_elements.ContainsKey(id))
            return id;
        var stored = await _graph.ContentAsync(sha, cancellationToken);
        var links = await _graph.LinksOfContentAsync(sha, cancellationToken);
        seen ??= links.FirstOrDefault();
        var record = new ProvRecord(ProvKind.Entity, id, [])
            .Add("prov:label", stored?.FileName ?? Path.GetFileName(seen?.FileName) ?? sha)
            .Add("prov:location", ProvNames.StoreUrl(_query.BaseUrl, sha))
            .Add("voprov:sha256", sha)
            .Add("voprov:content_type", stored?.ContentType ?? seen?.ContentType ?? "application/octet-stream");
        var generation = links.FirstOrDefault(l => l.Kind == ProvLinkKind.Generated && l.EntityKind == ProvEntityKind.Content);
        if (generation is not null && await _graph.ActivityAsync(generation.JobId, cancellationToken) is { } generator && _mayRead(generator.Owner))
            record.Add("voprov:generatedAtTime", ProvValue.Time(generator.EndTime));
        Element(record);
        return id;
    }

    private ProvRecord Element(ProvRecord record)
    {
        if (!_elements.TryGetValue(record.Id!, out var existing))
        {
            _elements[record.Id!] = record;
            _document.Records.Add(record);
            return record;
        }

        // The same element met twice (e.g. a contact who is also an owner): it gains what it lacked.
        foreach (var attribute in record.Attributes.Where(a => !existing.Attributes.Any(e => e.Name == a.Name)))
            existing.Attributes.Add(attribute);
        return existing;
    }

    private void Relation(ProvKind kind, IReadOnlyList<string?> formals, IEnumerable<ProvAttribute> attributes)
    {
        var record = new ProvRecord(kind, null, formals, attributes.ToList());
        if (_relations.Add(record.Signature()))
            _document.Records.Add(record);
    }

    /// <summary>Relations only with both ends, of the kinds they require (invariant 3); activities by start time.</summary>
    private void Finish()
    {
        var kinds = _elements.ToDictionary(e => e.Key, e => e.Value.Kind, StringComparer.Ordinal);
        _document.Records.RemoveAll(r => !r.Kind.IsElement() && !ProvenanceChecks.EndsAreDeclared(r, kinds));
        var activities = _document.Records.Where(r => r.Kind == ProvKind.Activity)
            .OrderBy(r => _activityStart.GetValueOrDefault(r.Id!)).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        _document.Records.RemoveAll(r => r.Kind == ProvKind.Activity);
        _document.Records.InsertRange(0, activities);
    }

    private static List<ProvAttribute> Type(string voprovClass) => [new("prov:type", ProvValue.Name($"voprov:{voprovClass}"))];

    /// <summary>Parameter labels show at most 25 characters of the value (as OPUS).</summary>
    private static string Shorten(string value) => value.Length > 25 ? value[..25] + "..." : value;

    private static string LastSegment(string location)
    {
        var path = location.Split('?', '#')[0].TrimEnd('/');
        var slash = path.LastIndexOf('/');
        return slash >= 0 && slash < path.Length - 1 ? path[(slash + 1)..] : location;
    }
}

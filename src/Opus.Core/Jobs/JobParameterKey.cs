using System.Security.Cryptography;
using System.Text;

namespace Opus.Core.Jobs;

/// <summary>
/// One parameter of a job as the job list's "name=value" filter finds it: the name in lower case and
/// the SHA-256 of the value, so the (name, digest) index has fixed-size keys whatever the value's length
/// (a PostgreSQL b-tree refuses entries past about 2.7 kB). Written with the job and with every change
/// of its parameters; the job's JSON column stays what is read.
/// </summary>
public sealed class JobParameterKey
{
    public required string JobId { get; init; }

    public required string Name { get; init; }

    public required string ValueSha256 { get; init; }

    public static string NameOf(string name) => name.ToLowerInvariant();

    public static string DigestOf(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    public static List<JobParameterKey> For(string jobId, IEnumerable<JobParameter> parameters) =>
        parameters.GroupBy(p => NameOf(p.Name)).Select(g => new JobParameterKey { JobId = jobId, Name = g.Key, ValueSha256 = DigestOf(g.Last().Value) }).ToList();
}

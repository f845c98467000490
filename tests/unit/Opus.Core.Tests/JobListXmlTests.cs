using System.Xml.Linq;
using Opus.Core.Jobs;
using Opus.Core.Uws;

namespace Opus.Core.Tests;

public sealed class JobListXmlTests
{
    /// <summary>
    /// Kestrel forbids synchronous writes to a response. Long jobrefs (an admin's list shows ownerId;
    /// a runId may be 1024 characters) once overflowed the XML writer's buffer between two
    /// asynchronous flushes, and the list broke off after about 240 jobs.
    /// </summary>
    [Fact]
    public async Task A_long_job_list_is_written_without_synchronous_writes()
    {
        var jobs = Enumerable.Range(0, 2_000).Select(i => new JobSummary(
            $"job{i:D6}", JobPhase.COMPLETED, i % 3 == 0 ? new string('r', 1024) : null, "admin", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(-i)));
        using var target = new AsyncOnlyStream();

        await UwsXml.WriteJobListAsync(target, jobs.ToAsyncEnumerable(), "http://127.0.0.1/rest/copy", showOwner: true);

        var list = XDocument.Parse(System.Text.Encoding.UTF8.GetString(target.ToArray()));
        Assert.Equal(2_000, list.Root!.Elements(XName.Get("jobref", UwsXml.Namespace)).Count());
        Assert.True(target.Writes > 10, $"the list went out in {target.Writes} writes; it should stream");
    }

    /// <summary>A response body as Kestrel gives it: asynchronous writes only.</summary>
    private sealed class AsyncOnlyStream : Stream
    {
        private readonly MemoryStream _content = new();

        public int Writes { get; private set; }

        public byte[] ToArray() => _content.ToArray();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new InvalidOperationException("Synchronous operations are disallowed.");

        public override void Flush() =>
            throw new InvalidOperationException("Synchronous operations are disallowed.");

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            _content.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _content.Dispose();
            base.Dispose(disposing);
        }
    }
}

using System.Threading.Channels;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Users;

namespace Opus.Core.Notifications;

/// <summary>
/// Notices by e-mail (Opus:Mail): to the admins with an address when a definition is proposed, to a job's owner
/// when the job ends if the job asked (NOTIFY) or the owner's preference says so. Callers only enqueue (never
/// waiting, never failing); this background worker finds the recipients and sends, retrying a bounded number of
/// times, so a slow or unreachable SMTP server delays no job and no request. Off when no host is configured.
/// </summary>
public sealed partial class MailNotifications(IDbContextFactory<OpusDbContext> contexts, OpusOptions options, ILogger<MailNotifications> logger)
    : BackgroundService
{
    private abstract record Notice;

    private sealed record JobEnded(string JobId, string Definition, string Owner, JobPhase Phase) : Notice;

    private sealed record DefinitionProposed(string Name, string Version, string By) : Notice;

    // Bounded: a server that cannot send keeps at most this many notices waiting; later ones are dropped, and logged.
    private readonly Channel<Notice> _notices = Channel.CreateBounded<Notice>(new BoundedChannelOptions(10_000) { SingleReader = true });

    private MailOptions Mail => options.Mail;

    /// <summary>A job reached a final phase: its owner may want to know.</summary>
    public void JobEnd(string jobId, string definition, string? owner, JobPhase phase)
    {
        if (owner is not null && phase is JobPhase.COMPLETED or JobPhase.ERROR or JobPhase.ABORTED)
            Enqueue(new JobEnded(jobId, definition, owner, phase));
    }

    /// <summary>A user proposed a definition (or a version) that waits for an admin to publish it.</summary>
    public void Proposed(string name, string version, string by) => Enqueue(new DefinitionProposed(name, version, by));

    private void Enqueue(Notice notice)
    {
        if (Mail.Enabled && !_notices.Writer.TryWrite(notice))
            QueueFull(notice.ToString());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Mail.Enabled)
            return;
        await foreach (var notice in _notices.Reader.ReadAllAsync(stoppingToken))
        {
            List<MimeMessage> messages;
            try
            {
                messages = await ComposeAsync(notice, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ComposeFailed(notice.ToString(), e.Message);
                continue;
            }

            foreach (var message in messages)
                await SendAsync(message, stoppingToken);
        }
    }

    private async Task<List<MimeMessage>> ComposeAsync(Notice notice, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        switch (notice)
        {
            case JobEnded ended:
            {
                var job = await db.Jobs.AsNoTracking().Where(j => j.Id == ended.JobId).Select(j => new { j.Notify, j.ErrorMessage }).FirstOrDefaultAsync(cancellationToken);
                var owner = await db.Users.AsNoTracking().Where(u => u.UserName == ended.Owner).Select(u => new { u.Email, u.NotifyOnJobEnd }).FirstOrDefaultAsync(cancellationToken);
                if (job is null || owner?.Email is null || !(job.Notify ?? owner.NotifyOnJobEnd))
                    return [];
                var link = $"{BaseUrl}/rest/{Uri.EscapeDataString(ended.Definition)}/{ended.JobId}";
                var body = $"Your Opus job {ended.JobId} ({ended.Definition}) ended {ended.Phase}.\n\n{link}\n"
                    + (ended.Phase == JobPhase.ERROR && job.ErrorMessage is { } error ? $"\nError: {error}\n" : "");
                return Message(owner.Email, $"Opus job {ended.JobId} ({ended.Definition}) {ended.Phase}", body) is { } message ? [message] : [];
            }

            case DefinitionProposed proposed:
            {
                var withAddress = await db.Users.AsNoTracking().Where(u => u.Active && u.Email != null).Select(u => new { u.Email, u.Roles }).ToListAsync(cancellationToken);
                var link = $"{BaseUrl}/jdl/{Uri.EscapeDataString(proposed.Name)}/versions";
                var body = $"{proposed.By} proposed the job definition {proposed.Name}, version {proposed.Version}; it waits for an admin to publish it.\n\n{link}\n";
                // One message per admin: one bad address fails its own message only.
                return withAddress.Where(u => u.Roles.Contains(Caller.AdminRole))
                    .Select(u => Message(u.Email!, $"Opus: {proposed.By} proposed the job definition {proposed.Name} (version {proposed.Version})", body))
                    .OfType<MimeMessage>().ToList();
            }

            default:
                return [];
        }
    }

    /// <summary>Where links in a notice point: Opus:PublicUrl, else the address runners call back to.</summary>
    private string BaseUrl =>
        options.PublicUrl is { Length: > 0 } publicUrl ? publicUrl.TrimEnd('/')
        : options.CallbackUrl is { } callback && callback.EndsWith("/handler/job_event", StringComparison.Ordinal) ? callback[..^"/handler/job_event".Length]
        : "";

    private MimeMessage? Message(string to, string subject, string body)
    {
        if (!MailboxAddress.TryParse(to, out var recipient))
        {
            BadAddress(to);
            return null;
        }

        var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = body } };
        message.From.Add(MailboxAddress.Parse(Mail.From!));
        message.To.Add(recipient);
        return message;
    }

    private async Task SendAsync(MimeMessage message, CancellationToken stoppingToken)
    {
        var recipients = string.Join(",", message.To.Mailboxes.Select(m => m.Address));
        var subject = message.Subject ?? "";
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(Mail.Timeout);
                using var smtp = new SmtpClient { Timeout = (int)Mail.Timeout.TotalMilliseconds };
                await smtp.ConnectAsync(Mail.Host!, Mail.EffectivePort, Mail.Security switch
                {
                    MailSecurity.None => SecureSocketOptions.None,
                    MailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                    _ => SecureSocketOptions.StartTls,
                }, timeout.Token);
                if (!string.IsNullOrEmpty(Mail.User))
                    await smtp.AuthenticateAsync(Mail.User, Mail.Password ?? "", timeout.Token);
                await smtp.SendAsync(message, timeout.Token);
                await smtp.DisconnectAsync(true, timeout.Token);
                Sent(recipients, subject);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                var reason = e is OperationCanceledException ? $"no answer within {Mail.Timeout.TotalSeconds:0} s" : e.Message;
                if (attempt >= Math.Max(1, Mail.Attempts))
                {
                    GaveUp(recipients, subject, attempt, reason);
                    return;
                }

                WillRetry(recipients, subject, attempt, reason);
                await Task.Delay(Mail.RetryDelay, stoppingToken);
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Mail sent to {Recipients}: {Subject}")]
    private partial void Sent(string recipients, string subject);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Mail to {Recipients} ({Subject}) failed, attempt {Attempt}, retrying: {Reason}")]
    private partial void WillRetry(string recipients, string subject, int attempt, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Mail to {Recipients} ({Subject}) given up after {Attempt} attempts: {Reason}")]
    private partial void GaveUp(string recipients, string subject, int attempt, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Mail queue full: notice dropped ({Notice})")]
    private partial void QueueFull(string notice);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Mail not sent: '{Address}' is not an e-mail address")]
    private partial void BadAddress(string address);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Mail for {Notice} not composed: {Reason}")]
    private partial void ComposeFailed(string notice, string reason);
}

namespace Opus.Core.Notifications;

/// <summary>How the SMTP connection is secured (MailKit's SecureSocketOptions, by the names the configuration uses).</summary>
public enum MailSecurity
{
    /// <summary>Plain SMTP, no TLS (a relay on the same host or network).</summary>
    None,

    /// <summary>STARTTLS after connecting (submission, port 587); refused if the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (SMTPS, port 465).</summary>
    SslOnConnect,
}

/// <summary>Configuration section Opus:Mail: the SMTP server notices are sent through; no <see cref="Host"/>, no mail.</summary>
public sealed class MailOptions
{
    public string? Host { get; set; }

    /// <summary>0: the usual port of <see cref="Security"/> (25, 587, 465).</summary>
    public int Port { get; set; }

    public MailSecurity Security { get; set; } = MailSecurity.StartTls;

    /// <summary>The SMTP user name; none: no authentication.</summary>
    public string? User { get; set; }

    /// <summary>The SMTP password (never logged).</summary>
    public string? Password { get; set; }

    /// <summary>The sender, e.g. "Opus &lt;opus@example.org&gt;"; required with a <see cref="Host"/>.</summary>
    public string? From { get; set; }

    /// <summary>Attempts per message before it is given up (logged).</summary>
    public int Attempts { get; set; } = 3;

    /// <summary>Wait between two attempts.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest an attempt (connect, authenticate, send) may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    public int EffectivePort => Port > 0 ? Port : Security switch
    {
        MailSecurity.None => 25,
        MailSecurity.SslOnConnect => 465,
        _ => 587,
    };
}

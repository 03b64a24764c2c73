namespace Helpline.Chat;

/// <summary>Section "Chat": the web chat's limits and its words of immediate danger.</summary>
public sealed class ChatOptions
{
    /// <summary>Conversations one advisor may have open at once (taken and not yet completed).</summary>
    public int MaxConversationsPerAdvisor { get; set; } = 2;

    /// <summary>
    /// A waiting chat whose page has not been heard from in this long (no poll, message or connection:
    /// the tab was closed) is taken as left, and leaves the queue. While a chat is open, a reload or a
    /// new connection resumes it.
    /// </summary>
    public int ResumeMinutes { get; set; } = 30;

    /// <summary>How long a connection token lives: it travels in the WebSocket's URL, so it must be worthless soon after.</summary>
    public int TokenSeconds { get; set; } = 120;

    /// <summary>The longest message, in characters.</summary>
    public int MaxMessageLength { get; set; } = 2000;

    /// <summary>Messages one person may send in a minute.</summary>
    public int PersonMessagesPerMinute { get; set; } = 30;

    /// <summary>Messages all the conversations from one address may send in a minute.</summary>
    public int AddressMessagesPerMinute { get; set; } = 90;

    /// <summary>Where the quick exit goes: a neutral page, replacing the chat in the tab's history.</summary>
    public string QuickExitUrl { get; set; } = "https://www.google.com/";

    /// <summary>Chats one address may open in ten minutes.</summary>
    public int StartsPerAddressPerTenMinutes { get; set; } = 5;

    /// <summary>
    /// Words and phrases that signal immediate danger, matched case- and accent-insensitively as whole
    /// words in what the person writes. A waiting conversation that uses one is raised to Urgent,
    /// flagged on the dashboards with the words that raised it, and the raise is audited.
    /// Set it to replace the list below (<see cref="DefaultRiskPhrases"/>) whole.
    /// </summary>
    public string[]? RiskPhrases { get; set; }

    /// <summary>The risk phrases used when none are configured.</summary>
    public static readonly string[] DefaultRiskPhrases =
    [
        "overdose", "overdosing", "od'ing", "took too many", "taken too many", "too many pills", "can't breathe", "cant breathe",
        "not breathing", "stopped breathing", "won't wake up", "wont wake up", "unconscious", "turning blue", "lips are blue",
        "narcan", "naloxone", "kill myself", "suicide", "want to die", "end my life",
        "sobredosis", "no respira", "no puedo respirar", "no despierta", "quiero morir", "suicidio", "matarme",
    ];
}

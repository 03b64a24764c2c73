namespace Helpline.Contacts;

/// <summary>
/// A person who has reached the helpline. Phone number and name are encrypted at rest;
/// <see cref="PhoneHash"/> is a keyed hash (blind index) so a caller can be found by number
/// without the number itself being stored in the clear.
/// </summary>
public sealed class Caller
{
    public long Id { get; set; }

    /// <summary>Blind index of the E.164 number; null when the number was withheld.</summary>
    public string? PhoneHash { get; set; }

    /// <summary>E.164, encrypted at rest.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>First name or nickname, encrypted at rest.</summary>
    public string? Name { get; set; }

    /// <summary>Another number the person gave (E.164), encrypted at rest.</summary>
    public string? AlternatePhoneNumber { get; set; }

    /// <summary>IANA time zone taken from the number (or chosen on the form); quiet hours use it.</summary>
    public required string TimeZone { get; set; }

    public CallerLanguage Language { get; set; }

    public DateTime CreatedAt { get; set; }

    public List<Consent> Consents { get; set; } = [];
}

public enum CallerLanguage
{
    English = 1,
    Spanish = 2,
}

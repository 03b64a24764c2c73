namespace Helpline.Disclosure;

/// <summary>
/// A published version of the "who answers this line" disclosure. Contacts record the version
/// they were given, so what a caller heard can be shown later even after the text changes.
/// </summary>
public sealed class DisclosureVersion
{
    public required string Version { get; set; }
    public required string English { get; set; }
    public required string Spanish { get; set; }
    public DateTime PublishedAt { get; set; }
}

using System.ComponentModel.DataAnnotations;

namespace Helpline.Disclosure;

/// <summary>
/// Section "Disclosure": who answers this line, said to every caller and shown at /who-answers.
/// Change <see cref="Version"/> whenever the text changes; contacts record the version they were given.
/// </summary>
public sealed class DisclosureOptions
{
    [Required, MaxLength(64)]
    public string Version { get; set; } = "";

    [Required]
    public string English { get; set; } = "";

    [Required]
    public string Spanish { get; set; } = "";
}

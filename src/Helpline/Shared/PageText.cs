namespace Helpline.Shared;

/// <summary>
/// The words around every public page (skip link, crisis banner, public menu) in English and
/// Spanish. A Spanish page says all of them in Spanish, the crisis banner first of all.
/// </summary>
public sealed record PageText(
    string Lang,
    string SkipToContent,
    string CrisisRegion,
    string DangerBefore911,
    string CrisisBefore988,
    string CrisisAfter988,
    string MainMenu,
    string CallUs,
    string WhoAnswers,
    string FindTreatment,
    string StaffSignIn,
    string ChatNow)
{
    public static readonly PageText English = new(
        "en", "Skip to content", "Crisis help",
        "Overdose or danger? Call", "In crisis? Call or text", ".",
        "Main", "Call {0}", "Who answers?", "Find treatment", "Staff sign-in", "Chat now");

    /// <summary>The crisis wording is the form's (a blocked request is told the same); 988 answers in Spanish on 2.</summary>
    public static readonly PageText Spanish = new(
        "es", "Saltar al contenido", "Ayuda en una crisis",
        "Si alguien tuvo una sobredosis o está en peligro, llame al", "Si está en crisis, llame o envíe un mensaje de texto al",
        " (al llamar, oprima 2 para español).",
        "Principal", "Llame al {0}", "¿Quién atiende?", "Buscar tratamiento", "Acceso del personal", "Chatee ahora");

    public static PageText For(string? lang) => lang == "es" ? Spanish : English;

    /// <summary>The banner as one sentence, for places without links (a refused request, a text message).</summary>
    public string CrisisSentences => $"{DangerBefore911} 911. {CrisisBefore988} 988{CrisisAfter988}";
}

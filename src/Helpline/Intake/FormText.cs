namespace Helpline.Intake;

/// <summary>The public form's words in English and Spanish. Change <see cref="ConsentVersion"/> when the consent wording changes.</summary>
public sealed record FormText(
    string Lang,
    string Title,
    string Intro,
    string Name,
    string NameHint,
    string Phone,
    string PhoneHint,
    string ForWhom,
    string ForMe,
    string ForLovedOne,
    string Substance,
    string SubstanceNone,
    string[] Substances,
    string Place,
    string PlaceHint,
    string PlaceNone,
    string PlaceUnknown,
    string When,
    string Asap,
    string Later,
    string Day,
    string From,
    string Until,
    string TimeZone,
    string Consents,
    string MayCall,
    string MayVoicemail,
    string MayText,
    string SafeToCall,
    string Neutral,
    string Alternate,
    string Submit,
    string WhoAnswers,
    string OtherLanguage,
    string ChatInstead,
    string ThanksTitle,
    string ThanksSoon,
    string ThanksLater,
    string ThanksClosed,
    string TooMany,
    string Errors,
    string Blocked)
{
    public const string ConsentVersion = "web-form-2026-11";

    public static readonly FormText English = new(
        "en", "Ask us to call you back", "Fill out the form below to be contacted by a caring advisor. It is free and confidential.",
        "First name or nickname (optional)", "Only so we know what to call you.",
        "Phone number", "US numbers like (212) 555-0147, or international with +.",
        "Who is this for?", "Me", "Someone I love",
        "Substance (optional)", "Prefer not to say", ["Heroin", "Fentanyl", "Prescription opioids", "Methamphetamine", "Alcohol", "Other"],
        "State (optional)", "Helps us find treatment near you.", "Prefer not to say", "Please choose your state from the list.",
        "When should we call?", "As soon as possible", "On a day and time I choose", "Day", "From", "Until", "Your time zone",
        "Your choices", "Yes, you may call me at this number (required)", "You may leave a voicemail", "You may text me",
        "It is safe to call me at this number", "Please use a neutral caller name and a neutral voicemail (no mention of treatment)",
        "Another number we may try (optional)", "Ask for a call", "Who answers this line?", "En español", "Would rather write? Chat now",
        "Thank you. We got your request.", "An advisor will call you as soon as possible, usually within the hour while we are open.",
        "An advisor will call you on the day and in the window you chose.", "We are closed right now; an advisor will call you when we open, within your hours.",
        "We already have several requests from here. Please wait a little, or call us now.", "Please correct the fields marked below.",
        "We are not able to take requests from this number at the moment. If someone has overdosed or is in danger, call 911. If you are in crisis, call or text 988.");

    public static readonly FormText Spanish = new(
        "es", "Pídanos que le llamemos", "Complete el formulario para que un consejero le contacte. Es gratis y confidencial.",
        "Nombre o apodo (opcional)", "Solo para saber cómo llamarle.",
        "Número de teléfono", "Números de EE. UU. como (212) 555-0147, o internacionales con +.",
        "¿Para quién es?", "Para mí", "Para un ser querido",
        "Sustancia (opcional)", "Prefiero no decirlo", ["Heroína", "Fentanilo", "Opioides recetados", "Metanfetamina", "Alcohol", "Otra"],
        "Estado (opcional)", "Nos ayuda a encontrar tratamiento cerca de usted.", "Prefiero no decirlo", "Elija su estado de la lista.",
        "¿Cuándo le llamamos?", "Lo antes posible", "En un día y horario que yo elija", "Día", "Desde", "Hasta", "Su zona horaria",
        "Sus preferencias", "Sí, pueden llamarme a este número (obligatorio)", "Pueden dejarme un mensaje de voz", "Pueden enviarme mensajes de texto",
        "Es seguro llamarme a este número", "Usen un nombre y un mensaje de voz neutrales (sin mencionar el tratamiento)",
        "Otro número donde intentar (opcional)", "Pedir una llamada", "¿Quién atiende esta línea?", "In English", "¿Prefiere escribir? Chatee ahora",
        "Gracias. Recibimos su solicitud.", "Un consejero le llamará lo antes posible, normalmente dentro de una hora mientras estemos abiertos.",
        "Un consejero le llamará el día y en el horario que eligió.", "Ahora estamos cerrados; un consejero le llamará cuando abramos, dentro de su horario.",
        "Ya tenemos varias solicitudes desde aquí. Espere un poco, o llámenos ahora.", "Corrija los campos indicados abajo.",
        "En este momento no podemos atender solicitudes de este número. " + Shared.PageText.Spanish.CrisisSentences);

    public static FormText For(string? lang) => lang == "es" ? Spanish : English;
}

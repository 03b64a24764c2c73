using Helpline.Contacts;
using Twilio.TwiML.Voice;

namespace Helpline.Calls;

/// <summary>What the caller hears, in English and Spanish. Everything after "3" is in Spanish.</summary>
public sealed record Prompts(
    Say.LanguageEnum Language,
    string Welcome,
    string CrisisNotice,
    string Menu,
    string NotUnderstood,
    string Connecting,
    string ConnectingCrisis,
    string ClosedNow,
    string OpensAgain,
    string NoOpeningKnown,
    string VoicemailOffer,
    string VoicemailThanks,
    string NoVoicemailLeft,
    string WithheldNoCallback,
    string PlaceInLine,
    string ExpectedWait,
    string ExpectedWaitOneMinute,
    string CallbackOffer,
    string CrisisWhileWaiting,
    string CallbackThanks,
    string CallbackInYourHours,
    string AdvisorMissed,
    string AdvisorWhisper,
    string QueueUnavailable,
    string Goodbye,
    string CallbackVoicemail,
    string NeutralVoicemail,
    string Blocked)
{
    /// <summary>
    /// Version of the voicemail prompt's consent wording ("we may call you back at this number").
    /// Stored as the evidence of a voicemail caller's consent; change it whenever that wording changes.
    /// </summary>
    public const string VoicemailConsentVersion = "voicemail-callback-2026-11";

    /// <summary>Version of the waiting caller's "press 1 to be called back" wording, stored as consent evidence.</summary>
    public const string CallbackConsentVersion = "press1-callback-2026-11";

    public static readonly Prompts English = new(
        Say.LanguageEnum.EnUs,
        Welcome: "Thank you for calling {0}.",
        CrisisNotice: "If someone has overdosed or is in danger, hang up and call 9 1 1. If you are in crisis, press 9 at any time to reach the crisis line, or call or text 9 8 8.",
        Menu: "If you are calling for yourself, press 1. If you are calling about someone you love, press 2. To reach the crisis line now, press 9.",
        NotUnderstood: "Sorry, I didn't get that.",
        Connecting: "Thank you. Please stay on the line. A caring advisor will be with you as soon as possible.",
        ConnectingCrisis: "Connecting you to the crisis line now. Please stay on the line.",
        ClosedNow: "Our advisors are not available right now.",
        OpensAgain: "We open again {0}.",
        NoOpeningKnown: "We do not know yet when we open again.",
        VoicemailOffer: "Please leave your first name and a short message after the tone, then hang up. By leaving a message, you agree that we may call you back at this number.",
        VoicemailThanks: "Thank you. We will call you back at this number when we are open. Goodbye.",
        NoVoicemailLeft: "We did not get a message. Please call again. Goodbye.",
        WithheldNoCallback: "Your number is hidden, so we cannot call you back. Please call again when we are open, or press 9 for the crisis line.",
        PlaceInLine: "You are number {0} in line.",
        ExpectedWait: "The expected wait is about {0} minutes.",
        ExpectedWaitOneMinute: "The expected wait is about one minute.",
        CallbackOffer: "To hang up and be called back at this number, keeping your place in line, press 1.",
        CrisisWhileWaiting: "For the crisis line, press 9. Otherwise, please stay on the line.",
        CallbackThanks: "Thank you. You keep your place in line, and an advisor will call you back at this number. Goodbye.",
        CallbackInYourHours: "Thank you. We only call between 8 in the morning and 9 at night your time, while we are open, so an advisor will call you back at this number at the first such time. Goodbye.",
        AdvisorMissed: "Sorry for the wait. You keep your place in line; the next advisor will be with you shortly.",
        AdvisorWhisper: "Helpline call. Connecting you now.",
        QueueUnavailable: "We are sorry, we cannot put you through right now.",
        Goodbye: "Goodbye.",
        CallbackVoicemail: "Hello, this is {0}, returning your call as you asked. Sorry we missed you. Please call us back at {1}; we will also try again. If someone has overdosed or is in danger, call 9 1 1. If you are in crisis, call or text 9 8 8. Goodbye.",
        NeutralVoicemail: "Hello, this is a message returning your call. Please call back at {0} when it suits you. Thank you. Goodbye.",
        Blocked: "Thank you for calling. We are not able to take calls from this number at the moment. If someone has overdosed or is in danger, hang up and call 9 1 1. If you are in crisis, call or text 9 8 8. Goodbye.");

    public static readonly Prompts Spanish = new(
        Say.LanguageEnum.EsMx,
        Welcome: "Gracias por llamar a {0}.",
        CrisisNotice: "Si alguien tuvo una sobredosis o está en peligro, cuelgue y llame al 9 1 1. Si está en crisis, oprima 9 en cualquier momento para comunicarse con la línea de crisis, o llame o envíe un mensaje de texto al 9 8 8; al llamar al 9 8 8, oprima 2 para español.",
        Menu: "Si llama por usted, oprima 1. Si llama por un ser querido, oprima 2. Para comunicarse ahora con la línea de crisis, oprima 9.",
        NotUnderstood: "Disculpe, no le entendí.",
        Connecting: "Gracias. Por favor, permanezca en la línea. Un consejero le atenderá lo antes posible.",
        ConnectingCrisis: "Le estamos comunicando con la línea de crisis. Por favor, permanezca en la línea.",
        ClosedNow: "Nuestros consejeros no están disponibles en este momento.",
        OpensAgain: "Volvemos a abrir {0}.",
        NoOpeningKnown: "Todavía no sabemos cuándo volveremos a abrir.",
        VoicemailOffer: "Por favor, deje su nombre y un breve mensaje después del tono, y luego cuelgue. Al dejar un mensaje, acepta que le devolvamos la llamada a este número.",
        VoicemailThanks: "Gracias. Le devolveremos la llamada a este número cuando estemos abiertos. Adiós.",
        NoVoicemailLeft: "No recibimos ningún mensaje. Por favor, vuelva a llamar. Adiós.",
        WithheldNoCallback: "Su número está oculto, así que no podemos devolverle la llamada. Por favor, llame de nuevo cuando estemos abiertos, u oprima 9 para la línea de crisis.",
        PlaceInLine: "Usted es el número {0} en la fila.",
        ExpectedWait: "El tiempo de espera estimado es de unos {0} minutos.",
        ExpectedWaitOneMinute: "El tiempo de espera estimado es de un minuto.",
        CallbackOffer: "Para colgar y que le devolvamos la llamada a este número, sin perder su lugar en la fila, oprima 1.",
        CrisisWhileWaiting: "Para la línea de crisis, oprima 9. Si no, por favor, permanezca en la línea.",
        CallbackThanks: "Gracias. Conserva su lugar en la fila y un consejero le devolverá la llamada a este número. Adiós.",
        CallbackInYourHours: "Gracias. Solo llamamos entre las 8 de la mañana y las 9 de la noche, hora local, mientras estamos abiertos; un consejero le devolverá la llamada a este número en el primer horario así. Adiós.",
        AdvisorMissed: "Disculpe la espera. Conserva su lugar en la fila; el próximo consejero le atenderá en breve.",
        AdvisorWhisper: "Llamada de Helpline. Le conectamos ahora.",
        QueueUnavailable: "Lo sentimos, no podemos comunicarle en este momento.",
        Goodbye: "Adiós.",
        CallbackVoicemail: "Hola, le llamamos de {0}, como nos pidió. Lamentamos no haberle encontrado. Por favor, llámenos al {1}; también volveremos a intentarlo. Si alguien tuvo una sobredosis o está en peligro, llame al 9 1 1. Si está en crisis, llame o envíe un mensaje de texto al 9 8 8. Adiós.",
        NeutralVoicemail: "Hola, este es un mensaje para devolverle la llamada. Por favor, llame al {0} cuando le convenga. Gracias. Adiós.",
        Blocked: "Gracias por llamar. En este momento no podemos atender llamadas de este número. Si alguien tuvo una sobredosis o está en peligro, cuelgue y llame al 9 1 1. Si está en crisis, llame o envíe un mensaje de texto al 9 8 8. Adiós.");

    /// <summary>The menu's invitation to Spanish speakers, said in Spanish inside the English menu.</summary>
    public const string SpanishOption = "Para español, oprima 3.";

    public static Prompts For(CallerLanguage language) => language == CallerLanguage.Spanish ? Spanish : English;

    /// <summary>A phone number as it should be read out: "+18005550100" → "8 0 0, 5 5 5, 0 1 0 0" (North American numbers grouped).</summary>
    public static string Spoken(string e164)
    {
        var digits = e164.TrimStart('+');
        if (digits.Length == 11 && digits[0] == '1')
            digits = digits[1..];
        static string Spaced(string part) => string.Join(' ', part.ToCharArray());
        return digits.Length == 10
            ? $"{Spaced(digits[..3])}, {Spaced(digits[3..6])}, {Spaced(digits[6..])}"
            : Spaced(digits);
    }

    /// <summary>"today at 8:00 AM", "tomorrow at 9:00 AM", "on Monday at 8:00 AM" (or the Spanish equivalents).</summary>
    public string When(DateTime nowLocal, DateTime openingLocal)
    {
        var days = openingLocal.Date.Subtract(nowLocal.Date).Days;
        if (Language == Say.LanguageEnum.EsMx)
        {
            var culture = System.Globalization.CultureInfo.GetCultureInfo("es-MX");
            var time = openingLocal.ToString("H:mm", culture);
            return days switch
            {
                0 => $"hoy a las {time}",
                1 => $"mañana a las {time}",
                _ => $"el {openingLocal.ToString("dddd", culture)} a las {time}",
            };
        }
        var en = System.Globalization.CultureInfo.GetCultureInfo("en-US");
        var at = openingLocal.ToString("h:mm tt", en);
        return days switch
        {
            0 => $"today at {at}",
            1 => $"tomorrow at {at}",
            _ => $"on {openingLocal.ToString("dddd", en)} at {at}",
        };
    }
}

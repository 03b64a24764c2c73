namespace Helpline.Chat;

/// <summary>The chat page's words, in English and Spanish. The crisis banner's own words are the layout's (Shared/PageText).</summary>
public sealed record ChatText(
    string Lang,
    string Title,
    string Intro,
    string NoScript,
    string WhoAnswersLink,
    string NicknameLabel,
    string NicknameHint,
    string Start,
    string Starting,
    string Waiting,
    string PlaceInLine,
    string RecentWait,
    string NoRecentWait,
    string Joined,
    string Ended,
    string YouLabel,
    string AdvisorLabel,
    string MessageLabel,
    string Send,
    string Typing,
    string Read,
    string Leave,
    string LeaveConfirm,
    string CallbackInstead,
    string QuickExit,
    string QuickExitHint,
    string Reconnecting,
    string Closed,
    string TooMany,
    string Blocked,
    string CouldNotSend,
    string StartNew,
    string WriteFirst,
    string TooLongMessage,
    string TooFastMessage,
    string OtherLanguage,
    string OtherLanguageHref)
{
    public static readonly ChatText English = new(
        "en", "Chat with us",
        "Write to a trained advisor about drugs or alcohol, for yourself or someone you care about. You do not have to give your name.",
        "The chat needs JavaScript. You can call us, or ask us to call you back, instead.",
        "Who answers, and what we keep",
        "First name or nickname (optional)", "Only so the advisor knows what to call you.",
        "Start chat", "Starting…",
        "You are in line. An advisor will join as soon as one is free.",
        "Your place in line: {0}.",
        "Recent waits have been about {0} min.",
        "",
        "An advisor has joined. You can write now.",
        "This chat has ended. If you need us again, start a new chat or call us.",
        "You", "Advisor",
        "Message", "Send", "The advisor is typing…", "Read",
        "Leave chat", "Leave the chat? The advisor will see that you left.",
        "Ask for a call back instead",
        "Quick exit", "Leaves this site at once and clears the chat from this tab.",
        "Connection lost. Reconnecting…",
        "Chat is closed right now. If you are in danger, call 911; in crisis, call or text 988. You can ask us to call you back.",
        "Too many chats were started from here. Wait a few minutes, or call us.",
        "A chat cannot be opened from here. If you are in danger, call 911. In crisis, call or text 988.",
        "Your message was not sent. Check your connection and send it again.",
        "Start a new chat",
        "Write a message first.",
        "That message is too long; send it in parts.",
        "You are sending messages very fast. Wait a moment, then send again.",
        "En español", "/chat?lang=es");

    public static readonly ChatText Spanish = new(
        "es", "Chatee con nosotros",
        "Escriba a un consejero capacitado sobre drogas o alcohol, para usted o para alguien que le importa. No tiene que dar su nombre.",
        "El chat necesita JavaScript. Puede llamarnos o pedir que le llamemos.",
        "Quién atiende y qué guardamos",
        "Nombre o apodo (opcional)", "Solo para que el consejero sepa cómo llamarle.",
        "Empezar el chat", "Empezando…",
        "Está en la fila. Un consejero se unirá en cuanto esté libre.",
        "Su lugar en la fila: {0}.",
        "Las esperas recientes han sido de unos {0} min.",
        "",
        "Un consejero se ha unido. Ya puede escribir.",
        "Este chat ha terminado. Si nos necesita de nuevo, empiece otro chat o llámenos.",
        "Usted", "Consejero",
        "Mensaje", "Enviar", "El consejero está escribiendo…", "Leído",
        "Salir del chat", "¿Salir del chat? El consejero verá que usted se fue.",
        "Pedir que me llamen",
        "Salida rápida", "Sale de este sitio de inmediato y borra el chat de esta pestaña.",
        "Se perdió la conexión. Reconectando…",
        "El chat está cerrado ahora. Si está en peligro, llame al 911; si está en crisis, llame o envíe un mensaje de texto al 988. Puede pedir que le llamemos.",
        "Se empezaron demasiados chats desde aquí. Espere unos minutos o llámenos.",
        "No se puede abrir un chat desde aquí. Si está en peligro, llame al 911. Si está en crisis, llame o envíe un mensaje de texto al 988.",
        "Su mensaje no se envió. Revise su conexión y envíelo de nuevo.",
        "Empezar otro chat",
        "Escriba un mensaje primero.",
        "Ese mensaje es demasiado largo; envíelo en partes.",
        "Está enviando mensajes muy rápido. Espere un momento y envíe de nuevo.",
        "In English", "/chat");

    public static ChatText For(string? lang) => lang == "es" ? Spanish : English;
}

/// <summary>What the helpline itself says in a chat, in the chat's language: both sides read it.</summary>
public sealed record SystemText(string Joined, string Ended, string Transferred, string PersonLeft)
{
    public static readonly SystemText English = new(
        "An advisor has joined the chat.", "The advisor ended the chat.",
        "You are now with another advisor, who can see this conversation.", "The person left the chat.");

    public static readonly SystemText Spanish = new(
        "Un consejero se ha unido al chat.", "El consejero terminó el chat.",
        "Ahora le atiende otro consejero, que puede ver esta conversación.", "La persona salió del chat.");

    /// <summary>Notes in a text conversation's transcript, for staff only: none of them is texted.</summary>
    public static readonly SystemText Texts = new(
        "An advisor took the conversation.", "The advisor ended the conversation.",
        "Handed to another advisor.", "The person left the conversation.");

    public static SystemText For(Contacts.CallerLanguage language) => language == Contacts.CallerLanguage.Spanish ? Spanish : English;
}

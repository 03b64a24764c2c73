using Helpline.Audit;
using Helpline.Blocking;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Disclosure;
using Helpline.Infrastructure;
using Helpline.Messages;
using Helpline.Telephony;
using Helpline.Treatment;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Intake;

/// <summary>
/// The public form asking to be called back (flow 5). Every field is checked on the server; a
/// request is saved whole (caller, consents with their evidence, contact, callback) or not at all;
/// a second request for a number with a pending callback updates it. Works without JavaScript.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(IntakeExtensions.RateLimitPolicy)]
public sealed partial class GetHelpModel(
    HelplineDb db,
    HelplineTime time,
    OpeningHours hours,
    CallbackDispatcher dispatcher,
    ITelephonyGateway gateway,
    IOptions<HelplineOptions> helpline,
    IOptions<DisclosureOptions> disclosure,
    ILogger<GetHelpModel> logger) : PageModel
{
    /// <summary>The fields as the page shows them, so the list of what to fix reads in the same order.</summary>
    public static readonly string[] FieldsInOrder =
        ["Name", "Phone", "For", "Substance", "Place", "When", "Day", "From", "Until", "TimeZone", "MayCall", "AlternatePhone"];

    /// <summary>Requests from one number within an hour before the form asks them to wait.</summary>
    public const int PerNumberPerHour = 3;

    [BindProperty(SupportsGet = true)] public string? Lang { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Phone { get; set; }
    [BindProperty] public ContactFor? For { get; set; }
    [BindProperty] public Substance? Substance { get; set; }
    [BindProperty] public string? Place { get; set; }
    [BindProperty] public string When { get; set; } = "asap";
    [BindProperty] public DateOnly? Day { get; set; }
    [BindProperty] public TimeOnly? From { get; set; }
    [BindProperty] public TimeOnly? Until { get; set; }
    [BindProperty] public string TimeZone { get; set; } = "America/New_York";
    [BindProperty] public bool MayCall { get; set; }
    [BindProperty] public bool MayVoicemail { get; set; }
    [BindProperty] public bool MayText { get; set; }
    [BindProperty] public bool SafeToCall { get; set; }
    [BindProperty] public bool Neutral { get; set; }
    [BindProperty] public string? AlternatePhone { get; set; }

    /// <summary>Honeypot: hidden from people, filled in by bots.</summary>
    [BindProperty] public string? Website { get; set; }

    public FormText Text => FormText.For(Lang);
    public string? Problem { get; private set; }

    public void OnGet()
    {
        TimeZone = helpline.Value.TimeZone;
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!string.IsNullOrEmpty(Website))
        {
            // A bot: it sees the same confirmation as a person, and nothing is saved.
            return RedirectToPage("/Intake/Thanks", new { lang = Text.Lang, when = "soon" });
        }

        ModelState.Clear();
        var e164 = Check();
        if (!ModelState.IsValid || e164 is null)
        {
            Problem = Text.Errors;
            return Page();
        }

        var now = time.UtcNow;
        Problem = await RefusalAsync(e164, now);
        if (Problem is not null)
            return Page();

        var (start, end) = When == "later" ? (From!.Value, Until!.Value) : (CallbackWindow.Earliest, CallbackWindow.Latest);
        var from = When == "later" ? TimeZoneInfo.ConvertTimeToUtc(Day!.Value.ToDateTime(start), TimeZoneInfo.FindSystemTimeZoneById(TimeZone)) : now;
        var due = CallbackWindow.DueTime(from < now ? now : from, TimeZone, start, end, hours);
        await SaveRequestAsync(e164, start, end, due, now);
        dispatcher.Wake();
        logger.LogInformation("Web-form request saved; callback due at {DueAt:o}", due);

        if (MayText)
            await ConfirmByTextAsync(e164);
        if (When == "later")
        {
            // The confirmation repeats the day and window chosen, on the caller's clock; nothing personal travels in the address.
            return RedirectToPage("/Intake/Thanks", new
            {
                lang = Text.Lang, when = "later", day = Day!.Value.ToString("yyyy-MM-dd"), from = start.ToString("HH:mm"), until = end.ToString("HH:mm"), zone = TimeZone,
            });
        }
        return RedirectToPage("/Intake/Thanks", new { lang = Text.Lang, when = hours.IsOpen(now) ? "soon" : "closed" });
    }

    /// <summary>Why the request is refused before anything is saved (too many from the number, or a blocked number), or null.</summary>
    private async Task<string?> RefusalAsync(string e164, DateTime now)
    {
        var hash = db.Protector.BlindIndex(e164);
        var since = now.AddHours(-1);
        var recent = await db.Contacts.CountAsync(c => c.Channel == ContactChannel.WebForm && c.CreatedAt >= since && c.Caller != null && c.Caller.PhoneHash == hash);
        if (recent >= PerNumberPerHour)
            return Text.TooMany;
        if (!await BlockedNumbers.IsBlockedAsync(db, e164, now))
            return null;
        // As on the phone: said plainly, with where to find help now. Nothing from the form is kept.
        db.AuditEntries.Add(new AuditEntry { At = now, Action = "request.blocked", Details = $"web form from •••• {e164[^4..]}; not saved" });
        await db.SaveChangesAsync();
        logger.LogInformation("A callback request from a blocked number was refused");
        return Text.Blocked;
    }

    /// <summary>
    /// The request whole, in one transaction: the caller, the contact, the consents with their evidence
    /// and the callback. A second request for a number that already waits for a callback updates that one.
    /// </summary>
    private async Task SaveRequestAsync(string e164, TimeOnly start, TimeOnly end, DateTime due, DateTime now)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync();
        var caller = await SaveCallerAsync(e164, now);
        var pending = await db.Callbacks.Include(c => c.Contact)
            .Where(c => c.CallerId == caller.Id && c.Status == CallbackStatus.Scheduled)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync();
        var contact = await SaveContactAsync(caller, pending?.Contact, now);
        AddConsents(caller.Id, contact.Id, now);
        if (pending is null)
        {
            db.Callbacks.Add(Callback.Promised(contact.Id, caller.Id, TimeZone, start, end, due, now));
        }
        else
        {
            pending.DueAt = due;
            pending.TimeZone = TimeZone;
            pending.WindowStartLocal = start;
            pending.WindowEndLocal = end;
            pending.JobId = null;
            pending.UpdatedAt = now;
        }
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }

    /// <summary>The caller found by the blind index of their number, or created, with what the form says of them.</summary>
    private async Task<Caller> SaveCallerAsync(string e164, DateTime now)
    {
        var hash = db.Protector.BlindIndex(e164);
        var caller = await db.Callers.SingleOrDefaultAsync(c => c.PhoneHash == hash);
        if (caller is null)
        {
            caller = new Caller { PhoneHash = hash, PhoneNumber = e164, TimeZone = TimeZone, CreatedAt = now };
            db.Callers.Add(caller);
        }
        caller.Name = string.IsNullOrWhiteSpace(Name) ? caller.Name : Name.Trim();
        caller.TimeZone = TimeZone;
        caller.Language = Text.Lang == "es" ? CallerLanguage.Spanish : CallerLanguage.English;
        if (AlternatePhone is { Length: > 0 } && CallerNumbers.TryNormalize(AlternatePhone, "US", out var alternate))
            caller.AlternatePhoneNumber = alternate;
        await db.SaveChangesAsync();
        return caller;
    }

    /// <summary>The pending request's contact, updated, or a new one waiting for its callback.</summary>
    private async Task<Contact> SaveContactAsync(Caller caller, Contact? pending, DateTime now)
    {
        var stamp = time.Stamp(now);
        var contact = pending ?? new Contact
        {
            CallerId = caller.Id,
            Channel = ContactChannel.WebForm,
            Status = ContactStatus.AwaitingCallback,
            CreatedAt = now,
            LocalDate = stamp.Date,
            LocalHour = stamp.Hour,
            LocalDayOfWeek = stamp.DayOfWeek,
        };
        contact.For = For!.Value;
        contact.Substance = Substance;
        contact.Region = Place ?? contact.Region;
        contact.Language = caller.Language;
        contact.DisclosureVersion = disclosure.Value.Version;
        contact.UpdatedAt = now;
        if (pending is null)
            db.Contacts.Add(contact);
        await db.SaveChangesAsync();
        return contact;
    }

    /// <summary>Every answer on the form, yes or no, with the version of the text the caller read.</summary>
    private void AddConsents(long callerId, long contactId, DateTime now)
    {
        foreach (var (kind, granted) in new[]
        {
            (ConsentKind.CallBack, MayCall), (ConsentKind.LeaveVoicemail, MayVoicemail), (ConsentKind.Text, MayText),
            (ConsentKind.SafeToCall, SafeToCall), (ConsentKind.NeutralCallerId, Neutral), (ConsentKind.NeutralVoicemail, Neutral),
        })
        {
            db.Consents.Add(new Consent
            {
                CallerId = callerId, ContactId = contactId, Kind = kind, Granted = granted,
                TextVersion = $"{FormText.ConsentVersion}-{Text.Lang}", Source = ConsentSource.WebForm, RecordedAt = now,
            });
        }
    }

    /// <summary>A courtesy text that the request arrived; the request is saved whether or not it is sent.</summary>
    private async Task ConfirmByTextAsync(string e164)
    {
        try
        {
            var body = Text.Lang == "es"
                ? "Recibimos su solicitud. Le llamaremos pronto. Responda STOP para no recibir mensajes."
                : "We got your request and will call you soon. Reply STOP to opt out of texts.";
            var sid = await gateway.SendSmsAsync(new OutboundText(e164, helpline.Value.HotlineNumber, Neutral ? body : $"{helpline.Value.Name}: {body}"));
            // No conversation keeps it: noted so that it is deleted at Twilio a day later.
            if (sid is { Length: > 0 })
                await db.NoteAsync(sid, time.UtcNow, logger);
        }
        catch (TelephonyException)
        {
            // The request is saved; the text is a courtesy.
        }
    }

    /// <summary>Every field checked, each error tied to its field; returns the E.164 number when valid.</summary>
    private string? Check()
    {
        string? e164 = null;
        if (Name is { Length: > 50 })
            ModelState.AddModelError(nameof(Name), Text.Lang == "es" ? "Use 50 caracteres como máximo." : "Please use at most 50 characters.");
        if (string.IsNullOrWhiteSpace(Phone) || !CallerNumbers.TryNormalize(Phone.Trim(), "US", out var normalized))
            ModelState.AddModelError(nameof(Phone), Text.Lang == "es" ? "Escriba un número de teléfono válido, por ejemplo (212) 555-0147." : "Please enter a valid phone number, for example (212) 555-0147.");
        else
            e164 = normalized;
        if (For is not (ContactFor.Self or ContactFor.LovedOne))
            ModelState.AddModelError(nameof(For), Text.Lang == "es" ? "Elija para quién es." : "Please choose who this is for.");
        if (Substance is { } substance && !Enum.IsDefined(substance))
            ModelState.AddModelError(nameof(Substance), Text.Lang == "es" ? "Elija una opción de la lista." : "Please choose from the list.");
        // A state from the list, kept as its code: Contacts.Region is in clear and the reports group by it,
        // so no free text a caller might fill with an address goes there.
        Place = string.IsNullOrWhiteSpace(Place) ? null : Place.Trim().ToUpperInvariant();
        if (Place is not null && !UsStates.Names.ContainsKey(Place))
            ModelState.AddModelError(nameof(Place), Text.PlaceUnknown);
        if (!IsKnownZone(TimeZone))
            ModelState.AddModelError(nameof(TimeZone), Text.Lang == "es" ? "Elija su zona horaria." : "Please choose your time zone.");
        if (When is not ("asap" or "later"))
            ModelState.AddModelError(nameof(When), Text.Lang == "es" ? "Elija cuándo llamarle." : "Please choose when we should call.");
        if (When == "later")
        {
            var today = IsKnownZone(TimeZone) ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(time.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(TimeZone))) : DateOnly.FromDateTime(time.UtcNow);
            if (Day is not { } day || day < today || day > today.AddDays(30))
                ModelState.AddModelError(nameof(Day), Text.Lang == "es" ? "Elija un día entre hoy y dentro de 30 días." : "Please choose a day between today and 30 days from now.");
            if (From is not { } start || Until is not { } end || end <= start)
                ModelState.AddModelError(nameof(Until), Text.Lang == "es" ? "El horario debe terminar después de empezar." : "The window must end after it starts.");
            else if (end <= CallbackWindow.Earliest || start >= CallbackWindow.Latest)
            {
                var (earliest, latest, zone) = (HumanFormats.Time(CallbackWindow.Earliest, Text.Lang), HumanFormats.Time(CallbackWindow.Latest, Text.Lang), HumanFormats.ZoneName(TimeZone, Text.Lang));
                ModelState.AddModelError(nameof(From), Text.Lang == "es"
                    ? $"Solo llamamos entre las {earliest} y las {latest}, {zone}."
                    : $"We only call between {earliest} and {latest} {zone}.");
            }
        }
        if (!MayCall)
            ModelState.AddModelError(nameof(MayCall), Text.Lang == "es" ? "Necesitamos su permiso para llamarle." : "We need your permission to call you.");
        if (!string.IsNullOrWhiteSpace(AlternatePhone) && !CallerNumbers.TryNormalize(AlternatePhone.Trim(), "US", out _))
            ModelState.AddModelError(nameof(AlternatePhone), Text.Lang == "es" ? "Escriba un número válido o deje el campo vacío." : "Please enter a valid number or leave this empty.");
        return e164;
    }

    /// <summary>An IANA zone id this machine knows (looked up safely: odd ids must not become a 500).</summary>
    private static bool IsKnownZone(string? id) => HumanFormats.FindZone(id) is not null;
}

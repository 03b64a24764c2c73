using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Helpline.Reports;

/// <summary>
/// <c>seed contacts COUNT DAYS</c>: a history of made-up contacts for trying the reports at size:
/// COUNT contacts over the last DAYS days with a helpline's shape: arrivals peaking late morning
/// and evening, quieter at weekends; mostly phone calls, with web forms, voicemails and callbacks;
/// answered after a wait, some abandoned (a third of those within a few seconds), a few to the
/// crisis line; talk and wrap-up times, dispositions, regions, twelve advisors on shifts (with their
/// presence), callbacks placed more or less on time. Numbers are fictional (555-01xx), 5,000 callers.
/// Written by prepared INSERTs in transactions of 5,000 contacts, not through SaveChanges (see FlushAsync).
/// </summary>
public static class SeedContacts
{
    /// <summary>Relative arrivals per local hour (0–23).</summary>
    private static readonly double[] HourWeights =
        [2, 1.5, 1, 1, 1, 1.5, 3, 5, 8, 10, 11, 11, 10, 9, 9, 8, 8, 8, 9, 10, 10, 9, 7, 4];

    private static readonly string[] Regions =
        ["CA", "TX", "FL", "NY", "PA", "OH", "IL", "GA", "NC", "MI", "NJ", "VA", "WA", "AZ", "MA", "TN", "IN", "MO", "MD", "WV", "KY", "NM", "OR", "NH"];

    private static readonly Disposition[] Dispositions =
    [
        Disposition.InformationGiven, Disposition.InformationGiven, Disposition.InformationGiven, Disposition.ReferredToTreatment,
        Disposition.ReferredToTreatment, Disposition.CallbackScheduled, Disposition.CrisisEscalated988, Disposition.Silent,
        Disposition.HangUp, Disposition.WrongNumber, Disposition.Other,
    ];

    public const int Advisors = 12;

    public sealed record Seeded(int Contacts, int Callbacks, int PresenceSpans, DateOnly From, DateOnly To);

    public static async Task<Seeded> SeedAsync(IServiceProvider services, int count, int days, IProgress<int>? progress = null, int seed = 2026)
    {
        var db = services.GetRequiredService<HelplineDb>();
        var time = services.GetRequiredService<HelplineTime>();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var random = new Random(seed);
        var advisors = await AdvisorsAsync(services);
        var callers = await CallersAsync(db, time);
        var today = time.Stamp(time.UtcNow).Date;
        var first = today.AddDays(-days + 1);

        // Contacts per day: weekdays busier than weekends; spread so the total is exactly count.
        var dayWeights = Enumerable.Range(0, days).Select(d => first.AddDays(d).DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.7 : 1.0).ToArray();
        var perDay = Spread(count, dayWeights);
        var hourTotal = HourWeights.Sum();

        var written = 0;
        var callbacks = 0;
        var spans = 0;
        var pending = new List<(Contact Contact, Callback? Callback)>();
        for (var d = 0; d < days; d++)
        {
            var date = first.AddDays(d);
            spans += Shifts(db, time, advisors, date);
            for (var i = 0; i < perDay[d]; i++)
            {
                var arrived = ArrivalOn(random, time, date, hourTotal);
                var (contact, callback) = OneContact(random, time, arrived, advisors, callers);
                pending.Add((contact, callback));
                if (pending.Count == 5000)
                {
                    callbacks += await FlushAsync(db, pending);
                    written += 5000;
                    progress?.Report(written);
                }
            }
        }
        written += pending.Count;
        callbacks += await FlushAsync(db, pending);
        await db.SaveChangesAsync();
        progress?.Report(written);
        // The past days' counts, as the recurring job would have kept them day by day.
        await services.GetRequiredService<ReportQueries>().RefreshAsync(first, today.AddDays(-1));
        if (db.Database.IsNpgsql())
            await VacuumAnalyzeAsync(db);
        return new Seeded(written, callbacks, spans, first, today);
    }

    /// <summary>A moment of <paramref name="date"/>, at an hour drawn by <see cref="HourWeights"/>, and never in the future.</summary>
    private static DateTime ArrivalOn(Random random, HelplineTime time, DateOnly date, double hourTotal)
    {
        var hour = Pick(random, HourWeights, hourTotal);
        var local = date.ToDateTime(new TimeOnly(hour, random.Next(60), random.Next(60)));
        if (time.Zone.IsInvalidTime(local))
            local = local.AddHours(1);
        var arrived = TimeZoneInfo.ConvertTimeToUtc(local, time.Zone).AddMilliseconds(random.Next(1000));
        if (arrived > time.UtcNow)
            arrived = time.UtcNow.AddSeconds(-random.Next(1, 3600));
        return arrived;
    }

    /// <summary>
    /// A bulk load leaves PostgreSQL's planner without statistics and the visibility map unset
    /// (no index-only scans) until autovacuum comes round; a database that grew over a year has
    /// both. So, as after any bulk import: VACUUM (ANALYZE).
    /// </summary>
    private static async Task VacuumAnalyzeAsync(HelplineDb db)
    {
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(30));
        await db.Database.ExecuteSqlRawAsync("VACUUM (ANALYZE)");
    }

    private static (Contact, Callback?) OneContact(Random random, HelplineTime time, DateTime arrived, string[] advisors, long[] callers)
    {
        var contact = Arrived(random, time, arrived, callers);
        var phone = contact.Channel == ContactChannel.Phone;
        var outcome = random.NextDouble();
        if (phone && outcome < 0.02)
        {
            contact.Status = ContactStatus.TransferredToCrisisLine;
            contact.QueueExit = QueueExit.CrisisLine;
            contact.QueuedAt = null;
        }
        else if (phone && outcome < 0.05)
        {
            contact.Status = ContactStatus.EndedInMenu;
            contact.QueuedAt = null;
        }
        else if (phone && outcome < 0.17)
        {
            Abandon(random, contact, arrived);
        }
        else
        {
            Answer(random, contact, arrived, advisors);
        }
        return (contact, CallbackFor(random, contact, arrived));
    }

    /// <summary>A contact on a channel drawn at random, from a caller drawn from <paramref name="callers"/> or withheld, queued on arrival.</summary>
    private static Contact Arrived(Random random, HelplineTime time, DateTime arrived, long[] callers)
    {
        var stamp = time.Stamp(arrived);
        var roll = random.NextDouble();
        var channel = roll < 0.70 ? ContactChannel.Phone : roll < 0.85 ? ContactChannel.WebForm : roll < 0.90 ? ContactChannel.Voicemail : ContactChannel.Callback;
        var contact = new Contact
        {
            Channel = channel, CreatedAt = arrived, UpdatedAt = arrived, LocalDate = stamp.Date, LocalHour = stamp.Hour, LocalDayOfWeek = stamp.DayOfWeek,
            Language = random.NextDouble() < 0.12 ? CallerLanguage.Spanish : CallerLanguage.English,
            For = random.NextDouble() < 0.6 ? ContactFor.Self : ContactFor.LovedOne,
            Region = Regions[(int)(Math.Pow(random.NextDouble(), 1.6) * Regions.Length)],
            CallerId = random.NextDouble() < 0.9 ? callers[random.Next(callers.Length)] : null,
            QueuedAt = arrived,
        };
        contact.CallerIdWithheld = contact.CallerId is null;
        return contact;
    }

    /// <summary>Abandoned: a third of them within the first few seconds.</summary>
    private static void Abandon(Random random, Contact contact, DateTime arrived)
    {
        var waited = random.NextDouble() < 0.33 ? random.Next(500, 5000) : random.Next(5001, 600_000);
        contact.Status = ContactStatus.Abandoned;
        contact.WaitMilliseconds = waited;
        contact.WaitSeconds = waited / 1000;
        contact.EndedAt = arrived.AddMilliseconds(waited);
    }

    /// <summary>Answered: most within half a minute, a tail of long waits; then talk, wrap-up and a disposition.</summary>
    private static void Answer(Random random, Contact contact, DateTime arrived, string[] advisors)
    {
        var waited = (int)Math.Min(1_800_000, -Math.Log(1 - random.NextDouble()) * 25_000);
        var talk = 60 + (int)(-Math.Log(1 - random.NextDouble()) * 420);
        var wrapUp = 15 + random.Next(150);
        contact.Status = ContactStatus.Completed;
        contact.WaitMilliseconds = waited;
        contact.WaitSeconds = waited / 1000;
        contact.AnsweredAt = arrived.AddMilliseconds(waited);
        contact.EndedAt = contact.AnsweredAt.Value.AddSeconds(talk);
        contact.WrapUpEndedAt = contact.EndedAt.Value.AddSeconds(wrapUp);
        contact.TalkSeconds = talk;
        contact.WrapUpSeconds = wrapUp;
        contact.AdvisorId = advisors[random.Next(advisors.Length)];
        contact.Disposition = Dispositions[random.Next(Dispositions.Length)];
        if (contact.Disposition == Disposition.CrisisEscalated988)
            contact.CrisisTransferredAt = contact.AnsweredAt.Value.AddSeconds(random.Next(30, talk));
    }

    /// <summary>A contact that did not come by phone, from a known caller, is called back: reached, or missed after three tries.</summary>
    private static Callback? CallbackFor(Random random, Contact contact, DateTime arrived)
    {
        if (contact.Channel == ContactChannel.Phone || contact.CallerId is not { } callerId)
            return null;
        var late = (int)(-Math.Log(1 - random.NextDouble()) * 90);
        var reached = contact.Status == ContactStatus.Completed;
        var attempts = reached ? 1 + (random.NextDouble() < 0.3 ? 1 : 0) : 3;
        var callback = new Callback
        {
            CallerId = callerId, DueAt = arrived, TimeZone = "America/New_York", WindowStartLocal = CallbackWindow.Earliest, WindowEndLocal = CallbackWindow.Latest,
            Status = reached ? CallbackStatus.Completed : CallbackStatus.Missed, Attempts = attempts,
            FirstAttemptAt = arrived.AddSeconds(late), FirstAttemptLateSeconds = late, LastAttemptAt = arrived.AddSeconds(late),
            LastOutcome = reached ? CallbackOutcome.Reached : CallbackOutcome.NoAnswer, CreatedAt = arrived, UpdatedAt = arrived,
        };
        if (!reached)
            contact.Status = ContactStatus.Missed;
        return callback;
    }

    /// <summary>
    /// Writes a batch of contacts and their callbacks in one transaction, with ids chosen here so the
    /// callbacks can point at their contacts without reading anything back. Not through SaveChanges:
    /// tracking each row and building one statement with forty parameters per row took most of the
    /// seed's time (the app, not the database, was the busy side).
    /// </summary>
    private static async Task<int> FlushAsync(HelplineDb db, List<(Contact Contact, Callback? Callback)> pending)
    {
        var contactId = await db.Contacts.MaxAsync(c => (long?)c.Id) ?? 0;
        var callbackId = await db.Callbacks.MaxAsync(c => (long?)c.Id) ?? 0;
        foreach (var (contact, _) in pending)
            contact.Id = ++contactId;
        var callbacks = pending.Where(p => p.Callback is not null).Select(p => { p.Callback!.Id = ++callbackId; p.Callback.ContactId = p.Contact.Id; return p.Callback; }).ToList();
        await using var transaction = await db.Database.BeginWriteTransactionAsync();
        await InsertAsync(db, pending.Select(p => p.Contact).ToList());
        await InsertAsync(db, callbacks);
        // The presence spans of the days begun (a few dozen rows a day).
        await db.SaveChangesAsync();
        if (db.Database.IsNpgsql())
        {
            // Identity columns hand out the next value from their sequence, which ids given here do not move.
            await db.Database.ExecuteSqlRawAsync("""SELECT setval(pg_get_serial_sequence('"Contacts"', 'Id'), (SELECT max("Id") FROM "Contacts"))""");
            await db.Database.ExecuteSqlRawAsync("""SELECT setval(pg_get_serial_sequence('"Callbacks"', 'Id'), (SELECT max("Id") FROM "Callbacks"))""");
        }
        await transaction.CommitAsync();
        db.ChangeTracker.Clear();
        pending.Clear();
        return callbacks.Count;
    }

    /// <summary>
    /// INSERTs of these entities, columns and parameter types taken from the model, so the values are
    /// stored exactly as SaveChanges would store them (value converters included). One command per
    /// statement size, prepared once and run again with new values.
    /// </summary>
    private static async Task InsertAsync<T>(HelplineDb db, IReadOnlyList<T> rows) where T : class
    {
        if (rows.Count == 0)
            return;
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var columns = entity.GetProperties().Where(p => !p.IsShadowProperty() && p.GetColumnName(table) is not null).ToList();
        var getters = columns.Select(c => c.GetGetter()).ToList();
        var mappings = columns.Select(c => c.GetRelationalTypeMapping()).ToList();
        var sql = db.GetService<ISqlGenerationHelper>();
        var head = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName(table)!)))}) VALUES ";
        // PostgreSQL: many rows a statement, one round trip for hundreds. SQLite: one row a statement,
        // the statement prepared once (Microsoft.Data.Sqlite finds each parameter by name among the
        // statement's, which grows with the square of their number).
        var perStatement = db.Database.IsSqlite() ? 1 : Math.Max(1, 30_000 / columns.Count);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        System.Data.Common.DbCommand? command = null;
        try
        {
            for (var start = 0; start < rows.Count; start += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - start);
                if (command is null || command.Parameters.Count != count * columns.Count)
                {
                    if (command is not null)
                        await command.DisposeAsync();
                    command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = AddParameters(command, head, count, columns, mappings, sql);
                    await command.PrepareAsync();
                }
                SetValues(command, rows, start, count, getters, mappings);
                await command.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            if (command is not null)
                await command.DisposeAsync();
        }
    }

    /// <summary>Adds the parameters for <paramref name="count"/> rows to the command; returns the INSERT that uses them.</summary>
    private static string AddParameters(System.Data.Common.DbCommand command, string head, int count, List<IProperty> columns, List<RelationalTypeMapping> mappings, ISqlGenerationHelper sql)
    {
        var text = new System.Text.StringBuilder(head);
        for (var r = 0; r < count; r++)
        {
            text.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < columns.Count; c++)
            {
                var name = $"p{command.Parameters.Count}";
                command.Parameters.Add(mappings[c].CreateParameter(command, name, null, columns[c].IsNullable));
                text.Append(c == 0 ? "" : ", ").Append(sql.GenerateParameterNamePlaceholder(name));
            }
            text.Append(')');
        }
        return text.ToString();
    }

    /// <summary>Sets the command's parameters to the values of rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/>, converted as SaveChanges would.</summary>
    private static void SetValues<T>(System.Data.Common.DbCommand command, IReadOnlyList<T> rows, int start, int count, List<IClrPropertyGetter> getters, List<RelationalTypeMapping> mappings)
        where T : class
    {
        for (var r = 0; r < count; r++)
        {
            for (var c = 0; c < getters.Count; c++)
            {
                var value = getters[c].GetClrValueUsingContainingEntity(rows[start + r]);
                if (value is not null && mappings[c].Converter is { } converter)
                    value = converter.ConvertToProvider(value);
                command.Parameters[r * getters.Count + c].Value = value ?? DBNull.Value;
            }
        }
    }

    /// <summary>Each advisor works an eight-hour shift on most days: available, with a break, then offline.</summary>
    private static int Shifts(HelplineDb db, HelplineTime time, string[] advisors, DateOnly date)
    {
        var added = 0;
        for (var a = 0; a < advisors.Length; a++)
        {
            if ((date.DayNumber + a) % 7 == 0)
                continue;
            var start = TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(new TimeOnly(7 + a % 3 * 4, 0)), time.Zone);
            foreach (var (presence, from, hours) in new[] { (Presence.Available, 0.0, 4.0), (Presence.Break, 4.0, 0.5), (Presence.Available, 4.5, 3.5) })
            {
                db.PresenceSpans.Add(new PresenceSpan
                {
                    StaffUserId = advisors[a], Presence = presence, From = start.AddHours(from), Until = start.AddHours(from + hours),
                    LocalDate = date, Seconds = (int)(hours * 3600),
                });
                added++;
            }
        }
        return added;
    }

    private static async Task<string[]> AdvisorsAsync(IServiceProvider services)
    {
        var users = services.GetRequiredService<UserManager<StaffUser>>();
        var ids = new List<string>();
        for (var i = 1; i <= Advisors; i++)
        {
            var email = $"seed-advisor-{i:00}@helpline.example";
            var user = await users.FindByEmailAsync(email);
            if (user is null)
            {
                user = new StaffUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = $"Advisor {i:00}", Presence = Presence.Offline, PresenceChangedAt = DateTime.UtcNow };
                // Made-up accounts nobody can sign in to: no password.
                var created = await users.CreateAsync(user);
                if (!created.Succeeded)
                    throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Description)));
                await users.AddToRoleAsync(user, Roles.Advisor);
            }
            ids.Add(user.Id);
        }
        return [.. ids];
    }

    /// <summary>5,000 callers with fictional numbers (555-0100 to 555-0199 in fifty area codes), reused if present.</summary>
    private static async Task<long[]> CallersAsync(HelplineDb db, HelplineTime time)
    {
        string[] areas =
        [
            "201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215", "216", "217", "218", "219", "224", "225", "228",
            "229", "231", "234", "239", "240", "248", "251", "252", "253", "254", "256", "260", "262", "267", "269", "270", "272", "276", "281", "301",
            "302", "303", "304", "305", "307", "308", "309", "310", "312", "313",
        ];
        var numbers = areas.SelectMany(a => Enumerable.Range(100, 100).Select(n => $"+1{a}5550{n:D3}")).ToList();
        var hashes = numbers.ToDictionary(n => db.Protector.BlindIndex(n));
        var keys = hashes.Keys.ToList();
        var known = await db.Callers.Where(c => c.PhoneHash != null && keys.Contains(c.PhoneHash)).Select(c => c.PhoneHash!).ToListAsync();
        var missing = keys.Except(known).ToList();
        foreach (var hash in missing)
            db.Callers.Add(new Caller { PhoneHash = hash, PhoneNumber = hashes[hash], TimeZone = "America/New_York", CreatedAt = time.UtcNow });
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        return [.. await db.Callers.Where(c => c.PhoneHash != null && keys.Contains(c.PhoneHash)).Select(c => c.Id).ToListAsync()];
    }

    private static int Pick(Random random, double[] weights, double total)
    {
        var x = random.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x < 0)
                return i;
        }
        return weights.Length - 1;
    }

    private static int[] Spread(int count, double[] weights)
    {
        var total = weights.Sum();
        var shares = weights.Select(w => (int)(count * w / total)).ToArray();
        for (var i = 0; shares.Sum() < count; i = (i + 1) % shares.Length)
            shares[i]++;
        return shares;
    }
}

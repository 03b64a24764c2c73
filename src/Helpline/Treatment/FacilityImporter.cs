using System.Security.Cryptography;
using System.Text;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Treatment;

/// <summary>What an import did: counts, and each refused row with its reason.</summary>
public sealed record ImportSummary(
    string File, FacilityFileFormat Format, int Read, int Imported, int Updated, int Unchanged, int Rejected,
    IReadOnlyList<RejectedRow> Rejections, TimeSpan Took)
{
    /// <summary>At most this many refused rows are listed one by one; the count covers them all.</summary>
    public const int ListedRejections = 500;
}

public sealed record RejectedRow(string Where, string Reason);

/// <summary>
/// Imports a facility file: upserts by the stable key (frid, else the normalized name and address), so
/// the same file twice adds nothing; rows are streamed and written in batches.
/// </summary>
public sealed class FacilityImporter(HelplineDb db, HelplineTime time, ILogger<FacilityImporter> log)
{
    private const int BatchSize = 500;

    /// <param name="progress">Told the number of rows read so far, every few hundred rows.</param>
    public async Task<ImportSummary> ImportAsync(Stream stream, string fileName, Action<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var format = await FacilityFiles.DetectAsync(stream, fileName, cancellationToken);
        var source = $"{Path.GetFileName(fileName)} ({format})";
        var existing = await db.Facilities.AsNoTracking().ToDictionaryAsync(f => f.Key, f => (f.Id, f.ContentHash), cancellationToken);
        var seen = new Dictionary<string, string>();
        var counts = new ImportCounts();
        var batch = new List<FacilityWrite>();

        await foreach (var row in FacilityFiles.ReadAsync(stream, format, cancellationToken))
        {
            counts.Read++;
            if (row.Facility is not { } record)
            {
                counts.Reject(row.Where, row.Problem!);
                continue;
            }
            var addressKey = AddressKey(record);
            var key = record.Frid is { } frid ? "frid:" + frid : addressKey;
            if (!seen.TryAdd(key, row.Where))
            {
                counts.Reject(row.Where, $"The same facility as {seen[key]} of this file.");
                continue;
            }
            if (Plan(record, key, addressKey, existing, counts) is not { } write)
                continue;
            batch.Add(write);
            if (batch.Count >= BatchSize)
                await WriteAsync(batch, source, cancellationToken);
            if (counts.Read % 1000 == 0)
                progress?.Invoke(counts.Read);
        }
        await WriteAsync(batch, source, cancellationToken);
        progress?.Invoke(counts.Read);

        var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        log.LogInformation("Imported {File}: {Read} rows, {Imported} new, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected in {Seconds:0.0} s",
            source, counts.Read, counts.Imported, counts.Updated, counts.Unchanged, counts.Rejected, took.TotalSeconds);
        return new ImportSummary(Path.GetFileName(fileName), format, counts.Read, counts.Imported, counts.Updated, counts.Unchanged, counts.Rejected, counts.Rejections, took);
    }

    /// <summary>
    /// What a record asks for, counted: nothing when its facility is here unchanged, else an update of
    /// that facility (by its key, or by its address when it was listed before without its frid), else a new one.
    /// </summary>
    private static FacilityWrite? Plan(FacilityRecord record, string key, string addressKey, Dictionary<string, (long Id, string ContentHash)> existing, ImportCounts counts)
    {
        var hash = ContentHash(record);
        if (existing.TryGetValue(key, out var known))
        {
            if (known.ContentHash == hash)
            {
                counts.Unchanged++;
                return null;
            }
            counts.Updated++;
            return new FacilityWrite(record, key, hash, known.Id);
        }
        if (record.Frid is not null && existing.TryGetValue(addressKey, out var byAddress))
        {
            // Listed before without its frid (from a plain file): the same facility, now under its frid.
            counts.Updated++;
            return new FacilityWrite(record, key, hash, byAddress.Id);
        }
        counts.Imported++;
        return new FacilityWrite(record, key, hash, null);
    }

    private async Task WriteAsync(List<FacilityWrite> batch, string source, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
            return;
        var now = time.UtcNow;
        // Thousands of entities per batch: detect their changes once, before saving, not on every Add.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        var ids = batch.Where(b => b.Id is not null).Select(b => b.Id!.Value).ToList();
        var tracked = await db.Facilities.Where(f => ids.Contains(f.Id)).ToDictionaryAsync(f => f.Id, cancellationToken);
        if (ids.Count > 0)
            await db.FacilityServices.Where(s => ids.Contains(s.FacilityId)).ExecuteDeleteAsync(cancellationToken);
        foreach (var (record, key, hash, id) in batch)
        {
            var facility = id is { } known ? tracked[known] : new Facility
            {
                Key = key, Name = "", City = "", CitySlug = "", State = "", Zip = "", Source = "", ContentHash = "",
            };
            Copy(record, facility);
            facility.Key = key;
            facility.Source = source;
            facility.ContentHash = hash;
            facility.ImportedAt = now;
            facility.UpdatedAt = now;
            if (id is null)
            {
                facility.Services = record.Codes.Select(c => new FacilityService { Code = c }).ToList();
                db.Facilities.Add(facility);
            }
            else
            {
                db.FacilityServices.AddRange(record.Codes.Select(c => new FacilityService { FacilityId = facility.Id, Code = c }));
            }
        }
        db.ChangeTracker.DetectChanges();
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Two imports at once (the page and the command) inserting the same facility: the unique key wins.
            throw new FacilityFileException("Another import changed the directory at the same time; nothing more was imported from this file. Import it again: what is already in is counted as unchanged.");
        }
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        batch.Clear();
    }

    /// <summary>The file's own fields, as the file gives them.</summary>
    private static void Copy(FacilityRecord record, Facility facility)
    {
        facility.Frid = record.Frid;
        facility.Name = record.Name;
        facility.Name2 = record.Name2;
        facility.Street1 = record.Street1;
        facility.Street2 = record.Street2;
        facility.City = record.City;
        facility.CitySlug = ServiceCodes.Slug(record.City);
        facility.State = record.State;
        facility.Zip = record.Zip;
        facility.County = record.County;
        facility.Phone = record.Phone;
        facility.IntakePhone = record.IntakePhone;
        facility.Website = record.Website;
        facility.Latitude = record.Latitude;
        facility.Longitude = record.Longitude;
        facility.TypeFacility = record.TypeFacility;
    }

    /// <summary>The key of a facility without a frid: its name and address, normalized, hashed.</summary>
    public static string AddressKey(FacilityRecord r) =>
        "addr:" + Hash(string.Join('|', Normal(r.Name), Normal(r.Name2), Normal(r.Street1), Normal(r.Street2), Normal(r.City), r.State, r.Zip))[..40];

    private static string ContentHash(FacilityRecord r) => Hash(string.Join('\u001f',
        r.Frid, r.Name, r.Name2, r.Street1, r.Street2, r.City, r.State, r.Zip, r.County, r.Phone, r.IntakePhone, r.Website,
        r.Latitude?.ToString("R", System.Globalization.CultureInfo.InvariantCulture), r.Longitude?.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        r.TypeFacility, string.Join(' ', r.Codes)));

    /// <summary>Lower case, letters and digits only, single spaces: "123 Main St." and "123  MAIN ST" are the same.</summary>
    private static string Normal(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return "";
        var builder = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c))
                builder.Append(c);
            else if (builder.Length > 0 && builder[^1] != ' ')
                builder.Append(' ');
        }
        return builder.ToString().TrimEnd();
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>A facility to save: a new one, or an update of the facility with <paramref name="Id"/>.</summary>
    private sealed record FacilityWrite(FacilityRecord Record, string Key, string Hash, long? Id);

    private sealed class ImportCounts
    {
        public int Read { get; set; }
        public int Imported { get; set; }
        public int Updated { get; set; }
        public int Unchanged { get; set; }
        public int Rejected { get; set; }
        public List<RejectedRow> Rejections { get; } = [];

        public void Reject(string where, string reason)
        {
            Rejected++;
            if (Rejections.Count < ImportSummary.ListedRejections)
                Rejections.Add(new RejectedRow(where, reason));
        }
    }
}

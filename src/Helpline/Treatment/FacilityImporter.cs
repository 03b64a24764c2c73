using System.Security.Cryptography;
using System.Text;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.TreatmentDirectory;

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
        var rejections = new List<RejectedRow>();
        var (read, imported, updated, unchanged, rejected) = (0, 0, 0, 0, 0);
        var batch = new List<(FacilityRecord Record, string Key, string Hash, long? Id, string? OldKey)>();

        await foreach (var row in FacilityFiles.ReadAsync(stream, format, cancellationToken))
        {
            read++;
            if (row.Facility is not { } record)
            {
                Reject(row.Where, row.Problem!);
                continue;
            }
            var addressKey = AddressKey(record);
            var key = record.Frid is { } frid ? "frid:" + frid : addressKey;
            if (seen.TryGetValue(key, out var first))
            {
                Reject(row.Where, $"The same facility as {first} of this file.");
                continue;
            }
            seen[key] = row.Where;
            var hash = ContentHash(record);
            if (existing.TryGetValue(key, out var known))
            {
                if (known.ContentHash == hash)
                {
                    unchanged++;
                    continue;
                }
                batch.Add((record, key, hash, known.Id, null));
                updated++;
            }
            else if (record.Frid is not null && existing.TryGetValue(addressKey, out var byAddress))
            {
                // Listed before without its frid (from a plain file): the same facility, now under its frid.
                batch.Add((record, key, hash, byAddress.Id, addressKey));
                updated++;
            }
            else
            {
                batch.Add((record, key, hash, null, null));
                imported++;
            }
            if (batch.Count >= BatchSize)
                await WriteAsync(batch, source, cancellationToken);
            if (read % 1000 == 0)
                progress?.Invoke(read);
        }
        await WriteAsync(batch, source, cancellationToken);
        progress?.Invoke(read);

        var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        log.LogInformation("Imported {File}: {Read} rows, {Imported} new, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected in {Seconds:0.0} s",
            source, read, imported, updated, unchanged, rejected, took.TotalSeconds);
        return new ImportSummary(Path.GetFileName(fileName), format, read, imported, updated, unchanged, rejected, rejections, took);

        void Reject(string where, string reason)
        {
            rejected++;
            if (rejections.Count < ImportSummary.ListedRejections)
                rejections.Add(new RejectedRow(where, reason));
        }
    }

    private async Task WriteAsync(List<(FacilityRecord Record, string Key, string Hash, long? Id, string? OldKey)> batch, string source, CancellationToken cancellationToken)
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
        foreach (var (record, key, hash, id, _) in batch)
        {
            var facility = id is { } known ? tracked[known] : new Facility
            {
                Key = key, Name = "", City = "", CitySlug = "", State = "", Zip = "", Source = "", ContentHash = "",
            };
            facility.Key = key;
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
}

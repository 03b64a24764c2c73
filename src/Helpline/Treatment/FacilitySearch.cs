using System.Globalization;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Treatment;

/// <summary>What to look for. Every filter given must hold; <see cref="Near"/> orders nearest first.</summary>
public sealed record FacilityQuery
{
    public string? City { get; init; }
    public string? State { get; init; }
    public string? Zip { get; init; }
    public GeoPoint? Near { get; init; }
    public double Miles { get; init; } = FacilitySearch.DefaultMiles;
    public IReadOnlyList<ServiceCodes.SearchService> Services { get; init; } = [];

    /// <summary>Words in the name or city (the public site search).</summary>
    public string? Text { get; init; }

    public int Take { get; init; } = FacilitySearch.DefaultTake;

    /// <summary>Admins see hidden facilities too; nobody else does.</summary>
    public bool IncludeHidden { get; init; }
}

public sealed record FacilityHit(
    long Id, string Name, string? Name2, string? Street1, string? Street2, string City, string State, string Zip,
    string? Phone, string? IntakePhone, string? Website, double? Latitude, double? Longitude,
    double? Miles, bool Paid, bool Hidden, string? HiddenReason, IReadOnlyList<string> Services, IReadOnlyList<string> Codes);

/// <param name="More">More facilities match than were returned.</param>
public sealed record FacilitySearchResult(IReadOnlyList<FacilityHit> Facilities, bool More, GeoPoint? Center);

/// <summary>
/// Searches the directory by place, distance and service. Neutral: paid listings are labelled, never
/// ranked for paying (order is distance, else name); hidden facilities are left out.
/// </summary>
public sealed class FacilitySearch(HelplineDb db, ZipCentroids zips)
{
    public const double DefaultMiles = 25;
    public const double MaxMiles = 250;
    public const int DefaultTake = 20;
    public const int MaxTake = 100;

    /// <summary>
    /// Reads a search as the API and pages give it. <paramref name="near"/> is a ZIP code or "lat,lon";
    /// <paramref name="service"/> is a comma-separated list of service names. Returns the query, or why not.
    /// </summary>
    public async Task<(FacilityQuery? Query, string? Problem)> ParseAsync(string? city, string? state, string? zip, string? near, double? miles, string? service, string? text, int? take)
    {
        state = string.IsNullOrWhiteSpace(state) ? null : state.Trim().ToUpperInvariant();
        if (state is not null && (state.Length != 2 || !state.All(char.IsAsciiLetterUpper)))
            return (null, "The state must be a two-letter code, such as NY.");
        zip = string.IsNullOrWhiteSpace(zip) ? null : zip.Trim();
        if (zip is not null && !IsZip(zip))
            return (null, "The ZIP code must be five digits.");
        if (miles is { } m && (double.IsNaN(m) || m <= 0 || m > MaxMiles))
            return (null, $"The distance must be more than 0 and at most {MaxMiles:0} miles.");
        if (take is { } t && (t < 1 || t > MaxTake))
            return (null, $"Take between 1 and {MaxTake} facilities.");

        var services = new List<ServiceCodes.SearchService>();
        foreach (var name in (service ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ServiceCodes.Find(name) is not { } found)
                return (null, $"Unknown service '{name}'. Services: {string.Join(", ", ServiceCodes.Searchable.Select(s => s.Name))}.");
            services.Add(found);
        }

        GeoPoint? center = null;
        if (!string.IsNullOrWhiteSpace(near))
        {
            center = await CenterAsync(near.Trim());
            if (center is null)
                return (null, $"'{near.Trim()}' is neither a known ZIP code nor a point (latitude,longitude).");
        }
        return (new FacilityQuery
        {
            City = string.IsNullOrWhiteSpace(city) ? null : city.Trim(),
            State = state,
            Zip = zip,
            Near = center,
            Miles = miles ?? DefaultMiles,
            Services = services,
            Text = string.IsNullOrWhiteSpace(text) ? null : text.Trim(),
            Take = take ?? DefaultTake,
        }, null);
    }

    public static bool IsZip(string text) => text.Length == 5 && text.All(char.IsAsciiDigit);

    /// <summary>A ZIP code's centroid (the Census areas; else the middle of the facilities listed under it), or a "lat,lon" point.</summary>
    public async Task<GeoPoint?> CenterAsync(string near)
    {
        if (IsZip(near))
        {
            if (zips.Find(near) is { } known)
                return known;
            var listed = await db.Facilities.AsNoTracking().Where(f => f.Zip == near && f.Latitude != null)
                .GroupBy(f => f.Zip).Select(g => new { Latitude = g.Average(f => f.Latitude!.Value), Longitude = g.Average(f => f.Longitude!.Value) })
                .FirstOrDefaultAsync();
            return listed is null ? null : new GeoPoint(listed.Latitude, listed.Longitude);
        }
        var parts = near.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat) && lat is >= -90 and <= 90
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon) && lon is >= -180 and <= 180)
            return new GeoPoint(lat, lon);
        return null;
    }

    public async Task<FacilitySearchResult> SearchAsync(FacilityQuery query, CancellationToken cancellationToken = default)
    {
        var take = Math.Clamp(query.Take, 1, MaxTake);
        var facilities = Filtered(query);

        List<long> ids;
        Dictionary<long, double>? miles = null;
        if (query.Near is { } center)
        {
            // A bounding box in SQL (indexed), then the exact distance here.
            var dLat = query.Miles / 69.0;
            var dLon = query.Miles / Math.Max(1, 69.17 * Math.Cos(center.Latitude * Math.PI / 180));
            var (south, north, west, east) = (center.Latitude - dLat, center.Latitude + dLat, center.Longitude - dLon, center.Longitude + dLon);
            var candidates = await facilities
                .Where(f => f.Latitude >= south && f.Latitude <= north && f.Longitude >= west && f.Longitude <= east)
                .Select(f => new { f.Id, f.Name, Latitude = f.Latitude!.Value, Longitude = f.Longitude!.Value })
                .ToListAsync(cancellationToken);
            var nearest = candidates
                .Select(c => (c.Id, c.Name, Miles: center.MilesTo(c.Latitude, c.Longitude)))
                .Where(c => c.Miles <= query.Miles)
                .OrderBy(c => c.Miles).ThenBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Id)
                .Take(take + 1)
                .ToList();
            ids = nearest.Select(c => c.Id).ToList();
            miles = nearest.ToDictionary(c => c.Id, c => c.Miles);
        }
        else
        {
            ids = await facilities.OrderBy(f => f.Name).ThenBy(f => f.Id).Select(f => f.Id).Take(take + 1).ToListAsync(cancellationToken);
        }

        var more = ids.Count > take;
        if (more)
            ids.RemoveAt(ids.Count - 1);
        var hits = await HitsAsync(ids, miles, cancellationToken);
        return new FacilitySearchResult(hits, more, query.Near);
    }

    /// <summary>The facilities with these ids, in this order, with their services.</summary>
    public async Task<List<FacilityHit>> HitsAsync(IReadOnlyList<long> ids, IReadOnlyDictionary<long, double>? miles = null, CancellationToken cancellationToken = default)
    {
        var rows = await db.Facilities.AsNoTracking().Where(f => ids.Contains(f.Id))
            .Select(f => new { f.Id, f.Name, f.Name2, f.Street1, f.Street2, f.City, f.State, f.Zip, f.Phone, f.IntakePhone, f.Website, f.Latitude, f.Longitude, f.Paid, f.Hidden, f.HiddenReason })
            .ToDictionaryAsync(f => f.Id, cancellationToken);
        var codes = (await db.FacilityServices.AsNoTracking().Where(s => ids.Contains(s.FacilityId)).Select(s => new { s.FacilityId, s.Code }).ToListAsync(cancellationToken))
            .ToLookup(s => s.FacilityId, s => s.Code);
        return ids.Where(rows.ContainsKey).Select(id =>
        {
            var f = rows[id];
            var offered = codes[id].ToHashSet();
            return new FacilityHit(f.Id, f.Name, f.Name2, f.Street1, f.Street2, f.City, f.State, f.Zip, f.Phone, f.IntakePhone, f.Website,
                f.Latitude, f.Longitude, miles is not null && miles.TryGetValue(id, out var m) ? Math.Round(m, 1) : null, f.Paid, f.Hidden, f.HiddenReason,
                ServiceCodes.Searchable.Where(s => s.Codes.Any(offered.Contains)).Select(s => s.Name).ToList(),
                offered.Order(StringComparer.Ordinal).ToList());
        }).ToList();
    }

    private IQueryable<Facility> Filtered(FacilityQuery query)
    {
        var facilities = db.Facilities.AsNoTracking();
        if (!query.IncludeHidden)
            facilities = facilities.Where(f => !f.Hidden);
        if (query.State is { } state)
            facilities = facilities.Where(f => f.State == state);
        if (query.City is { } city)
        {
            var slug = ServiceCodes.Slug(city);
            facilities = facilities.Where(f => f.CitySlug == slug);
        }
        if (query.Zip is { } zip)
            facilities = facilities.Where(f => f.Zip == zip);
        foreach (var service in query.Services)
        {
            var codes = service.Codes;
            facilities = facilities.Where(f => db.FacilityServices.Any(s => s.FacilityId == f.Id && codes.Contains(s.Code)));
        }
        if (query.Text is { } text)
        {
            var pattern = "%" + text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            // Case-insensitive on both: SQLite's LIKE ignores ASCII case, PostgreSQL's needs ILIKE.
            facilities = db.Database.IsNpgsql()
                ? facilities.Where(f => EF.Functions.ILike(f.Name, pattern, "\\") || EF.Functions.ILike(f.City, pattern, "\\") || EF.Functions.ILike(f.Name2!, pattern, "\\"))
                : facilities.Where(f => EF.Functions.Like(f.Name, pattern, "\\") || EF.Functions.Like(f.City, pattern, "\\") || EF.Functions.Like(f.Name2!, pattern, "\\"));
        }
        return facilities;
    }
}

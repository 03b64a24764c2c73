using Helpline.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Treatment;

/// <summary>A place on the public pages and how many facilities are listed there.</summary>
public sealed record PlaceCount(string Code, string Name, int Facilities);

/// <summary>Public: the states with treatment listed (<c>/treatment</c>).</summary>
[AllowAnonymous]
public sealed class TreatmentModel(HelplineDb db) : PageModel
{
    public IReadOnlyList<PlaceCount> States { get; private set; } = [];

    public async Task OnGetAsync() =>
        States = (await db.Facilities.AsNoTracking().Where(f => !f.Hidden).GroupBy(f => f.State)
                .Select(g => new { g.Key, Count = g.Count() }).ToListAsync())
            .Select(s => new PlaceCount(s.Key.ToLowerInvariant(), UsStates.NameOf(s.Key), s.Count))
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
}

/// <summary>Public: rehab programs in a state (<c>/treatment/ny</c>), by city.</summary>
[AllowAnonymous]
public sealed class TreatmentStateModel(HelplineDb db) : PageModel
{
    public string StateCode { get; private set; } = "";
    public string StateName { get; private set; } = "";
    public IReadOnlyList<PlaceCount> Cities { get; private set; } = [];
    public int Total { get; private set; }

    public async Task<IActionResult> OnGetAsync(string state)
    {
        if (UsStates.Code(state) is not { } code)
            return NotFoundPage();
        if (!string.Equals(state, code, StringComparison.OrdinalIgnoreCase))
            return RedirectPermanent($"/treatment/{code.ToLowerInvariant()}");
        Cities = (await db.Facilities.AsNoTracking().Where(f => f.State == code && !f.Hidden).GroupBy(f => f.CitySlug)
                .Select(g => new { g.Key, City = g.Max(f => f.City), Count = g.Count() }).ToListAsync())
            .Select(c => new PlaceCount(c.Key, c.City ?? c.Key, c.Count)).OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();
        if (Cities.Count == 0)
            return NotFoundPage();
        (StateCode, StateName) = (code, UsStates.NameOf(code));
        Total = Cities.Sum(c => c.Facilities);
        return Page();
    }

    private PageResult NotFoundPage()
    {
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }
}

/// <summary>Public: treatment centers in a city (<c>/treatment/ny/new-york</c>).</summary>
[AllowAnonymous]
public sealed class TreatmentCityModel(HelplineDb db, FacilitySearch search) : PageModel
{
    public const int Listed = 500;

    public string StateCode { get; private set; } = "";
    public string StateName { get; private set; } = "";
    public string CityName { get; private set; } = "";
    public IReadOnlyList<FacilityHit> Facilities { get; private set; } = [];
    public bool More { get; private set; }

    public async Task<IActionResult> OnGetAsync(string state, string city)
    {
        var code = UsStates.Code(state);
        var slug = city is null ? "" : ServiceCodes.Slug(city);
        if (code is null || slug.Length == 0)
            return NotFoundPage();
        if (state != code.ToLowerInvariant() || city != slug)
            return RedirectPermanent($"/treatment/{code.ToLowerInvariant()}/{slug}");
        (StateCode, StateName) = (code, UsStates.NameOf(code));
        var ids = await db.Facilities.AsNoTracking().Where(f => f.State == code && f.CitySlug == slug && !f.Hidden)
            .OrderBy(f => f.Name).ThenBy(f => f.Id).Select(f => f.Id).Take(Listed + 1).ToListAsync();
        if (ids.Count == 0)
            return NotFoundPage();
        More = ids.Count > Listed;
        Facilities = await search.HitsAsync(ids.Take(Listed).ToList());
        CityName = Facilities[0].City;
        return Page();
    }

    private PageResult NotFoundPage()
    {
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }
}

/// <summary>
/// Public site search (<c>/treatment/search?q=</c>): a ZIP code (nearest first), "City, ST", a state,
/// or words in a facility's name or city.
/// </summary>
[AllowAnonymous]
public sealed class TreatmentSearchModel(FacilitySearch search) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Query { get; set; }

    public IReadOnlyList<FacilityHit> Facilities { get; private set; } = [];
    public bool More { get; private set; }
    public string? Understood { get; private set; }

    public async Task OnGetAsync()
    {
        var q = Query?.Trim();
        if (string.IsNullOrEmpty(q))
            return;
        if (q.Length > 100)
        {
            Understood = "That search is too long; try a ZIP code, a city or a name.";
            return;
        }
        FacilityQuery query;
        if (FacilitySearch.IsZip(q))
        {
            var center = await search.CenterAsync(q);
            if (center is null)
            {
                Understood = $"We do not know the ZIP code {q}.";
                return;
            }
            query = new FacilityQuery { Near = center, Miles = FacilitySearch.DefaultMiles, Take = 50 };
            Understood = $"Nearest to ZIP code {q}, within {FacilitySearch.DefaultMiles:0} miles";
        }
        else if (q.Split(',', StringSplitOptions.TrimEntries) is [var city, var st] && UsStates.Code(st) is { } cityState)
        {
            query = new FacilityQuery { City = city, State = cityState, Take = 50 };
            Understood = $"In {city}, {UsStates.NameOf(cityState)}";
        }
        else if (UsStates.Code(q) is { } state)
        {
            query = new FacilityQuery { State = state, Take = 50 };
            Understood = $"In {UsStates.NameOf(state)}";
        }
        else
        {
            query = new FacilityQuery { Text = q, Take = 50 };
            Understood = $"Names and cities with “{q}”";
        }
        var result = await search.SearchAsync(query);
        (Facilities, More) = (result.Facilities, result.More);
    }
}

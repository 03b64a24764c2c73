using Helpline.Accounts;
using Helpline.Contacts;

// Not Helpline.Directory: that would hide System.IO.Directory from every Helpline.* namespace.
namespace Helpline.Treatment;

/// <summary>
/// A treatment facility from the public SAMHSA files. Imports upsert by <see cref="Key"/>; what admins
/// decide (hidden, paid) is never overwritten by an import.
/// </summary>
public sealed class Facility
{
    public long Id { get; set; }

    /// <summary>Stable key: <c>frid:…</c> where the file has one, else a hash of the normalized name and address.</summary>
    public required string Key { get; set; }

    public string? Frid { get; set; }
    public required string Name { get; set; }
    public string? Name2 { get; set; }
    public string? Street1 { get; set; }
    public string? Street2 { get; set; }
    public required string City { get; set; }

    /// <summary>The city as it appears in public URLs and searches: lower case, hyphens (<c>new-york</c>).</summary>
    public required string CitySlug { get; set; }

    /// <summary>Two-letter state (or territory) code, upper case.</summary>
    public required string State { get; set; }

    /// <summary>Five-digit ZIP code (leading zeros restored).</summary>
    public required string Zip { get; set; }

    public string? County { get; set; }
    public string? Phone { get; set; }

    /// <summary>The intake number: what an advisor gives the caller or dials for a warm transfer.</summary>
    public string? IntakePhone { get; set; }

    public string? Website { get; set; }
    public double? Latitude { get; set; }
    public double? Longitude { get; set; }

    /// <summary>SA, MH or OTP, where the file says.</summary>
    public string? TypeFacility { get; set; }

    public List<FacilityService> Services { get; set; } = [];

    /// <summary>A listing that pays for placement: labelled as paid, never ranked above others for it.</summary>
    public bool Paid { get; set; }

    public bool Hidden { get; set; }
    public string? HiddenReason { get; set; }

    /// <summary>The file it came from (name and format) when last imported or changed.</summary>
    public required string Source { get; set; }

    /// <summary>Hash of the imported fields, so a re-import can tell "unchanged" from "updated".</summary>
    public required string ContentHash { get; set; }

    public DateTime ImportedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>One service code a facility offers (DT, MU, BU, RES, MD, SP…): a service search is an indexed lookup.</summary>
public sealed class FacilityService
{
    public long FacilityId { get; set; }
    public required string Code { get; set; }
}

/// <summary>An advisor referred the caller of a contact to a facility.</summary>
public sealed class Referral
{
    public long Id { get; set; }
    public long ContactId { get; set; }
    public Contact? Contact { get; set; }
    public long FacilityId { get; set; }
    public Facility? Facility { get; set; }
    public ReferralMethod How { get; set; }
    public string? AdvisorId { get; set; }
    public StaffUser? Advisor { get; set; }

    /// <summary>On a warm transfer: the call placed to the facility's intake number into the caller's conference.</summary>
    public string? TransferCallSid { get; set; }

    public DateTime At { get; set; }

    /// <summary>Helpline-local date of <see cref="At"/>, for reports.</summary>
    public DateOnly LocalDate { get; set; }
}

public enum ReferralMethod
{
    /// <summary>The advisor gave the caller the facility's number.</summary>
    NumberGiven = 1,

    /// <summary>The facility's intake line was called into the caller's conference.</summary>
    WarmTransfer = 2,
}

namespace Helpline.Contacts;

/// <summary>Contacts' setup: the staff API for a contact's details, wrap-up and escalation (its services are the queue's).</summary>
public static class ContactsExtensions
{
    public static IEndpointRouteBuilder MapContacts(this IEndpointRouteBuilder app) => app.MapContactApi();
}

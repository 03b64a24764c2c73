using Helpline.Disclosure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

/// <summary>
/// The person's chat page, /chat (and /chat?lang=es). Who answers and the crisis numbers come first;
/// the chat itself runs in chat.js. Without JavaScript the page says how else to reach us.
/// </summary>
[AllowAnonymous]
public sealed class ChatPageModel(IOptions<DisclosureOptions> disclosure, IOptions<ChatOptions> options) : PageModel
{
    public string QuickExitUrl => options.Value.QuickExitUrl;

    [BindProperty(SupportsGet = true)] public string? Lang { get; set; }

    public ChatText Text => ChatText.For(Lang);

    public string Disclosure => Lang == "es" ? disclosure.Value.Spanish : disclosure.Value.English;

    public void OnGet()
    {
    }

    /// <summary>The start form posted without JavaScript: the page again, saying the chat needs it.</summary>
    public void OnPost() => NeedsScript = true;

    public bool NeedsScript { get; private set; }
}

using System.Net;
using System.Text;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Accounts;

/// <summary>
/// Walks every endpoint the app maps (pages, APIs, the hub, Hangfire, webhooks) instead of a list
/// someone must remember to extend: an endpoint added without the right policy fails here.
/// </summary>
public sealed class EndpointPolicyTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// The only anonymous routes (the public routes listed in docs/routes-and-api.md): the home page, the public form and
    /// its confirmation, the disclosure, the public directory pages and site search, the sign-in
    /// pages, health, the web chat's page and its start, token and leave requests; and /twilio/,
    /// guarded by Twilio's signature instead (checked below). Static files are served before routing.
    /// The chat's hub is for people chatting, with a chat token, not staff (checked below).
    /// </summary>
    private static readonly HashSet<string> Anonymous =
    [
        "/", "/get-help", "/get-help/thanks", "/who-answers", "/sign-in", "/sign-in/two-factor", "/set-password", "/access-denied", "/healthz",
        "/treatment", "/treatment/{state}", "/treatment/{state}/{city}", "/treatment/search",
        "/chat", "/chat/api/start", "/chat/api/token", "/chat/api/leave",
    ];

    /// <summary>Routes for supervisors and admins only (docs/routes-and-api.md); advisors are refused.</summary>
    private static readonly HashSet<string> SupervisorsOnly =
    [
        "/wallboard", "/api/wallboard", "/hangfire/{**path}", "/api/contacts/{id:long}/priority", "/blocked-numbers", "/risk-words", "/audit",
        "/reports", "/reports/export/{table}.csv", "/api/directory/referrals/counts", "/admin/directory", "/admin/staff",
    ];

    /// <summary>Of those, the admins' only (docs/routes-and-api.md); supervisors are refused.</summary>
    private static readonly HashSet<string> AdminsOnly = ["/admin/directory", "/admin/staff"];

    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync()
    {
        // The simulator's page and API exist only where it is on: turn it on so they are walked too.
        _app.Settings["Simulator:Enabled"] = "true";
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public void OnlyThePublicRoutesAreAnonymous()
    {
        var anonymous = Endpoints().Where(e => e.IsAnonymous && !e.Route.StartsWith("/twilio/")).Select(e => e.Route).ToHashSet();
        output.WriteLine($"{Endpoints().Count} endpoints, {anonymous.Count} anonymous outside /twilio/");

        Assert.Equal(Anonymous.Order(), anonymous.Order());
        Assert.All(Endpoints().Where(e => e.Route.StartsWith("/twilio/")), e => Assert.True(e.IsAnonymous, $"{e.Route} should rely on Twilio's signature, not a sign-in"));
    }

    [Fact]
    public void OnlyTheSupervisorRoutesAreRestrictedToSupervisors()
    {
        var restricted = Endpoints().Where(e => e.SupervisorsOnly).Select(e => e.Route).ToHashSet();

        Assert.Equal(SupervisorsOnly.Order(), restricted.Order());
    }

    [Fact]
    public async Task OnlyTheAdminRoutesAreRestrictedToAdminsAndSupervisorsAreRefusedThere()
    {
        var restricted = Endpoints().Where(e => e.AdminsOnly).ToList();
        Assert.Equal(AdminsOnly.Order(), restricted.Select(e => e.Route).ToHashSet().Order());

        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        foreach (var endpoint in restricted)
        {
            foreach (var method in endpoint.Methods)
            {
                var response = await supervisor.Browser.SendAsync(Request(method, endpoint));
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden || PathOf(response.Headers.Location) == "/access-denied",
                    $"Supervisor {method} {endpoint.Url} answered {(int)response.StatusCode} {response.Headers.Location}");
            }
        }
    }

    [Fact]
    public async Task EveryStaffEndpointRefusesAnonymousCallers()
    {
        var browser = _app.CreateBrowser();
        var walked = 0;
        foreach (var endpoint in StaffEndpoints())
        {
            foreach (var method in endpoint.Methods)
            {
                var response = await browser.SendAsync(Request(method, endpoint));
                var status = (int)response.StatusCode;
                var toSignIn = response.StatusCode == HttpStatusCode.Redirect && PathOf(response.Headers.Location) == "/sign-in";
                Assert.True(status == 401 || toSignIn, $"Anonymous {method} {endpoint.Url} answered {status} {response.Headers.Location}");
                walked++;
            }
        }
        output.WriteLine($"{walked} anonymous requests to staff endpoints, all refused");
        Assert.True(walked > 40, $"only {walked} staff endpoints found");
    }

    [Fact]
    public async Task EverySupervisorEndpointRefusesAdvisorsAndEveryOtherStaffEndpointLetsThemIn()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var walked = 0;
        foreach (var endpoint in StaffEndpoints())
        {
            foreach (var method in endpoint.Methods)
            {
                var response = await advisor.Browser.SendAsync(Request(method, endpoint));
                var status = (int)response.StatusCode;
                var location = PathOf(response.Headers.Location);
                var refused = status == 403 || (status == 302 && location == "/access-denied");
                if (endpoint.SupervisorsOnly)
                    Assert.True(refused, $"Advisor {method} {endpoint.Url} answered {status} {location}");
                else
                    Assert.True(!refused && status != 401 && status < 500 && location != "/sign-in",
                        $"Advisor {method} {endpoint.Url} answered {status} {location}");
                walked++;
            }
        }
        output.WriteLine($"{walked} advisor requests to staff endpoints");
    }

    [Fact]
    public async Task AnAccountWithNoStaffRoleIsRefusedEverywhereAStaffRoleIsNeeded()
    {
        var id = await _app.CreateStaffAsync("no-role@test.example", Roles.Advisor);
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<StaffUser>>();
            var user = await users.FindByIdAsync(id);
            Assert.True((await users.RemoveFromRoleAsync(user!, Roles.Advisor)).Succeeded);
        }
        var roleless = await _app.SignInAsync("no-role@test.example");
        var walked = 0;
        foreach (var endpoint in StaffEndpoints())
        {
            foreach (var method in endpoint.Methods)
            {
                var response = await roleless.Browser.SendAsync(Request(method, endpoint));
                var status = (int)response.StatusCode;
                var location = PathOf(response.Headers.Location);
                Assert.True(status is 401 or 403 || (status == 302 && location is "/access-denied" or "/sign-in"),
                    $"An account with no role: {method} {endpoint.Url} answered {status} {location}");
                walked++;
            }
        }
        output.WriteLine($"{walked} requests from an account with no staff role, all refused");
    }

    [Fact]
    public async Task TheChatHubTakesOnlyAPersonsChatTokenNeverAStaffSignIn()
    {
        var chat = Endpoints().Where(e => e.ChatToken).ToList();
        Assert.Equal(["/hubs/chat", "/hubs/chat/negotiate"], chat.Select(e => e.Route).Distinct().Order());
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        foreach (var client in new[] { _app.CreateBrowser(), supervisor.Browser })
        {
            foreach (var endpoint in chat)
            {
                foreach (var method in endpoint.Methods)
                {
                    var response = await client.SendAsync(Request(method, endpoint));
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {endpoint.Url} without a chat token answered {(int)response.StatusCode}");
                }
            }
        }
    }

    [Fact]
    public async Task EveryTwilioEndpointRefusesUnsignedAndWronglySignedRequests()
    {
        var client = _app.CreateClient();
        var twilio = Endpoints().Where(e => e.Route.StartsWith("/twilio/")).ToList();
        foreach (var endpoint in twilio)
        {
            var form = Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid());
            var unsigned = await client.PostAsync(endpoint.Url, new FormUrlEncodedContent(form));
            var forged = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new FormUrlEncodedContent(form) };
            forged.Headers.Add("X-Twilio-Signature", TwilioSigning.Sign("not-the-auth-token", "http://localhost" + endpoint.Url, form));
            var wronglySigned = await client.SendAsync(forged);

            Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, wronglySigned.StatusCode);
        }
        Assert.Equal(0, await _app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Contacts)));
        output.WriteLine($"{twilio.Count} /twilio/ endpoints refused unsigned and wrongly signed posts");
        Assert.True(twilio.Count >= 16, $"only {twilio.Count} Twilio endpoints found");
    }

    private sealed record Walked(string Route, string Url, IReadOnlyList<string> Methods, bool IsAnonymous, bool SupervisorsOnly, bool AdminsOnly, bool ChatToken = false);

    /// <summary>The endpoints for staff: neither anonymous nor the chat hub's (which takes a person's chat token instead).</summary>
    private IEnumerable<Walked> StaffEndpoints() => Endpoints().Where(e => !e.IsAnonymous && !e.ChatToken);

    private List<Walked> Endpoints()
    {
        _app.CreateClient().Dispose();
        return _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e =>
            {
                var route = "/" + (e.RoutePattern.RawText ?? "").Trim('/');
                var methods = e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.ToList() ?? ["GET", "POST"];
                var authorize = e.Metadata.GetOrderedMetadata<IAuthorizeData>();
                var supervisorsOnly = authorize.Any(a =>
                    a.Policy is AccountsExtensions.SupervisorPolicy or AccountsExtensions.AdminPolicy ||
                    (a.Roles is { } roles && !roles.Split(',').Contains(Roles.Advisor)));
                var adminsOnly = authorize.Any(a =>
                    a.Policy is AccountsExtensions.AdminPolicy || (a.Roles is { } roles && !roles.Split(',').Contains(Roles.Supervisor)));
                var chatToken = authorize.Any(a => a.Policy == Helpline.Chat.ChatTokenAuthentication.PolicyName);
                return new Walked(route, Url(e.RoutePattern), methods, e.Metadata.GetMetadata<IAllowAnonymous>() is not null, supervisorsOnly, adminsOnly, chatToken);
            })
            .ToList();
    }

    /// <summary>The route with plausible values in its parameters: ids are numbers, the rest Twilio-like sids.</summary>
    private static string Url(RoutePattern pattern)
    {
        var url = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            var text = string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart { IsCatchAll: true } => "",
                RoutePatternParameterPart parameter when parameter.ParameterPolicies.Any(p => p.Content is "long" or "int") => "1",
                RoutePatternParameterPart => "CA" + new string('0', 32),
                _ => "",
            }));
            if (text.Length > 0)
                url.Append('/').Append(text);
        }
        return url.Length == 0 ? "/" : url.ToString() + (pattern.RawText!.Contains("/twilio/voice/bridge") ? "?contact=1" : "");
    }

    /// <summary>Where a redirect goes, whether the app wrote it relative or absolute.</summary>
    private static string PathOf(Uri? location) => location is null ? "" : new Uri(new Uri("https://localhost"), location).AbsolutePath;

    private static HttpRequestMessage Request(string method, Walked endpoint)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), endpoint.Url);
        if (method != "GET")
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        return request;
    }
}

namespace Helpline.Dashboard;

/// <summary>The dashboard's setup: the wallboard's figures as JSON (the pages need none).</summary>
public static class DashboardExtensions
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app) => app.MapWallboard();
}

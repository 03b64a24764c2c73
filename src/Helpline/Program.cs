using Helpline.Accounts;
using Helpline.Calls;
using Helpline.Data;
using Helpline.Disclosure;
using Helpline.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddInfrastructure();
builder.AddData();
builder.AddAccounts();
builder.AddDisclosure();

var app = builder.Build();

app.UseInfrastructure();

await app.MigrateDatabaseAsync();
await app.PublishDisclosureAsync();
await app.SeedAccountsAsync();

app.MapHealth();
app.MapCalls();
app.MapRazorPages();

app.Run();

public partial class Program;

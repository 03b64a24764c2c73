using Helpline.Chat;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Bridge;
using Helpline.Callbacks;
using Helpline.Calls;
using Helpline.Contacts;
using Helpline.Dashboard;
using Helpline.Data;
using Helpline.Disclosure;
using Helpline.Infrastructure;
using Helpline.Intake;
using Helpline.Messages;
using Helpline.Reports;
using Helpline.Queue;
using Helpline.Retention;
using Helpline.Telephony;
using Helpline.Treatment;

var builder = WebApplication.CreateBuilder(args);

builder.AddInfrastructure();
builder.AddData();
builder.AddAudit();
builder.AddAccounts();
builder.AddDisclosure();
builder.AddTelephony();
builder.AddCalls();
builder.AddQueue();
builder.AddCallbacks();
builder.AddIntake();
builder.AddChat();
builder.AddMessages();
builder.AddReports();
builder.AddTreatment();
builder.AddRetention();

var app = builder.Build();

app.ValidateSettings();
await app.MigrateDatabaseAsync();
await app.CheckFieldKeysAsync();
await app.PublishDisclosureAsync();
await app.SeedAccountsAsync();
if (await app.RunCommandAsync(args) is { } exitCode)
    return exitCode;

app.UseInfrastructure();
app.MapHealth();
app.MapCalls();
app.MapBridge();
app.MapMessages();
app.MapQueue();
app.MapContacts();
app.MapChat();
app.MapTelephony();
app.MapDashboard();
app.MapCallbacks();
app.MapReports();
app.ScheduleRetention();
app.MapTreatment();
app.MapRazorPages();

await app.RunAsync();
return 0;

public partial class Program;

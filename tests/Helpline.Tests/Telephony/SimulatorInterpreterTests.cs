using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Helpline.Infrastructure;
using Helpline.Telephony;
using Helpline.Telephony.Simulator;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Twilio.Security;

namespace Helpline.Tests.Telephony;

/// <summary>The simulator's TwiML interpreter against a scripted app: what it posts, in what order, signed how.</summary>
public sealed class SimulatorInterpreterTests
{
    private const string Token = "interpreter-test-token";
    private readonly ScriptedApp _app = new();
    private readonly TwilioSimulator _simulator;

    public SimulatorInterpreterTests()
    {
        _simulator = new TwilioSimulator(
            new SingleClientFactory(_app),
            Options.Create(new TwilioOptions { AuthToken = Token }),
            Options.Create(new SimulatorOptions { AppBaseUrl = "https://helpline.test" }),
            Options.Create(new HelplineOptions { HotlineNumber = "+18005550100" }),
            TimeProvider.System,
            NullLogger<TwilioSimulator>.Instance);
    }

    [Fact]
    public async Task FollowsGatherActionsRelativeUrlsAndRedirectsAndPostsSignedWebhooks()
    {
        _app.On("/twilio/voice/incoming", """<Response><Gather action="menu?step=1" numDigits="1"><Say>Press 1.</Say></Gather><Say>Bye.</Say></Response>""");
        _app.On("/twilio/voice/menu?step=1", """<Response><Say>Thanks.</Say><Redirect>/twilio/voice/next</Redirect></Response>""");
        _app.On("/twilio/voice/next", """<Response><Hangup/></Response>""");

        var call = await _simulator.CallInAsync("+12125550147");
        Assert.Equal("keys", call.Awaiting);
        await _simulator.PressAsync(call.Sid, "17");

        Assert.Equal(["/twilio/voice/incoming", "/twilio/voice/menu?step=1", "/twilio/voice/next", "/twilio/voice/status"], _app.Paths);
        Assert.Equal("1", _app.Requests[1].Form["Digits"]);
        Assert.Equal("completed", _app.Requests[3].Form["CallStatus"]);
        Assert.Equal("0", _app.Requests[3].Form["SequenceNumber"]);
        Assert.All(_app.Requests, r => Assert.True(r.SignatureValid, $"{r.PathAndQuery} was not signed as Twilio signs"));
        Assert.Equal("inbound", _app.Requests[0].Form["Direction"]);
        Assert.Equal("+12125550147", _app.Requests[0].Form["From"]);
        Assert.True(call.Ended);
        Assert.Contains(call.Log, e => e.Kind == "say" && e.Text.EndsWith("Thanks."));
    }

    [Fact]
    public async Task NoInputFallsThroughToTheVerbAfterTheGather()
    {
        _app.On("/twilio/voice/incoming", """<Response><Gather action="/a"><Say>Press a key.</Say></Gather><Redirect>/b</Redirect></Response>""");
        _app.On("/b", """<Response><Say>Nothing pressed.</Say></Response>""");

        var call = await _simulator.CallInAsync("+12125550147");
        await _simulator.NoInputAsync(call.Sid);

        Assert.Equal(["/twilio/voice/incoming", "/b", "/twilio/voice/status"], _app.Paths);
        Assert.True(call.Ended);
    }

    [Theory]
    [InlineData("""<Response><Reject/></Response>""", "<Reject>")]
    [InlineData("""<Response><Gather><Record/></Gather></Response>""", "<Record> inside <Gather>")]
    [InlineData("""<Response><Leave/></Response>""", "<Leave> only works in a queue's wait URL")]
    [InlineData("""<Response><Dial><Sip>sip:x@example.com</Sip></Dial></Response>""", "<Sip> inside <Dial>")]
    [InlineData("""<Say>no response root</Say>""", "no <Response> root")]
    public async Task TwimlItDoesNotUnderstandFailsLoudly(string twiml, string expected)
    {
        _app.On("/twilio/voice/incoming", twiml);

        var error = await Assert.ThrowsAsync<SimulatorException>(() => _simulator.CallInAsync("+12125550147"));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task AnErrorFromTheAppIsReportedNotSwallowed()
    {
        _app.On("/twilio/voice/incoming", """<Response><Gather action="/broken"><Say>Press.</Say></Gather></Response>""");
        var call = await _simulator.CallInAsync("+12125550147");

        var error = await Assert.ThrowsAsync<SimulatorException>(() => _simulator.PressAsync(call.Sid, "1"));

        Assert.Contains("404", error.Message);
        Assert.Contains(call.Log, e => e.Kind == "error");
    }

    [Fact]
    public async Task EnqueueRunsTheWaitUrlAndLeavePostsTheActionWithTheQueueResult()
    {
        _app.On("/twilio/voice/incoming", """<Response><Enqueue waitUrl="/wait" action="/result">helpline</Enqueue></Response>""");
        _app.On("/wait", """<Response><Gather action="/key" numDigits="1"><Say>You are first.</Say><Pause length="30"/></Gather></Response>""");
        _app.On("/key", """<Response><Leave/></Response>""");
        _app.On("/result", """<Response><Say>We will call you back.</Say><Hangup/></Response>""");

        var call = await _simulator.CallInAsync("+12125550147");
        Assert.True(call.InQueue);
        Assert.Equal("1", _app.Requests[1].Form["QueuePosition"]);
        await _simulator.PressAsync(call.Sid, "1");

        Assert.Equal(["/twilio/voice/incoming", "/wait", "/key", "/result", "/twilio/voice/status"], _app.Paths);
        Assert.Equal("leave", _app.Requests[3].Form["QueueResult"]);
        Assert.False(call.InQueue);
        Assert.True(call.Ended);
    }

    [Fact]
    public async Task HangingUpInTheQueueTellsTheActionAndThenTheStatusCallback()
    {
        _app.On("/twilio/voice/incoming", """<Response><Enqueue waitUrl="/wait" action="/result">helpline</Enqueue></Response>""");
        _app.On("/wait", """<Response><Pause length="20"/></Response>""");
        _app.On("/result", """<Response/>""");

        var call = await _simulator.CallInAsync("+12125550147");
        await _simulator.HearWaitAgainAsync(call.Sid);
        await _simulator.PersonHangsUpAsync(call.Sid);

        Assert.Equal(["/twilio/voice/incoming", "/wait", "/wait", "/result", "/twilio/voice/status"], _app.Paths);
        Assert.Equal("hangup", _app.Requests[3].Form["QueueResult"]);
    }

    [Fact]
    public async Task RecordedMessageIsPostedWithItsRecordingThenTheCallEnds()
    {
        _app.On("/twilio/voice/incoming", """<Response><Say>Leave a message.</Say><Record action="/vm" maxLength="120"/></Response>""");
        _app.On("/vm", """<Response><Say>Thanks.</Say><Hangup/></Response>""");

        var call = await _simulator.CallInAsync("+12125550147");
        Assert.Equal("message", call.Awaiting);
        await _simulator.LeaveMessageAsync(call.Sid, 20);

        var recording = _app.Requests[1];
        Assert.Equal("/vm", recording.PathAndQuery);
        Assert.Equal("20", recording.Form["RecordingDuration"]);
        Assert.StartsWith("https://api.twilio.com/2010-04-01/Accounts/", recording.Form["RecordingUrl"]);
        Assert.Equal("/twilio/voice/status", _app.Requests[2].PathAndQuery);
        Assert.True(call.Ended);
    }

    [Fact]
    public async Task PlacedCallsRingReportProgressAndJoinAConferenceThatEndsWhenTheCallerLeaves()
    {
        _app.On("/twilio/voice/incoming", """<Response><Dial><Conference endConferenceOnExit="true" startConferenceOnEnter="false">room-1</Conference></Dial></Response>""");
        _app.On("/agent", """<Response><Dial><Conference startConferenceOnEnter="true">room-1</Conference></Dial></Response>""");
        _app.On("/agent-status", "");
        var caller = await _simulator.CallInAsync("+12125550147");
        Assert.Equal("room-1", caller.Conference);

        var agentSid = await _simulator.PlaceCallAsync(new OutboundCall("+13125550188", "+18005550100",
            new Uri("https://helpline.test/agent"), new Uri("https://helpline.test/agent-status"), 20));
        await _simulator.IdleAsync(TimeSpan.FromSeconds(10));
        await _simulator.AnswerAsync(agentSid);
        var agent = _simulator.Find(agentSid)!;
        Assert.Equal("room-1", agent.Conference);

        await _simulator.PersonHangsUpAsync(caller.Sid);
        await _simulator.IdleAsync(TimeSpan.FromSeconds(10));

        Assert.True(agent.Ended);
        var progress = _app.Requests.Where(r => r.PathAndQuery == "/agent-status").Select(r => (r.Form["StatusCallbackEvent"], r.Form["CallStatus"], r.Form["SequenceNumber"])).ToList();
        Assert.Equal([("initiated", "queued", "0"), ("ringing", "ringing", "1"), ("answered", "in-progress", "2"), ("completed", "completed", "3")], progress);
        Assert.Empty(_simulator.Errors);
    }

    [Fact]
    public async Task RestRequestsOnAnEndedCallAreRefusedAsTwilioRefusesThem()
    {
        _app.On("/twilio/voice/incoming", """<Response><Hangup/></Response>""");
        var call = await _simulator.CallInAsync("+12125550147");

        await Assert.ThrowsAsync<TelephonyException>(() => _simulator.RedirectCallAsync(call.Sid, new Uri("https://helpline.test/x")));
        await Assert.ThrowsAsync<TelephonyException>(() => _simulator.RedirectCallAsync("CA" + new string('f', 32), new Uri("https://helpline.test/x")));
    }

    private sealed class SingleClientFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>An app that answers scripted TwiML per path and checks every signature with Twilio's validator.</summary>
    private sealed class ScriptedApp : HttpMessageHandler
    {
        private readonly Dictionary<string, string> _twiml = [];
        private readonly ConcurrentQueue<Received> _received = new();

        public IReadOnlyList<Received> Requests => [.. _received];
        public IReadOnlyList<string> Paths => [.. _received.Select(r => r.PathAndQuery)];

        public void On(string pathAndQuery, string twiml) => _twiml[pathAndQuery] = twiml;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            var form = body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => WebUtility.UrlDecode(p[0]), p => WebUtility.UrlDecode(p[1]));
            var pathAndQuery = request.RequestUri!.PathAndQuery;
            var valid = new RequestValidator(Token).Validate(request.RequestUri.AbsoluteUri, form, request.Headers.GetValues("X-Twilio-Signature").Single());
            _received.Enqueue(new Received(pathAndQuery, form, valid));
            return _twiml.TryGetValue(pathAndQuery, out var twiml)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(twiml, Encoding.UTF8, "application/xml") }
                : pathAndQuery == "/twilio/voice/status" ? new HttpResponseMessage(HttpStatusCode.NoContent) : new HttpResponseMessage(HttpStatusCode.NotFound);
        }
    }

    private sealed record Received(string PathAndQuery, Dictionary<string, string> Form, bool SignatureValid);
}

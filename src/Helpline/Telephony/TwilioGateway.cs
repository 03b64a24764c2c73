using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using HttpMethod = Twilio.Http.HttpMethod;

namespace Helpline.Telephony;

/// <summary>
/// Twilio's REST API through the official SDK, on a <see cref="TwilioRestClient"/> built over the
/// app's own HttpClient (never the static TwilioClient), so tests can put a fake API under it.
/// </summary>
public sealed class TwilioGateway(TwilioRestClient client, IHttpClientFactory httpClients, Microsoft.Extensions.Options.IOptions<TwilioOptions> options, ILogger<TwilioGateway> logger) : ITelephonyGateway
{
    public async Task RedirectCallAsync(string callSid, Uri twimlUrl, CancellationToken cancellationToken = default)
    {
        await Call(() => CallResource.UpdateAsync(pathSid: callSid, url: twimlUrl, method: HttpMethod.Post, client: client), "redirect call " + callSid);
    }

    public async Task<string> PlaceCallAsync(OutboundCall call, CancellationToken cancellationToken = default)
    {
        var created = await Call(() => CallResource.CreateAsync(
            to: new PhoneNumber(call.To),
            from: new PhoneNumber(call.From),
            url: call.TwimlUrl,
            method: HttpMethod.Post,
            statusCallback: call.StatusCallbackUrl,
            statusCallbackMethod: HttpMethod.Post,
            statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
            timeout: call.RingSeconds,
            machineDetection: call.Machine switch
            {
                MachineDetection.Detect => "Enable",
                MachineDetection.DetectMessageEnd => "DetectMessageEnd",
                _ => null,
            },
            client: client), "place a call");
        return created.Sid;
    }

    public async Task HangUpAsync(string callSid, CancellationToken cancellationToken = default)
    {
        await Call(() => CallResource.UpdateAsync(pathSid: callSid, status: CallResource.UpdateStatusEnum.Completed, client: client), "hang up call " + callSid);
    }

    public async Task<string> SendSmsAsync(OutboundText text, CancellationToken cancellationToken = default)
    {
        var sent = await Call(() => MessageResource.CreateAsync(
            to: new PhoneNumber(text.To),
            from: new PhoneNumber(text.From),
            body: text.Body,
            statusCallback: text.StatusCallbackUrl,
            client: client), "send a text");
        return sent.Sid;
    }

    public async Task<MediaFile> FetchMediaAsync(string mediaUrl, CancellationToken cancellationToken = default)
    {
        // Only Twilio's own media URLs are fetched, with the account's credentials; Twilio answers
        // with a redirect to a short-lived copy, which HttpClient follows without the credentials.
        if (!Uri.TryCreate(mediaUrl, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || url.Host != "api.twilio.com")
            throw new TelephonyException("That is not a Twilio media URL.");
        var request = new HttpRequestMessage(System.Net.Http.HttpMethod.Get, url);
        request.Headers.Authorization = BasicAuthorization();
        using var response = await httpClients.CreateClient(TelephonyExtensions.TwilioHttpClient).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength > MaxMediaBytes)
        {
            logger.LogError("Twilio could not serve a text's media: {Status}", (int)response.StatusCode);
            throw new TelephonyException("Twilio could not serve the media.");
        }
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new MediaFile(content, response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream");
    }

    public Task DeleteMessageAsync(string messageSid, CancellationToken cancellationToken = default) =>
        DeleteAsync(() => MessageResource.DeleteAsync(pathSid: messageSid, client: client), "a text");

    /// <summary>Twilio's limit for one MMS is 5 MB; anything much larger is not a text's picture.</summary>
    private const long MaxMediaBytes = 10 * 1024 * 1024;

    private System.Net.Http.Headers.AuthenticationHeaderValue BasicAuthorization() => new("Basic",
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{options.Value.AccountSid}:{options.Value.AuthToken}")));

    public async Task<RecordingAudio> FetchRecordingAsync(string recordingUrl, CancellationToken cancellationToken = default)
    {
        // Twilio serves a recording's audio at its URL plus .mp3, to the account's credentials.
        var request = new HttpRequestMessage(System.Net.Http.HttpMethod.Get, recordingUrl + ".mp3");
        request.Headers.Authorization = BasicAuthorization();
        using var response = await httpClients.CreateClient(TelephonyExtensions.TwilioHttpClient).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            logger.LogError("Twilio could not serve a recording: {Status}", (int)response.StatusCode);
            throw new TelephonyException("Twilio could not serve the recording.");
        }
        return new RecordingAudio(await response.Content.ReadAsByteArrayAsync(cancellationToken), "audio/mpeg");
    }

    public Task DeleteRecordingAsync(string recordingSid, CancellationToken cancellationToken = default) =>
        DeleteAsync(() => RecordingResource.DeleteAsync(pathSid: recordingSid, client: client), "a recording");

    /// <summary>Deletes something at Twilio for good; one already gone (404) counts as deleted, which is what retention wants.</summary>
    private async Task DeleteAsync(Func<Task<bool>> delete, string what)
    {
        try
        {
            await delete();
        }
        catch (ApiException e) when (e.Status == 404)
        {
        }
        catch (Exception e) when (e is ApiException or ApiConnectionException or HttpRequestException)
        {
            logger.LogError("Twilio could not delete {What}: {Error}", what, e is ApiException api ? $"{api.Status} code {api.Code}" : e.GetType().Name);
            throw new TelephonyException($"Twilio could not delete {what}.", e, (e as ApiException)?.Code);
        }
    }

    private async Task<T> Call<T>(Func<Task<T>> request, string what)
    {
        try
        {
            return await request();
        }
        catch (Exception e) when (e is ApiException or ApiConnectionException or HttpRequestException)
        {
            // The exception text can hold the numbers of the request; log only what failed.
            logger.LogError("Twilio could not {What}: {Error}", what, e is ApiException api ? $"{api.Status} code {api.Code}" : e.GetType().Name);
            throw new TelephonyException($"Twilio could not {what}.", e, (e as ApiException)?.Code);
        }
    }
}

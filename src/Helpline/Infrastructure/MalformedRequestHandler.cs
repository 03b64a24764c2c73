using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Net.Http.Headers;

namespace Helpline.Infrastructure;

/// <summary>
/// A body that cannot be read as a form (a NUL or broken encoding in a field, a body over the
/// limits, a charset .NET cannot decode) is the client's mistake: 400 or 415 with problem details,
/// not a 500 and an error in the logs.
/// </summary>
internal sealed class MalformedRequestHandler(IProblemDetailsService problems, ILogger<MalformedRequestHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!UnreadableBodies.IsUnreadableBody(httpContext.Request, exception) || httpContext.Response.HasStarted)
            return false;

        // The exception's message can quote the input; only its kind is logged.
        logger.LogInformation("Refused a malformed request to {Path}: {Kind}", httpContext.Request.Path.Value, exception.GetType().Name);
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Malformed request", "The request's body could not be read."),
            InvalidDataException => (StatusCodes.Status400BadRequest, "Malformed request", "The request's body could not be read."),
            _ => (StatusCodes.Status415UnsupportedMediaType, "Unsupported charset", "The request's body is in a charset this server cannot read. Send it as UTF-8."),
        };
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}

/// <summary>
/// The one answer to "did this exception come from a body the client made unreadable?", for every
/// place that reads a body anyone can send: the exception handler above, the Twilio signature
/// check, the public form's 429 page.
/// </summary>
public static class UnreadableBodies
{
    public static bool IsUnreadableBody(HttpRequest request, Exception exception) => exception switch
    {
        InvalidDataException or BadHttpRequestException => true,
        // .NET throws these when a body is decoded in the charset its Content-Type names (UTF-7 is
        // refused outright; JSON names any unknown one). They are the client's only when it named one.
        NotSupportedException or InvalidOperationException { InnerException: NotSupportedException or ArgumentException } => HasUnreadableCharset(request),
        _ => false,
    };

    /// <summary>The Content-Type names a charset .NET cannot decode (UTF-7, or a name it does not know).</summary>
    public static bool HasUnreadableCharset(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.Charset.Length == 0)
            return false;
        try
        {
            _ = Encoding.GetEncoding(type.Charset.ToString());
            return false;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return true;
        }
    }
}

using Microsoft.AspNetCore.Diagnostics;

namespace Helpline.Infrastructure;

/// <summary>
/// A body that cannot be read as a form (a NUL or broken encoding in a field, a body over the
/// limits) is the client's mistake: 400 with problem details, not a 500 and an error in the logs.
/// </summary>
internal sealed class MalformedRequestHandler(IProblemDetailsService problems, ILogger<MalformedRequestHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (InvalidDataException or BadHttpRequestException) || httpContext.Response.HasStarted)
            return false;

        // The exception's message can quote the input; only its kind is logged.
        logger.LogInformation("Refused a malformed request to {Path}: {Kind}", httpContext.Request.Path.Value, exception.GetType().Name);
        httpContext.Response.StatusCode = exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = httpContext.Response.StatusCode, Title = "Malformed request", Detail = "The request's body could not be read." },
        });
    }
}

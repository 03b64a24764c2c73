using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Helpline.Treatment;

/// <summary>
/// The rows of the locator's JSON, one at a time, without holding the whole file: the envelope's
/// <c>rows</c> array (or a bare array), each element handed over as soon as it has been read.
/// </summary>
internal static class JsonRows
{
    private enum Phase { Root, Envelope, Rows, Done }

    public static async IAsyncEnumerable<JsonElement> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var final = false;
        var phase = Phase.Root;
        var state = new JsonReaderState(new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var rows = new List<JsonElement>();
        var start = 0;
        while (phase != Phase.Done)
        {
            if (!final)
            {
                if (filled == buffer.Length)
                    Array.Resize(ref buffer, buffer.Length * 2);
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                filled += read;
                final = read == 0;
            }
            // UTF-8 byte order mark.
            if (start == 0 && filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF)
                start = 3;
            var consumed = Parse(buffer.AsSpan(start, filled - start), final, ref state, ref phase, rows);
            foreach (var row in rows)
                yield return row;
            rows.Clear();
            var used = start + consumed;
            Buffer.BlockCopy(buffer, used, buffer, 0, filled - used);
            filled -= used;
            start = 0;
            if (final && phase != Phase.Done)
                throw new FacilityFileException(phase == Phase.Envelope
                    ? "This does not look like the locator's JSON: there is no \"rows\" array."
                    : "The JSON could not be read: it ends before it is complete.");
        }
    }

    /// <summary>Reads as far as the bytes at hand allow; returns how many were used, up to the last whole row.</summary>
    private static int Parse(ReadOnlySpan<byte> bytes, bool final, ref JsonReaderState state, ref Phase phase, List<JsonElement> rows)
    {
        var reader = new Utf8JsonReader(bytes, final, state);
        var safe = (Consumed: 0, State: state);
        try
        {
            while (phase != Phase.Done)
            {
                var whole = phase == Phase.Rows ? ReadRow(ref reader, ref phase, rows) : ReadTowardRows(ref reader, ref phase);
                if (!whole)
                    break;
                safe = ((int)reader.BytesConsumed, reader.CurrentState);
            }
        }
        catch (JsonException)
        {
            throw new FacilityFileException(final
                ? "The JSON could not be read: it is not valid JSON, or it ends before it is complete."
                : "The JSON could not be read: it is not valid JSON.");
        }
        state = safe.State;
        return safe.Consumed;
    }

    /// <summary>Adds the next whole row, or reads the array's end; false when bytes are missing for either.</summary>
    private static bool ReadRow(ref Utf8JsonReader reader, ref Phase phase, List<JsonElement> rows)
    {
        if (!reader.Read())
            return false;
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            phase = Phase.Done;
            return true;
        }
        // At the row's first token: the whole row, or (bytes missing) nothing of it.
        if (!JsonDocument.TryParseValue(ref reader, out var document))
            return false;
        using (document)
            rows.Add(document.RootElement.Clone());
        return true;
    }

    /// <summary>
    /// Reads one token (or one skipped property) of the root or the envelope, on the way to the rows
    /// array; false when bytes are missing for it.
    /// </summary>
    private static bool ReadTowardRows(ref Utf8JsonReader reader, ref Phase phase)
    {
        if (!reader.Read())
            return false;
        switch (phase)
        {
            case Phase.Root when reader.TokenType == JsonTokenType.StartArray:
                phase = Phase.Rows;
                return true;
            case Phase.Root when reader.TokenType == JsonTokenType.StartObject:
                phase = Phase.Envelope;
                return true;
            case Phase.Root:
                throw new FacilityFileException("This does not look like the locator's JSON: it is neither an object with \"rows\" nor an array.");
            case Phase.Envelope when reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("rows"):
                if (!reader.Read())
                    return false;
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw new FacilityFileException("This does not look like the locator's JSON: \"rows\" is not an array.");
                phase = Phase.Rows;
                return true;
            case Phase.Envelope when reader.TokenType == JsonTokenType.PropertyName:
                // page, pageSize, recordCount…: skipped whole, or read again with more bytes.
                return reader.TrySkip();
            case Phase.Envelope when reader.TokenType == JsonTokenType.EndObject:
                throw new FacilityFileException("This does not look like the locator's JSON: there is no \"rows\" array.");
            default:
                return true;
        }
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Helpline.Treatment;

/// <summary>The public SAMHSA files the directory takes as they are downloaded (their columns are described in docs/treatment-directory.md).</summary>
public enum FacilityFileFormat
{
    /// <summary>FindTreatment.gov's locator JSON (<c>exportsAsJson/v2</c>): <c>rows[]</c> with <c>services[]</c>.</summary>
    LocatorJson = 1,

    /// <summary>The locator's wide spreadsheet export, as CSV: one lower-case column per service code.</summary>
    LocatorSpreadsheet = 2,

    /// <summary>The same export as an Excel workbook (.xlsx).</summary>
    LocatorWorkbook = 3,

    /// <summary>The National Directory (N-SUMHSS): codes in <c>service_code_info</c>, groups separated by <c> * </c>.</summary>
    NationalDirectory = 4,

    /// <summary>A plain listing: name, address, ZIP, latitude and longitude, no services.</summary>
    PlainCsv = 5,
}

/// <summary>One facility as a file gives it, checked and normalized.</summary>
public sealed record FacilityRecord(
    string? Frid, string Name, string? Name2, string? Street1, string? Street2, string City, string State, string Zip,
    string? County, string? Phone, string? IntakePhone, string? Website, double? Latitude, double? Longitude,
    string? TypeFacility, IReadOnlyList<string> Codes);

/// <summary>A row of a file: the facility, or why it was refused. <paramref name="Where"/> reads "line 12" or "row 3".</summary>
public readonly record struct FileRow(string Where, FacilityRecord? Facility, string? Problem);

/// <summary>The file is not one of the formats the directory takes (said in words an admin can act on).</summary>
public sealed class FacilityFileException(string message) : Exception(message);

/// <summary>Reads the four formats row by row; a malformed row is reported, never fatal.</summary>
public static class FacilityFiles
{
    /// <summary>Columns that are facility fields; in the wide export every other short lower-case column is a service code.</summary>
    private static readonly HashSet<string> FieldColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        "frid", "name1", "name2", "street1", "street2", "city", "state", "zip", "zip4", "county", "phone", "intake1", "intake2",
        "intake1a", "intake2a", "hotline1", "website", "latitude", "longitude", "type_facility", "typefacility", "service_code_info",
        "fax", "email", "id",
    };

    /// <summary>Tells the format from the file's name and its first bytes or header row.</summary>
    public static async Task<FacilityFileFormat> DetectAsync(Stream stream, string fileName, CancellationToken cancellationToken = default)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var head = new byte[4096];
        var read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        stream.Position = 0;
        var start = Encoding.UTF8.GetString(head, 0, read).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (read == 0)
            throw new FacilityFileException("The file is empty.");
        if (head[0] == 'P' && head[1] == 'K')
        {
            if (extension is not (".xlsx" or ""))
                throw new FacilityFileException($"The file is a zip or Excel workbook but is named {extension}: only .xlsx workbooks are taken.");
            return FacilityFileFormat.LocatorWorkbook;
        }
        if (extension == ".xlsx")
            throw new FacilityFileException("The file is named .xlsx but is not an Excel workbook.");
        if (extension == ".xls")
            throw new FacilityFileException("Old Excel files (.xls) are not supported: save the sheet as .xlsx or CSV.");
        if (start.StartsWith('{') || start.StartsWith('['))
            return FacilityFileFormat.LocatorJson;
        if (extension == ".json")
            throw new FacilityFileException("The file is named .json but does not hold JSON.");

        var header = Csv.ParseLine(start.Split('\n')[0].TrimEnd('\r')).Select(c => c.Trim().ToLowerInvariant()).ToList();
        CheckHeader(header);
        if (header.Contains("service_code_info"))
            return FacilityFileFormat.NationalDirectory;
        if (header.Contains("type_facility") || header.Any(IsServiceColumn))
            return FacilityFileFormat.LocatorSpreadsheet;
        return FacilityFileFormat.PlainCsv;
    }

    private static bool IsServiceColumn(string column) => !FieldColumns.Contains(column) && ServiceCodes.IsCode(column);

    private static void CheckHeader(IReadOnlyCollection<string> header)
    {
        var missing = new[] { "name1", "city", "state", "zip" }.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new FacilityFileException($"This does not look like a SAMHSA facility file: the header row has no {string.Join(", ", missing)} column{(missing.Count > 1 ? "s" : "")}.");
    }

    /// <summary>The rows of a file in the given format.</summary>
    public static IAsyncEnumerable<FileRow> ReadAsync(Stream stream, FacilityFileFormat format, CancellationToken cancellationToken = default) => format switch
    {
        FacilityFileFormat.LocatorJson => ReadJsonAsync(stream, cancellationToken),
        FacilityFileFormat.LocatorWorkbook => ReadWorkbook(stream).ToAsyncEnumerable(),
        _ => ReadCsvAsync(stream, cancellationToken),
    };

    private static async IAsyncEnumerable<FileRow> ReadCsvAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var csv = new Csv(reader);
        var header = await csv.ReadAsync(cancellationToken);
        if (header is null)
            throw new FacilityFileException("The file is empty.");
        var columns = header.Fields.Select(c => c.Trim().ToLowerInvariant()).ToList();
        CheckHeader(columns);
        while (await csv.ReadAsync(cancellationToken) is { } record)
        {
            var where = $"line {record.Line}";
            if (record.Problem is not null)
            {
                yield return new FileRow(where, null, record.Problem);
                continue;
            }
            if (record.Fields.Count == 1 && string.IsNullOrWhiteSpace(record.Fields[0]))
                continue;
            if (record.Fields.Count > columns.Count)
            {
                yield return new FileRow(where, null, $"{record.Fields.Count} fields where the header has {columns.Count}.");
                continue;
            }
            var values = new Dictionary<string, string>(columns.Count);
            for (var i = 0; i < columns.Count; i++)
                values.TryAdd(columns[i], i < record.Fields.Count ? record.Fields[i] : "");
            yield return Check(where, values, null);
        }
    }

    private static IEnumerable<FileRow> ReadWorkbook(Stream stream)
    {
        IEnumerable<IDictionary<string, object?>> rows;
        try
        {
            rows = MiniExcelLibs.MiniExcel.Query(stream, useHeaderRow: true, excelType: MiniExcelLibs.ExcelType.XLSX).Cast<IDictionary<string, object?>>();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new FacilityFileException("The workbook could not be read: " + e.Message);
        }
        var line = 1;
        var checkedHeader = false;
        using var enumerator = rows.GetEnumerator();
        while (true)
        {
            try
            {
                if (!enumerator.MoveNext())
                    yield break;
            }
            catch (Exception e) when (e is not OutOfMemoryException and not FacilityFileException)
            {
                throw new FacilityFileException("The workbook could not be read: " + e.Message);
            }
            line++;
            var values = enumerator.Current.ToDictionary(p => p.Key.Trim().ToLowerInvariant(), p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? "");
            if (!checkedHeader)
            {
                CheckHeader(values.Keys);
                checkedHeader = true;
            }
            if (values.Values.All(string.IsNullOrWhiteSpace))
                continue;
            yield return Check($"line {line}", values, null);
        }
    }

    private static async IAsyncEnumerable<FileRow> ReadJsonAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var index = 0;
        await foreach (var row in JsonRows.ReadAsync(stream, cancellationToken))
        {
            var where = $"row {++index}";
            if (row.ValueKind != JsonValueKind.Object)
            {
                yield return new FileRow(where, null, "The row is not an object.");
                continue;
            }
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            List<string>? codes = null;
            foreach (var property in row.EnumerateObject())
            {
                if (property.NameEquals("services") && property.Value.ValueKind == JsonValueKind.Array)
                    codes = JsonServices(property.Value);
                else if (property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                    values[property.Name.ToLowerInvariant() == "typefacility" ? "type_facility" : property.Name.ToLowerInvariant()] =
                        property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
            yield return Check(where, values, codes ?? []);
        }
    }

    /// <summary><c>services[]</c> of <c>{f1: label, f2: category code, f3: "value; value"}</c>: each value's code.</summary>
    private static List<string> JsonServices(JsonElement services)
    {
        var codes = new List<string>();
        foreach (var service in services.EnumerateArray())
        {
            if (service.ValueKind != JsonValueKind.Object || !service.TryGetProperty("f3", out var f3) || f3.ValueKind != JsonValueKind.String)
                continue;
            foreach (var value in f3.GetString()!.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (ServiceCodes.FromLabel(value) is { } code)
                    codes.Add(code);
            }
        }
        return codes;
    }

    /// <summary>Checks and normalizes one row's values; <paramref name="codes"/> null means "from the columns".</summary>
    private static FileRow Check(string where, IReadOnlyDictionary<string, string> values, List<string>? codes)
    {
        string? Get(string column) => values.TryGetValue(column, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var name = Get("name1");
        if (name is null)
            return new FileRow(where, null, "No facility name (name1).");
        var city = Get("city");
        if (city is null)
            return new FileRow(where, null, "No city.");
        var state = Get("state")?.ToUpperInvariant();
        if (state is null || state.Length != 2 || !state.All(char.IsAsciiLetterUpper))
            return new FileRow(where, null, $"The state '{Get("state")}' is not a two-letter code.");
        var zipText = Get("zip");
        if (zipText is null)
            return new FileRow(where, null, "No ZIP code.");
        var zipDigits = zipText.Split('-')[0];
        // Spreadsheets drop the leading zeros of New England ZIP codes (02134 becomes 2134).
        if (zipDigits.Length is < 3 or > 5 || !zipDigits.All(char.IsAsciiDigit))
            return new FileRow(where, null, $"The ZIP code '{zipText}' is not a five-digit ZIP code.");
        var zip = zipDigits.PadLeft(5, '0');

        double? latitude = null, longitude = null;
        var (latText, lonText) = (Get("latitude"), Get("longitude"));
        if (latText is not null || lonText is not null)
        {
            if (!double.TryParse(latText, NumberStyles.Float, CultureInfo.InvariantCulture, out var lat) || lat is < -90 or > 90 || lat == 0)
                return new FileRow(where, null, $"The latitude '{latText}' is not a latitude.");
            if (!double.TryParse(lonText, NumberStyles.Float, CultureInfo.InvariantCulture, out var lon) || lon is < -180 or > 180 || lon == 0)
                return new FileRow(where, null, $"The longitude '{lonText}' is not a longitude.");
            (latitude, longitude) = (lat, lon);
        }

        codes ??= CodesFromColumns(values, Get("service_code_info"));
        var type = Get("type_facility")?.ToUpperInvariant();
        if (type is not null && ServiceCodes.IsCode(type))
            codes.Add(type);

        return new FileRow(where, new FacilityRecord(
            Get("frid"), name, Get("name2"), Get("street1"), Get("street2"), city, state, zip, Get("county"),
            Get("phone"), Get("intake1") ?? Get("intake1a") ?? Get("phone"), Get("website"), latitude, longitude,
            type, codes.Distinct().Order(StringComparer.Ordinal).ToList()), null);
    }

    /// <summary>
    /// A CSV or workbook row's service codes: those listed in <c>service_code_info</c> (groups separated
    /// by " * ", the codes in a group by spaces), and every service column marked yes.
    /// </summary>
    private static List<string> CodesFromColumns(IReadOnlyDictionary<string, string> values, string? info)
    {
        var codes = new List<string>();
        foreach (var code in (info ?? "").Split(['*', ' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ServiceCodes.IsCode(code))
                codes.Add(code.ToUpperInvariant());
        }
        foreach (var (column, value) in values)
        {
            if (IsServiceColumn(column) && IsYes(value))
                codes.Add(column.ToUpperInvariant());
        }
        return codes;
    }

    private static bool IsYes(string value) =>
        !string.IsNullOrWhiteSpace(value) && value.Trim().ToLowerInvariant() is not ("0" or "n" or "no" or "false");

    /// <summary>RFC 4180 CSV, read record by record with the line each record starts on.</summary>
    private sealed class Csv(TextReader reader)
    {
        private int _line = 1;

        public sealed record Record(int Line, List<string> Fields, string? Problem);

        public static List<string> ParseLine(string line)
        {
            var csv = new Csv(new StringReader(line));
            return csv.ReadAsync(CancellationToken.None).GetAwaiter().GetResult()?.Fields ?? [];
        }

        public async Task<Record?> ReadAsync(CancellationToken cancellationToken)
        {
            var start = _line;
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            var any = false;
            while (true)
            {
                var read = reader.Read();
                if (read < 0)
                {
                    if (!any)
                        return null;
                    fields.Add(field.ToString());
                    return quoted ? new Record(start, fields, "A quoted field is never closed.") : new Record(start, fields, null);
                }
                any = true;
                var c = (char)read;
                if (quoted)
                {
                    quoted = InQuotes(c, field);
                    continue;
                }
                switch (c)
                {
                    case '"' when field.Length == 0:
                        quoted = true;
                        break;
                    case ',':
                        fields.Add(field.ToString());
                        field.Clear();
                        break;
                    case '\r':
                        break;
                    case '\n':
                        _line++;
                        fields.Add(field.ToString());
                        if (fields.Count % 64 == 0)
                            cancellationToken.ThrowIfCancellationRequested();
                        await Task.CompletedTask;
                        return new Record(start, fields, null);
                    default:
                        field.Append(c);
                        break;
                }
            }
        }

        /// <summary>A character inside quotes: a doubled quote is one quote, a single one ends the quoting. Returns whether still quoted.</summary>
        private bool InQuotes(char c, StringBuilder field)
        {
            if (c != '"')
            {
                if (c == '\n')
                    _line++;
                field.Append(c);
                return true;
            }
            if (reader.Peek() != '"')
                return false;
            reader.Read();
            field.Append('"');
            return true;
        }
    }
}

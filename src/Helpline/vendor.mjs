// Copies the browser builds of the npm packages in package.json into wwwroot/lib, with a note of
// each package's version and licence. The copies are committed, so `dotnet run` needs no npm; CI
// runs this again and fails if the result differs from what is committed. Nothing is ever loaded
// from a CDN.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

// Builds the dashboard's static assets into ../static, which is committed so that
// `go build` needs no node. Run `npm ci && npm run build` in dashboard/web after changing
// anything under src/ or upgrading uPlot.
//
// There is nothing to bundle: the page script and style sheet are plain files, and uPlot
// ships a prebuilt browser build (uPlot.iife.min.js) that is copied as it is, with its
// licence.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static");
const uplot = join(here, "node_modules", "uplot");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "vendor"), { recursive: true });

for (const f of readdirSync(join(here, "src"))) {
  copyFileSync(join(here, "src", f), join(out, f));
}
copyFileSync(join(uplot, "dist", "uPlot.iife.min.js"), join(out, "vendor", "uPlot.iife.min.js"));
copyFileSync(join(uplot, "dist", "uPlot.min.css"), join(out, "vendor", "uPlot.min.css"));
const pkg = JSON.parse(readFileSync(join(uplot, "package.json"), "utf8"));
writeFileSync(join(out, "vendor", "LICENSE-uPlot.txt"),
  `uPlot ${pkg.version} (${pkg.homepage || "https://github.com/leeoniya/uPlot"})\n\n` + readFileSync(join(uplot, "LICENSE"), "utf8"));

for (const f of readdirSync(out, { recursive: true })) console.log("static/" + f);

// axe-core runs the accessibility audit in the browser tests (package apptest embeds it);
// it is never served by Tenure.
const axe = join(here, "node_modules", "axe-core");
const axeOut = join(here, "..", "..", "apptest", "axe");
mkdirSync(axeOut, { recursive: true });
copyFileSync(join(axe, "axe.min.js"), join(axeOut, "axe.min.js"));
const axePkg = JSON.parse(readFileSync(join(axe, "package.json"), "utf8"));
writeFileSync(join(axeOut, "LICENSE-axe-core.txt"),
  `axe-core ${axePkg.version} (https://github.com/dequelabs/axe-core), used by the browser tests only; not shipped in the binary.\n\n` +
  readFileSync(join(axe, "LICENSE"), "utf8"));
console.log("apptest/axe/axe.min.js");

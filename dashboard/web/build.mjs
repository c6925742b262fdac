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

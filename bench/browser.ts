// What the usual BYOS approach costs: the same dashboard as HTML/SVG, screenshotted by headless Chromium
// (a fresh browser per render, as a CLI screenshot does), against our direct satori → resvg → 1-bit PNG.
// Needs Debian's chromium (apt-get install chromium); not part of `bun test` or CI.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dashboardSvg, renderDashboard } from "../src/render/dashboard";
import { sampleOptions, typicalData } from "../src/render/sample-data";

const CHROMIUM = Bun.which("chromium") ?? Bun.which("chromium-browser");
const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!CHROMIUM) {
  console.log("chromium not installed: skipped (apt-get install chromium)");
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), "fitstack-browser-"));
const html = join(dir, "dashboard.html");
await Bun.write(html, `<!doctype html><html><body style="margin:0">${await dashboardSvg(typicalData, sampleOptions)}</body></html>`);
const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"];
const browser: number[] = [];
let browserBytes = 0;
for (let i = 0; i < 5; i++) {
  const out = join(dir, `shot-${i}.png`);
  const started = performance.now();
  Bun.spawnSync([CHROMIUM, ...flags, `--user-data-dir=${join(dir, `profile-${i}`)}`, `--screenshot=${out}`, "--window-size=800,480", `file://${html}`], { stdout: "ignore", stderr: "ignore" });
  browser.push(performance.now() - started);
  browserBytes = statSync(out).size;
}
const direct: number[] = [];
let directBytes = 0;
for (let i = 0; i < 21; i++) {
  const started = performance.now();
  const png = await renderDashboard({ ...typicalData, restingHr: 40 + i }, sampleOptions);
  if (i > 0) direct.push(performance.now() - started);
  directBytes = png.length;
}
rmSync(dir, { recursive: true, force: true });
console.log("| renderer | median (ms) | PNG | bytes |");
console.log("|---|---|---|---|");
console.log(`| headless Chromium screenshot (fresh browser per render, median of 5) | ${Math.round(median(browser))} | 8-bit RGB(A), would still need dithering for the OG | ${browserBytes} |`);
console.log(`| fitstack: satori → resvg → 1-bit (warm, median of 20) | ${median(direct).toFixed(1)} | true 1-bit greyscale | ${directBytes} |`);
console.log(`\nratio: ${(median(browser) / median(direct)).toFixed(0)}× faster`);

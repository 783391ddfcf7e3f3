import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../log";
import { readPngHeader } from "../render/png1bit";
import { loadOfflineConfig } from "../config";
import { parseCommand } from "./args";
import { command, render, renderArgs } from "./render";

const parseRenderArgs = (argv: string[]) => renderArgs(parseCommand(command, argv));

test("--model, --portrait, and a bare --sample meaning the typical one", () => {
  expect(parseRenderArgs(["--model", "x", "--portrait", "--sample", "--out", "x.png"])).toEqual({ out: "x.png", model: "x", portrait: true, sample: "typical" });
  expect(parseRenderArgs(["--out", "k.png", "--sample"])).toEqual({ out: "k.png", sample: "typical" });
  expect(parseRenderArgs(["--sample", "extreme", "--model", "og-grey"])).toEqual({ out: "dashboard.png", sample: "extreme", model: "og-grey" });
  expect(() => parseRenderArgs(["--model", "v2"])).toThrow('--model expects one of og|og-grey|x|kindle, got "v2"');
});

test.each([
  ["og", [], "800x480 1-bit"],
  ["og-grey", ["--portrait"], "480x800 2-bit"],
  ["x", [], "1872x1404 4-bit"],
  ["x", ["--portrait"], "1404x1872 4-bit"],
  ["kindle", [], "1072x1448 8-bit"],
] as const)("render --model %s %p: the model's PNG", async (model, extra, expected) => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-render-cli-"));
  try {
    const out = join(dir, "screen.png");
    const lines: string[] = [];
    const code = await render(loadOfflineConfig({ DATA_DIR: dir }), parseRenderArgs(["--model", model, ...extra, "--sample", "--out", out]), silentLogger, (l) => lines.push(l));
    const { width, height, bitDepth, colourType } = readPngHeader(new Uint8Array(readFileSync(out)));
    expect([code, `${width}x${height} ${bitDepth}-bit`, colourType]).toEqual([0, expected, 0]);
    expect(lines[0]).toContain(`for ${model} (`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

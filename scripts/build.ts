#!/usr/bin/env bun
// `bun run build [x64|arm64 ...]`: one self-contained binary per Linux target in dist/, from src/main.ts.
import type { BunPlugin } from "bun";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const ENTRY = join(ROOT, "src/main.ts");
export const DIST = join(ROOT, "dist");

export const TARGETS = {
  x64: { bunTarget: "bun-linux-x64", resvgPackage: "@resvg/resvg-js-linux-x64-gnu" },
  arm64: { bunTarget: "bun-linux-arm64", resvgPackage: "@resvg/resvg-js-linux-arm64-gnu" },
} as const;
export type Arch = keyof typeof TARGETS;

/** Docker's TARGETARCH names. */
const ALIASES: Record<string, Arch> = { amd64: "x64", aarch64: "arm64" };

export const binaryPath = (arch: Arch) => join(DIST, `fitstack-linux-${arch}`);

/**
 * resvg-js picks its addon at run time from process.platform/arch (js-binding.js); the bundler would embed
 * every platform's installed .node file, or none for a CPU not installed. This swaps that file for a direct
 * require of the target's package, so exactly the right addon is embedded.
 */
export function resvgAddonFor(arch: Arch): BunPlugin {
  const pkg = TARGETS[arch].resvgPackage;
  return {
    name: `resvg-addon-${arch}`,
    setup(build) {
      build.onLoad({ filter: /[\\/]@resvg[\\/]resvg-js[\\/]js-binding\.js$/ }, () => ({
        loader: "js",
        contents: `module.exports = require(${JSON.stringify(pkg)});\n`,
      }));
    },
  };
}

const RESVG_DIR = join(ROOT, "node_modules/@resvg/resvg-js");

/**
 * Whether a package resolves from resvg-js's own folder, as its require does. Checked in a child process: Bun's
 * resolver remembers a miss for the life of a process, and Bun.build would then not find the package installed
 * after it.
 */
function resolvable(pkg: string): boolean {
  const check = `Bun.resolveSync(${JSON.stringify(`${pkg}/package.json`)}, ${JSON.stringify(RESVG_DIR)})`;
  return Bun.spawnSync([process.execPath, "--no-install", "-e", check], { cwd: ROOT, stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

/** A target's addon could not be installed; main prints only the message. */
export class MissingAddonError extends Error {}

const INSTALL_ALL = 'bun install --frozen-lockfile --os="*" --cpu="*"';

/**
 * A plain `bun install` installs only the host's addon; another CPU's is fetched here, pinned by bun.lock
 * (--frozen-lockfile: the build never rewrites the lockfile).
 */
export function ensureResvgAddon(arch: Arch): void {
  const { resvgPackage } = TARGETS[arch];
  if (resolvable(resvgPackage)) return;
  const install = [process.execPath, "install", "--frozen-lockfile", "--os=*", "--cpu=*"];
  console.log(`build: ${resvgPackage} is not installed; running \`${INSTALL_ALL}\``);
  const proc = Bun.spawnSync(install, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) {
    const output = `${proc.stdout}${proc.stderr}`.trim();
    throw new MissingAddonError(`${resvgPackage} is missing and \`${INSTALL_ALL}\` failed (exit ${proc.exitCode}):\n${output}`);
  }
  if (!resolvable(resvgPackage)) {
    throw new MissingAddonError(`${resvgPackage} is still missing after \`${INSTALL_ALL}\`; is it in bun.lock as an optional dependency of @resvg/resvg-js?`);
  }
}

export async function buildBinary(arch: Arch): Promise<{ path: string; bytes: number }> {
  const outfile = binaryPath(arch);
  ensureResvgAddon(arch);
  const result = await Bun.build({
    entrypoints: [ENTRY],
    compile: { target: TARGETS[arch].bunTarget, outfile },
    // not identifiers: Elysia's AOT compiler reads handler source
    minify: { whitespace: true, syntax: true },
    format: "esm",
    bytecode: true,
    plugins: [resvgAddonFor(arch)],
  });
  if (!result.success) throw new AggregateError(result.logs, `build for ${arch} failed`);
  return { path: outfile, bytes: statSync(outfile).size };
}

if (import.meta.main) {
  const requested = process.argv.slice(2);
  const arches = (requested.length ? requested : Object.keys(TARGETS)).map((name) => ALIASES[name] ?? name) as Arch[];
  for (const arch of arches) {
    if (!(arch in TARGETS)) {
      console.error(`build: unknown target "${arch}" (one of ${Object.keys(TARGETS).join(", ")})`);
      process.exit(2);
    }
  }
  mkdirSync(DIST, { recursive: true });
  for (const arch of arches) {
    const started = performance.now();
    const { path, bytes } = await buildBinary(arch).catch((error: unknown) => {
      if (!(error instanceof MissingAddonError)) throw error;
      console.error(`build: ${error.message}`);
      process.exit(1);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${path.slice(ROOT.length + 1)}  ${(bytes / 1024 / 1024).toFixed(1)} MiB  (${seconds} s)`);
  }
}

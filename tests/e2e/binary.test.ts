// The compiled binaries from `bun run build`, each copied alone into an empty folder: x64 natively, ARM64 under qemu.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BROKEN_DTD, exportXml, heartRateRecords, makeZip } from "../support/export";
import { startServer } from "../support/process";

const ROOT = new URL("../..", import.meta.url).pathname;
const VERSION = (await Bun.file(join(ROOT, "package.json")).json()).version as string;
const FIXTURE = join(ROOT, "fixtures/hr-z2-10min.json");
const TOKEN = "e2e-token-0123456789abcdef";
const SECRET = "e2e-secret";
const QEMU_PREFIX = process.env.QEMU_LD_PREFIX ?? "/usr/aarch64-linux-gnu";

const binaryPath = (arch: string) => join(ROOT, "dist", `fitstack-linux-${arch}`);

/** Why the ARM64 binary cannot run here, or null; under CI that is a failure, not a skip. */
function arm64Unavailable(): string | null {
  const qemu = Bun.which("qemu-aarch64");
  const missing = [
    !qemu && "qemu-aarch64",
    !existsSync(join(QEMU_PREFIX, "lib/ld-linux-aarch64.so.1")) && `${QEMU_PREFIX}/lib/ld-linux-aarch64.so.1`,
    // resvg's addon links libgcc_s, which libc6-arm64-cross does not bring
    !existsSync(join(QEMU_PREFIX, "lib/libgcc_s.so.1")) && `${QEMU_PREFIX}/lib/libgcc_s.so.1`,
    // not the ARM64 resvg addon: the build installs it when a plain `bun install` left it out
  ].filter(Boolean);
  if (missing.length === 0) return null;
  const reason = `missing ${missing.join(", ")} (apt-get install qemu-user libc6-arm64-cross libgcc-s1-arm64-cross)`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI=true requires the ARM64 binary tests to run`);
  console.warn(`skipping ARM64 binary tests: ${reason}`);
  return reason;
}

/** Newest modification time of what goes into a binary. */
function newestSource(): number {
  const files = [join(ROOT, "package.json"), join(ROOT, "bun.lock"), join(ROOT, "scripts/build.ts")];
  for (const entry of readdirSync(join(ROOT, "src"), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && !entry.name.endsWith(".test.ts")) files.push(join(entry.parentPath, entry.name));
  }
  return Math.max(...files.filter(existsSync).map((f) => statSync(f).mtimeMs));
}

function buildIfStale(arches: string[]) {
  const newest = newestSource();
  const stale = arches.filter((arch) => !existsSync(binaryPath(arch)) || statSync(binaryPath(arch)).mtimeMs < newest);
  if (stale.length === 0) return;
  const build = Bun.spawnSync(["bun", "run", join(ROOT, "scripts/build.ts"), ...stale], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`bun run build ${stale.join(" ")} failed:\n${build.stdout}${build.stderr}`);
}

/** Width, height, bit depth and colour type from a PNG's IHDR, which must be its first chunk. */
function pngHeader(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signature = [...bytes.subarray(0, 8)];
  const chunk = new TextDecoder().decode(bytes.subarray(12, 16));
  return { signature, chunk, width: view.getUint32(16), height: view.getUint32(20), bitDepth: bytes[24], colourType: bytes[25] };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Names of the resvg addons embedded in a binary (Bun keeps each embedded file's name). */
async function embeddedResvgAddons(path: string): Promise<string[]> {
  const text = Buffer.from(await Bun.file(path).arrayBuffer()).toString("latin1");
  return [...new Set([...text.matchAll(/resvgjs\.([a-z0-9-]+?)-[a-z0-9]{8}\.node/g)].map((m) => m[1]!))].sort();
}

const ARCHES = [
  { arch: "x64", run: [] as string[], unavailable: (): string | null => (process.arch === "x64" ? null : `host is ${process.arch}`) },
  { arch: "arm64", run: ["qemu-aarch64", "-L", QEMU_PREFIX], unavailable: arm64Unavailable },
];
const runnable = ARCHES.map((a) => ({ ...a, skip: a.unavailable() }));

beforeAll(() => {
  buildIfStale(runnable.filter((a) => !a.skip).map((a) => a.arch));
}, 170_000);

for (const { arch, run, skip } of runnable) {
  describe.skipIf(!!skip)(`fitstack-linux-${arch}`, () => {
    let dir: string;
    let command: (...args: string[]) => string[];
    const env = () => ({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: join(dir, "data") });
    const runBinary = (...args: string[]) => {
      const proc = Bun.spawnSync(command(...args), {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", HOME: dir, ...env() },
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
    };

    beforeAll(() => {
      // an empty folder holding only the binary: nothing next to it can be read at run time
      dir = mkdtempSync(join(tmpdir(), `fitstack-bin-${arch}-`));
      const local = join(dir, "fitstack");
      copyFileSync(binaryPath(arch), local);
      command = (...args) => [...run, local, ...args];
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    test("--version prints the package version", () => {
      expect(runBinary("--version")).toEqual({ code: 0, stdout: `fitstack ${VERSION}\n`, stderr: "" });
    }, 30_000); // one start of the ARM64 binary under qemu: over 5 s at load 15

    test("serve answers /ping and credits the seed fixture as 600 s of z2", async () => {
      const started = performance.now();
      const server = await startServer(env(), command("serve"), dir);
      const startMs = performance.now() - started;
      try {
        const res = await fetch(`${server.url}/hook/${SECRET}`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: Bun.file(FIXTURE),
        });
        const body = (await res.json()) as any;
        // 121 samples 5 s apart at 130 bpm = 65 % of HR_MAX 200 → 120 gaps × 5 s = 600 s of z2
        expect([res.status, body.accepted_samples, body.zone_seconds_added, body.delivered]).toEqual([
          200,
          121,
          { z1: 0, z2: 600, z3: 0, z4: 0, z5: 0 },
          true,
        ]);
        const rss = /VmRSS:\s+(\d+) kB/.exec(await Bun.file(`/proc/${server.proc.pid}/status`).text())?.[1];
        console.log(`fitstack-linux-${arch}${run.length ? " (qemu)" : ""}: start to /ping ${startMs.toFixed(0)} ms, RSS after one post ${Math.round(Number(rss) / 1024)} MiB`);
      } finally {
        expect(await server.stop()).toBe(0);
      }
      expect(server.output()).not.toContain(TOKEN);
    }, 60_000);

    test("import reads an export.zip (deflate, the iOS 16 DTD) into the store", async () => {
      const zip = join(dir, "export.zip");
      // 13 samples 5 s apart at 150 bpm (z3 from 140): 12 × 5 = 60 s
      await Bun.write(zip, makeZip([{ name: "apple_health_export/export.xml", data: exportXml(heartRateRecords(1704067200, 13, 5, () => 150), BROKEN_DTD) }]));
      const { code, stdout } = runBinary("import", zip, "--json");
      expect(code).toBe(0);
      expect(JSON.parse(stdout).types.heart_rate).toEqual({ read: 13, imported: 13, held: 0, skipped: {}, from: 1704067200, to: 1704067260 });
    }, 60_000);

    test("embeds the resvg addon of its own CPU and no other", async () => {
      expect(await embeddedResvgAddons(binaryPath(arch))).toEqual([`linux-${arch}-gnu`]);
    });

    test("render --out writes an 800×480 1-bit greyscale PNG, from sample data and from the store", () => {
      for (const [file, extra] of [
        ["sample.png", ["--sample", "typical"]],
        ["store.png", []], // DATA_DIR holds the fixture posted above
      ] as const) {
        const out = join(dir, file);
        const result = runBinary("render", "--out", out, ...extra);
        // stderr shown only when it failed
        expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
        const header = pngHeader(new Uint8Array(readFileSync(out)));
        expect(header).toEqual({ signature: PNG_SIGNATURE, chunk: "IHDR", width: 800, height: 480, bitDepth: 1, colourType: 0 });
      }
    }, 180_000); // two renders under qemu: over 60 s at load 15
  });
}

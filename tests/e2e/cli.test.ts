// `bun run src/main.ts …` as a new user types it: --help everywhere, one-line errors, offline subcommands without a token.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureBlock, hookClient, rawLine, runReplay, utcDay, zones } from "../support/hook";
import { startServer, type ServerProcess } from "../support/process";

const ROOT = new URL("../..", import.meta.url).pathname;
const MAIN = join(ROOT, "src/main.ts");
const roots: string[] = [];
afterAll(() => roots.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-cli-"));
  roots.push(dir);
  return dir;
}

/** Runs fitstack with only the given environment (no AUTH_TOKEN unless given). */
async function fitstack(args: string[], env: Record<string, string> = {}, cwd = tempDir()) {
  const proc = Bun.spawn(["bun", "run", MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** One line on stderr, no stack frames. */
const oneLine = (stderr: string) => ({ lines: stderr.trimEnd().split("\n").length, frames: /^\s+at /m.test(stderr), endsWithNewline: stderr.endsWith("\n") });
const ONE_LINE = { lines: 1, frames: false, endsWithNewline: true };

const OPTIONS: Record<string, string[]> = {
  serve: ["--help"],
  replay: ["--from YYYY-MM-DD", "--to YYYY-MM-DD", "--dry-run", "--progress", "--help"],
  render: ["--out FILE", "--from UNIX", "--to UNIX", "--sample [NAME]", "--model MODEL", "--portrait", "--help"],
  summarize: ["[DIR|FILE]", "--json", "--plots [OUT]", "--progress", "--help"],
  import: ["PATH", "--dry-run", "--since YYYY-MM-DD", "--progress", "--json", "--user NAME", "--help"],
  trmnl: ["pair MAC", "--help"],
  status: ["--json", "--help"],
};

describe("--help", () => {
  test("the top level lists every subcommand and exits 0", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const { code, stdout, stderr } = await fitstack(args);
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      for (const name of Object.keys(OPTIONS)) expect(stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    }
  }, 30_000);

  for (const [name, options] of Object.entries(OPTIONS)) {
    test(`${name} --help prints its usage and every option, exit 0, before any configuration is read`, async () => {
      // a broken variable and no token: --help must not read them
      const { code, stdout, stderr } = await fitstack([name, "--help"], { HR_MAX: "abc", TOKENS_FILE: "/no/such/file" });
      expect({ code, stderr, usage: stdout.split("\n")[0]!.startsWith(`Usage: fitstack ${name}`) }).toEqual({ code: 0, stderr: "", usage: true });
      for (const option of options) expect(stdout).toContain(option);
    }, 30_000);
  }
});

describe("usage errors: one line naming the option, exit 2", () => {
  for (const name of Object.keys(OPTIONS)) {
    test(`${name} --bogus`, async () => {
      const { code, stdout, stderr } = await fitstack([name, "--bogus"], { HR_MAX: "abc" });
      expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: "", stderr: `fitstack ${name}: unknown option "--bogus" (see fitstack ${name} --help)\n` });
    }, 30_000);
  }

  test("a missing value, a bad value, an extra operand, an unknown command", async () => {
    const cases: [string[], string][] = [
      [["render", "--out"], 'fitstack render: --out needs a value (FILE) (see fitstack render --help)'],
      [["render", "--sample", "huge"], 'fitstack render: --sample expects one of empty|typical|stale|extreme|oneDay|zero, got "huge" (see fitstack render --help)'],
      [["render", "--from", "yesterday"], 'fitstack render: --from expects unix seconds, got "yesterday" (see fitstack render --help)'],
      [["replay", "--to", "1.1.2026"], 'fitstack replay: --to expects a date YYYY-MM-DD, got "1.1.2026" (see fitstack replay --help)'],
      [["replay", "--dry-run=yes"], "fitstack replay: --dry-run takes no value (see fitstack replay --help)"],
      [["serve", "now"], 'fitstack serve: unexpected argument "now" (see fitstack serve --help)'],
      [["summarize", "a", "b"], 'fitstack summarize: one DIR|FILE only, got "a" and "b" (see fitstack summarize --help)'],
      [["import"], "fitstack import: PATH is missing (an export.zip, export.xml or its folder) (see fitstack import --help)"],
      [["import", "x.zip", "--since", "2024-1-1"], 'fitstack import: --since expects a date YYYY-MM-DD, got "2024-1-1" (see fitstack import --help)'],
      [["status", "--json=yes"], "fitstack status: --json takes no value (see fitstack status --help)"],
      [["frobnicate"], 'fitstack: unknown command "frobnicate" (see fitstack --help)'],
    ];
    for (const [args, line] of cases) {
      const { code, stderr } = await fitstack(args);
      expect({ args, code, stderr }).toEqual({ args, code: 2, stderr: line + "\n" });
    }
  }, 30_000);
});

describe("render --sample", () => {
  test("bare --sample is the typical sample, in either order; --sample NAME still works", async () => {
    const dir = tempDir();
    for (const [args, sample] of [
      [["--sample", "--out", "a.png"], "typical"],
      [["--out", "b.png", "--sample"], "typical"],
      [["--sample", "extreme", "--out", "c.png"], "extreme"],
    ] as const) {
      const { code, stdout, stderr } = await fitstack(["render", ...args], {}, dir);
      const file = args[args.indexOf("--out") + 1]!;
      expect({ code, stderr, line: stdout.match(/^wrote (\S+):.* from (sample "\w+")\n$/)?.slice(1) }).toEqual({ code: 0, stderr: "", line: [`${file}`, `sample "${sample}"`] });
      expect([...readFileSync(join(dir, file)).subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    }
    // the typical and the extreme samples are different pictures
    expect(readFileSync(join(dir, "a.png")).equals(readFileSync(join(dir, "b.png")))).toBe(true);
    expect(readFileSync(join(dir, "a.png")).equals(readFileSync(join(dir, "c.png")))).toBe(false);
  }, 30_000);

  test("an --out that cannot be written is one line naming the path, exit 1", async () => {
    const { code, stdout, stderr } = await fitstack(["render", "--out", "/no/such/dir/x.png", "--sample"]);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: "", stderr: "fitstack render: /no/such/dir/x.png: no such file or directory\n" });
    const dir = tempDir();
    const isDir = await fitstack(["render", "--out", dir, "--sample"]);
    expect({ code: isDir.code, shape: oneLine(isDir.stderr), names: isDir.stderr.startsWith(`fitstack render: ${dir}: `) }).toEqual({ code: 1, shape: ONE_LINE, names: true });
  }, 30_000);
});

describe("offline subcommands need no AUTH_TOKEN or SECRET_PATH", () => {
  const TOKEN = "cli-token-0123456789abcdef";
  const ALICE = "alice-token-0123456789abcdef";
  const T0 = Math.floor(Date.now() / 60_000) * 60 - 2 * 3600;

  test("replay rebuilds the store from the raw log with TOKENS_FILE's zones; serve then finds nothing changed", async () => {
    const dir = tempDir();
    const dataDir = join(dir, "data");
    mkdirSync(join(dataDir, "raw"), { recursive: true });
    writeFileSync(join(dir, "tokens"), `${ALICE} alice HR_MAX=150\n`);
    const day = utcDay(new Date(T0 * 1000));
    // the same 121 samples at 130 bpm (the last 131) for two people
    const body = fixtureBlock(T0, 130, 121);
    writeFileSync(
      join(dataDir, "raw", `${day}.ndjson`),
      rawLine({ id: "1", receivedAt: new Date(), user: "me", body }) + rawLine({ id: "2", receivedAt: new Date(), user: "alice", body }),
    );
    const env = { DATA_DIR: dataDir, TOKENS_FILE: join(dir, "tokens") };
    const replay = await runReplay(env);
    expect({ code: replay.code, stderr: replay.stderr, head: replay.stdout.split(",").slice(0, 3).join(",") }).toEqual({
      code: 0,
      stderr: "",
      head: "replay: 1 files, 2 entries, 242 heart-rate samples",
    });
    let server: ServerProcess | null = null;
    try {
      server = await startServer({ ...env, AUTH_TOKEN: TOKEN, SECRET_PATH: "cli-secret" });
      // me: 130/200 = 0.65 → z2; alice: 130/150 = 0.87 → z4; 120 gaps × 5 s = 600 s each
      const me = await hookClient(() => server!, TOKEN, "cli-secret").zones(T0 - 60, T0 + 3600);
      const alice = await hookClient(() => server!, ALICE, "cli-secret").zones(T0 - 60, T0 + 3600);
      expect([me, alice]).toEqual([zones({ z2: 600 }), zones({ z4: 600 })]);
    } finally {
      expect(await server?.stop()).toBe(0);
    }
    // the offline replay recorded the same people and zones as serve reads
    expect(server.output()).not.toContain("zone settings changed");
  }, 60_000);

  test("a bad variable still stops an offline subcommand with one line", async () => {
    const { code, stderr } = await fitstack(["replay"], { HR_MAX: "abc", DATA_DIR: join(tempDir(), "data") });
    expect({ code, stderr }).toEqual({ code: 2, stderr: 'fitstack: config: HR_MAX: expected a number, got "abc"\n' });
  }, 30_000);

  test("a DATA_DIR that cannot be made is one line naming it, exit 1", async () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "");
    const { code, stdout, stderr } = await fitstack(["replay"], { DATA_DIR: join(file, "data") });
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: "", stderr: `fitstack replay: ${join(file, "data")}: not a directory\n` });
  }, 30_000);

  test("serve still demands AUTH_TOKEN", async () => {
    const { code, stderr } = await fitstack(["serve"], { SECRET_PATH: "x" });
    expect({ code, shape: oneLine(stderr), names: stderr.includes("AUTH_TOKEN") }).toEqual({ code: 2, shape: ONE_LINE, names: true });
  }, 30_000);
});

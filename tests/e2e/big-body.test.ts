// Bodies over 8 MB are spooled to a file and normalized a piece at a time (normalize/stream.ts): the same
// answers as the same data sent in small bodies, on both stores; a bad point near the end keeps nothing;
// replay streams a raw entry that big; an over-limit body of unknown length leaves no spool behind.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { yearOfData } from "../../bench/generate";
import { hookClient, rawEntries, runReplay } from "../support/hook";
import { startServer, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const TOKEN = "big-body-token-0123456789abcdef";
const SECRET = "big-body-secret";
const END = Math.floor(Date.now() / 60_000) * 60 - 3 * 3600;
const DAYS = 75;
const { body: BIG } = yearOfData(END, DAYS); // ≈10 MB: over the 8 MB held in memory
const FROM = END - (DAYS + 2) * 86400;

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-big-body-"));
  dirs.push(dir);
  return dir;
};
const servers: ServerProcess[] = [];
let vm: VmProcess | null = null;
afterAll(async () => {
  for (const server of servers) await server.stop().catch(() => 0);
  await vm?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function server(env: Record<string, string>) {
  const s = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, HR_MAX: "190", ...env });
  servers.push(s);
  return { s, client: hookClient(() => s, TOKEN, SECRET) };
}

/** The big body's content as small HAE bodies: each metric's points and the workouts in `parts` slices. */
function smallBodies(text: string, parts: number): string[] {
  const body = JSON.parse(text) as { data: { metrics: { data: unknown[] }[]; workouts: unknown[] } };
  const slice = <T>(items: T[], i: number) => items.slice(Math.floor((items.length * i) / parts), Math.floor((items.length * (i + 1)) / parts));
  return Array.from({ length: parts }, (_, i) =>
    JSON.stringify({ data: { metrics: body.data.metrics.map((m) => ({ ...m, data: slice(m.data, i) })), workouts: slice(body.data.workouts, i) } }),
  );
}

const RANGES = [
  [FROM, END + 3600],
  [END - 20 * 86400 + 1234, END - 3 * 86400 - 777],
  [END - 86400, END],
];

const stores: [string, () => Promise<Record<string, string>>][] = [
  ["embedded sqlite", async () => ({})],
  [
    "VictoriaMetrics",
    async () => {
      vm ??= await startVm();
      return { VM_URL: vm.url };
    },
  ],
];

for (const [name, storeEnv] of stores) {
  describe(`a body bigger than memory holds, on ${name}`, () => {
    const skip = name === "VictoriaMetrics" && vmUnavailable() !== null && process.env.CI !== "true";
    test.skipIf(skip)("one 10 MB post answers exactly as the same data in 12 small posts", async () => {
      expect(BIG.length).toBeGreaterThan(8 * 1024 * 1024);
      const env = await storeEnv();
      const one = await server({ ...env, DATA_DIR: dataDir(), ...(env.VM_URL ? { USER_LABEL: "one" } : {}) });
      const many = await server({ ...env, DATA_DIR: dataDir(), ...(env.VM_URL ? { USER_LABEL: "many" } : {}) });
      const reply = await one.client.post(BIG);
      expect(reply.status).toBe(200);
      let accepted = 0;
      for (const small of smallBodies(BIG, 12)) {
        const r = await many.client.post(small);
        expect(r.status).toBe(200);
        accepted += r.body.accepted_samples;
      }
      expect(reply.body.accepted_samples).toBe(accepted);
      expect(reply.body.accepted_samples).toBe(DAYS * 1440);
      expect(reply.body.records).toMatchObject({ workouts: expect.any(Number), nights: DAYS });
      // on VM the two servers are two users of one VM
      const summary = async (c: typeof one.client, from: number, to: number) => ({ ...(await c.summary(from, to)), user: undefined });
      for (const [from, to] of RANGES) expect(await summary(one.client, from!, to!)).toEqual(await summary(many.client, from!, to!));
      const zones = await one.client.zones(FROM, END + 3600);
      // a reading a minute earns 10 s each (the gap cap), the very first nothing
      expect(Object.values(zones).reduce((a, b) => a + b, 0)).toBe(DAYS * 1440 * 10 - 10);
      expect(readdirSync(join(dirs.at(-2)!, "spool"))).toEqual([]);
    });
  });
}

describe("a big body's failures keep nothing and leave nothing", () => {
  test("a bad point near the end of a spooled body: 422 naming it, nothing merged nor logged", async () => {
    const dir = dataDir();
    const { client } = await server({ DATA_DIR: dir });
    const bad = BIG.replace(/"date":"([^"]+)","Min":(\d+),"Avg":\d+,"Max":\d+,"source":"Ana’s Apple Watch"}\]/, '"date":"yesterday","Min":$2,"Avg":$2,"Max":$2,"source":"Ana’s Apple Watch"}]');
    expect(bad).not.toBe(BIG);
    const reply = await client.post(bad);
    expect(reply.status).toBe(422);
    expect(reply.body.error.field).toBe(`data.metrics[0].data[${DAYS * 1440 - 1}].date`);
    expect(rawEntries(dir)).toEqual([]);
    expect((await client.summary(FROM, END + 3600)).zone_seconds).toEqual({ z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 });
    expect(readdirSync(join(dir, "spool"))).toEqual([]);
    // broken JSON in the middle: 400, same
    const broken = BIG.slice(0, 5_000_000) + "}" + BIG.slice(5_000_000);
    expect((await client.post(broken)).status).toBe(400);
    expect(rawEntries(dir)).toEqual([]);
  });

  test("a body of unknown length passing MAX_BODY_MB: 413, and its spool is removed", async () => {
    const dir = dataDir();
    const { client } = await server({ DATA_DIR: dir, MAX_BODY_MB: "9" });
    const bytes = new TextEncoder().encode(BIG);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 1 << 20) controller.enqueue(bytes.slice(at, at + (1 << 20)));
        controller.close();
      },
    });
    const reply = await client.post(stream as unknown as BodyInit).catch(() => ({ status: 413 }));
    expect(reply.status).toBe(413);
    expect(existsSync(join(dir, "spool")) ? readdirSync(join(dir, "spool")) : []).toEqual([]);
    expect(rawEntries(dir)).toEqual([]);
  });

  test("replay streams a raw entry over 8 MB and rebuilds the same store", async () => {
    const dir = dataDir();
    const { s, client } = await server({ DATA_DIR: dir });
    expect((await client.post(BIG)).status).toBe(200);
    const before = await Promise.all(RANGES.map(([from, to]) => client.summary(from!, to!)));
    await s.stop();
    const replay = await runReplay({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, HR_MAX: "190", DATA_DIR: dir });
    expect(replay.code).toBe(0);
    expect(replay.stderr).not.toContain("skipped");
    const again = await server({ DATA_DIR: dir });
    const after = await Promise.all(RANGES.map(([from, to]) => again.client.summary(from!, to!)));
    expect(after).toEqual(before);
  });
});

// "Never lose a sample": store outages, SIGKILL at the worst moments, replay, graceful stop, a full disk.
// Real server processes over HTTP, a real VictoriaMetrics, hand-computed numbers.
//
// Numbers used throughout (HR_MAX=200 unless said otherwise; zones lower-inclusive at 120/140/160/180 bpm):
// fixtureBlock(start, bpm, n) is n samples 5 s apart, the last at bpm+1. Credited on the merged timeline:
// the first sample earns min(gap to the previous held sample, 10 s) (0 when it starts the history), every
// other one 5 s. So a 121-sample block that starts the history earns 120·5 = 600 s; one after a gap > 10 s
// earns 10 + 600 = 610 s; a 13-sample block after a gap earns 10 + 12·5 = 70 s.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureBlock, hookClient, pendingUsers, rawEntries, rawLine, runReplay, silentStore, utcDay, zones } from "../support/hook";
import { startServer, waitFor, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";
import { stopVmCleanly } from "../support/vm-stop";

const TOKEN = "durability-token-0123456789abcdef";
const SECRET = "durability-secret";
// whole minutes, three hours back: VM hides samples newer than ~30 s from some queries
const T0 = Math.floor(Date.now() / 60_000) * 60 - 3 * 3600;

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-durability-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One server at a time on one data dir, restartable; the client follows the current process. */
function harness(env: Record<string, string>) {
  let server: ServerProcess | null = null;
  const h = {
    env: { AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, ...env },
    client: hookClient(() => server!, TOKEN, SECRET),
    get server() {
      return server!;
    },
    async start(extra: Record<string, string> = {}) {
      server = await startServer({ ...h.env, ...extra });
      return server;
    },
    async kill() {
      // a crash, not a stop: no handler runs
      server!.proc.kill("SIGKILL");
      await server!.proc.exited;
    },
    async stop() {
      return server ? server.stop("SIGTERM") : 0;
    },
    /** All output of every process this harness started, for the "never log a secret" checks. */
    outputs: [] as string[],
  };
  const start = h.start;
  h.start = async (extra = {}) => {
    if (server) h.outputs.push(server.output());
    return start(extra);
  };
  return h;
}

/** Zone totals straight from VictoriaMetrics: increase() over (from, to] evaluated at `to`. */
async function vmZones(vm: VmProcess, user: string, from: number, to: number) {
  await vm.flush();
  const out = zones({});
  for (const item of await vm.query(`increase(zone_seconds_total{user="${user}"}[${to - from}s])`, to)) {
    out[item.metric.zone as keyof typeof out] = Number(item.value[1]);
  }
  return out;
}

function expectNoSecrets(outputs: string[]) {
  for (const output of outputs) {
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(SECRET);
  }
}

const skipVm = vmUnavailable();
let vm: VmProcess;
// one VictoriaMetrics for the whole file (replay moves to it too); each test writes its own user's series
beforeAll(async () => {
  if (!skipVm) vm = await startVm();
});
afterAll(async () => {
  await vm?.stop();
});

describe.skipIf(!!skipVm)("with VictoriaMetrics", () => {

  test(
    "store outage: posts are kept (202, raw log), /health degrades, the retrier delivers everything exactly once",
    async () => {
      const user = "outage";
      const h = harness({ DATA_DIR: dataDir(), USER_LABEL: user, VM_URL: vm.url });
      await h.start();
      try {
        // seed: 121 samples at 130 bpm (z2), the first of the history → 600 s of z2
        const seed = await h.client.post(fixtureBlock(T0, 130, 121));
        expect([seed.status, seed.body.delivered, seed.body.zone_seconds_added]).toEqual([200, true, zones({ z2: 600 })]);
        // an outage that keeps VM's data (a restart, an upgrade); the crash case is the next test
        await stopVmCleanly(vm);

        // five more blocks at 150 bpm (z3), each starting 5 s after the previous ended: 5 + 600 = 605 s each
        const ids = [seed.body.id];
        for (let k = 1; k <= 5; k++) {
          const reply = await h.client.post(fixtureBlock(T0 + 605 * k, 150, 121));
          expect([reply.status, reply.body.delivered, reply.body.accepted_samples, reply.body.zone_seconds_added]).toEqual([
            202,
            false,
            121,
            zones({ z3: 605 }),
          ]);
          ids.push(reply.body.id);
        }
        expect(rawEntries(h.env.DATA_DIR).map((e) => e.id)).toEqual(ids);

        const degraded = await h.client.health();
        expect([degraded.status, degraded.body.status, degraded.body.store.reachable]).toEqual([503, "degraded", false]);
        expect(degraded.body.backlog.users).toBeGreaterThanOrEqual(1);

        await vm.start();
        // the retrier backs off from 1 s, doubling with jitter; a few seconds of outage means a retry within ~16 s
        await waitFor(async () => (await h.client.health()).body?.backlog?.users === 0, 90_000, "backlog to drain after VM is back");

        // the whole stretch: T0 .. T0 + 5·605 + 600 = T0 + 3625; z2 600, z3 5·605 = 3025
        const end = T0 + 3625;
        expect(await vmZones(vm, user, T0 - 60, end)).toEqual(zones({ z2: 600, z3: 3025 }));
        const [last] = await vm.query(`last_over_time(heart_rate_bpm{user="${user}"}[1h])`, end);
        expect(Number(last!.value[1])).toBe(151);
        const summary = await h.client.summary(T0 - 60, end);
        expect([summary.zone_seconds, summary.last_heart_rate]).toEqual([zones({ z2: 600, z3: 3025 }), { ts: end, bpm: 151 }]);
        expect(await vm.counter("vm_rows_invalid_total")).toBe(0);
        const healthy = await h.client.health();
        expect([healthy.status, healthy.body.status]).toEqual([200, "ok"]);
      } finally {
        await h.stop();
        expectNoSecrets([...h.outputs, h.server.output()]);
      }
    },
    120_000,
  );

  test(
    "VictoriaMetrics crashes right after acknowledging a delivery: fitstack notices and delivers it again",
    async () => {
      // VM 1.79 acknowledges an import (204) seconds before the rows survive a SIGKILL, even after
      // /internal/force_flush. fitstack has then cleared its backlog, so those samples are gone from VM.
      const user = "vmcrash";
      const h = harness({ DATA_DIR: dataDir(), USER_LABEL: user, VM_URL: vm.url });
      await h.start();
      try {
        const a = await h.client.post(fixtureBlock(T0, 130, 121));
        expect([a.status, a.body.delivered]).toEqual([200, true]);
        await vm.flush();
        await vm.kill();
        await vm.start();
        // the next sync, 5 s after A ended: 150 bpm (z3), 5 + 600 = 605 s
        const b = await h.client.post(fixtureBlock(T0 + 605, 150, 121));
        expect([b.status, b.body.delivered]).toEqual([200, true]);
        // A: 600 s of z2, B: 605 s of z3; give a re-delivery up to 10 s
        const expected = zones({ z2: 600, z3: 605 });
        await waitFor(async () => Bun.deepEquals(await vmZones(vm, user, T0 - 60, T0 + 1205), expected), 10_000, "VM to hold A again").catch(() => {});
        expect(await vmZones(vm, user, T0 - 60, T0 + 1205)).toEqual(expected);
      } finally {
        await h.stop();
      }
    },
    60_000,
  );

  test(
    "SIGKILL while delivery hangs: the restart delivers what was merged, without double counting",
    async () => {
      const user = "crash";
      const dir = dataDir();
      const silent = await silentStore();
      const h = harness({ DATA_DIR: dir, USER_LABEL: user });
      // start-up asks the "store" for its flags and gives up after 5 s: it must still start
      await h.start({ VM_URL: silent.url });
      try {
        const aborter = new AbortController();
        const hanging = h.client.post(fixtureBlock(T0, 130, 121), {}, aborter.signal).catch((err: Error) => err);
        // on disk (raw) and merged (ledger backlog), while the store write hangs
        await waitFor(() => rawEntries(dir).length === 1 && pendingUsers(dir).includes(user), 10_000, "raw line and ledger backlog");
        await h.kill();
        aborter.abort();
        expect(await hanging).toBeInstanceOf(Error);

        await h.start({ VM_URL: vm.url });
        await waitFor(async () => (await h.client.health()).body?.backlog?.users === 0, 30_000, "recovery delivery");
        // 121 samples at 130 bpm starting the history: 600 s of z2
        expect(await vmZones(vm, user, T0 - 60, T0 + 600)).toEqual(zones({ z2: 600 }));
        const again = await h.client.post(fixtureBlock(T0, 130, 121));
        expect([again.status, again.body.accepted_samples, again.body.duplicates_dropped, again.body.zone_seconds_added]).toEqual([
          200,
          0,
          121,
          zones({}),
        ]);
        expect(await vmZones(vm, user, T0 - 60, T0 + 600)).toEqual(zones({ z2: 600 }));
        const summary = await h.client.summary(T0 - 60, T0 + 600);
        expect([summary.zone_seconds, summary.last_heart_rate]).toEqual([zones({ z2: 600 }), { ts: T0 + 600, bpm: 131 }]);
        // the raw log keeps both posts; only the first counted
        expect(rawEntries(dir).length).toBe(2);
      } finally {
        await h.stop();
        await silent.close();
        expectNoSecrets([...h.outputs, h.server.output()]);
      }
    },
    60_000,
  );
});

describe("crash between the raw append and the merge", () => {
  test("a hand-appended raw entry is merged once at start-up; a cut last line is skipped and later entries survive", async () => {
    const dir = dataDir();
    const h = harness({ DATA_DIR: dir });
    await h.start();
    try {
      const a = await h.client.post(fixtureBlock(T0, 130, 121));
      expect([a.status, a.body.zone_seconds_added]).toEqual([200, zones({ z2: 600 })]);
      await h.kill();

      // what a crash right after RawLog.append leaves: an fsynced entry the ledger never saw…
      const today = utcDay();
      const file = join(dir, "raw", `${today}.ndjson`);
      const c = fixtureBlock(T0 + 1200, 150, 13);
      appendFileSync(file, rawLine({ id: "hand-written-c", receivedAt: new Date(), user: "me", body: c }));
      // …and, after it, an entry cut in the middle of its write (never acknowledged)
      const cut = rawLine({ id: "cut-b", receivedAt: new Date(), user: "me", body: fixtureBlock(T0 + 2400, 185, 13) });
      appendFileSync(file, cut.slice(0, Math.floor(cut.length / 2)));

      await h.start();
      // C: 13 samples at 150 bpm (z3) 600 s after A ended: 10 + 60 = 70 s; the cut entry counts nothing
      expect(await h.client.zones(T0 - 60, T0 + 3700)).toEqual(zones({ z2: 600, z3: 70 }));
      const cAgain = await h.client.post(c);
      expect([cAgain.status, cAgain.body.accepted_samples, cAgain.body.duplicates_dropped]).toEqual([200, 0, 13]);

      // D lands after the cut line: 13 samples at 185 bpm (z5), 10 + 60 = 70 s
      const d = await h.client.post(fixtureBlock(T0 + 3600, 185, 13));
      expect([d.status, d.body.zone_seconds_added]).toEqual([200, zones({ z5: 70 })]);
      const lines = readFileSync(file, "utf8").split("\n");
      // A, C, the cut line (closed by a newline before the next append), C again, D, ""
      expect(lines.length).toBe(6);
      expect(lines[2]).toBe(cut.slice(0, Math.floor(cut.length / 2)));
      expect(JSON.parse(lines[4]!).id).toBe(d.body.id);

      await h.kill();
      await h.start();
      const expected = zones({ z2: 600, z3: 70, z5: 70 });
      expect(await h.client.zones(T0 - 60, T0 + 3700)).toEqual(expected);
      await h.stop();

      // a full replay reads past the cut line (reported as file:line) and rebuilds the same numbers
      const replay = await runReplay(h.env);
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain(`1 files, 4 entries`);
      expect(replay.stdout).toContain(`skipped ${today}.ndjson:3: invalid JSON`);
      await h.start();
      expect(await h.client.zones(T0 - 60, T0 + 3700)).toEqual(expected);
    } finally {
      await h.stop();
    }
  }, 60_000);
});

describe("a power cut takes the embedded store's last commits (it does not wait for the disk)", () => {
  test("the store's older delivery number is noticed at the next start and everything is delivered again; so is a deleted store", async () => {
    const dir = dataDir();
    const h = harness({ DATA_DIR: dir });
    const storeFiles = () => readdirSync(dir).filter((name) => name.startsWith("metrics.sqlite"));
    const snapshot = join(dataDir(), "store");
    await h.start();
    try {
      expect((await h.client.post(fixtureBlock(T0, 130, 121))).status).toBe(200);
      await h.stop();
      // the store as the disk held it before the next delivery's commits reached it
      mkdirSync(snapshot);
      for (const name of storeFiles()) copyFileSync(join(dir, name), join(snapshot, name));
      await h.start();
      // 13 samples at 150 bpm (z3) 600 s after A ended: 10 + 60 = 70 s
      expect((await h.client.post(fixtureBlock(T0 + 1200, 150, 13))).status).toBe(200);
      const expected = zones({ z2: 600, z3: 70 });
      expect(await h.client.zones(T0 - 60, T0 + 3700)).toEqual(expected);
      await h.stop();

      for (const name of storeFiles()) unlinkSync(join(dir, name));
      for (const name of readdirSync(snapshot)) copyFileSync(join(snapshot, name), join(dir, name));
      await h.start();
      expect(await h.client.zones(T0 - 60, T0 + 3700)).toEqual(expected);
      expect(h.server.output()).toContain("the store had lost deliveries");
      await h.stop();

      for (const name of storeFiles()) unlinkSync(join(dir, name));
      await h.start();
      expect(await h.client.zones(T0 - 60, T0 + 3700)).toEqual(expected);
      // once caught up, a restart delivers nothing again
      await h.stop();
      await h.start();
      expect(h.server.output()).not.toContain("the store had lost deliveries");
      expect(await h.client.zones(T0 - 60, T0 + 3700)).toEqual(expected);
    } finally {
      await h.stop();
    }
  }, 60_000);
});

describe("replay", () => {
  test("rebuilds from the raw log: new HR_MAX re-credits, twice is the same, corrupt lines are named, --dry-run and ranges", async () => {
    const dir = dataDir();
    const user = "replay";
    const h = harness({ DATA_DIR: dir, USER_LABEL: user });
    const now = new Date();
    const yesterday = utcDay(new Date(now.getTime() - 86_400_000));
    const today = utcDay(now);
    const y0 = Date.parse(`${yesterday}T06:00:00Z`) / 1000;
    const day = (date: string) => [Date.parse(`${date}T00:00:00Z`) / 1000, Date.parse(`${date}T00:00:00Z`) / 1000 + 86_400] as const;
    const from = y0 - 60;
    const to = T0 + 1800;

    await h.start();
    const a = await h.client.post(fixtureBlock(T0, 130, 121)); // A: 130 bpm
    const b = await h.client.post(fixtureBlock(T0 + 1200, 150, 121)); // B: 150 bpm, 600 s after A
    expect([a.body.zone_seconds_added, b.body.zone_seconds_added]).toEqual([zones({ z2: 600 }), zones({ z3: 610 })]);
    expect(await h.stop()).toBe(0);

    // yesterday's file, written the way RawLog writes it, with a corrupt line between two entries:
    // Y 61 samples at 170 bpm (the new start of the history: 60·5 = 300 s), Y2 13 samples at 170 an hour later (70 s)
    const received = new Date(`${yesterday}T12:00:00Z`);
    writeFileSync(
      join(dir, "raw", `${yesterday}.ndjson`),
      rawLine({ id: "y1", receivedAt: received, user, body: fixtureBlock(y0, 170, 61) }) +
        "this line is not a raw entry {\n" +
        rawLine({ id: "y2", receivedAt: received, user, body: fixtureBlock(y0 + 3600, 170, 13) }),
    );

    const replayWith = async (env: Record<string, string>, args: string[] = []) => {
      const out = await runReplay({ ...h.env, ...env }, args);
      if (out.code !== 0) throw new Error(`replay ${args.join(" ")} exited ${out.code}:\n${out.stdout}${out.stderr}`);
      return out.stdout;
    };
    const readBack = async (env: Record<string, string> = {}) => {
      await h.start(env);
      const all = await h.client.summary(from, to);
      const perDay = [await h.client.zones(...day(yesterday)), await h.client.zones(...day(today))];
      await h.stop();
      return { zones: all.zone_seconds, last: all.last_heart_rate, perDay };
    };

    // HR_MAX=200: A 130 → z2, now after a gap: 610; B 150 → z3 610; Y+Y2 170 → z4 300 + 70 = 370
    const first = await replayWith({ HR_MAX: "200" });
    expect(first).toContain("2 files, 4 entries");
    expect(first).toContain(`skipped ${yesterday}.ndjson:2: invalid JSON`);
    const at200 = {
      zones: zones({ z2: 610, z3: 610, z4: 370 }),
      last: { ts: T0 + 1800, bpm: 151 },
      perDay: [zones({ z4: 370 }), zones({ z2: 610, z3: 610 })],
    };
    expect(await readBack({ HR_MAX: "200" })).toEqual(at200);

    // HR_MAX=180: bounds 108/126/144/162 bpm → 130 is z3, 150 is z4, 170 is z5
    const at180 = {
      zones: zones({ z3: 610, z4: 610, z5: 370 }),
      last: { ts: T0 + 1800, bpm: 151 },
      perDay: [zones({ z5: 370 }), zones({ z3: 610, z4: 610 })],
    };
    await replayWith({ HR_MAX: "180" });
    expect(await readBack({ HR_MAX: "180" })).toEqual(at180);
    await replayWith({ HR_MAX: "180" });
    expect(await readBack({ HR_MAX: "180" })).toEqual(at180);

    // --dry-run with other zones: reports, writes nothing
    const before = snapshot(dir);
    const dry = await replayWith({ HR_MAX: "200" }, ["--dry-run"]);
    expect(dry).toContain("dry run, nothing written");
    expect(dry).toContain("2 files, 4 entries");
    expect(snapshot(dir)).toEqual(before);
    expect(await readBack({ HR_MAX: "180" })).toEqual(at180);

    // ranges re-merge those days' files into what is held: nothing changes
    expect(await replayWith({ HR_MAX: "180" }, ["--from", today, "--to", today])).toContain("1 files, 2 entries");
    expect(await replayWith({ HR_MAX: "180" }, ["--from", yesterday, "--to", yesterday])).toContain("1 files, 2 entries");
    expect(await replayWith({ HR_MAX: "180" }, ["--from", yesterday])).toContain("2 files, 4 entries");
    expect(await readBack({ HR_MAX: "180" })).toEqual(at180);

    // embedded store → VictoriaMetrics: the same summary
    if (!skipVm) {
      await replayWith({ HR_MAX: "180", VM_URL: vm.url });
      expect(await vmZones(vm, user, from, to)).toEqual(at180.zones);
      expect(await readBack({ HR_MAX: "180", VM_URL: vm.url })).toEqual(at180);
    }
    expectNoSecrets(h.outputs);
  }, 90_000);
});

/** Every file under dir with its size and hash: what "writes nothing" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string, rel: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full, `${rel}${name}/`);
      else out[`${rel}${name}`] = createHash("sha256").update(readFileSync(full)).digest("hex");
    }
  };
  walk(dir, "");
  return out;
}

describe("graceful shutdown", () => {
  test("SIGTERM while a large post is still uploading: it completes with 200, the process exits 0, data intact", async () => {
    const dir = dataDir();
    const h = harness({ DATA_DIR: dir });
    await h.start();
    const port = new URL(h.server.url).port;
    // 200 000 samples at 130 bpm, 1 s apart, starting the history: 199 999 s of z2 (~5.6 MB)
    const n = 200_000;
    const start = T0 - 5 * 86_400;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`{"ts":${start + i},"bpm":130}`);
    const body = Buffer.from(`{"type":"heart_rate","source":"watch","samples":[${parts.join(",")}]}`);

    // by hand over TCP, so the request is provably in flight: headers and half the body, then the signal
    const socket = connect(Number(port), "127.0.0.1");
    let response = "";
    socket.on("data", (chunk) => (response += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      `POST /hook/${SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    const half = Math.floor(body.length / 2);
    await new Promise<void>((resolve) => socket.write(body.subarray(0, half), () => resolve()));
    // a request on another connection answered means the server's loop has read the first one's headers
    expect(await h.client.ping()).toBe(200);
    h.server.proc.kill("SIGTERM");
    await waitFor(() => h.server.output().includes('"message":"stopping"'), 10_000, "the server to log that it is stopping");
    socket.end(body.subarray(half));
    await closed;
    expect(response.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
    const reply = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
    expect([reply.accepted_samples, reply.zone_seconds_added, reply.delivered]).toEqual([n, zones({ z2: n - 1 }), true]);
    expect(await h.server.proc.exited).toBe(0);

    await h.start();
    const summary = await h.client.summary(start - 60, start + n);
    expect([summary.zone_seconds, summary.last_heart_rate]).toEqual([zones({ z2: n - 1 }), { ts: start + n - 1, bpm: 130 }]);
    await h.stop();
  }, 60_000);
});

describe("disk", () => {
  test("a full disk or an unwritable raw dir answers 503 and acknowledges nothing; once fixed, 200 and nothing lost", async () => {
    const dir = dataDir();
    const h = harness({ DATA_DIR: dir });
    await h.start();
    const a = await h.client.post(fixtureBlock(T0, 130, 121));
    expect([a.status, a.body.zone_seconds_added]).toEqual([200, zones({ z2: 600 })]);
    await h.stop();

    // today's file set aside, so the next server opens it fresh on its first post: then it is /dev/full
    const rawFile = join(dir, "raw", `${utcDay()}.ndjson`);
    const aside = join(dir, "aside.ndjson");
    renameSync(rawFile, aside);
    await h.start();
    symlinkSync("/dev/full", rawFile);
    const b = fixtureBlock(T0 + 1200, 150, 13);
    const refusedByFullDisk = [await h.client.post(b), await h.client.post(b)];
    for (const refused of refusedByFullDisk) {
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe("storage_unavailable");
      expect(typeof refused.body.error.message).toBe("string");
    }
    expect(await h.client.ping()).toBe(200);
    expect(await h.client.zones(T0 - 60, T0 + 1300)).toEqual(zones({ z2: 600 }));

    // not writable: the raw directory replaced by a plain file
    unlinkSync(rawFile);
    renameSync(join(dir, "raw"), join(dir, "raw.moved"));
    writeFileSync(join(dir, "raw"), "not a directory");
    const refusedByNoDir = await h.client.post(b);
    expect([refusedByNoDir.status, refusedByNoDir.body?.error?.code]).toEqual([503, "storage_unavailable"]);
    expect(await h.client.ping()).toBe(200);
    await h.stop();

    unlinkSync(join(dir, "raw"));
    renameSync(join(dir, "raw.moved"), join(dir, "raw"));
    renameSync(aside, rawFile);
    await h.start();
    expect(await h.client.zones(T0 - 60, T0 + 1300)).toEqual(zones({ z2: 600 }));
    // B was never merged: all 13 samples are new (150 bpm, z3, 600 s after A: 10 + 60 = 70 s)
    const accepted = await h.client.post(b);
    expect([accepted.status, accepted.body.accepted_samples, accepted.body.zone_seconds_added]).toEqual([200, 13, zones({ z3: 70 })]);
    expect(await h.client.zones(T0 - 60, T0 + 1300)).toEqual(zones({ z2: 600, z3: 70 }));
    expect(rawEntries(dir).map((e) => e.id)).toEqual([a.body.id, accepted.body.id]);
    await h.stop();
  }, 60_000);
});

// `fitstack status` as a child process beside the real server and a real VictoriaMetrics: no AUTH_TOKEN, exit codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const TOKEN = "e2e-token-0123456789abcdef";
const SECRET = "e2e-secret";

async function runStatus(env: Record<string, string>) {
  const proc = Bun.spawn(["bun", "run", MAIN, "status", "--json"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stderr, report: stdout ? JSON.parse(stdout) : null };
}

const skipVm = vmUnavailable();
describe.skipIf(!!skipVm)("fitstack status beside a running server on VictoriaMetrics", () => {
  let vm: VmProcess;
  let server: ServerProcess;
  let dataDir: string;
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  beforeAll(async () => {
    vm = await startVm();
    dataDir = mkdtempSync(join(tmpdir(), "fitstack-status-e2e-"));
    server = await startServer({ AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: dataDir, VM_URL: vm.url });
    const samples = Array.from({ length: 121 }, (_, i) => ({ ts: t0 + 5 * i, bpm: 130 }));
    const res = await fetch(`${server.url}/hook/${SECRET}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "heart_rate", source: "watch", samples }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await vm?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("reads what the server holds and VM's retention from compose's flags; all good is exit 0", async () => {
    const { code, stderr, report } = await runStatus({ DATA_DIR: dataDir, VM_URL: vm.url });
    expect({ code, stderr, users: report.users.map((u: any) => [u.user, u.samples, u.first_ts, u.last_ts, u.stale]), store: report.store, backlog: report.backlog.users, attention: report.attention }).toEqual({
      code: 0,
      stderr: "",
      users: [["me", 121, t0, t0 + 600, false]],
      store: { kind: "victoriametrics", reachable: true, url: vm.url, retention: "5y" },
      backlog: 0,
      attention: [],
    });
  });

  test("VictoriaMetrics down: the store needs attention, exit 1", async () => {
    await vm.kill();
    try {
      const { code, report } = await runStatus({ DATA_DIR: dataDir, VM_URL: vm.url });
      expect([code, report.store.reachable, report.attention.length, report.attention[0]]).toEqual([1, false, 1, expect.stringMatching(/^store: victoriametrics at http:\/\/127.0.0.1:\d+ not reachable: [^\n]+$/)]);
    } finally {
      await vm.start();
    }
  });
});

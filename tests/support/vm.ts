// Starts a real VictoriaMetrics on a free loopback port with the flags docker-compose.yml gives the vm service.
import { afterAll, beforeAll, describe } from "bun:test";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./process";
import { VmStore } from "../../src/store/vm";
import { zoneBoundsBpm, type ZoneProfile } from "../../src/transform/zones";

const BINARY = process.env.VM_BIN ?? "/usr/bin/victoria-metrics";

/** Why VM tests cannot run here, or null. Under CI a missing binary is a failure, not a skip. */
export function vmUnavailable(): string | null {
  if (existsSync(BINARY)) return null;
  const reason = `victoria-metrics binary not found at ${BINARY} (apt-get install victoria-metrics, or set VM_BIN)`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI=true requires the VictoriaMetrics tests to run`);
  console.warn(`skipping VictoriaMetrics tests: ${reason}`);
  return reason;
}

/** The vm service's flags from docker-compose.yml, minus where it listens, stores and what it scrapes (tests/e2e/metrics). */
export async function composeVmFlags(): Promise<string[]> {
  const compose = Bun.YAML.parse(await Bun.file(new URL("../../docker-compose.yml", import.meta.url)).text()) as {
    services: { vm: { command: string[] } };
  };
  return compose.services.vm.command.filter((flag) => !/^-(storageDataPath|httpListenAddr|promscrape\.config)=/.test(flag));
}

export interface VmProcess {
  url: string;
  stop(): Promise<void>;
  /** Stops VM keeping its data, for outage tests; start() brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Makes just-written samples searchable (VM buffers them for about a second). */
  flush(): Promise<void>;
  query(expr: string, time: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  counter(name: string): Promise<number>;
}

/** One VM for a test file: started before its tests (unless unavailable: then `skip` says why), stopped after them. */
export function vmForFile(): { readonly skip: string | null; vm: VmProcess } {
  const shared = { skip: vmUnavailable(), vm: undefined as unknown as VmProcess };
  beforeAll(async () => {
    if (!shared.skip) shared.vm = await startVm();
  });
  afterAll(async () => {
    await shared.vm?.stop();
  });
  return shared;
}

/** A VM store test file's setting: one VM for the file, the zone profile and its bounds, a midnight a week ago, a store opener. */
export function vmStoreFile() {
  const shared = vmForFile();
  const profile: ZoneProfile = { mode: "max", hrMax: 200, rhr: 60, bounds: [0.6, 0.7, 0.8, 0.9] };
  return { shared, skip: shared.skip, profile, bounds: zoneBoundsBpm(profile), midnight: weekAgoMidnight(), openStore: (url = shared.vm.url) => openVmStore(url) };
}

/** VM's rows inserted and its own CPU seconds, from its /metrics (it updates them about a second late: waited for). */
export async function vmCounters(vm: VmProcess): Promise<{ rows: number; cpuS: number }> {
  await Bun.sleep(1500);
  const text = await (await fetch(`${vm.url}/metrics`)).text();
  let rows = 0;
  let cpuS = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("vm_rows_inserted_total")) rows += Number(line.split(" ").at(-1));
    if (line.startsWith("process_cpu_seconds_total")) cpuS = Number(line.split(" ").at(-1));
  }
  return { rows, cpuS };
}

/** A UTC midnight a week ago: inside VM's default retention of a month. */
export const weekAgoMidnight = () => Math.floor(Date.now() / 1000 / 86_400) * 86_400 - 7 * 86_400;

/** A proxy in front of VM at `target()`: `onImport` sees each import's body first and may answer instead of VM. */
export function vmProxy(target: () => string, onImport: (body: string) => Response | void) {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      const body = request.method === "GET" ? undefined : await request.text();
      const answer = body !== undefined && url.pathname.endsWith("/api/v1/import") ? onImport(body) : undefined;
      if (answer) return answer;
      const res = await fetch(`${target()}${url.pathname}${url.search}`, { method: request.method, body });
      return new Response(await res.arrayBuffer(), { status: res.status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

/** A VM store writing to and reading from `url`, with its own fresh state directory. */
export const openVmStore = (url: string) => new VmStore({ writeUrl: url, readUrl: url, stateDir: mkdtempSync(join(tmpdir(), "fitstack-vmstate-")) });

/** `extraFlags` add to docker-compose.yml's (e.g. a search limit an overload test needs), never replace them. */
export async function startVm(extraFlags: string[] = []): Promise<VmProcess> {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-vm-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const flags = [...(await composeVmFlags()), ...extraFlags];
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const start = async () => {
    proc = Bun.spawn([BINARY, `-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, ...flags], {
      stdout: "ignore",
      stderr: "ignore",
    });
    await waitFor(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, 15_000, "VictoriaMetrics /health");
  };
  const kill = async () => {
    proc?.kill("SIGKILL");
    await proc?.exited;
    proc = null;
  };
  await start();
  return {
    url,
    start,
    kill,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    async flush() {
      await fetch(`${url}/internal/force_flush`);
    },
    async query(expr, time) {
      const params = new URLSearchParams({ query: expr, time: String(time), nocache: "1" });
      const body = (await (await fetch(`${url}/api/v1/query?${params}`)).json()) as any;
      if (body.status !== "success") throw new Error(`VM query failed: ${JSON.stringify(body)}`);
      return body.data.result;
    },
    async counter(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      let total = 0;
      for (const line of text.split("\n")) if (line.startsWith(name)) total += Number(line.split(" ").at(-1));
      return total;
    },
  };
}

/** Registers a suite on the embedded store, then on a real VictoriaMetrics (skipped or failed as vmUnavailable says). */
export function onBothStores(
  suite: (store: "sqlite" | "victoriametrics", extraEnv: () => Record<string, string>, vmOf?: () => VmProcess) => void,
) {
  suite("sqlite", () => ({}));
  const skip = vmUnavailable();
  let vm: VmProcess;
  describe.skipIf(!!skip)("with VictoriaMetrics", () => {
    beforeAll(async () => {
      vm = await startVm();
    });
    afterAll(async () => {
      await vm?.stop();
    });
    suite("victoriametrics", () => ({ VM_URL: vm.url }), () => vm);
  });
}

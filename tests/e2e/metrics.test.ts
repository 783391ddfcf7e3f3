// A real VictoriaMetrics scrapes the real server's /metrics with the scrape job docker-compose.yml gives the vm service.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startServer, waitFor, type ServerProcess } from "../support/process";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const ROOT = new URL("../..", import.meta.url).pathname;
const TOKEN = "e2e-token-0123456789abcdef";
const METRICS_TOKEN = "e2e-metrics-token-0123456789";
const SECRET = "e2e-secret";

interface ScrapeJob {
  job_name: string;
  scrape_interval: string;
  metrics_path: string;
  bearer_token_file: string;
  static_configs: { targets: string[] }[];
}
const compose = Bun.YAML.parse(await Bun.file(join(ROOT, "docker-compose.yml")).text()) as any;
const vmService = compose.services.vm;
const scrapeFlag = (vmService.command as string[]).find((flag) => flag.startsWith("-promscrape.config="))!;
const inContainer = scrapeFlag?.split("=")[1];
// the host file mounted at that path
const mount = (vmService.volumes as string[]).find((v) => v.split(":")[1] === inContainer);
const scrapeFile = mount ? join(ROOT, mount.split(":")[0]!) : "";
const scrape = mount ? (Bun.YAML.parse(await Bun.file(scrapeFile).text()) as { scrape_configs: ScrapeJob[] }) : { scrape_configs: [] };

describe("the compose scrape job", () => {
  test("vm scrapes api's /metrics every 30 s with the token from the secret api reads too", () => {
    expect({ flag: !!scrapeFlag, mounted: !!mount }).toEqual({ flag: true, mounted: true });
    const [job] = scrape.scrape_configs;
    expect(job).toEqual({
      job_name: "fitstack",
      scrape_interval: "30s",
      metrics_path: "/metrics",
      bearer_token_file: "/run/secrets/metrics_token",
      static_configs: [{ targets: [`api:${compose.services.api.environment.PORT}`] }],
    });
    expect([vmService.secrets, compose.services.api.secrets, compose.services.api.environment.METRICS_TOKEN_FILE]).toEqual([
      ["metrics_token"],
      ["metrics_token"],
      "/run/secrets/metrics_token",
    ]);
  });
});

const skipVm = vmUnavailable();
describe.skipIf(!!skipVm)("a real VictoriaMetrics scraping the real server", () => {
  let vm: VmProcess;
  let server: ServerProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "fitstack-scrape-"));
    const tokenFile = join(dir, "metrics.token");
    writeFileSync(tokenFile, `${METRICS_TOKEN}\n`, { mode: 0o600 });
    const port = await freePort();
    // the compose job as written, pointed at this server and token file; 1 s instead of 30 s so the test need not wait
    const [job] = scrape.scrape_configs;
    const local = { scrape_configs: [{ ...job, scrape_interval: "1s", bearer_token_file: tokenFile, static_configs: [{ targets: [`127.0.0.1:${port}`] }] }] };
    const localFile = join(dir, "scrape.yml");
    writeFileSync(localFile, JSON.stringify(local)); // JSON is YAML
    vm = await startVm([`-promscrape.config=${localFile}`]);
    server = await startServer({ PORT: String(port), AUTH_TOKEN: TOKEN, SECRET_PATH: SECRET, DATA_DIR: join(dir, "data"), VM_URL: vm.url, METRICS_TOKEN_FILE: tokenFile });
  });
  afterAll(async () => {
    await server?.stop();
    await vm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("fitstack_ series land in VM with the job label: hook counts, last sync, backlog, process", async () => {
    const now = Math.floor(Date.now() / 1000);
    const t0 = now - 3600;
    // 4 samples, one of them out of range
    const samples = [{ ts: t0, bpm: 80 }, { ts: t0 + 5, bpm: 90 }, { ts: t0 + 10, bpm: 100 }, { ts: t0 + 15, bpm: 400 }];
    const res = await fetch(`${server.url}/hook/${SECRET}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "heart_rate", source: "watch", samples }),
    });
    expect(res.status).toBe(200);
    const synced = Math.floor(Date.now() / 1000);
    const value = async (expr: string) => {
      const [series] = await vm.query(expr, Math.floor(Date.now() / 1000));
      return series ? Number(series.value[1]) : null;
    };
    const accepted = 'fitstack_hook_samples_total{job="fitstack",outcome="accepted"}';
    await waitFor(
      async () => {
        await vm.flush();
        return (await value(accepted)) === 3;
      },
      30_000,
      "VM to scrape the accepted samples",
    );
    expect({
      up: await value('up{job="fitstack"}'),
      invalid: await value('fitstack_hook_invalid_samples_total{job="fitstack",reason="bpm_out_of_range"}'),
      lastSync: await value('fitstack_last_sync_timestamp_seconds{job="fitstack",user="me"}'),
      backlog: await value('fitstack_delivery_backlog_users{job="fitstack",store="victoriametrics"}'),
      hookRequests: await value('fitstack_http_requests_total{job="fitstack",route="/hook/:secret",code="2xx"}'),
    }).toEqual({ up: 1, invalid: 1, lastSync: expect.any(Number), backlog: 0, hookRequests: 1 });
    expect(Math.abs((await value('fitstack_last_sync_timestamp_seconds{job="fitstack",user="me"}'))! - synced)).toBeLessThanOrEqual(2);
    expect(await value('process_resident_memory_bytes{job="fitstack"}')).toBeGreaterThan(1e6);
    // every scraped name follows the conventions; no label carries the payload's source or the secret path
    const names = (await (await fetch(`${vm.url}/api/v1/label/__name__/values`)).json()) as { data: string[] };
    const ours = names.data.filter((n) => n.startsWith("fitstack_"));
    expect(ours).toEqual(expect.arrayContaining(["fitstack_build_info", "fitstack_hook_duration_seconds_bucket", "fitstack_raw_fsync_duration_seconds_count", "fitstack_raw_log_bytes"]));
    const series = (await (await fetch(`${vm.url}/api/v1/series?match[]={job="fitstack"}`)).json()) as { data: Record<string, string>[] };
    const labelText = JSON.stringify(series.data);
    expect([labelText.includes("watch"), labelText.includes(SECRET)]).toEqual([false, false]);
  });

  test("the scrape token is required: the server refuses a scrape without it", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  });
});

// The deployment files: docker-compose.yml (validated by a real docker-compose), the Dockerfile, the systemd unit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const COMPOSE_FILE = join(ROOT, "docker-compose.yml");

interface Service {
  image: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  profiles?: string[];
  restart?: string;
  mem_limit?: string;
  cpus?: number | string;
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  cap_drop?: string[];
  security_opt?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  logging?: { driver: string; options: Record<string, string> };
}
const compose = Bun.YAML.parse(await Bun.file(COMPOSE_FILE).text()) as { services: Record<string, Service>; volumes: Record<string, { name: string }> };
const { api, vm, grafana, cloudflared } = compose.services as Record<string, Service>;

/** Why a tool cannot be used here, or null; under CI a missing tool is a failure. */
function toolUnavailable(tool: string, install: string): string | null {
  if (Bun.which(tool)) return null;
  const reason = `${tool} not found (${install})`;
  if (process.env.CI === "true") throw new Error(`${reason}; CI=true requires these tests to run`);
  console.warn(`skipping: ${reason}`);
  return reason;
}

describe("docker-compose.yml", () => {
  test("vm keeps five years and dedups to the second (fitstack's counters depend on it)", () => {
    expect(vm!.command).toContain("-retentionPeriod=5y");
    expect(vm!.command).toContain("-dedup.minScrapeInterval=1s");
  });

  test("deploy/README.md points at the vm service's flags instead of repeating their values", async () => {
    const readme = await Bun.file(join(ROOT, "deploy/README.md")).text();
    const values = vm!.command!.filter((flag) => !/^-(storageDataPath|httpListenAddr)=/.test(flag));
    expect(values.filter((flag) => readme.includes(flag))).toEqual([]);
  });

  test("api has room for a year-long first sync (peak RSS about 400 MB, README \"Performance\")", () => {
    const bytes = (limit: string) => Number(limit.slice(0, -1)) * 1024 ** (limit.endsWith("g") ? 3 : 2);
    expect(bytes(api!.mem_limit!)).toBeGreaterThanOrEqual(1.5 * 400e6);
    expect(bytes(vm!.mem_limit!)).toBeGreaterThanOrEqual(bytes(api!.mem_limit!));
  });

  test("every host port is bound to 127.0.0.1 only", () => {
    const ports = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.ports ?? []]));
    expect(ports).toEqual({
      api: ["127.0.0.1:18000:8000"],
      vm: ["127.0.0.1:18428:8428"],
      grafana: ["127.0.0.1:13000:3000"],
      cloudflared: [],
    });
  });

  test("grafana and cloudflared run only with their profiles; api and vm always", () => {
    const profiles = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.profiles ?? []]));
    expect(profiles).toEqual({ api: [], vm: [], grafana: ["grafana"], cloudflared: ["tunnel"] });
    expect(cloudflared!.command).toEqual(["tunnel", "--no-autoupdate", "run"]);
    expect(cloudflared!.environment).toEqual({ TUNNEL_TOKEN: "${TUNNEL_TOKEN:-}" });
  });

  test("data lives in named volumes; Grafana's provisioning is mounted from deploy/grafana", () => {
    expect([api!.volumes, vm!.volumes]).toEqual([["raw:/data"], ["vmdata:/storage", "./deploy/vm/scrape.yml:/etc/vm/scrape.yml:ro"]]);
    expect(grafana!.volumes).toEqual([
      "grafana:/var/lib/grafana",
      "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
      "./deploy/grafana/dashboards:/etc/grafana/dashboards:ro",
    ]);
    for (const mount of [...vm!.volumes!, ...grafana!.volumes!].filter((v) => v.startsWith("./"))) expect(existsSync(join(ROOT, mount.split(":")[0]!))).toBe(true);
    expect(compose.volumes).toEqual({ raw: { name: "fitstack_raw" }, vmdata: { name: "fitstack_vmdata" }, grafana: { name: "fitstack_grafana" } });
  });

  test("every service has memory and CPU limits, a restart policy and a pinned image", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, mem: /^\d+[mg]$/.test(service.mem_limit ?? ""), cpus: Number(service.cpus) > 0, restart: service.restart }).toEqual({
        name,
        mem: true,
        cpus: true,
        restart: "unless-stopped",
      });
      expect(service.image).toMatch(/^[\w./-]+:(v?\d+\.\d+\.\d+)$/);
    }
  });

  test("every service drops all capabilities, cannot gain privileges and rotates its logs; api, vm and cloudflared have a read-only root", () => {
    const hardening = Object.fromEntries(
      Object.entries(compose.services).map(([name, s]) => [name, { cap_drop: s.cap_drop, security_opt: s.security_opt, read_only: s.read_only ?? false, logging: s.logging }]),
    );
    const common = { cap_drop: ["ALL"], security_opt: ["no-new-privileges:true"], logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } } };
    expect(hardening).toEqual({
      api: { ...common, read_only: true },
      vm: { ...common, read_only: true },
      grafana: { ...common, read_only: false },
      cloudflared: { ...common, read_only: true },
    });
    // the binary loads the resvg addon it unpacks to /tmp: a tmpfs that allows exec
    expect(api!.tmpfs).toEqual(["/tmp:rw,exec,nosuid,nodev,size=64m"]);
  });

  test("Grafana has no default admin password", () => {
    expect(grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/);
  });

  test("api, vm and grafana have healthchecks, and api starts once vm is healthy", () => {
    expect([api, vm, grafana].map((s) => s!.healthcheck?.test[0])).toEqual(["CMD", "CMD", "CMD"]);
    expect(api!.healthcheck!.test.at(-1)).toBe("http://127.0.0.1:8000/ping");
    expect((api as any).depends_on).toEqual({ vm: { condition: "service_healthy" } });
  });

  const skipCompose = toolUnavailable("docker-compose", "apt-get install docker-compose");
  describe.skipIf(!!skipCompose)("docker-compose config", () => {
    let dir: string;
    beforeAll(() => {
      // env_file: .env must exist for compose to load the file; the real one is never committed
      dir = mkdtempSync(join(tmpdir(), "fitstack-compose-"));
      copyFileSync(COMPOSE_FILE, join(dir, "docker-compose.yml"));
      writeFileSync(join(dir, ".env"), "AUTH_TOKEN=compose-test-token-0123456789\nSECRET_PATH=compose-test\nGRAFANA_ADMIN_PASSWORD=compose-test-password\n");
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const config = (...args: string[]) => {
      const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
      const proc = Bun.spawnSync(["docker-compose", "-f", join(dir, "docker-compose.yml"), ...args], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
      return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
    };

    test("accepts the file and keeps the limits, loopback ports, profiles and VM flags as written", () => {
      const result = config("config");
      expect({ code: result.code, stderr: result.code === 0 ? "" : result.stderr }).toEqual({ code: 0, stderr: "" });
      const parsed = Bun.YAML.parse(result.stdout) as { services: Record<string, any> };
      const seen = Object.fromEntries(
        Object.entries(parsed.services).map(([name, s]) => [
          name,
          { mem_limit: s.mem_limit, cpus: Number(s.cpus), ports: s.ports ?? [], profiles: s.profiles ?? [] },
        ]),
      );
      expect(seen).toEqual({
        api: { mem_limit: "768m", cpus: 1, ports: ["127.0.0.1:18000:8000/tcp"], profiles: [] },
        vm: { mem_limit: "1g", cpus: 1, ports: ["127.0.0.1:18428:8428/tcp"], profiles: [] },
        grafana: { mem_limit: "256m", cpus: 0.5, ports: ["127.0.0.1:13000:3000/tcp"], profiles: ["grafana"] },
        cloudflared: { mem_limit: "128m", cpus: 0.5, ports: [], profiles: ["tunnel"] },
      });
      expect(parsed.services.vm.command).toEqual(vm!.command);
      expect(parsed.services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD).toBe("compose-test-password");
    }, 30_000); // docker-compose takes ~3 s to start, more on a busy machine

    test("refuses to start without GRAFANA_ADMIN_PASSWORD, naming it", () => {
      const withPassword = readFileSync(join(dir, ".env"), "utf8");
      writeFileSync(join(dir, ".env"), withPassword.replace(/^GRAFANA_ADMIN_PASSWORD=.*\n/m, ""));
      try {
        const result = config("--profile", "grafana", "config");
        expect({ code: result.code, names: result.stderr.includes("set GRAFANA_ADMIN_PASSWORD in .env") }).toEqual({ code: 1, names: true });
      } finally {
        writeFileSync(join(dir, ".env"), withPassword);
      }
    }, 30_000);
  });
});

describe("Dockerfile", () => {
  test("builds with a pinned Bun and ships only the binary, as a non-root user, with a /ping healthcheck", async () => {
    const lines = (await Bun.file(join(ROOT, "Dockerfile")).text()).split("\n").filter((line) => line.trim() && !line.startsWith("#"));
    const froms = lines.filter((l) => l.startsWith("FROM ")).map((l) => l.replace(/--platform=\S+ /, ""));
    expect(froms).toEqual(["FROM oven/bun:1.4.5 AS build", "FROM debian:bookworm-slim"]);
    const runtime = lines.slice(lines.findLastIndex((l) => l.startsWith("FROM ")));
    expect(runtime.filter((l) => l.startsWith("COPY "))).toEqual(["COPY --from=build /fitstack /usr/local/bin/fitstack"]);
    expect(runtime).toEqual(expect.arrayContaining(["USER fitstack", "EXPOSE 8000", "VOLUME /data", 'ENTRYPOINT ["/usr/local/bin/fitstack"]']));
    expect(runtime.join("\n")).toContain("/ping");
  });
});

describe("deploy/fitstack.service", () => {
  const UNIT = join(ROOT, "deploy/fitstack.service");

  test("runs as fitstack with the env file, restarts on failure and is sandboxed", async () => {
    const directives = Object.fromEntries(
      (await Bun.file(UNIT).text())
        .split("\n")
        .filter((line) => /^\w+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(directives).toMatchObject({
      User: "fitstack",
      EnvironmentFile: "/etc/fitstack/fitstack.env",
      WorkingDirectory: "/var/lib/fitstack",
      ExecStart: "/usr/local/bin/fitstack serve",
      Restart: "on-failure",
      ProtectSystem: "strict",
      ReadWritePaths: "/var/lib/fitstack",
      ProtectHome: "yes",
      NoNewPrivileges: "yes",
      PrivateTmp: "yes",
      UMask: "0027",
      // the compose file's mem_limit for api
      MemoryMax: "768M",
    });
    // the JIT needs writable+executable memory
    expect(directives.MemoryDenyWriteExecute).toBeUndefined();
  });

  const skipSystemd = toolUnavailable("systemd-analyze", "apt-get install systemd");
  test.skipIf(!!skipSystemd)("systemd-analyze verify accepts it", async () => {
    // verify insists that ExecStart exists: point it at an executable that does
    const dir = mkdtempSync(join(tmpdir(), "fitstack-unit-"));
    try {
      const unit = join(dir, "fitstack.service");
      writeFileSync(unit, (await Bun.file(UNIT).text()).replace("/usr/local/bin/fitstack", process.execPath));
      const proc = Bun.spawnSync(["systemd-analyze", "verify", unit], { stdout: "pipe", stderr: "pipe" });
      expect({ code: proc.exitCode, output: `${proc.stdout}${proc.stderr}`.trim() }).toEqual({ code: 0, output: "" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

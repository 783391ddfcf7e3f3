// summarize and the hook agree: for each real HAE export in ../shared/realcases/hae (by path, never copied),
// `summarize --json FILE`'s zone seconds equal what the hook credits for the same file posted alone to a fresh
// person on a fresh server, the heart-rate readings counted the same; with the default zones and with others.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type ServerProcess } from "../support/process";

const DIR = new URL("../../../shared/realcases/hae/", import.meta.url).pathname;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const SECRET = "summarize-realcases-secret";
const present = existsSync(join(DIR, "manifest.json"));
if (!present) console.warn(`skipping summarize-vs-hook real cases: ${DIR} is absent (it lives beside the project, in ../shared/realcases)`);
const files = present ? readdirSync(DIR).filter((f) => f.endsWith(".json") && f !== "manifest.json").sort() : [];
const userOf = (file: string) => `real-${file.split(/[-.]/)[0]}`;
const tokenOf = (user: string) => `tok-${user}-0123456789abcdef`;

for (const zones of [{ HR_MAX: "200" }, { HR_MAX: "150", RHR: "55", ZONES_MODE: "karvonen" }]) {
  describe.skipIf(!present)(`summarize --json and the hook credit the same zone seconds (${JSON.stringify(zones)})`, () => {
    let server: ServerProcess;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "fitstack-sum-real-"));
      const tokens = join(dataDir, "tokens");
      writeFileSync(tokens, files.map((f) => `${tokenOf(userOf(f))} ${userOf(f)}`).join("\n") + "\n");
      server = await startServer({ TOKENS_FILE: tokens, SECRET_PATH: SECRET, DATA_DIR: join(dataDir, "data"), ...zones });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    for (const file of files) {
      test(file, async () => {
        const proc = Bun.spawn(["bun", "run", MAIN, "summarize", "--json", join(DIR, file)], {
          env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...zones },
          stdout: "pipe",
          stderr: "pipe",
        });
        const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
        expect(code).toBe(0);
        const summarized = JSON.parse(out).files[0].heartRate as { credited: number; zoneSeconds: Record<string, number> } | undefined;

        const user = userOf(file);
        const res = await fetch(`${server.url}/hook/${SECRET}`, {
          method: "POST",
          headers: { authorization: `Bearer ${tokenOf(user)}`, "content-type": "application/json" },
          body: readFileSync(join(DIR, file)),
        });
        expect(res.status).toBe(200);
        const answer = (await res.json()) as { accepted_samples: number; zone_seconds_added: Record<string, number> };
        const summary = await fetch(`${server.url}/api/summary?from=0&to=${Math.floor(Date.now() / 1000)}`, {
          headers: { authorization: `Bearer ${tokenOf(user)}` },
        }).then((r) => r.json() as Promise<{ zone_seconds: Record<string, number> }>);

        const zero = { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0 };
        expect(summarized?.zoneSeconds ?? zero).toEqual(summary.zone_seconds);
        expect(summarized?.zoneSeconds ?? zero).toEqual(answer.zone_seconds_added);
        expect(summarized?.credited ?? 0).toBe(answer.accepted_samples);
      });
    }
  });
}

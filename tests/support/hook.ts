// What the durability and hostile e2e tests share: a client for one server, payload builders, the raw
// log as the tests see it on disk, `replay` as a child process, and a store that never answers.
import { Database } from "bun:sqlite";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { freePort, type ServerProcess } from "./process";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

export interface Reply {
  status: number;
  body: any;
  text: string;
}

/** HTTP calls against one running server with one token and secret path. */
export function hookClient(server: () => ServerProcess, token: string, secret: string) {
  const reply = async (res: Response): Promise<Reply> => {
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body, text };
  };
  return {
    /** A header given as "" is left out (e.g. content-type, so fetch sets a FormData boundary itself). */
    async post(body: BodyInit, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Reply> {
      const all = Object.entries({ authorization: `Bearer ${token}`, "content-type": "application/json", ...headers }).filter(([, v]) => v !== "");
      const res = await fetch(`${server().url}/hook/${secret}`, {
        method: "POST",
        headers: Object.fromEntries(all),
        body,
        signal,
      });
      return reply(res);
    },
    async summary(from: number, to: number): Promise<any> {
      const res = await fetch(`${server().url}/api/summary?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`summary answered ${res.status}: ${await res.text()}`);
      return res.json();
    },
    async zones(from: number, to: number) {
      return (await this.summary(from, to)).zone_seconds as Record<string, number>;
    },
    async health(): Promise<Reply> {
      // with the token: an anonymous caller gets the status alone
      return reply(await fetch(`${server().url}/health`, { headers: { authorization: `Bearer ${token}` } }));
    },
    async ping(): Promise<number> {
      return (await fetch(`${server().url}/ping`).catch(() => null))?.status ?? 0;
    },
  };
}

export type HookClient = ReturnType<typeof hookClient>;

/** Fixture-shape block: n samples 5 s apart from `start`; the last one is bpm+1 so last_heart_rate is telling. */
export function fixtureBlock(start: number, bpm: number, n: number, source = "watch"): string {
  const samples = Array.from({ length: n }, (_, i) => ({ ts: start + 5 * i, bpm: i === n - 1 ? bpm + 1 : bpm }));
  return JSON.stringify({ type: "heart_rate", source, samples });
}

/** Zone totals as the tests write them: only the zones named, the rest 0. */
export function zones(partial: Partial<Record<"z1" | "z2" | "z3" | "z4" | "z5", number>>) {
  return { z1: 0, z2: 0, z3: 0, z4: 0, z5: 0, ...partial };
}

export function utcDay(date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

/** A raw-log line exactly as RawLog.append writes it. */
export function rawLine(entry: { id: string; receivedAt: Date; user: string; body: string }): string {
  return `{"id":${JSON.stringify(entry.id)},"receivedAt":"${entry.receivedAt.toISOString()}","user":${JSON.stringify(entry.user)},"body":${entry.body}}\n`;
}

/** Every parseable raw entry under DATA_DIR/raw, in file order. */
export function rawEntries(dataDir: string): { file: string; id: string; user: string; body: unknown }[] {
  const dir = join(dataDir, "raw");
  if (!existsSync(dir)) return [];
  const out: { file: string; id: string; user: string; body: unknown }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ndjson")).sort()) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      try {
        const entry = JSON.parse(line);
        out.push({ file, id: entry.id, user: entry.user, body: entry.body });
      } catch {}
    }
  }
  return out;
}

/** Users the ledger still has to deliver, read from its database next to the running server. */
export function pendingUsers(dataDir: string): string[] {
  const path = join(dataDir, "ledger.sqlite");
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true });
  try {
    return db.query<{ user: string }, []>("SELECT user FROM pending").all().map((r) => r.user);
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** `bun run src/main.ts replay …` as a child process; stdout and stderr kept apart. */
export async function runReplay(env: Record<string, string>, args: string[] = []) {
  const proc = Bun.spawn(["bun", "run", MAIN, "replay", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A "store" that accepts TCP connections and never answers: every request to it hangs. */
export async function silentStore(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.resume(); // read and discard whatever arrives, answer nothing
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Free ports, bounded polling, and the real server as a child process.
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until `check` is true; never a fixed sleep. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface ServerProcess {
  url: string;
  proc: ReturnType<typeof Bun.spawn>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** Starts `bun run src/main.ts serve` (or a compiled binary via `command`) and waits for /ping. */
export async function startServer(env: Record<string, string>, command: string[] = ["bun", "run", MAIN, "serve"], cwd?: string): Promise<ServerProcess> {
  // a PORT given is kept (a scrape config written before the server starts names it)
  const port = Number(env.PORT) || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const proc = Bun.spawn(command, {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk);
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${output}`);
      return (await fetch(`${url}/ping`).catch(() => null))?.status === 200;
    },
    30_000,
    "server /ping",
  );
  return {
    url,
    proc,
    output: () => output,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      return proc.exited;
    },
  };
}

// One process delivers to the store at a time: `import` holds DATA_DIR/delivery.lock from its first batch to
// its one final delivery, so a running `serve` keeps accepting posts (into the ledger, delivered later) but
// does not rewrite the store's tail once per import batch, nor interleave its writes with the import's.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

export class DeliveryBusyError extends Error {}

const held = new Map<string, number>();

/** The process's start time (clock ticks since boot, Linux), so a reused pid is not taken for the holder. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

let ownStart: string | null = null;

function alive(pid: number, started: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !started || startTime(pid) === started;
}

/** The lock file beside a ledger database, or null for an in-memory ledger (no other process can see it). */
export function lockPathFor(ledgerFile: string): string | null {
  return ledgerFile && ledgerFile !== ":memory:" ? join(dirname(ledgerFile), "delivery.lock") : null;
}

/**
 * Takes the lock (re-entrant within a process) or throws DeliveryBusyError naming its holder. A lock left by
 * a process that died (SIGKILL) is taken over.
 */
export function acquireDeliveryLock(path: string | null, holder: string): Disposable & { release(): void } {
  const release = () => {
    if (!path) return;
    const count = (held.get(path) ?? 1) - 1;
    if (count > 0) return void held.set(path, count);
    held.delete(path);
    try {
      unlinkSync(path);
    } catch {}
  };
  const handle = { release, [Symbol.dispose]: release };
  if (!path) return handle;
  if (held.has(path)) {
    held.set(path, held.get(path)! + 1);
    return handle;
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid} ${(ownStart ??= startTime(process.pid)) || "-"} ${holder}\n`);
      closeSync(fd);
      held.set(path, 1);
      return handle;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let content = "";
    try {
      content = readFileSync(path, "utf8");
    } catch {
      continue; // released meanwhile
    }
    const [pid, started = "-", who = "another process"] = content.trim().split(" ");
    if (Number(pid) > 0 && alive(Number(pid), started === "-" ? "" : started)) throw new DeliveryBusyError(`${who} (pid ${pid}) is delivering to the store`);
    try {
      unlinkSync(path);
    } catch {}
  }
  throw new DeliveryBusyError("another process is delivering to the store");
}

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireDeliveryLock, DeliveryBusyError } from "./delivery-lock";

const dir = mkdtempSync(join(tmpdir(), "fitstack-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("delivery lock", () => {
  test("re-entrant within a process, released by the last holder", () => {
    const path = join(dir, "a.lock");
    const outer = acquireDeliveryLock(path, "import");
    const inner = acquireDeliveryLock(path, "deliver");
    expect(readFileSync(path, "utf8")).toStartWith(`${process.pid} `);
    inner.release();
    expect(existsSync(path)).toBe(true);
    outer.release();
    expect(existsSync(path)).toBe(false);
  });

  test("held by another live process: DeliveryBusyError naming it; left by a dead one or a reused pid: taken over", async () => {
    const path = join(dir, "b.lock");
    const other = Bun.spawn(["sleep", "30"]);
    try {
      const stat = readFileSync(`/proc/${other.pid}/stat`, "utf8");
      const started = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
      writeFileSync(path, `${other.pid} ${started} import\n`);
      expect(() => acquireDeliveryLock(path, "deliver")).toThrow(new DeliveryBusyError(`import (pid ${other.pid}) is delivering to the store`));
      // the same pid with another start time is another process: the holder is gone
      writeFileSync(path, `${other.pid} 1 import\n`);
      acquireDeliveryLock(path, "deliver").release();
    } finally {
      other.kill();
      await other.exited;
    }
    writeFileSync(path, `${other.pid} - import\n`);
    using lock = acquireDeliveryLock(path, "deliver");
    expect(readFileSync(path, "utf8")).toEndWith(" deliver\n");
  });
});

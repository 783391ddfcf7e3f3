// A clean VictoriaMetrics stop (SIGTERM), for outages that must keep VM's data: VM 1.79 loses samples it
// acknowledged in the last few seconds when SIGKILLed, even after /internal/force_flush.
import { readdirSync, readFileSync } from "node:fs";
import { waitFor } from "./process";
import type { VmProcess } from "./vm";

/** The pid of the VM that startVm() started for `vm`: the one listening on exactly its address. */
function vmPid(vm: VmProcess): number {
  const listen = `-httpListenAddr=${new URL(vm.url).host}`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("victoria-metrics") && argv.includes(listen)) return Number(entry);
    } catch {}
  }
  throw new Error(`no victoria-metrics process with ${listen}`);
}

function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? true;
  } catch {
    return true;
  }
}

/** SIGTERM, wait for VM to flush and exit, then let startVm's own handle reap it; vm.start() brings it back. */
export async function stopVmCleanly(vm: VmProcess): Promise<void> {
  const pid = vmPid(vm);
  process.kill(pid, "SIGTERM");
  await waitFor(() => gone(pid), 30_000, "VictoriaMetrics to exit after SIGTERM");
  await vm.kill();
}

// The store contract against a real VictoriaMetrics started with docker-compose.yml's flags.
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storeContract } from "../../src/store/store.contract";
import { VmStore } from "../../src/store/vm";
import { startVm, vmUnavailable, type VmProcess } from "../support/vm";

const skip = vmUnavailable();
let vm: VmProcess;
beforeAll(async () => {
  if (!skip) vm = await startVm();
});
afterAll(async () => {
  await vm?.stop();
});

storeContract(
  "VictoriaMetrics",
  skip
    ? null
    : {
        open: async (options) =>
          new VmStore({ writeUrl: vm.url, readUrl: vm.url, stateDir: mkdtempSync(join(tmpdir(), "fitstack-vmstate-")), ...options }),
        settle: () => vm.flush(),
      },
);

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportXml, heartRateRecords, makeZip } from "../../tests/support/export";
import { openExport } from "./source";
import { keepImport, keptImports } from "./stored";

const root = mkdtempSync(join(tmpdir(), "fitstack-stored-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("an export is kept once by its SHA-256; importing it again with an earlier --since widens what replay re-reads", async () => {
  const zip = join(root, "export.zip");
  const bytes = makeZip([{ name: "apple_health_export/export.xml", data: exportXml(heartRateRecords(1704067200, 3, 5, () => 90)) }]);
  await Bun.write(zip, bytes);
  const dataDir = join(root, "data");
  const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
  const options = { original: zip, user: "me", sourcePriority: ["Watch"] };
  const first = await keepImport(dataDir, await openExport(zip), { ...options, since: "2024-01-01" });
  expect(first).toMatchObject({ sha256, file: `${sha256}.zip`, since: "2024-01-01", user: "me" });
  await keepImport(dataDir, await openExport(zip), { ...options, since: "2024-06-01" });
  expect(keptImports(dataDir).map((k) => k.since)).toEqual(["2024-01-01"]);
  await keepImport(dataDir, await openExport(zip), options);
  expect(keptImports(dataDir).map((k) => k.since)).toEqual([undefined]);
  expect(readdirSync(join(dataDir, "imports")).sort()).toEqual([`${sha256}.json`, `${sha256}.zip`]);
  expect(await Bun.file(join(dataDir, "imports", `${sha256}.zip`)).bytes()).toEqual(bytes);
});

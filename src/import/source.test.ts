import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportXml, heartRateRecords, makeZip } from "../../tests/support/export";
import { NotAnExportError, openExport } from "./source";

const root = mkdtempSync(join(tmpdir(), "fitstack-source-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const XML = exportXml(heartRateRecords(1704067200, 3, 5, () => 90));
const CDA = '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"></ClinicalDocument>\n';

async function text(source: Awaited<ReturnType<typeof openExport>>) {
  const parts: Uint8Array[] = [];
  for await (const chunk of source.bytes()) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

describe("openExport finds the HealthKit XML by content", () => {
  test("the unzipped folder, with a localised name, the CDA copy, ECGs and routes beside it", async () => {
    const dir = join(root, "apple_health_export");
    mkdirSync(join(dir, "electrocardiograms"), { recursive: true });
    mkdirSync(join(dir, "workout-routes"), { recursive: true });
    await Bun.write(join(dir, "export_cda.xml"), CDA);
    await Bun.write(join(dir, "exportar.xml"), XML);
    await Bun.write(join(dir, "electrocardiograms", "ecg_2019-02-25.csv"), "Name,Ann\n");
    await Bun.write(join(dir, "workout-routes", "route_2020-02-24_10.18am.gpx"), "<gpx/>");
    const source = await openExport(root);
    expect({ name: source.name, kind: source.kind, notImported: source.notImported }).toEqual({
      name: join(dir, "exportar.xml"),
      kind: "xml",
      notImported: { electrocardiograms: 1, cda_document: 1, workout_routes: 1 },
    });
    expect(await text(source)).toBe(XML);
  });

  test("the bare XML, whatever its name", async () => {
    const path = join(root, "Export.xml");
    await Bun.write(path, XML);
    expect(await text(await openExport(path))).toBe(XML);
  });

  test("a ZIP64 zip whose first XML is the CDA document", async () => {
    const path = join(root, "z64.zip");
    await Bun.write(path, makeZip([{ name: "apple_health_export/export_cda.xml", data: CDA }, { name: "apple_health_export/eksport.xml", data: XML }], { zip64: true }));
    const source = await openExport(path);
    expect([source.name, source.xmlBytes, await text(source)]).toEqual([`${path}:apple_health_export/eksport.xml`, Buffer.byteLength(XML), XML]);
  });

  test("a zip or file without a HealthKit export is NotAnExportError", async () => {
    const cdaOnly = join(root, "cda.zip");
    await Bun.write(cdaOnly, makeZip([{ name: "apple_health_export/export_cda.xml", data: CDA }]));
    expect(openExport(cdaOnly)).rejects.toBeInstanceOf(NotAnExportError);
    const cdaXml = join(root, "cda.xml");
    await Bun.write(cdaXml, CDA);
    expect(openExport(cdaXml)).rejects.toBeInstanceOf(NotAnExportError);
    expect(openExport(join(root, "missing.zip"))).rejects.toThrow("no such file or folder");
  });
});

// PATH → the HealthKit XML inside it, found by content (its name is localised: export.xml, exportar.xml,
// 导出.xml …): an export.zip as the phone or a Mac makes it, the bare XML, or the unzipped folder.
import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { centralDirectory, entryBytes, localEntries, ZipError, type ZipEntry } from "./zip";

export interface ExportSource {
  /** Where the XML is: the file, or `zip:entry`. */
  name: string;
  kind: "zip" | "xml";
  /** The file holding it: the zip, or the XML itself. */
  path: string;
  /** Bytes of XML, or null when the zip does not say (cut short). */
  xmlBytes: number | null;
  /** Entries of the zip that are not imported, by kind (routes, ECGs, clinical records, …). */
  notImported: Record<string, number>;
  /** True when the zip had no central directory: it was read from its local headers. */
  truncatedZip: boolean;
  bytes(): AsyncGenerator<Uint8Array>;
}

/** Not a zip nor a HealthKit export: a usage problem (exit 2), not damage. */
export class NotAnExportError extends Error {}

const HEALTH_DATA = /<!DOCTYPE HealthData|<HealthData[\s>]/;
const SNIFF_BYTES = 4096;

export async function openExport(path: string): Promise<ExportSource> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new NotAnExportError(`${path}: no such file or folder`);
  }
  if (stat.isDirectory()) return openFolder(path);
  const head = new Uint8Array(await Bun.file(path).slice(0, SNIFF_BYTES).arrayBuffer());
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return openZip(path);
  if (isHealthXml(head)) return xmlFile(path, stat.size);
  throw new NotAnExportError(`${path} is neither a zip nor a HealthKit export (export.xml)`);
}

function isHealthXml(head: Uint8Array): boolean {
  return HEALTH_DATA.test(new TextDecoder().decode(head));
}

function xmlFile(path: string, size: number, notImported: Record<string, number> = {}): ExportSource {
  return {
    name: path,
    kind: "xml",
    path,
    xmlBytes: size,
    notImported,
    truncatedZip: false,
    async *bytes() {
      yield* Bun.file(path).stream();
    },
  };
}

async function openFolder(dir: string): Promise<ExportSource> {
  const notImported: Record<string, number> = {};
  let found: string | null = null;
  const walk = async (at: string, depth: number) => {
    for (const name of readdirSync(at).sort()) {
      const full = join(at, name);
      const stat = statSync(full);
      if (stat.isDirectory()) {
        if (depth < 3 && name !== "__MACOSX") await walk(full, depth + 1);
      } else if (!found && /\.xml$/i.test(name) && !name.startsWith("._") && isHealthXml(new Uint8Array(await Bun.file(full).slice(0, SNIFF_BYTES).arrayBuffer()))) {
        found = full;
      } else countNotImported(notImported, full);
    }
  };
  await walk(dir, 0);
  if (!found) throw new NotAnExportError(`${dir} holds no HealthKit export (no XML starting with <HealthData)`);
  return xmlFile(found, statSync(found).size, notImported);
}

async function openZip(path: string): Promise<ExportSource> {
  let entries: ZipEntry[] | null;
  try {
    entries = await centralDirectory(path);
  } catch (err) {
    if (err instanceof ZipError) entries = null;
    else throw err;
  }
  const truncatedZip = entries === null;
  entries ??= await localEntries(path);
  const notImported: Record<string, number> = {};
  let xml: ZipEntry | null = null;
  for (const entry of entries) {
    if (entry.name.endsWith("/")) continue;
    if (!xml && isCandidate(entry.name) && (await entryStartsHealthData(path, entry))) xml = entry;
    else if (xml !== entry) countNotImported(notImported, entry.name);
  }
  if (!xml) {
    if (truncatedZip && !entries.length) throw new NotAnExportError(`${path} is a damaged zip with no readable entry`);
    throw new NotAnExportError(`${path} holds no HealthKit export (no XML starting with <HealthData)`);
  }
  const entry = xml;
  return { name: `${path}:${entry.name}`, kind: "zip", path, xmlBytes: entry.size, notImported, truncatedZip, bytes: () => entryBytes(path, entry) };
}

/** An XML file that is not a Mac re-zip's AppleDouble copy (`__MACOSX/…/._export.xml`). */
function isCandidate(name: string): boolean {
  return /\.xml$/i.test(name) && !name.startsWith("__MACOSX/") && !basename(name).startsWith("._");
}

async function entryStartsHealthData(path: string, entry: ZipEntry): Promise<boolean> {
  const head: Uint8Array[] = [];
  let length = 0;
  try {
    for await (const chunk of entryBytes(path, entry)) {
      head.push(chunk);
      length += chunk.length;
      if (length >= SNIFF_BYTES) break;
    }
  } catch (err) {
    if (!(err instanceof ZipError)) throw err;
  }
  return isHealthXml(Buffer.concat(head).subarray(0, SNIFF_BYTES));
}

function countNotImported(counts: Record<string, number>, name: string) {
  const kind = name.startsWith("__MACOSX/")
    ? "mac_metadata"
    : /\.gpx$/i.test(name)
      ? "workout_routes"
      : /electrocardiograms\/|ecg_.*\.csv$/i.test(name)
        ? "electrocardiograms"
        : /clinical-records\//i.test(name)
          ? "clinical_records"
          : /export_cda\.xml$/i.test(name)
            ? "cda_document"
            : "other_files";
  counts[kind] = (counts[kind] ?? 0) + 1;
}

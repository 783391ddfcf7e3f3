// Imports kept under DATA_DIR/imports/: the raw log stays the source of truth for webhook posts, and these
// files (the export as given, named by its SHA-256, with a small manifest) are the source of truth for
// imports, so `replay` re-reads them. Disk cost: the size of what was imported (an export.zip: ~18 MB per
// million heart-rate records; a bare export.xml ~25× that, so import the zip).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import type { ExportSource } from "./source";

export interface ImportManifest {
  sha256: string;
  /** File name under DATA_DIR/imports/. */
  file: string;
  /** The path it was imported from (for the report). */
  original: string;
  user: string;
  since?: string;
  sourcePriority: string[];
  importedAt: string;
}

export const importsDir = (dataDir: string) => join(dataDir, "imports");

/**
 * Copies the file holding the export (the zip, or the XML of a bare file or a folder) into DATA_DIR/imports/
 * as <sha256><ext>, hashing while copying; an identical file already kept is not copied again.
 */
export async function keepImport(dataDir: string, source: ExportSource, manifest: Omit<ImportManifest, "sha256" | "file" | "importedAt">): Promise<ImportManifest> {
  const dir = importsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = source.path;
  const ext = source.kind === "zip" ? ".zip" : extname(path).toLowerCase() === ".xml" ? ".xml" : ".xml";
  const tmp = join(dir, `.incoming-${process.pid}${ext}`);
  const hasher = new Bun.CryptoHasher("sha256");
  const writer = Bun.file(tmp).writer();
  try {
    for await (const chunk of Bun.file(path).stream()) {
      hasher.update(chunk);
      writer.write(chunk);
      await writer.flush();
    }
    await writer.end();
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const sha256 = hasher.digest("hex");
  const file = `${sha256}${ext}`;
  if (existsSync(join(dir, file))) rmSync(tmp, { force: true });
  else renameSync(tmp, join(dir, file));
  const manifestPath = join(dir, `${sha256}.json`);
  const held = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, "utf8")) as ImportManifest) : null;
  // the same file imported again with an earlier --since (or none) brought more: replay must re-read that much
  const since = held ? (held.since === undefined || manifest.since === undefined ? undefined : held.since < manifest.since ? held.since : manifest.since) : manifest.since;
  const kept: ImportManifest = held ? { ...held, since } : { sha256, file, ...manifest, since, importedAt: new Date().toISOString() };
  if (!held || held.since !== since) writeFileSync(manifestPath, JSON.stringify(kept, null, 2) + "\n", { mode: 0o600 });
  return kept;
}

/** Every kept import, oldest first. */
export function keptImports(dataDir: string): ImportManifest[] {
  const dir = importsDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as ImportManifest)
    .filter((m) => existsSync(join(dir, m.file)))
    .sort((a, b) => a.importedAt.localeCompare(b.importedAt));
}

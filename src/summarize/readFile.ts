// Reads one export or raw-log file by the hook's streamed reader: a .json file is one document, an .ndjson file
// (the server's DATA_DIR/raw/*.ndjson or any one-payload-per-line file) one document per line, split as the
// raw log splits its lines.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { HttpError } from "../errors";
import { FileSource, memorySource, rawEntryFields, sliceSource, type ByteSource, type PieceSizes } from "../normalize/stream";
import { isRawEntry, ndjsonLines } from "../raw/rawlog";
import { FileAnalyzer } from "./analyzer";

export type FileFormat = "json" | "ndjson";

export interface ReadOptions {
  /** Unix seconds; timestamps after it are reported as future. */
  now: number;
  /** Smaller pieces than the reader's default (tests cross every boundary with them). */
  sizes?: PieceSizes;
  /** Called as bytes are read, with the bytes read since the last call. */
  onBytes?: (bytes: number) => void;
}

export function formatOf(path: string): FileFormat | null {
  if (/\.json$/i.test(path)) return "json";
  if (/\.(ndjson|jsonl)$/i.test(path)) return "ndjson";
  return null;
}

/** A file under DIR that summarize does not read, and why: the report lists it so it is not silently ignored. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** The files summarize reads under `root` (or `root` itself), sorted, as paths relative to `root`; and the others. */
export function listFiles(root: string): { files: string[]; skipped: SkippedFile[] } {
  if (statSync(root).isFile()) return { files: [""], skipped: [] };
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) continue;
    const path = relative(root, join(entry.parentPath, entry.name));
    if (entry.isFile() && formatOf(entry.name) !== null) files.push(path);
    else skipped.push({ path, reason: entry.isSymbolicLink() ? "a symbolic link (not followed)" : entry.isFile() ? "not .json, .ndjson or .jsonl" : "not a regular file" });
  }
  return { files: files.sort(), skipped: skipped.sort((a, b) => (a.path < b.path ? -1 : 1)) };
}

export async function readFile(path: string, format: FileFormat, options: ReadOptions): Promise<FileAnalyzer> {
  const analyzer = new FileAnalyzer(options.now, options.sizes);
  if (format === "json") {
    const file = new FileSource(path);
    try {
      const body = withoutBom(file);
      if (body.size === 0) analyzer.failed("", "empty file: no JSON value");
      else analyzer.document(reporting(body, options.onBytes), "");
    } finally {
      file.close();
    }
    return analyzer.finish();
  }
  let done = 0;
  for await (const { line, start, end, bytes, complete } of ndjsonLines(path)) {
    if (!bytes || !isBlank(bytes)) {
      // a line too big to hold is read from the file, as replay reads it
      const source = bytes ? null : new FileSource(path, start, complete ? end - 1 : end);
      try {
        const text = source ?? memorySource(bytes!);
        readLine(analyzer, line === 1 ? withoutBom(text) : text, `line ${line}`, complete);
      } finally {
        source?.close();
      }
    }
    options.onBytes?.(end - done);
    done = end;
  }
  return analyzer.finish();
}

/** A payload, or a raw-log entry whose body is the payload (recognised as the raw log recognises its lines). */
function readLine(analyzer: FileAnalyzer, line: ByteSource, where: string, complete: boolean): void {
  let entry: ReturnType<typeof rawEntryFields>;
  try {
    entry = rawEntryFields(line, !complete);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    // a last line without a newline, cut before any raw entry's body: what it holds up to the cut
    if (!complete) return analyzer.document(line, where, { incomplete: true });
    return analyzer.failed(where, err.message);
  }
  const { fields, body, keys } = entry;
  if (body && isRawEntry({ ...fields, body })) {
    // a raw log's last line cut by a crash: replay skips it, summarize reads it up to the cut
    analyzer.stats.rawEntries++;
    for (const key of keys) analyzer.member("", key);
    analyzer.document(body, where, { path: "body.", incomplete: !complete });
  } else analyzer.document(line, where, { incomplete: !complete });
}

/** The file as a source that tells how far reading has got: the reader goes over it twice (plan, then pieces). */
function reporting(file: ByteSource, onBytes?: (bytes: number) => void): ByteSource {
  if (!onBytes) return file;
  let read = 0;
  let told = 0;
  return {
    size: file.size,
    read(start, end, into) {
      read += end - start;
      const now = Math.min(file.size, Math.floor(read / 2));
      if (now > told) onBytes(now - told);
      told = Math.max(told, now);
      return file.read(start, end, into);
    },
  };
}

/** A UTF-8 byte-order mark is not JSON: it is skipped, as the hook skips it on a spooled body. */
function withoutBom(src: ByteSource): ByteSource {
  const head = src.read(0, Math.min(3, src.size));
  return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? sliceSource(src, 3, src.size) : src;
}

/** JSON whitespace only (a blank line between entries is not a document). */
function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 32 || b === 9 || b === 13 || b === 10);
}

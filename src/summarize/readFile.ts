// Reads one export or raw-log file as a stream of text: a .json file is one document, an .ndjson file
// (the server's DATA_DIR/raw/*.ndjson or any one-payload-per-line file) one document per line.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { FileAnalyzer } from "./analyzer";
import { JsonScanner } from "./jsonScanner";

export type FileFormat = "json" | "ndjson";

export interface ReadOptions {
  /** Unix seconds; timestamps after it are reported as future. */
  now: number;
  /** Documents up to this many characters are also normalised strictly (held whole as text). */
  strictLimitChars?: number;
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
  const analyzer = new FileAnalyzer(options.now);
  const scanner = new JsonScanner(analyzer, options.strictLimitChars);
  const decoder = new TextDecoder("utf-8", { ignoreBOM: false });
  let line = 1;
  analyzer.setLocation(format === "ndjson" ? "line 1: " : "");
  const feedLines = (text: string) => {
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      scanner.feed(text.slice(start, nl));
      scanner.endLine();
      start = nl + 1;
      analyzer.setLocation(`line ${++line}: `);
    }
    if (start < text.length) scanner.feed(text.slice(start));
  };
  for await (const chunk of Bun.file(path).stream()) {
    const text = decoder.decode(chunk, { stream: true });
    if (format === "ndjson") feedLines(text);
    else scanner.feed(text);
    options.onBytes?.(chunk.byteLength);
    if (format === "json" && scanner.failed) break; // the rest cannot be placed in the document
  }
  const rest = decoder.decode();
  if (format === "ndjson") feedLines(rest);
  else scanner.feed(rest);
  scanner.end();
  if (format === "json" && !scanner.failed && analyzer.stats.entries === 0) analyzer.error("empty file: no JSON value");
  return analyzer;
}

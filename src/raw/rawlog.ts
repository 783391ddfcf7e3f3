// Append-only NDJSON log of every accepted body: the source of truth every metric is rebuilt from.
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeSync, existsSync } from "node:fs";
import { join } from "node:path";

export interface RawEntry {
  id: string;
  receivedAt: string;
  user: string;
  /** HAE's automation-* and session-id headers, when sent. */
  headers?: Record<string, string>;
  body: unknown;
}

/** Where an entry sits on disk, so delivery can record how far it got (the crash-recovery cursor). */
export interface RawPosition {
  file: string;
  /** Byte offset just after the entry's newline. */
  end: number;
}

/** The raw log could not take an entry: nothing may be acknowledged. */
export class RawLogError extends Error {}

const FILE_RE = /^\d{4}-\d{2}-\d{2}\.ndjson$/;

export class RawLog {
  readonly dir: string;
  private fd: number | null = null;
  private fdFile = "";
  private size = 0;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "raw");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /**
   * Appends one entry and fsyncs it before returning. `body` is the request body exactly as received
   * (already checked to be valid JSON); JSON allows CR/LF only as whitespace, so they become spaces.
   */
  append(body: Uint8Array, meta: { id: string; receivedAt: Date; user: string; headers?: Record<string, string> }): RawPosition {
    const file = `${meta.receivedAt.toISOString().slice(0, 10)}.ndjson`;
    this.openFor(file);
    oneLine(body);
    const headers = meta.headers && Object.keys(meta.headers).length ? `"headers":${JSON.stringify(meta.headers)},` : "";
    const head = Buffer.from(`{"id":${JSON.stringify(meta.id)},"receivedAt":"${meta.receivedAt.toISOString()}","user":${JSON.stringify(meta.user)},${headers}"body":`);
    const parts = [head, body, Buffer.from("}\n")];
    const length = head.length + body.length + 2;
    try {
      for (const part of parts) {
        let written = 0;
        while (written < part.length) written += writeSync(this.fd!, part, written, part.length - written);
      }
      fsyncSync(this.fd!);
    } catch (err) {
      // disk full or gone: cut the partial line so the next entry starts on a clean line, then report
      try {
        ftruncateSync(this.fd!, this.size);
      } catch {}
      this.close();
      throw new RawLogError(`cannot write the raw log in ${this.dir}: ${(err as Error).message}`);
    }
    this.size += length;
    return { file, end: this.size };
  }

  /** Raw files in time order. */
  files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((name) => FILE_RE.test(name)).sort();
  }

  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private openFor(file: string) {
    if (this.fd !== null && this.fdFile === file) return;
    this.close();
    const path = join(this.dir, file);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new RawLogError(`cannot create ${this.dir}: ${(err as Error).message}`);
    }
    const isNew = !existsSync(path);
    try {
      this.fd = openSync(path, "a+", 0o600); // health data: the owner's only (umask may only narrow it)
    } catch (err) {
      throw new RawLogError(`cannot open ${path}: ${(err as Error).message}`);
    }
    this.fdFile = file;
    this.size = statSync(path).size;
    if (isNew) fsyncDir(this.dir);
    else if (this.size > 0 && !endsWithNewline(this.fd, this.size)) {
      // a crash cut the last entry: close its line so the next entry is not glued onto it
      this.size += writeSync(this.fd, "\n", this.size);
      fsyncSync(this.fd);
    }
  }
}

/** In place: in UTF-8, bytes 10 and 13 are only ever LF and CR, which valid JSON has only as whitespace. */
function oneLine(body: Uint8Array) {
  for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) body[i] = 32;
  for (let i = body.indexOf(13); i !== -1; i = body.indexOf(13, i + 1)) body[i] = 32;
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 10;
}

function fsyncDir(dir: string) {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface RawLine {
  file: string;
  line: number;
  /** Byte offset just after this line. */
  end: number;
  entry?: RawEntry;
  error?: string;
}

/**
 * Streams the lines of one raw file from a byte offset, without loading the whole file.
 * A line that is not a complete entry (corrupt, or cut by a crash) is yielded with `error`.
 */
export async function* readRawLines(dir: string, file: string, fromOffset = 0): AsyncGenerator<RawLine> {
  const stream = Bun.file(join(dir, file)).slice(fromOffset).stream();
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let offset = fromOffset;
  let line = 0;
  for await (const chunk of stream) {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, i);
      const bytes = pendingBytes ? concat([...pending, piece], pendingBytes + piece.length) : piece;
      offset += bytes.length + 1;
      line++;
      pending = [];
      pendingBytes = 0;
      yield parseRawLine(file, line, offset, decoder.decode(bytes));
      start = i + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.slice(start));
      pendingBytes += chunk.length - start;
    }
  }
  if (pendingBytes) {
    line++;
    yield { file, line, end: offset + pendingBytes, error: "incomplete last line (no newline): skipped" };
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function parseRawLine(file: string, line: number, end: number, text: string): RawLine {
  if (!text.trim()) return { file, line, end, error: "empty line" };
  try {
    const entry = JSON.parse(text) as RawEntry;
    if (!entry || typeof entry !== "object" || typeof entry.id !== "string" || typeof entry.user !== "string" || !("body" in entry)) {
      return { file, line, end, error: "not a raw entry (needs id, user, body)" };
    }
    return { file, line, end, entry };
  } catch (err) {
    return { file, line, end, error: `invalid JSON: ${(err as Error).message}` };
  }
}

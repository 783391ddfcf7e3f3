// Append-only NDJSON log of every accepted body: the source of truth every metric is rebuilt from.
import { closeSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync, existsSync } from "node:fs";
import { join } from "node:path";
import { FileSource, type ByteSource } from "../normalize/stream";

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

  private readonly spoolDir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "raw");
    this.spoolDir = join(dataDir, "spool");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /**
   * Appends one entry and fsyncs it before returning. `body` is the request body exactly as received
   * (already checked to be valid JSON); JSON allows CR/LF only as whitespace, so they become spaces (in place).
   */
  append(body: Uint8Array, meta: RawMeta): RawPosition {
    const file = this.begin(meta);
    const length = this.entryLength(body.length, meta);
    return this.guarded(length, () => {
      this.write(this.head(meta));
      this.write(oneLine(body));
      this.write(TAIL);
      fsyncSync(this.fd!);
      return { file, end: this.size + length };
    });
  }

  /**
   * append() for a spooled body: copied a window at a time with turns of the event loop in between, and
   * fsynced off the event loop, so a 150 MB body does not stall the server while it is written.
   */
  async appendSpooled(body: ByteSource, meta: RawMeta): Promise<RawPosition> {
    const file = this.begin(meta);
    const length = this.entryLength(body.size, meta);
    const fd = this.fd!;
    try {
      this.write(this.head(meta));
      const window = new Uint8Array(Math.min(COPY_BYTES, body.size));
      for (let at = 0; at < body.size; at += COPY_BYTES) {
        this.write(oneLine(body.read(at, Math.min(body.size, at + COPY_BYTES), window)));
        if (at % TURN_BYTES === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      this.write(TAIL);
      await fsyncOffLoop(fd);
    } catch (err) {
      this.cut(err);
    }
    this.size += length;
    return { file, end: this.size };
  }

  private begin(meta: RawMeta): string {
    const file = `${meta.receivedAt.toISOString().slice(0, 10)}.ndjson`;
    this.openFor(file);
    return file;
  }

  private head(meta: RawMeta): Buffer {
    const headers = meta.headers && Object.keys(meta.headers).length ? `"headers":${JSON.stringify(meta.headers)},` : "";
    return Buffer.from(`{"id":${JSON.stringify(meta.id)},"receivedAt":"${meta.receivedAt.toISOString()}","user":${JSON.stringify(meta.user)},${headers}"body":`);
  }

  private entryLength(bodyBytes: number, meta: RawMeta): number {
    return this.head(meta).length + bodyBytes + TAIL.length;
  }

  private guarded(length: number, write: () => RawPosition): RawPosition {
    let position: RawPosition;
    try {
      position = write();
    } catch (err) {
      this.cut(err);
    }
    this.size += length;
    return position!;
  }

  /** Disk full or gone: cuts the partial line so the next entry starts on a clean line, then reports. */
  private cut(err: unknown): never {
    try {
      ftruncateSync(this.fd!, this.size);
    } catch {}
    this.close();
    throw new RawLogError(`cannot write the raw log in ${this.dir}: ${(err as Error).message}`);
  }

  private write(part: Uint8Array) {
    let written = 0;
    while (written < part.length) written += writeSync(this.fd!, part, written, part.length - written);
  }

  /** A file to receive a body too big to hold in memory; the hook reads it back as a ByteSource. */
  spool(): Spool {
    mkdirSync(this.spoolDir, { recursive: true, mode: 0o700 });
    return new Spool(join(this.spoolDir, `${process.pid}-${crypto.randomUUID()}.json`));
  }

  /** Removes spooled bodies a process that is gone left behind (a crash while receiving). */
  clearSpool() {
    if (!existsSync(this.spoolDir)) return;
    for (const name of readdirSync(this.spoolDir)) {
      const pid = Number(name.split("-")[0]);
      if (pid === process.pid || !isAlive(pid)) rmSync(join(this.spoolDir, name), { force: true });
    }
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
function oneLine(body: Uint8Array): Uint8Array {
  for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) body[i] = 32;
  for (let i = body.indexOf(13); i !== -1; i = body.indexOf(13, i + 1)) body[i] = 32;
  return body;
}

/** Bytes copied into the log at a time from a spooled body, and between turns of the event loop. */
const COPY_BYTES = 1 << 20;
const TURN_BYTES = 16 * COPY_BYTES;
const TAIL = Buffer.from("}\n");

export type RawMeta = { id: string; receivedAt: Date; user: string; headers?: Record<string, string> };

function fsyncOffLoop(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A body being received into a file (0600), then read back; removed by discard(). */
export class Spool {
  private fd: number | null;
  private size = 0;
  private source: FileSource | null = null;

  constructor(readonly path: string) {
    this.fd = openSync(path, "w", 0o600);
  }

  write(chunk: Uint8Array) {
    let written = 0;
    while (written < chunk.length) written += writeSync(this.fd!, chunk, written, chunk.length - written, this.size + written);
    this.size += chunk.length;
  }

  /** The received bytes, without a UTF-8 byte-order mark (it is not JSON; the raw log holds what was parsed). */
  finish(): FileSource {
    closeSync(this.fd!);
    this.fd = null;
    const head = Buffer.alloc(3);
    const fd = openSync(this.path, "r");
    try {
      readSync(fd, head, 0, 3, 0);
    } finally {
      closeSync(fd);
    }
    const bom = this.size >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    return (this.source = new FileSource(this.path, bom ? 3 : 0, this.size));
  }

  get bytes(): number {
    return this.size;
  }

  discard() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.source?.close();
    rmSync(this.path, { force: true });
  }
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
  /** A line too big to hold (over `bigLine` bytes): read it from the file, bytes [start, end − 1). */
  big?: { path: string; start: number };
  error?: string;
}

/** A raw line longer than this is not read into memory by readRawLines: its reader streams it from the file. */
export const BIG_LINE_BYTES = 8 * 1024 * 1024;

/** One line of an NDJSON file. */
export interface NdjsonLine {
  line: number;
  /** Byte offsets: where the line starts, and just after its newline (or the file's end). */
  start: number;
  end: number;
  /** The line's bytes (without the newline); null for a line over `bigLine` bytes, to be read from the file. */
  bytes: Uint8Array | null;
  /** False for a last line without a newline. */
  complete: boolean;
}

/**
 * The lines of an NDJSON file from a byte offset, without loading the whole file, nor any line bigger than
 * `bigLine` bytes. The one line splitter: the raw log's reader below, and summarize's.
 */
export async function* ndjsonLines(path: string, fromOffset = 0, bigLine = BIG_LINE_BYTES): AsyncGenerator<NdjsonLine> {
  const stream = Bun.file(path).slice(fromOffset).stream();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let offset = fromOffset;
  let line = 0;
  for await (const chunk of stream) {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, i);
      const lineStart = offset;
      const length = pendingBytes + piece.length;
      offset += length + 1;
      const bytes = length > bigLine ? null : pendingBytes ? concat([...pending, piece], length) : piece;
      yield { line: ++line, start: lineStart, end: offset, bytes, complete: true };
      pending = [];
      pendingBytes = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      // past the limit only the count is kept: the line is read again from the file
      if (pendingBytes + chunk.length - start <= bigLine) pending.push(chunk.slice(start));
      else pending = [];
      pendingBytes += chunk.length - start;
    }
  }
  if (pendingBytes) {
    const bytes = pendingBytes > bigLine ? null : concat(pending, pendingBytes);
    yield { line: ++line, start: offset, end: offset + pendingBytes, bytes, complete: false };
  }
}

/**
 * Streams the lines of one raw file from a byte offset, without loading the whole file, nor any line
 * bigger than `bigLine` bytes (those come back as `big`, for a streaming reader).
 * A line that is not a complete entry (corrupt, or cut by a crash) is yielded with `error`.
 */
export async function* readRawLines(dir: string, file: string, fromOffset = 0, bigLine = BIG_LINE_BYTES): AsyncGenerator<RawLine> {
  const path = join(dir, file);
  const decoder = new TextDecoder();
  for await (const { line, start, end, bytes, complete } of ndjsonLines(path, fromOffset, bigLine)) {
    if (!complete) yield { file, line, end, error: "incomplete last line (no newline): skipped" };
    else if (!bytes) yield { file, line, end, big: { path, start } };
    else yield parseRawLine(file, line, end, decoder.decode(bytes));
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

export const RAW_ENTRY_NEEDS = "not a raw entry (needs id, receivedAt, user, body)";

/** What makes a parsed line (or a big line's small fields) a raw-log entry rather than a bare payload. */
export function isRawEntry(value: unknown): value is RawEntry {
  if (!value || typeof value !== "object") return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.id === "string" && typeof entry.receivedAt === "string" && typeof entry.user === "string" && "body" in entry;
}

function parseRawLine(file: string, line: number, end: number, text: string): RawLine {
  if (!text.trim()) return { file, line, end, error: "empty line" };
  try {
    const entry: unknown = JSON.parse(text);
    if (!isRawEntry(entry)) return { file, line, end, error: RAW_ENTRY_NEEDS };
    return { file, line, end, entry };
  } catch (err) {
    return { file, line, end, error: `invalid JSON: ${(err as Error).message}` };
  }
}

// A big body, normalized without ever holding it: one pass over its bytes finds where each metric's points,
// each workout and each sample lie, then those are parsed and normalized 512 KB at a time as small bodies of
// the same shape (heart-rate points read from their bytes by hae-points.ts). Memory is one read window and one
// piece, whatever the body's size; every byte is still checked (structure here, the pieces by JSON.parse or the
// heart-rate reader), and an error names the same field the whole body would.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { HttpError, invalidPayload } from "../errors";
import { MAX_JSON_DEPTH } from "../body";
import type { FixturePayload } from "./fixture";
import { normalizeFixtureBody } from "./index";
import { HAE_KEYS, heartRatePoint, metricName, normalizeHaeData, RECOVERY } from "./hae";
import { heartRateSamples } from "./hae-points";
import type { HeartRateSample, Normalized } from "./model";
import { isPointFault, observeItem, SeenDates, type DatedItems, type Observer } from "./observe";

/** Bytes addressed from 0 to `size`: a body in memory, or a spooled body or raw-log line on disk. */
export interface ByteSource {
  readonly size: number;
  /**
   * Bytes [start, end): a view of the source's own bytes, or read into `into` when it is big enough (a buffer the
   * caller reuses, so a file read a window at a time does not leave a trail of buffers for the collector).
   */
  read(start: number, end: number, into?: Uint8Array): Uint8Array;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (start, end) => bytes.subarray(start, end) };
}

/** Part of a file, read with pread; close() when done. */
export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | null;

  constructor(
    readonly path: string,
    private readonly offset = 0,
    end?: number,
  ) {
    this.fd = openSync(path, "r");
    this.size = (end ?? fstatSync(this.fd).size) - offset;
  }

  read(start: number, end: number, into?: Uint8Array): Uint8Array {
    const out = into && into.length >= end - start ? into.subarray(0, end - start) : Buffer.allocUnsafe(end - start);
    let done = 0;
    while (done < out.length) {
      const n = readSync(this.fd!, out, done, out.length - done, this.offset + start + done);
      if (n === 0) throw new Error(`${this.path} ended before byte ${this.offset + start + done}`);
      done += n;
    }
    return out;
  }

  close() {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Bytes of one piece normalized and handed on together: ~5 k heart-rate points, ~2.5 k workouts. */
const PIECE_BYTES = 512 * 1024;
/**
 * Bytes handed to one JSON.parse (a piece is parsed in runs of this size): small strings reuse the same memory,
 * where a 512 KB one is fresh pages each time (bench/results.md "Reading a big body").
 */
const PARSE_BYTES = 32 * 1024;
/** Bytes read from a file at a time while scanning. */
const WINDOW_BYTES = 4 << 20;
/**
 * The most one item (a point, a workout, a sample, a field) or a sleep metric's points (parsed together) may take:
 * memory stays flat in the body's size only if no single part of it is huge. A workout with 10 hours of
 * per-second heart rate is ~4 MB; three years of sleep segments ~3 MB.
 */
export const MAX_ITEM_BYTES = 32 << 20;

const tooBig = (what: string, limit: number) =>
  new HttpError(413, "item_too_large", `${what} is larger than ${limit} bytes: a body is read a piece at a time, and no one piece may be that big`);

/** Smaller sizes than the defaults make tests cross every boundary. */
export interface PieceSizes {
  pieceBytes?: number;
  /** At most pieceBytes. */
  parseBytes?: number;
  windowBytes?: number;
  maxItemBytes?: number;
}

/**
 * What summarize asks of the reader beyond the hook's all or nothing: a bad item (point, workout, sample) is
 * reported and left out instead of ending the body; a body cut short yields the items before the cut, then
 * throws; with an observer, what the reader sees is told as it reads (normalize/observe.ts).
 */
export interface Lenient {
  /** `point`: the fault is a point's (a metric's point, a fixture's sample, a workout's heart rate), not a record's or around the items. */
  onBadItem(err: HttpError, point: boolean): void;
  observer?: Observer;
}

const invalidJson = (reason: string) => new HttpError(400, "invalid_json", `body is not valid JSON: ${reason}`);
const tooDeep = () => new HttpError(400, "too_deep", `body is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);

// ---------------------------------------------------------------------------------------------
// The scan: a map of the body down to the arrays that may be big, everything else as byte ranges.
// ---------------------------------------------------------------------------------------------

/** A run of whole array elements [first, first + count), bytes [start, end) without the brackets: one JSON.parse. */
interface Piece {
  start: number;
  end: number;
  first: number;
  count: number;
}

type Plan =
  | { kind: "value"; start: number; end: number }
  | { kind: "object"; keys: [string, Plan][] }
  | { kind: "pieces"; pieces: Piece[] }
  | { kind: "elements"; items: Plan[] };

/** Where to look inside: an object's keys ("*" = any other key), or an array split into pieces or walked element by element. */
interface Rule {
  keys?: Record<string, Rule>;
  pieces?: boolean;
  elements?: Rule;
  /** A value kept as a byte range whatever its size (a raw line's body, read on as a source of its own). */
  whole?: boolean;
}

const PIECES: Rule = { pieces: true };
const BODY: Rule = {
  keys: {
    // HAE: each metric's points, the workouts and any other array under data
    data: { keys: { metrics: { elements: { keys: { data: PIECES } } }, "*": PIECES } },
    // our fixture shape
    samples: PIECES,
  },
};

class Scanner {
  private buf: Uint8Array = new Uint8Array(0);
  private base = 0;
  pos = 0;

  private readonly parseBytes: number;
  private readonly windowBytes: number;
  private readonly maxItemBytes: number;
  /** With keepCut: why the body ended early, once the arrays planned so far are closed (summarize). */
  cut: HttpError | null = null;
  private atEnd = false;

  constructor(
    private readonly src: ByteSource,
    sizes: PieceSizes = {},
    private readonly keepCut = false,
  ) {
    this.parseBytes = Math.min(sizes.parseBytes ?? PARSE_BYTES, sizes.pieceBytes ?? PIECE_BYTES);
    this.windowBytes = sizes.windowBytes ?? WINDOW_BYTES;
    this.maxItemBytes = sizes.maxItemBytes ?? MAX_ITEM_BYTES;
  }

  private window: Uint8Array | undefined;

  private fill(at: number) {
    this.base = at;
    this.window ??= new Uint8Array(Math.min(this.windowBytes, this.src.size));
    this.buf = this.src.read(at, Math.min(this.src.size, at + this.windowBytes), this.window);
  }

  private byteAt(at: number): number {
    if (at >= this.src.size) return -1;
    if (at < this.base || at >= this.base + this.buf.length) this.fill(at);
    return this.buf[at - this.base]!;
  }

  /** The next byte that is not JSON whitespace (pos moves onto it), or -1 at the end. */
  next(): number {
    for (;;) {
      const b = this.byteAt(this.pos);
      if (b !== 32 && b !== 10 && b !== 13 && b !== 9) return b;
      this.pos++;
    }
  }

  expect(byte: number, what: string) {
    if (this.next() !== byte) throw invalidJson(`expected ${what} at byte ${this.pos}`);
    this.pos++;
  }

  /** Skips one value starting at pos, checking brackets, strings and depth; returns its end. */
  skipValue(depth: number): number {
    const size = this.src.size;
    let p = this.pos;
    const first = this.byteAt(p);
    if (first === -1) throw this.ended();
    if (first !== 34 && first !== 123 && first !== 91) {
      // a number, true, false or null: up to the next delimiter (JSON.parse of the piece checks its spelling)
      while (p < size) {
        const b = this.byteAt(p);
        if (b === 44 || b === 93 || b === 125 || b === 32 || b === 10 || b === 13 || b === 9) break;
        p++;
      }
      if (p === this.pos) throw invalidJson(`unexpected "${String.fromCharCode(first)}" at byte ${p}`);
      return (this.pos = p);
    }
    // i indexes the window (buf from byte base); most bytes are inside strings, skipped by the inner loop
    let { buf, base } = this;
    let i = p - base;
    let n = buf.length;
    let level = 0;
    let inString = false;
    let escaped = false;
    for (;;) {
      if (i >= n) {
        if (base + i >= size) throw this.ended();
        this.fill(base + i);
        ({ buf, base } = this);
        i = 0;
        n = buf.length;
      }
      if (escaped) {
        escaped = false;
        i++;
      } else if (inString) {
        let c = buf[i]!;
        while (c !== 34 && c !== 92 && ++i < n) c = buf[i]!;
        if (i === n) continue;
        i++;
        if (c === 92) escaped = true;
        else {
          inString = false;
          if (level === 0) return (this.pos = base + i);
        }
      } else {
        const b = buf[i++]!;
        if (b === 34) inString = true;
        else if (b === 123 || b === 91) {
          if (++level + depth > MAX_JSON_DEPTH) throw tooDeep();
        } else if (b === 125 || b === 93) {
          if (--level === 0) return (this.pos = base + i);
        }
      }
    }
  }

  private ended(): HttpError {
    this.atEnd = true;
    return invalidJson("unexpected end of body");
  }

  /** Plans the value at pos; yields after each piece it closes, so a caller can let other work run. */
  *plan(rule: Rule | undefined, depth: number): Generator<void, Plan> {
    const b = this.next();
    if (b === 123 && rule?.keys) return yield* this.object(rule.keys, depth);
    if (b === 91 && rule?.pieces) return yield* this.pieces(depth);
    if (b === 91 && rule?.elements) return yield* this.elements(rule.elements, depth);
    const start = this.pos;
    let end: number;
    try {
      end = this.skipValue(depth);
    } catch (err) {
      // a raw line cut inside its body: the body up to the cut, read on by its own reader (summarize)
      if (!rule?.whole || !this.keepCut || !this.atEnd || !(err instanceof HttpError)) throw err;
      this.cut = err;
      return { kind: "value", start, end: this.src.size };
    }
    if (end - start > this.maxItemBytes && !rule?.whole) throw tooBig(`a value at byte ${start}`, this.maxItemBytes);
    return { kind: "value", start, end };
  }

  private *object(rules: Record<string, Rule>, depth: number): Generator<void, Plan> {
    if (depth + 1 > MAX_JSON_DEPTH) throw tooDeep();
    this.pos++;
    const keys: [string, Plan][] = [];
    if (this.next() === 125) {
      this.pos++;
      return { kind: "object", keys };
    }
    for (;;) {
      if (this.next() !== 34) throw invalidJson(`expected a key at byte ${this.pos}`);
      const keyStart = this.pos;
      const key = parsePiece(this.src, keyStart, this.skipValue(depth + 1)) as string;
      this.expect(58, '":"');
      keys.push([key, yield* this.plan(rules[key] ?? rules["*"], depth + 1)]);
      if (this.cut) return { kind: "object", keys };
      const b = this.next();
      this.pos++;
      if (b === 125) return { kind: "object", keys };
      if (b !== 44) throw invalidJson(`expected "," or "}" at byte ${this.pos - 1}`);
    }
  }

  private *elements(rule: Rule, depth: number): Generator<void, Plan> {
    const items: Plan[] = [];
    for (let more = this.openArray(depth); more; more = !this.cut && this.nextItem()) items.push(yield* this.plan(rule, depth + 1));
    return { kind: "elements", items };
  }

  private *pieces(depth: number): Generator<void, Plan> {
    const pieces: Piece[] = [];
    let piece: Piece | null = null;
    let index = 0;
    try {
      for (let more = this.openArray(depth); more; more = this.nextItem()) {
        const start = this.pos;
        const end = this.skipValue(depth + 1);
        if (end - start > this.maxItemBytes) throw tooBig(`item ${index} of the array at byte ${start}`, this.maxItemBytes);
        if (!piece) pieces.push((piece = { start, end, first: index, count: 0 }));
        piece.end = end;
        piece.count++;
        index++;
        if (piece.end - piece.start >= this.parseBytes) {
          piece = null;
          yield;
        }
      }
    } catch (err) {
      // the body ends inside this array: its whole items are kept, and every enclosing value closes here
      if (!this.keepCut || !(this.atEnd || this.next() === -1) || !(err instanceof HttpError)) throw err;
      this.cut = err;
    }
    return { kind: "pieces", pieces };
  }

  /** Steps into the array at pos: true when it has a first element (pos on it). */
  private openArray(depth: number): boolean {
    if (depth + 1 > MAX_JSON_DEPTH) throw tooDeep();
    this.pos++;
    if (this.next() === 93) {
      this.pos++;
      return false;
    }
    return true;
  }

  /** Steps past an element: true when another follows (pos on it), false past the closing bracket. */
  private nextItem(): boolean {
    const b = this.next();
    this.pos++;
    if (b === 93) return false;
    if (b !== 44) throw invalidJson(`expected "," or "]" at byte ${this.pos - 1}`);
    this.next();
    return true;
  }
}

/** Reused for each parse: a piece's bytes as read, after a "[" (and before a "]") when they are a run of elements. */
let parseBuffer = new Uint8Array(PARSE_BYTES * 2);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * JSON.parse of bytes [start, end), wrapped in brackets when they are a run of elements, decoded as a whole body is
 * (app.ts). Decoding natively costs less than escaping non-ASCII to keep one-byte strings, as this did before (HAE
 * writes "Ana’s Apple Watch" in every point): bench/results.md "Reading a big body".
 */
function parsePiece(src: ByteSource, start: number, end: number, asArray = false): unknown {
  const length = end - start;
  if (parseBuffer.length < length + 2) parseBuffer = new Uint8Array(length + 2);
  const into = parseBuffer.subarray(1, length + 1);
  const bytes = src.read(start, end, into);
  if (bytes.buffer !== into.buffer || bytes.byteOffset !== into.byteOffset) into.set(bytes);
  parseBuffer[0] = 91;
  parseBuffer[length + 1] = 93;
  let text: string;
  try {
    text = utf8.decode(asArray ? parseBuffer.subarray(0, length + 2) : into);
  } catch {
    throw invalidJson("not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidJson((err as Error).message);
  }
}

/** Plans the whole body: structure and depth are checked here, so a bad body is refused before any piece is used. */
function* planBody(src: ByteSource, sizes: PieceSizes, keepCut = false): Generator<void, { plan: Plan; cut: HttpError | null }> {
  const scanner = new Scanner(src, sizes, keepCut);
  const plan = yield* scanner.plan(BODY, 0);
  // a body that is not an object is refused anyway: first say what is wrong with it (`<html>`, `not json`)
  if (plan.kind === "value") parsePiece(src, plan.start, plan.end);
  if (!scanner.cut && scanner.next() !== -1) throw invalidJson(`unexpected data after the body at byte ${scanner.pos}`);
  return { plan, cut: scanner.cut };
}

// ---------------------------------------------------------------------------------------------
// Pieces → Normalized: each piece is a small body of the same shape, normalized by the same code
// as a whole body, with its error paths moved to where the piece sits in the big one.
// ---------------------------------------------------------------------------------------------

/** The value a plan stands for, parsed whole (for the parts that are small, or must be whole). */
function valueOf(src: ByteSource, plan: Plan): unknown {
  switch (plan.kind) {
    case "value":
      return parsePiece(src, plan.start, plan.end);
    case "object": {
      const out: Record<string, unknown> = {};
      // defineProperty: a key such as "__proto__" stays a plain key, as JSON.parse leaves it
      for (const [key, value] of plan.keys) Object.defineProperty(out, key, { value: valueOf(src, value), enumerable: true, writable: true, configurable: true });
      return out;
    }
    case "pieces":
      return plan.pieces.flatMap((piece) => parsePiece(src, piece.start, piece.end, true) as unknown[]);
    case "elements":
      return plan.items.map((item) => valueOf(src, item));
  }
}

/** The last value given for `key` (as JSON.parse keeps it). */
function keyOf(plan: Plan, key: string): Plan | undefined {
  if (plan.kind !== "object") return undefined;
  for (let i = plan.keys.length - 1; i >= 0; i--) if (plan.keys[i]![0] === key) return plan.keys[i]![1];
  return undefined;
}

/** The distinct keys in order, each with its last value (as JSON.parse keeps them); a value given again is still checked. */
function lastValues(src: ByteSource, plan: Plan & { kind: "object" }): [string, Plan][] {
  const seen = new Map<string, Plan>();
  for (const [key, value] of plan.keys) {
    const before = seen.get(key);
    if (before) valueOf(src, before);
    seen.set(key, value);
  }
  return [...seen];
}

/** A run's parsed elements and its size, or the whole value when it was not planned as runs of elements. */
function* runs(src: ByteSource, plan: Plan): Generator<{ items: unknown; first: number; bytes: number }> {
  if (plan.kind !== "pieces") {
    yield { items: valueOf(src, plan), first: 0, bytes: bytesOf(plan) };
    return;
  }
  if (!plan.pieces.length) yield { items: [], first: 0, bytes: 0 };
  for (const piece of plan.pieces) yield { items: parsePiece(src, piece.start, piece.end, true), first: piece.first, bytes: piece.end - piece.start };
}

/** Bytes a plan covers (about: the keys and separators of an object are left out). */
function bytesOf(plan: Plan): number {
  switch (plan.kind) {
    case "value":
      return plan.end - plan.start;
    case "object":
      return plan.keys.reduce((sum, [, value]) => sum + bytesOf(value), 0);
    case "pieces":
      return plan.pieces.reduce((sum, piece) => sum + piece.end - piece.start, 0);
    case "elements":
      return plan.items.reduce((sum, item) => sum + bytesOf(item), 0);
  }
}

/** A run normalized, and the bytes it came from. */
interface Part {
  out: Normalized;
  bytes: number;
}

/**
 * Parts joined into pieces of ~`pieceBytes`: each run is normalized on its own (its objects die young, which is
 * measurably cheaper than normalizing 512 KB at once), while the caller's work per piece stays what it was. Only
 * runs of one array are joined, so a piece's `at` (its first run's) still says where its items begin.
 */
function* joined(parts: Iterable<Part>, pieceBytes: number): Generator<Normalized> {
  let piece: Normalized | null = null;
  let bytes = 0;
  for (const part of parts) {
    if (piece && piece.at?.items !== part.out.at?.items) {
      yield piece;
      piece = null;
      bytes = 0;
    }
    if (piece) addTo(piece, part.out);
    else piece = part.out;
    bytes += part.bytes;
    if (bytes >= pieceBytes) {
      yield piece;
      piece = null;
      bytes = 0;
    }
  }
  if (piece) yield piece;
}

function addTo(piece: Normalized, part: Normalized) {
  for (const sample of part.heartRate) piece.heartRate.push(sample);
  for (const gauge of part.gauges) piece.gauges.push(gauge);
  for (const night of part.sleep) piece.sleep.push(night);
  for (const workout of part.workouts) piece.workouts.push(workout);
  addCounts(piece.ignored, part.ignored);
  if (part.invalid) addCounts((piece.invalid ??= {}), part.invalid);
}

function addCounts(into: Record<string, number>, from: Record<string, number>) {
  for (const [key, count] of Object.entries(from)) {
    // defineProperty: a key such as "__proto__" from the body stays a plain counter
    Object.defineProperty(into, key, { value: (Object.hasOwn(into, key) ? into[key]! : 0) + count, enumerable: true, writable: true, configurable: true });
  }
}

/** Where a piece sits in the body: an error path starting `from` + index is moved to `to` + (first + index). */
type Move = [from: string, to: string, first: number];

/** Runs `normalize`, moving an error's path from the piece to the body by the first move that applies. */
function placed<T>(normalize: () => T, ...moves: Move[]): T {
  try {
    return normalize();
  } catch (err) {
    if (!(err instanceof HttpError) || !err.field) throw err;
    for (const [from, to, first] of moves) {
      const match = prefixPattern(from).exec(err.field);
      if (!match) continue;
      const item = `${to}${first + Number(match[1])}]`;
      // the message names the item (or a field of it) by the same prefix
      throw new HttpError(err.status, err.code, err.message.split(match[0]).join(item), item + err.field.slice(match[0].length), err.headers);
    }
    throw err;
  }
}

const prefixPattern = (from: string) => new RegExp(`^${from.replace(/[.[\]]/g, "\\$&")}(\\d+)\\]`);

/**
 * Normalizes a body from its bytes a piece at a time. The whole body's structure is checked first (400),
 * then each piece is parsed and normalized (400 / 422 at the first bad one, named as in the whole body).
 * Each piece says where its items sit (`at`). With `lenient` (summarize), bad items are left out instead.
 */
export function* normalizedPieces(src: ByteSource, sizes: PieceSizes = {}, lenient?: Lenient): Generator<Normalized | null> {
  const planning = planBody(src, sizes, !!lenient);
  let step = planning.next();
  // null: still planning, nothing to merge yet (a moment for the caller to let other work run)
  for (; !step.done; step = planning.next()) yield null;
  const { plan, cut } = step.value;
  const data = keyOf(plan, "data");
  const observer = lenient?.observer;
  if (observer && plan.kind === "object") for (const [key] of plan.keys) observer.member("", key);
  if (observer && data?.kind === "object") for (const [key] of data.keys) observer.member("data", key);
  // summarize (lenient) takes each run as it comes: its items are named one by one
  const pieceBytes = lenient ? 0 : (sizes.pieceBytes ?? PIECE_BYTES);
  if (data?.kind === "object" && (data.keys.length === 0 || data.keys.some(([key]) => HAE_KEYS.includes(key)))) {
    observer?.shape("hae");
    yield* joined(haePieces(src, data, sizes.maxItemBytes ?? MAX_ITEM_BYTES, lenient), pieceBytes);
  } else if (plan.kind === "object" && plan.keys.some(([key]) => key === "samples" || key === "type")) {
    observer?.shape("fixture");
    yield* joined(fixturePieces(src, plan, lenient), pieceBytes);
  } else {
    // the same answer as for a small body of this kind (valid JSON is not checked further: it is refused anyway)
    throw cut ?? invalidPayload('unrecognised payload: expected {"type":"heart_rate","samples":[…]} or a Health Auto Export {"data":{…}} body');
  }
  if (cut) throw cut;
}

/** An array split into runs: its path, how a run of its items is normalized and placed, which dates its items carry. */
interface RunOf {
  path: string;
  normalize: (items: unknown[]) => Normalized;
  moves: (first: number) => Move[];
  dated?: DatedItems;
}

/**
 * One run normalized, placed and marked with where it sits. With `lenient`, a run that fails is normalized again
 * an item at a time: each bad item is reported and left out (a fault outside the items ends the run). An observer
 * is told of each item after it was normalized, with the dates the normalizer parsed.
 */
function* normalizedRun(run: RunOf, items: unknown, first: number, bytes: number, lenient?: Lenient): Generator<Part> {
  const observer = run.dated && lenient?.observer;
  const seen = observer ? new SeenDates() : null;
  const normalize = (some: unknown[], at: number) => {
    const go = () => placed(() => run.normalize(some), ...run.moves(at));
    return seen ? seen.watching(go) : go();
  };
  const observe = (item: unknown, at: number, recovery?: boolean) => observer && observeItem(observer, run.dated!, run.path, at, item, seen!, recovery);
  // observed, each workout is normalized on its own: its heart rate is a series of its own, its recovery series told
  if (!(observer && run.dated === "workouts" && Array.isArray(items))) {
    try {
      const out = normalize(items as unknown[], first);
      if (observer && Array.isArray(items)) items.forEach((item, i) => observe(item, first + i));
      yield { out: { ...out, at: { items: run.path, first } }, bytes };
      return;
    } catch (err) {
      if (!lenient || !(err instanceof HttpError) || !Array.isArray(items)) throw err;
      // no item to blame: the fault is around them (a fixture's type), reported once
      if (!items.length) return lenient.onBadItem(err, false);
    }
  }
  for (const [i, item] of (items as unknown[]).entries()) {
    let one: Normalized;
    try {
      one = normalize([item], first + i);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const own = !!err.field?.startsWith(`${run.path}[${first + i}]`);
      lenient!.onBadItem(err, own && isPointFault(run.dated, err.field!));
      observe(item, first + i);
      if (own) continue;
      // the rest are still counted as written (the normalizer read none of their dates)
      (items as unknown[]).slice(i + 1).forEach((rest, k) => observe(rest, first + i + 1 + k));
      return;
    }
    observe(item, first + i, Object.hasOwn(one.ignored, RECOVERY));
    yield { out: { ...one, at: { items: run.path, first: first + i } }, bytes: 0 };
  }
}

function* haePieces(src: ByteSource, data: Plan & { kind: "object" }, maxItemBytes: number, lenient?: Lenient): Generator<Part> {
  if (!data.keys.length) yield { out: normalizeHaeData({}), bytes: 0 };
  for (const [key, value] of lastValues(src, data)) {
    if (key === "metrics" && value.kind === "elements") {
      for (const [i, metric] of value.items.entries()) yield* metricPieces(src, metric, i, maxItemBytes, lenient);
      continue;
    }
    const at = `data.${key}[`;
    const run: RunOf = { path: `data.${key}`, normalize: (items) => normalizeHaeData({ [key]: items }), moves: (first) => [[at, at, first]] };
    if (key === "workouts") run.dated = "workouts";
    for (const { items, first, bytes } of runs(src, value)) yield* normalizedRun(run, items, first, bytes, lenient);
  }
}

function* metricPieces(src: ByteSource, metric: Plan, index: number, maxItemBytes: number, lenient?: Lenient): Generator<Part> {
  const points = keyOf(metric, "data");
  const to = `data.metrics[${index}]`;
  // the metric's other fields, parsed once (each is small); its points a piece at a time
  const observer = lenient?.observer;
  const fields: Record<string, unknown> = {};
  if (metric.kind === "object" && (points || observer)) for (const [key, value] of lastValues(src, metric)) if (key !== "data") fields[key] = valueOf(src, value);
  if (observer && metric.kind === "object") {
    for (const [key] of metric.keys) observer.member("data.metrics[]", key);
    observer.metric(`${to}.data`, typeof fields.name === "string" ? metricName(fields.name) : null, fields.units);
  }
  if (metric.kind !== "object" || !points) {
    const run: RunOf = { path: "data.metrics", normalize: (metrics) => normalizeHaeData({ metrics }), moves: (first) => [["data.metrics[", "data.metrics[", first]] };
    yield* normalizedRun(run, [valueOf(src, metric)], index, bytesOf(metric), lenient);
    return;
  }
  // a night is built from all of its segments, so sleep's points stay together (a few MB for years of nights)
  const whole = typeof fields.name === "string" && metricName(fields.name) === "sleep_analysis";
  if (whole && points.kind === "pieces" && points.pieces.length && points.pieces.at(-1)!.end - points.pieces[0]!.start > maxItemBytes) {
    throw tooBig(`${to}.data (sleep segments, read together)`, maxItemBytes);
  }
  const pieces = whole ? [{ items: valueOf(src, points), first: 0, bytes: bytesOf(points) }] : runs(src, points);
  const run: RunOf = {
    path: `${to}.data`,
    normalize: (data) => normalizeHaeData({ metrics: [{ ...fields, data }] }),
    moves: (first) => [["data.metrics[0].data[", `${to}.data[`, first], ["data.metrics[", "data.metrics[", index]],
    dated: "points",
  };
  // heart rate read from the bytes (summarize reads the dates' offsets too, so it takes the parsed points)
  if (!lenient && points.kind === "pieces" && metricName(String(fields.name)) === "heart_rate" && accepts(() => run.normalize([]))) {
    for (const piece of points.pieces) {
      const samples = heartRatePiece(src, piece);
      const bytes = piece.end - piece.start;
      // as any other run when the reader gives up on it: then the same answer, or the same error
      if (!samples) yield* normalizedRun(run, parsePiece(src, piece.start, piece.end, true), piece.first, bytes);
      else yield { out: { shape: "hae", heartRate: samples, gauges: [], sleep: [], workouts: [], ignored: {}, at: { items: run.path, first: piece.first } }, bytes };
    }
    return;
  }
  for (const { items, first, bytes } of pieces) yield* normalizedRun(run, items, first, bytes, lenient);
}

function accepts(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

/** A heart-rate run read from its bytes (normalize/hae-points.ts), or null when anything in it was refused. */
function heartRatePiece(src: ByteSource, piece: Piece): HeartRateSample[] | null {
  const length = piece.end - piece.start;
  if (parseBuffer.length < length) parseBuffer = new Uint8Array(length);
  const bytes = src.read(piece.start, piece.end, parseBuffer.subarray(0, length));
  try {
    // a point the reader leaves alone is parsed and normalized on its own; if that refuses it, so will the run
    return heartRateSamples(bytes, (point, i) => heartRatePoint(JSON.parse(utf8.decode(point)), "", i));
  } catch {
    return null;
  }
}

function* fixturePieces(src: ByteSource, plan: Plan & { kind: "object" }, lenient?: Lenient): Generator<Part> {
  const fields: Record<string, unknown> = {};
  let samples: Plan | undefined;
  for (const [key, value] of lastValues(src, plan)) {
    if (key === "samples") samples = value;
    else fields[key] = valueOf(src, value);
  }
  if (!samples) {
    yield { out: normalizeFixtureBody(fields as FixturePayload), bytes: 0 };
    return;
  }
  const run: RunOf = { path: "samples", normalize: (items) => normalizeFixtureBody({ ...fields, samples: items } as FixturePayload), moves: (first) => [["samples[", "samples[", first]], dated: "samples" };
  lenient?.observer?.metric("samples", "heart_rate", undefined);
  for (const { items, first, bytes } of runs(src, samples)) yield* normalizedRun(run, items, first, bytes, lenient);
}

/** Bytes [start, end) of another source. */
export function sliceSource(src: ByteSource, start: number, end: number): ByteSource {
  return { size: end - start, read: (a, b, into) => src.read(start + a, start + b, into) };
}

/**
 * A raw-log line too big to hold: its small fields parsed, its body left as a source for normalizedPieces; `keys`
 * its member names as written. Throws (400) when the line is not a JSON object. With `keepCut` (summarize), a line
 * cut inside its body gives the body up to the cut (its reader then says where it ends).
 */
export function rawEntryFields(src: ByteSource, keepCut = false): { fields: Record<string, unknown>; body: ByteSource | null; keys: string[] } {
  const scanner = new Scanner(src, {}, keepCut);
  const planning = scanner.plan({ keys: { body: { whole: true } } }, 0);
  let step = planning.next();
  while (!step.done) step = planning.next();
  const plan = step.value;
  if (!scanner.cut && scanner.next() !== -1) throw invalidJson(`unexpected data after the entry at byte ${scanner.pos}`);
  if (plan.kind !== "object") throw invalidJson("not an object");
  const fields: Record<string, unknown> = {};
  let body: ByteSource | null = null;
  for (const [key, value] of lastValues(src, plan)) {
    if (key === "body" && value.kind === "value") body = sliceSource(src, value.start, value.end);
    else fields[key] = valueOf(src, value);
  }
  return { fields, body, keys: plan.keys.map(([key]) => key) };
}

/**
 * Runs the reader once over a small made-up body (~0.2 MB, ~30 ms): the scan and the transcoding loops are then
 * compiled before the first real backfill, which otherwise runs them cold (a year of per-minute heart rate:
 * 1.0 s → 0.68 s of CPU, measured).
 */
export function warmUp(): void {
  const points = Array.from({ length: 2000 }, (_, i) => {
    const second = String(i % 60).padStart(2, "0");
    const minute = String(Math.floor(i / 60) % 60).padStart(2, "0");
    return `{"date":"2024-01-01 00:${minute}:${second} +0000","Min":60,"Avg":61,"Max":62,"source":"Warm’s Watch"}`;
  });
  const body = `{"data":{"metrics":[{"name":"heart_rate","units":"count/min","data":[${points.join(",")}]}],"workouts":[]}}`;
  for (const piece of normalizedPieces(memorySource(new TextEncoder().encode(body)), { pieceBytes: 16 * 1024 })) void piece;
}

// Heart-rate points read straight from a big body's bytes (normalize/stream.ts): a year of per-minute heart rate is
// 525,600 points, and JSON.parse of them makes a string of the whole run, an object and a date string per point,
// only for normalize to pick four fields out. Here each point is read where it lies into the sample normalize would
// make of it. Anything this reader does not know for sure (an escape, a nested value, a number it cannot convert
// exactly, a field of another type, a bad date) is handed whole to JSON.parse and normalize, so what is accepted,
// and what is refused and how, stays theirs.
import { isUtf8 } from "node:buffer";
import { parseHaeDateBytes } from "./dates";
import type { HeartRateSample } from "./model";

/** One point the reader leaves to JSON.parse and normalize: its bytes and its index in the run. */
export type OddPoint = (bytes: Uint8Array, index: number) => HeartRateSample;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The fields normalize reads from a heart-rate point; any other key is skipped when its value is a plain scalar. */
const DATE = 1;
const MIN = 2;
const AVG = 3;
const MAX = 4;
const QTY = 5;
const SOURCE = 6;

/**
 * The samples of a run of points (bytes between the brackets, elements as the body's scan checked them), or null
 * when the bytes are not UTF-8 (JSON.parse refuses them, and so does the caller).
 */
export function heartRateSamples(bytes: Uint8Array, odd: OddPoint): HeartRateSample[] | null {
  if (!isUtf8(bytes)) return null;
  return new PointReader(bytes).samples(odd);
}

class PointReader {
  /** Where reading is; each step takes it from here and leaves it past what it read. */
  private p = 0;
  private readonly text: Buffer;
  /** The last sources read, as bytes and as strings (a run has one or two). */
  private readonly sources: { bytes: Uint8Array; text: string }[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  samples(odd: OddPoint): HeartRateSample[] {
    const out: HeartRateSample[] = [];
    const { bytes } = this;
    const n = bytes.length;
    this.p = skipSpace(bytes, 0);
    for (let index = 0; this.p < n; index++) {
      const start = this.p;
      const sample = this.point();
      if (sample) out.push(sample);
      else {
        this.p = skipValue(bytes, start);
        out.push(odd(bytes.subarray(start, this.p), index));
      }
      // the scan checked the comma between elements
      this.p = skipSpace(bytes, skipSpace(bytes, this.p) + 1);
    }
    return out;
  }

  /** A point in the shape nearly all have (p then past it), or null (p anywhere inside it). */
  private point(): HeartRateSample | null {
    const { bytes } = this;
    // p is a local here: this loop runs for every byte of every point
    let p = this.p;
    if (bytes[p] !== 123) return null;
    p = skipSpace(bytes, p + 1);
    if (bytes[p] === 125) return null;
    let seen = 0;
    let dateStart = -1;
    let dateEnd = -1;
    let source = "";
    let avg: number | undefined;
    let qty: number | undefined;
    for (;;) {
      if (bytes[p] !== 34) return null;
      const keyEnd = stringEnd(bytes, p);
      if (keyEnd < 0) return null;
      const key = keyOf(bytes, p + 1, keyEnd);
      p = skipSpace(bytes, keyEnd + 1);
      if (bytes[p] !== 58) return null;
      p = skipSpace(bytes, p + 1);
      if (key > 0) {
        // a key given twice: JSON.parse keeps the last, which normalize then reads
        if (seen & (1 << key)) return null;
        seen |= 1 << key;
      }
      if (key === DATE) {
        if (bytes[p] !== 34) return null;
        dateStart = p + 1;
        dateEnd = stringEnd(bytes, p);
        if (dateEnd < 0) return null;
        for (let i = dateStart; i < dateEnd; i++) if (bytes[i]! >= 128) return null;
        p = dateEnd + 1;
      } else if (key === SOURCE) {
        if (bytes[p] !== 34) return null;
        const end = stringEnd(bytes, p);
        if (end < 0) return null;
        source = this.source(p + 1, end);
        p = end + 1;
      } else if (key === 0) {
        p = this.skipScalar(p);
        if (p < 0) return null;
      } else {
        // Min and Max are only checked (finite numbers), as normalize does
        p = this.number(p);
        if (p < 0) return null;
        if (key === AVG) avg = this.value;
        else if (key === QTY) qty = this.value;
      }
      p = skipSpace(bytes, p);
      const b = bytes[p++];
      if (b === 125) break;
      if (b !== 44) return null;
      p = skipSpace(bytes, p);
    }
    this.p = p;
    const bpm = avg ?? qty;
    if (dateEnd < 0 || bpm === undefined) return null;
    // the date last, once the point is known to be plain: it is parsed once, here or by normalize
    let ts: number;
    try {
      ts = parseHaeDateBytes(bytes, dateStart, dateEnd);
    } catch {
      return null;
    }
    return { ts, bpm, source, device: "" };
  }

  /** The source in bytes [start, end) (no escapes), decoded once per distinct source. */
  private source(start: number, end: number): string {
    const { bytes } = this;
    for (const known of this.sources) if (sameBytes(known.bytes, bytes, start, end)) return known.text;
    const text = utf8.decode(bytes.subarray(start, end));
    if (this.sources.length === 4) this.sources.pop();
    this.sources.unshift({ bytes: bytes.slice(start, end), text });
    return text;
  }

  /** The last number read. */
  private value = 0;

  /** A JSON number at p: the index past it (its value in `value`), or -1 (not one, or one left to JSON.parse). */
  private number(start: number): number {
    const { bytes } = this;
    let i = start;
    const negative = bytes[i] === 45;
    if (negative) i++;
    let b = bytes[i]!;
    if (!(b >= 48 && b <= 57)) return -1;
    let mantissa = 0;
    let digits = 0;
    if (b === 48) b = bytes[++i]!;
    else {
      while (b >= 48 && b <= 57) {
        mantissa = mantissa * 10 + (b - 48);
        digits++;
        b = bytes[++i]!;
      }
    }
    let scale = 0;
    if (b === 46) {
      b = bytes[++i]!;
      if (!(b >= 48 && b <= 57)) return -1;
      while (b >= 48 && b <= 57) {
        mantissa = mantissa * 10 + (b - 48);
        digits++;
        scale++;
        b = bytes[++i]!;
      }
    }
    let exact = digits <= 15;
    if (b === 101 || b === 69) {
      exact = false;
      b = bytes[++i]!;
      if (b === 43 || b === 45) b = bytes[++i]!;
      if (!(b >= 48 && b <= 57)) return -1;
      while (b >= 48 && b <= 57) b = bytes[++i]!;
    }
    // up to 15 digits the mantissa and 10^scale are exact, so one division rounds as JSON.parse does
    const value = exact ? mantissa / POWERS[scale]! : Number(this.text.toString("latin1", negative ? start + 1 : start, i));
    if (!Number.isFinite(value)) return -1;
    this.value = negative ? -value : value;
    return i;
  }

  /** Skips a string without escapes, a number, true, false or null at p: the index past it, or -1 for anything else. */
  private skipScalar(p: number): number {
    const { bytes } = this;
    const b = bytes[p];
    if (b === 34) {
      const end = stringEnd(bytes, p);
      return end < 0 ? -1 : end + 1;
    }
    if (b === 45 || (b! >= 48 && b! <= 57)) return this.number(p);
    for (const word of WORDS) if (word.every((c, i) => bytes[p + i] === c)) return p + word.length;
    return -1;
  }
}

function skipSpace(bytes: Uint8Array, p: number): number {
  let b = bytes[p];
  while (b === 32 || b === 10 || b === 13 || b === 9) b = bytes[++p];
  return p;
}

/** From a string's opening quote at p: the index of its closing quote, or -1 for an escape or a control character. */
function stringEnd(bytes: Uint8Array, p: number): number {
  let i = p + 1;
  let b = bytes[i]!;
  while (b !== 34) {
    // past the end reads undefined, refused like a control character
    if (!(b >= 32) || b === 92) return -1;
    b = bytes[++i]!;
  }
  return i;
}

/** Which field the key [start, end) names: one of normalize's, or 0 for any other. */
function keyOf(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  const a = bytes[start];
  if (length === 4 && a === 100 && bytes[start + 1] === 97 && bytes[start + 2] === 116 && bytes[start + 3] === 101) return DATE;
  if (length === 6 && a === 115 && bytes[start + 1] === 111 && bytes[start + 2] === 117 && bytes[start + 3] === 114 && bytes[start + 4] === 99 && bytes[start + 5] === 101) return SOURCE;
  if (length === 3) {
    const b = bytes[start + 1];
    const c = bytes[start + 2];
    if (a === 77 && b === 105 && c === 110) return MIN;
    if (a === 65 && b === 118 && c === 103) return AVG;
    if (a === 77 && b === 97 && c === 120) return MAX;
    if (a === 113 && b === 116 && c === 121) return QTY;
  }
  return 0;
}

/** From a whole element at p (its brackets and strings balanced, as the scan found them): the index past it. */
function skipValue(bytes: Uint8Array, p: number): number {
  const n = bytes.length;
  const first = bytes[p];
  if (first !== 123 && first !== 91 && first !== 34) {
    // a scalar: up to the next delimiter
    for (let b = bytes[p]; p < n && b !== 44 && b !== 32 && b !== 10 && b !== 13 && b !== 9; b = bytes[++p]);
    return p;
  }
  let level = 0;
  let inString = false;
  for (; p < n; p++) {
    const b = bytes[p];
    if (inString) {
      if (b === 92) p++;
      else if (b === 34) {
        inString = false;
        if (level === 0) break;
      }
    } else if (b === 34) inString = true;
    else if (b === 123 || b === 91) level++;
    else if ((b === 125 || b === 93) && --level === 0) break;
  }
  return p + 1;
}

const POWERS = Array.from({ length: 16 }, (_, i) => 10 ** i);
const WORDS = ["true", "false", "null"].map((word) => [...word].map((c) => c.charCodeAt(0)));

function sameBytes(known: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
  return true;
}

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
    this.space();
    for (let index = 0; this.p < n; index++) {
      const start = this.p;
      const sample = this.point();
      if (sample) out.push(sample);
      else {
        this.p = start;
        this.skipValue();
        out.push(odd(bytes.subarray(start, this.p), index));
      }
      this.space();
      // the scan checked the commas between elements
      this.p++;
      this.space();
    }
    return out;
  }

  private space() {
    const { bytes } = this;
    let b = bytes[this.p];
    while (b === 32 || b === 10 || b === 13 || b === 9) b = bytes[++this.p];
  }

  /** A point in the shape nearly all have, or null (p anywhere inside it). */
  private point(): HeartRateSample | null {
    const { bytes } = this;
    if (bytes[this.p] !== 123) return null;
    this.p++;
    this.space();
    let seen = 0;
    let dateStart = -1;
    let dateEnd = -1;
    let source = "";
    let avg: number | undefined;
    let qty: number | undefined;
    if (bytes[this.p] === 125) return null;
    for (;;) {
      if (bytes[this.p] !== 34) return null;
      const key = this.key();
      if (key < 0) return null;
      this.space();
      if (bytes[this.p] !== 58) return null;
      this.p++;
      this.space();
      if (key > 0) {
        // a key given twice: JSON.parse keeps the last, which normalize then reads
        if (seen & (1 << key)) return null;
        seen |= 1 << key;
      }
      if (key === DATE) {
        dateStart = this.p + 1;
        dateEnd = this.asciiStringEnd();
        if (dateEnd < 0) return null;
      } else if (key === SOURCE) {
        const value = this.source();
        if (value === null) return null;
        source = value;
      } else if (key === 0) {
        if (!this.skipScalar()) return null;
      } else {
        // Min and Max are only checked (finite numbers), as normalize does
        const value = this.number();
        if (value === null) return null;
        if (key === AVG) avg = value;
        else if (key === QTY) qty = value;
      }
      this.space();
      const b = bytes[this.p++];
      if (b === 125) break;
      if (b !== 44) return null;
      this.space();
    }
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

  /** A key at p (on its quote): one of the fields, 0 for any other plain key, -1 for one with an escape. */
  private key(): number {
    const { bytes } = this;
    const start = this.p + 1;
    const end = this.stringEnd();
    if (end < 0) return -1;
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

  /** From a string's opening quote at p: p past its closing quote, the quote's index; -1 for an escape or a control character. */
  private stringEnd(): number {
    const { bytes } = this;
    let i = this.p + 1;
    let b = bytes[i]!;
    while (b !== 34) {
      // past the end reads undefined, refused like a control character
      if (!(b >= 32) || b === 92) return -1;
      b = bytes[++i]!;
    }
    this.p = i + 1;
    return i;
  }

  /** An ASCII string without escapes at p: its closing quote's index, or -1. */
  private asciiStringEnd(): number {
    if (this.bytes[this.p] !== 34) return -1;
    const start = this.p + 1;
    const end = this.stringEnd();
    for (let i = start; i < end; i++) if (this.bytes[i]! >= 128) return -1;
    return end;
  }

  /** A source string without escapes at p (decoded once per distinct source), or null. */
  private source(): string | null {
    const { bytes } = this;
    if (bytes[this.p] !== 34) return null;
    const start = this.p + 1;
    const end = this.stringEnd();
    if (end < 0) return null;
    for (const known of this.sources) if (sameBytes(known.bytes, bytes, start, end)) return known.text;
    const text = utf8.decode(bytes.subarray(start, end));
    if (this.sources.length === 4) this.sources.pop();
    this.sources.unshift({ bytes: bytes.slice(start, end), text });
    return text;
  }

  /** A JSON number at p, or null (not a number, or one this reader leaves to JSON.parse). */
  private number(): number | null {
    const { bytes } = this;
    const start = this.p;
    let i = start;
    const negative = bytes[i] === 45;
    if (negative) i++;
    let b = bytes[i]!;
    if (b < 48 || b > 57) return null;
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
      if (b < 48 || b > 57) return null;
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
      if (b < 48 || b > 57) return null;
      while (b >= 48 && b <= 57) b = bytes[++i]!;
    }
    this.p = i;
    // up to 15 digits the mantissa and 10^scale are exact, so one division rounds as JSON.parse does
    const value = exact ? mantissa / POWERS[scale]! : Number(this.text.toString("latin1", negative ? start + 1 : start, i));
    if (!Number.isFinite(value)) return null;
    return negative ? -value : value;
  }

  /** Skips a string without escapes, a number, true, false or null at p; false for anything else. */
  private skipScalar(): boolean {
    const { bytes } = this;
    const b = bytes[this.p];
    if (b === 34) return this.stringEnd() >= 0;
    if (b === 45 || (b! >= 48 && b! <= 57)) return this.number() !== null;
    for (const word of WORDS) {
      if (word.every((c, i) => bytes[this.p + i] === c)) {
        this.p += word.length;
        return true;
      }
    }
    return false;
  }

  /** Skips a whole element at p (its brackets and strings balanced, as the scan found them). */
  private skipValue() {
    const { bytes } = this;
    const n = bytes.length;
    const first = bytes[this.p];
    if (first !== 123 && first !== 91 && first !== 34) {
      // a scalar: up to the next delimiter
      for (let b = bytes[this.p]; this.p < n && b !== 44 && b !== 32 && b !== 10 && b !== 13 && b !== 9; b = bytes[++this.p]);
      return;
    }
    let level = 0;
    let inString = false;
    for (; this.p < n; this.p++) {
      const b = bytes[this.p];
      if (inString) {
        if (b === 92) this.p++;
        else if (b === 34) {
          inString = false;
          if (level === 0) break;
        }
      } else if (b === 34) inString = true;
      else if (b === 123 || b === 91) level++;
      else if ((b === 125 || b === 93) && --level === 0) break;
    }
    this.p++;
  }
}

const POWERS = Array.from({ length: 16 }, (_, i) => 10 ** i);
const WORDS = ["true", "false", "null"].map((word) => [...word].map((c) => c.charCodeAt(0)));

function sameBytes(known: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
  return true;
}

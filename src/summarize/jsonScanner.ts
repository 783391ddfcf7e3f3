// An incremental JSON scanner for payloads too big to JSON.parse: it walks the containers that hold
// many small values (HAE's data.metrics[].data[], the fixture's samples[], data.<section>[]) and hands
// every other value over as its own text, which the caller JSON.parses. Memory is bounded by the
// largest single captured value (one point, one workout), not by the file.

/** Containers the scanner walks into; every value inside them that is not itself walked is captured whole. */
export type Frame = "root" | "body" | "data" | "metrics" | "metric" | "metricData" | "samples" | "section";

/** Documents up to this size are also held as text for the webhook's strict check (HAE posts are 12 kB–3 MB). */
export const STRICT_LIMIT_CHARS = 4 * 1024 * 1024;

export interface ScanSink {
  /** A walked container opens; `key` is its member name (or "" for an array element). */
  open(frame: Frame, key: string): void;
  close(frame: Frame): void;
  /** A whole value inside `parent` (or "top" for a document that is not an object), as JSON text. */
  value(parent: Frame | "top", key: string, text: string): void;
  /** The document ended; `text` is its full text when it fit the capture limit, else null. */
  docEnd(text: string | null, complete: boolean): void;
  error(message: string): void;
}

const enum Mode {
  Value, // a value is expected
  ValueOrEnd, // right after "[": a value or "]"
  KeyOrEnd, // right after "{": a key or "}"
  Key, // after ",": a key
  KeyString, // inside a key
  Colon,
  AfterValue,
  CaptureString,
  CaptureContainer,
  CaptureScalar,
  Done, // the document is complete: only whitespace may follow
  Failed, // an error: nothing more is read (until the next line in NDJSON)
}

interface Open {
  frame: Frame;
  array: boolean;
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_OBJ = 123, CLOSE_OBJ = 125, OPEN_ARR = 91, CLOSE_ARR = 93;

const SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;
const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

/** Which member or element of `parent` is walked into rather than captured. */
function walkInto(parent: Frame | null, key: string, opener: number): Frame | null {
  const obj = opener === OPEN_OBJ;
  switch (parent) {
    case null:
      return obj ? "root" : null;
    case "root":
      if (key === "data" && obj) return "data";
      if (key === "body" && obj) return "body";
      return key === "samples" && !obj ? "samples" : null;
    case "body":
      if (key === "data" && obj) return "data";
      return key === "samples" && !obj ? "samples" : null;
    case "data":
      if (obj) return null;
      return key === "metrics" ? "metrics" : "section";
    case "metrics":
      return obj ? "metric" : null;
    case "metric":
      return key === "data" && !obj ? "metricData" : null;
    default:
      return null;
  }
}

export class JsonScanner {
  private buf = "";
  private pos = 0;
  private mode = Mode.Value;
  private stack: Open[] = [];
  private key = "";
  private tokenStart = -1;
  private depth = 0;
  private inString = false;
  private consumed = 0; // characters before buf[0], for error offsets
  private docParts: string[] | null = [];
  private docLength = 0;
  private docFrom = 0;
  private docStarted = false;

  constructor(
    private readonly sink: ScanSink,
    /** Largest document kept as text for docEnd (strict normalisation), in characters. */
    private readonly captureLimit = STRICT_LIMIT_CHARS,
  ) {}

  get failed(): boolean {
    return this.mode === Mode.Failed;
  }

  /** Feeds the next piece of text (never containing a line break in NDJSON use; see endLine). */
  feed(text: string): void {
    if (this.mode === Mode.Failed) return;
    this.buf = this.tokenStart >= 0 ? this.buf.slice(this.tokenStart) + text : text;
    this.consumed += this.tokenStart >= 0 ? this.tokenStart : this.pos;
    this.pos = this.tokenStart >= 0 ? this.pos - this.tokenStart : 0;
    this.docFrom = 0; // text before an unfinished token was kept already; the token is kept from here
    if (this.tokenStart >= 0) this.tokenStart = 0;
    this.run();
    if (this.docStarted && this.docParts) this.keepDocText(this.tokenStart >= 0 ? this.tokenStart : this.buf.length);
  }

  /** End of input (or of one NDJSON line): an unfinished document is reported as truncated. */
  end(): void {
    if (this.mode === Mode.CaptureScalar) this.finishScalar(this.buf.length);
    if (this.mode !== Mode.Failed && this.mode !== Mode.Done && (this.docStarted || this.stack.length > 0)) {
      this.fail(`truncated: input ends inside ${this.stack.length ? `an open ${this.stack.at(-1)!.array ? "array" : "object"} (depth ${this.stack.length})` : "a value"}`);
    }
  }

  /** For NDJSON: finishes the current line and gets ready for the next document. */
  endLine(): void {
    this.end();
    this.buf = "";
    this.pos = 0;
    this.tokenStart = -1;
    this.stack = [];
    this.mode = Mode.Value;
    this.docParts = [];
    this.docLength = 0;
    this.docFrom = 0;
    this.docStarted = false;
    this.consumed = 0;
  }

  private keepDocText(upTo: number): void {
    if (!this.docParts || upTo <= this.docFrom) return;
    this.docLength += upTo - this.docFrom;
    if (this.docLength > this.captureLimit) this.docParts = null;
    else this.docParts.push(this.buf.slice(this.docFrom, upTo));
  }

  private fail(message: string): void {
    this.sink.error(`${message} (at character ${this.consumed + this.pos})`);
    this.mode = Mode.Failed;
    if (this.docStarted) this.sink.docEnd(null, false);
    this.docStarted = false;
    this.tokenStart = -1;
  }

  private run(): void {
    const buf = this.buf;
    const n = buf.length;
    while (this.pos < n) {
      const c = buf.charCodeAt(this.pos);
      switch (this.mode) {
        case Mode.Done:
          if (!isSpace(c)) return this.fail("unexpected data after the JSON value");
          this.pos++;
          break;
        case Mode.Failed:
          return;
        case Mode.Value:
        case Mode.ValueOrEnd:
          if (isSpace(c)) this.pos++;
          else if (c === CLOSE_ARR && this.mode === Mode.ValueOrEnd) this.close(c);
          else this.startValue(c);
          break;
        case Mode.KeyOrEnd:
        case Mode.Key:
          if (isSpace(c)) this.pos++;
          else if (c === CLOSE_OBJ && this.mode === Mode.KeyOrEnd) this.close(c);
          else if (c === QUOTE) {
            this.tokenStart = this.pos++;
            this.mode = Mode.KeyString;
          } else return this.fail(`expected a key, got ${JSON.stringify(buf[this.pos])}`);
          break;
        case Mode.KeyString: {
          const end = this.stringEnd(this.pos);
          if (end < 0) return void (this.pos = n);
          try {
            this.key = JSON.parse(buf.slice(this.tokenStart, end));
          } catch {
            return this.fail("invalid key string");
          }
          this.tokenStart = -1;
          this.pos = end;
          this.mode = Mode.Colon;
          break;
        }
        case Mode.Colon:
          if (isSpace(c)) this.pos++;
          else if (c === COLON) {
            this.pos++;
            this.mode = Mode.Value;
          } else return this.fail(`expected ":" after key ${JSON.stringify(this.key)}`);
          break;
        case Mode.AfterValue:
          if (isSpace(c)) this.pos++;
          else if (c === COMMA) {
            this.pos++;
            this.mode = this.stack.at(-1)!.array ? Mode.Value : Mode.Key;
          } else if (c === CLOSE_OBJ || c === CLOSE_ARR) this.close(c);
          else return this.fail(`expected "," or a closing bracket, got ${JSON.stringify(buf[this.pos])}`);
          break;
        case Mode.CaptureString: {
          const end = this.stringEnd(this.pos);
          if (end < 0) return void (this.pos = n);
          this.pos = end;
          this.emit(end);
          break;
        }
        case Mode.CaptureContainer:
          this.scanContainer();
          break;
        case Mode.CaptureScalar:
          if (isSpace(c) || c === COMMA || c === CLOSE_OBJ || c === CLOSE_ARR) this.finishScalar(this.pos);
          else this.pos++;
          break;
      }
    }
  }

  /** Index just after the closing quote of the string whose body starts at `from`, or -1 if not in buf yet. */
  private stringEnd(from: number): number {
    let at = from;
    for (;;) {
      const quote = this.buf.indexOf('"', at);
      if (quote < 0) return -1;
      let slashes = 0;
      while (this.buf.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
      if (slashes % 2 === 0) return quote + 1;
      at = quote + 1;
    }
  }

  private startValue(c: number): void {
    if (!this.docStarted) {
      this.docStarted = true;
      this.docFrom = this.pos;
    }
    const top = this.stack.at(-1);
    const key = top?.array ? "" : this.key;
    const frame = c === OPEN_OBJ || c === OPEN_ARR ? walkInto(top?.frame ?? null, key, c) : null;
    if (frame) {
      this.stack.push({ frame, array: c === OPEN_ARR });
      this.pos++;
      this.mode = c === OPEN_ARR ? Mode.ValueOrEnd : Mode.KeyOrEnd;
      this.sink.open(frame, key);
      return;
    }
    this.tokenStart = this.pos++;
    if (c === QUOTE) this.mode = Mode.CaptureString;
    else if (c === OPEN_OBJ || c === OPEN_ARR) {
      this.mode = Mode.CaptureContainer;
      this.depth = 1;
      this.inString = false;
    } else if (c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110) this.mode = Mode.CaptureScalar;
    else {
      this.pos--;
      this.tokenStart = -1;
      this.fail(`unexpected character ${JSON.stringify(this.buf[this.pos])}`);
    }
  }

  private scanContainer(): void {
    const buf = this.buf;
    const n = buf.length;
    while (this.pos < n) {
      if (this.inString) {
        const end = this.stringEnd(this.pos);
        if (end < 0) return void (this.pos = n);
        this.pos = end;
        this.inString = false;
        continue;
      }
      const c = buf.charCodeAt(this.pos++);
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJ || c === OPEN_ARR) this.depth++;
      else if ((c === CLOSE_OBJ || c === CLOSE_ARR) && --this.depth === 0) return this.emit(this.pos);
    }
  }

  private finishScalar(end: number): void {
    this.pos = end;
    const text = this.buf.slice(this.tokenStart, end);
    if (!SCALAR.test(text)) {
      this.pos = this.tokenStart;
      this.tokenStart = -1;
      return this.fail(`not JSON: ${JSON.stringify(text.slice(0, 20))}`);
    }
    this.emit(end);
  }

  private emit(end: number): void {
    const text = this.buf.slice(this.tokenStart, end);
    this.tokenStart = -1;
    const top = this.stack.at(-1);
    this.sink.value(top?.frame ?? "top", top?.array ? "" : this.key, text);
    this.afterValue();
  }

  private close(c: number): void {
    const top = this.stack.pop()!;
    if (top.array !== (c === CLOSE_ARR)) return this.fail(`unexpected ${String.fromCharCode(c)}`);
    this.pos++;
    this.sink.close(top.frame);
    this.afterValue();
  }

  private afterValue(): void {
    if (this.stack.length > 0) {
      this.mode = Mode.AfterValue;
      return;
    }
    this.mode = Mode.Done;
    if (this.docParts) this.keepDocText(this.pos);
    const text = this.docParts ? this.docParts.join("") : null;
    this.docParts = null;
    this.docStarted = false;
    this.sink.docEnd(text, true);
  }
}

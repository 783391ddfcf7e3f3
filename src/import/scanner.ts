// A streaming scanner for the Health export's XML: tags and their attributes, nothing else (the export has
// no text content worth reading). Purpose-built because it must pass what strict parsers stop at: the iOS 16
// DTD that is never closed (everything before <HealthData is skipped), control characters in values (left
// in place), unknown elements (reported like any other). Measured against saxes in bench/import.ts.

export interface XmlTag {
  name: string;
  /** Decoded attribute values; empty for tags the visitor did not ask attributes of, and for end tags. */
  attrs: Record<string, string>;
  kind: "open" | "self" | "close";
}

export interface ScanVisitor {
  /** Whether this element's attributes are needed (parsing them is most of the cost). */
  wantsAttributes(name: string): boolean;
  tag(tag: XmlTag): void;
}

export interface ScanResult {
  /** Bytes read from the input. */
  bytes: number;
  /** Whether `</HealthData>` was reached; false means the input stopped early (truncated). */
  complete: boolean;
  /** Byte offset (approximate, in characters read) of the first tag not read when incomplete. */
  stoppedAt: number | null;
}

const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

export function decodeEntities(value: string): string {
  if (!value.includes("&")) return value;
  return value.replace(ENTITY, (_, ref: string) => {
    if (ref[0] !== "#") return NAMED[ref]!;
    const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : "";
  });
}

/** Reads every tag of the input; `onChunk` sees the running byte count (progress). */
export async function scanHealthXml(input: AsyncIterable<Uint8Array>, visitor: ScanVisitor, onChunk?: (bytes: number) => void): Promise<ScanResult> {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let bytes = 0;
  let consumedChars = 0;
  let inHealthData = false;
  let complete = false;
  const step = (final: boolean) => {
    let pos = 0;
    const s = text;
    for (;;) {
      const lt = s.indexOf("<", pos);
      if (lt < 0) {
        pos = s.length;
        break;
      }
      const next = s.charCodeAt(lt + 1);
      if (next !== next) {
        pos = lt;
        break;
      }
      if (!inHealthData) {
        // prolog and DTD (possibly the broken iOS 16 one): skip straight to the root element
        const root = s.indexOf("<HealthData", lt);
        if (root < 0) {
          pos = Math.max(lt, s.length - 16);
          break;
        }
        inHealthData = true;
        pos = root;
        continue;
      }
      if (next === 33 /* ! */) {
        const close = s.startsWith("<!--", lt) ? s.indexOf("-->", lt + 4) : s.startsWith("<![CDATA[", lt) ? s.indexOf("]]>", lt + 9) : s.indexOf(">", lt);
        if (close < 0) {
          pos = lt;
          break;
        }
        pos = close + (s.charCodeAt(close) === 62 ? 1 : 3);
        continue;
      }
      if (next === 63 /* ? */) {
        const close = s.indexOf("?>", lt);
        if (close < 0) {
          pos = lt;
          break;
        }
        pos = close + 2;
        continue;
      }
      const end = tagEnd(s, lt);
      if (end < 0) {
        pos = lt;
        break;
      }
      pos = end + 1;
      if (next === 47 /* / */) {
        const name = s.slice(lt + 2, end).trim();
        visitor.tag({ name, attrs: NO_ATTRS, kind: "close" });
        if (name === "HealthData") complete = true;
        continue;
      }
      let nameEnd = lt + 1;
      for (let c = s.charCodeAt(nameEnd); c > 32 && c !== 47 && c !== 62; c = s.charCodeAt(++nameEnd));
      const name = s.slice(lt + 1, nameEnd);
      const self = s.charCodeAt(end - 1) === 47;
      visitor.tag({ name, attrs: visitor.wantsAttributes(name) ? attributes(s, nameEnd, end) : NO_ATTRS, kind: self ? "self" : "open" });
    }
    consumedChars += pos;
    text = s.slice(pos);
    if (final && text.trim()) return;
  };
  for await (const chunk of input) {
    bytes += chunk.length;
    text += decoder.decode(chunk, { stream: true });
    step(false);
    onChunk?.(bytes);
  }
  text += decoder.decode();
  step(true);
  return { bytes, complete, stoppedAt: complete ? null : consumedChars };
}

/** Index of the `>` closing the tag at `lt`, skipping quoted values (a `>` may sit inside one); -1 if not here yet. */
function tagEnd(s: string, lt: number): number {
  let gt = s.indexOf(">", lt);
  if (gt < 0) return -1;
  // one search for ">" and two hops per quoted value: a `>` inside quotes moves the end further on
  for (let quote = s.indexOf('"', lt); quote >= 0 && quote < gt; ) {
    const closeQuote = s.indexOf('"', quote + 1);
    if (closeQuote < 0) return -1;
    if (closeQuote > gt) {
      gt = s.indexOf(">", closeQuote + 1);
      if (gt < 0) return -1;
    }
    quote = s.indexOf('"', closeQuote + 1);
  }
  return gt;
}

/** `name="value"` pairs between `from` and `end` (double quotes, as the Health app writes them). */
function attributes(s: string, from: number, end: number): Record<string, string> {
  const attrs: Record<string, string> = {};
  let at = from;
  for (;;) {
    const open = s.indexOf('"', at);
    if (open < 0 || open >= end) return attrs;
    const close = s.indexOf('"', open + 1);
    if (close < 0 || close > end) return attrs;
    let eq = open - 1;
    while (eq > at && s.charCodeAt(eq) !== 61 /* = */) eq--;
    const key = s.slice(at, eq).trim();
    if (key) {
      const value = s.slice(open + 1, close);
      attrs[key] = value.indexOf("&") < 0 ? value : decodeEntities(value);
    }
    at = close + 1;
  }
}

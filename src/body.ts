// A request body read within a limit: the server takes bodies of any size, so every route reads through this.
import { HttpError } from "./errors";
import type { Spool } from "./raw/rawlog";

/**
 * Reads the body, refusing (413) as soon as it passes the limit instead of buffering it all. With `spill`, a
 * body growing past `spillAbove` bytes continues into a spool file, which is returned instead.
 */
export async function readBody(request: Request, limit: number, setting?: string): Promise<Uint8Array>;
export async function readBody(request: Request, limit: number, setting: string | undefined, spillAbove: number, spill: () => Spool): Promise<Uint8Array | Spool>;
export async function readBody(request: Request, limit: number, setting?: string, spillAbove = Infinity, spill?: () => Spool): Promise<Uint8Array | Spool> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit, setting);
  if (!request.body) throw new HttpError(400, "empty_body", "body is empty");
  // one buffer of the declared size: a 50 MB backfill is not held twice (chunks + their concatenation)
  let buffer = new Uint8Array(Number.isFinite(declared) && declared > 0 ? Math.min(declared, spillAbove) : 64 * 1024);
  let size = 0;
  let spooled: Spool | null = null;
  try {
    for await (const chunk of request.body) {
      if (size + chunk.length > limit) throw tooLarge(limit, setting);
      if (!spooled && spill && size + chunk.length > spillAbove) {
        spooled = spill();
        spooled.write(buffer.subarray(0, size));
      }
      if (spooled) {
        spooled.write(chunk);
        size += chunk.length;
        continue;
      }
      if (size + chunk.length > buffer.length) {
        const grown = new Uint8Array(Math.min(limit, Math.max(buffer.length * 2, size + chunk.length)));
        grown.set(buffer.subarray(0, size));
        buffer = grown;
      }
      buffer.set(chunk, size);
      size += chunk.length;
    }
  } catch (err) {
    spooled?.discard();
    throw err;
  }
  if (spooled) return spooled;
  if (!size) throw new HttpError(400, "empty_body", "body is empty");
  // a UTF-8 byte-order mark is not JSON: dropped here, so the raw log holds exactly what was parsed
  const start = size >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.subarray(start, size);
}

/** Bodies up to this size are held in memory; a bigger one goes to a spool file and is read back in pieces. */
export const SPOOL_ABOVE_BYTES = 8 * 1024 * 1024;

/**
 * Reads a body within a limit (413 as soon as it passes it): into memory when small, into a spool file when
 * it is (or grows) bigger than `spoolAbove`, so memory does not grow with the body. The spool is discarded
 * here on any error, by the caller otherwise.
 */
export async function receiveBody(
  request: Request,
  limit: number,
  spool: () => Spool,
  setting?: string,
  spoolAbove = SPOOL_ABOVE_BYTES,
): Promise<Uint8Array | Spool> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  // declared big: straight to the spool; otherwise in memory, moving to a spool if it grows past spoolAbove
  return readBody(request, limit, setting, declared > spoolAbove ? 0 : spoolAbove, spool);
}

const tooLarge = (limit: number, setting?: string) =>
  new HttpError(413, "body_too_large", `body is larger than ${limit} bytes${setting ? ` (${setting})` : ""}`);

/** Deepest nesting of arrays and objects a body may have: HAE's deepest is about 6; anything near 64 is an attack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses (400) a parsed body nested deeper than `limit`, before it is normalized or logged: a 10⁶-deep array in an
 * accepted field would otherwise overflow the stack of whatever walks it later (normalize, replay). The walk stops
 * at the limit, so it cannot overflow itself; over 1.6 M samples it costs ~50 ms, a fiftieth of JSON.parse.
 */
export function checkNesting(value: unknown, limit = MAX_JSON_DEPTH): void {
  if (!withinDepth(value, limit)) throw new HttpError(400, "too_deep", `body is nested deeper than ${limit} levels of arrays and objects`);
}

function withinDepth(value: unknown, left: number): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (left === 0) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!withinDepth(item, left - 1)) return false;
    return true;
  }
  for (const key in value) if (!withinDepth((value as Record<string, unknown>)[key], left - 1)) return false;
  return true;
}

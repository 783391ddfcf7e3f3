// A request body read within a limit: the server takes bodies of any size, so every route reads through this.
import { HttpError } from "./errors";

/** Reads the body, refusing (413) as soon as it passes the limit instead of buffering it all. */
export async function readBody(request: Request, limit: number, setting?: string): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, "body_too_large", `body is larger than ${limit} bytes${setting ? ` (${setting})` : ""}`);
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge();
  if (!request.body) throw new HttpError(400, "empty_body", "body is empty");
  // one buffer of the declared size: a 50 MB backfill is not held twice (chunks + their concatenation)
  let buffer = new Uint8Array(Number.isFinite(declared) && declared > 0 ? declared : 64 * 1024);
  let size = 0;
  for await (const chunk of request.body) {
    if (size + chunk.length > limit) throw tooLarge();
    if (size + chunk.length > buffer.length) {
      const grown = new Uint8Array(Math.min(limit, Math.max(buffer.length * 2, size + chunk.length)));
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(chunk, size);
    size += chunk.length;
  }
  if (!size) throw new HttpError(400, "empty_body", "body is empty");
  // a UTF-8 byte-order mark is not JSON: dropped here, so the raw log holds exactly what was parsed
  const start = size >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.subarray(start, size);
}

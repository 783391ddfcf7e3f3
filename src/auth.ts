// Constant-time checks of the bearer token and the hook's secret path.
import { timingSafeEqual } from "node:crypto";

function digest(value: string): Buffer {
  return Buffer.from(new Bun.CryptoHasher("sha256").update(value).digest());
}

/** Equal-length digests, so the comparison takes the same time whatever the input's length or prefix. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function bearerToken(header: string | null | undefined): string {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return match ? match[1]!.trim() : "";
}

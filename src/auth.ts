// Constant-time checks of the bearer token and the hook's secret path; bearer auth as an Elysia plugin.
import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import type { Access } from "./config";
import { unauthorized } from "./errors";

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

/** The person a bearer token belongs to; every token is compared, in constant time each. Throws the 401. */
export function personOf(access: readonly Access[], header: string | null | undefined): Access {
  const given = bearerToken(header);
  let found: Access | null = null;
  for (const a of access) if (sameSecret(given, a.token) && given) found = a;
  if (!found) throw unauthorized();
  return found;
}

/** Routes after `.use(bearerAuth(access))` get `person`, whom the bearer token belongs to, or answer 401 first. */
export const bearerAuth = (access: readonly Access[]) =>
  new Elysia({ name: "bearer-auth" }).derive({ as: "scoped" }, ({ headers }) => ({ person: personOf(access, headers.authorization) }));

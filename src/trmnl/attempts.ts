// Failed device attempts (/api/setup refused, a wrong or unknown device key) counted per client address, so
// guessing MACs while a window is open, or keys, is slow; an address over the limit is answered 429 until its
// period ends. The table is bounded: a flood of addresses evicts the oldest, never grows memory.

export const FAILED_ATTEMPTS_LIMIT = 10;
export const FAILED_ATTEMPTS_PERIOD_S = 600;
const MAX_ADDRESSES = 10_000;

interface Tally {
  count: number;
  resetAt: number;
}

export class FailedAttempts {
  private readonly tallies = new Map<string, Tally>();

  constructor(
    private readonly clock: () => Date,
    private readonly limit = FAILED_ATTEMPTS_LIMIT,
    private readonly periodS = FAILED_ATTEMPTS_PERIOD_S,
  ) {}

  /** Seconds until `address` may try again, or 0 when it is under the limit. */
  retryAfterS(address: string): number {
    const tally = this.current(address);
    if (!tally || tally.count < this.limit) return 0;
    return Math.max(1, Math.ceil((tally.resetAt - this.clock().getTime()) / 1000));
  }

  /** Counts one failure; returns the address's count in this period (1 = its first: worth one log line). */
  fail(address: string): number {
    const tally = this.current(address) ?? { count: 0, resetAt: this.clock().getTime() + this.periodS * 1000 };
    tally.count++;
    this.tallies.delete(address); // re-inserted last: the Map's order is the eviction order
    this.tallies.set(address, tally);
    if (this.tallies.size > MAX_ADDRESSES) this.tallies.delete(this.tallies.keys().next().value!);
    return tally.count;
  }

  private current(address: string): Tally | undefined {
    const tally = this.tallies.get(address);
    if (tally && tally.resetAt <= this.clock().getTime()) {
      this.tallies.delete(address);
      return undefined;
    }
    return tally;
  }
}

const PRIVATE_PEER = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd][0-9a-f]{2}:|::ffff:(127|10)\.|::ffff:192\.168\.|::ffff:172\.(1[6-9]|2\d|3[01])\.)/i;

/**
 * Whom to count: the socket's peer, or, when that peer is a local proxy (cloudflared, a reverse proxy on the
 * machine or the compose network), the client it names. A client on the internet cannot pick its count by
 * sending these headers: only a loopback or private peer is believed.
 */
export function clientAddress(peer: string | null | undefined, headers: Headers): string {
  if (peer && PRIVATE_PEER.test(peer)) {
    const named = headers.get("cf-connecting-ip")?.trim() || headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (named) return named.slice(0, 64);
  }
  return peer ?? "unknown";
}

// The one interface both stores implement; the contract tests in store.contract.ts hold them to it.
import type { ZoneRewrite } from "../ledger/ledger";
import type { ZoneSeconds } from "../transform/zones";

export interface Summary {
  user: string;
  from: number;
  to: number;
  /** Seconds credited to each zone at instants from < ts <= to. */
  zone_seconds: ZoneSeconds;
  last_heart_rate: { ts: number; bpm: number } | null;
}

export interface StoreHealth {
  kind: "sqlite" | "victoriametrics";
  reachable: boolean;
  detail?: string;
}

export interface Store {
  readonly kind: StoreHealth["kind"];
  /**
   * Replaces the user's zone series and heart-rate gauge from `rewrite.since` on. `history` gives the
   * rewrite from the user's first sample, for a store that must rebuild a series whole.
   */
  writeZones(rewrite: ZoneRewrite, history: () => ZoneRewrite): Promise<void>;
  summary(user: string, from: number, to: number): Promise<Summary>;
  health(): Promise<StoreHealth>;
  /** Drops everything held for these users (replay starts from nothing). */
  clear(users: string[]): Promise<void>;
  close(): Promise<void>;
}

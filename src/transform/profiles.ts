// Zone settings over time: a person's profiles, each from an instant on, and what changes when the settings do. Pure.
import { zoneBoundsBpm, type ZoneProfile } from "./zones";

/** A profile in force from `from` (unix s; null = since always) until the next entry's `from`. */
export interface DatedProfile {
  from: number | null;
  profile: ZoneProfile;
}

/**
 * The history after the settings say `profile`, in force from `from`: without a date it replaces the whole history;
 * with one, what was in force before that instant stays (history before it keeps the zones it was credited with).
 */
export function nextHistory(held: readonly DatedProfile[], profile: ZoneProfile, from: number | null): DatedProfile[] {
  const kept = from === null ? [] : held.filter((entry) => entry.from === null || entry.from < from);
  if (!kept.length) return [{ from: null, profile }];
  const last = kept.at(-1)!;
  // the same zones again need no new entry
  return sameProfile(last.profile, profile) ? kept : [...kept, { from, profile }];
}

/** The first instant whose zones differ between two histories (null = none differs; -Infinity = from the start). */
export function firstDifference(a: readonly DatedProfile[], b: readonly DatedProfile[]): number | null {
  const edges = [...new Set([-Infinity, ...[...a, ...b].map((e) => e.from ?? -Infinity)])].sort((x, y) => x - y);
  for (const edge of edges) if (!sameProfile(profileAt(a, edge), profileAt(b, edge))) return edge;
  return null;
}

export function profileAt(history: readonly DatedProfile[], ts: number): ZoneProfile | null {
  let found: ZoneProfile | null = null;
  for (const entry of history) if (entry.from === null || entry.from <= ts) found = entry.profile;
  return found;
}

/** Lower bpm bounds of z2..z5 at an instant, for the ledger's crediting. */
export function boundsAt(history: readonly DatedProfile[]): (ts: number) => number[] {
  const bounds = history.map((entry) => ({ from: entry.from ?? -Infinity, bpm: zoneBoundsBpm(entry.profile) }));
  if (bounds.length === 1) {
    const only = bounds[0]!.bpm;
    return () => only;
  }
  return (ts) => {
    let found = bounds[0]!.bpm;
    for (const entry of bounds) if (entry.from <= ts) found = entry.bpm;
    return found;
  };
}

const sameProfile = (a: ZoneProfile | null, b: ZoneProfile | null) => JSON.stringify(a) === JSON.stringify(b);

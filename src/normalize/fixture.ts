// Our own simple shape: {"type":"heart_rate","source"?,"sourceBundleId"?,"device"?,"samples":[{"ts","bpm"}]}.
import { Type, type Static } from "@sinclair/typebox";
import type { Normalized } from "./model";

export const FixturePayload = Type.Object({
  type: Type.Literal("heart_rate"),
  source: Type.Optional(Type.String({ maxLength: 256 })),
  sourceBundleId: Type.Optional(Type.String({ maxLength: 256 })),
  device: Type.Optional(Type.String({ maxLength: 256 })),
  samples: Type.Array(Type.Object({ ts: Type.Number(), bpm: Type.Number() })),
});
export type FixturePayload = Static<typeof FixturePayload>;

export function isFixtureShape(body: unknown): boolean {
  return typeof body === "object" && body !== null && !Array.isArray(body) && ("samples" in body || "type" in body);
}

export function normalizeFixture(body: FixturePayload): Normalized {
  const source = body.source ?? body.sourceBundleId ?? "";
  const device = body.device ?? "";
  return {
    shape: "fixture",
    heartRate: body.samples.map((s) => ({ ts: s.ts, bpm: s.bpm, source, device })),
    gauges: [],
    sleep: [],
    workouts: [],
    ignored: {},
  };
}

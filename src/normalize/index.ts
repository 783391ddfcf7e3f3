// Body → Normalized, whichever shape it is; the one entry the hook, replay and summarize call.
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { invalidPayload } from "../errors";
import { FixturePayload, isFixtureShape, normalizeFixture } from "./fixture";
import { isHaeShape, normalizeHae } from "./hae";
import { joinPath } from "./hae-model";
import type { Normalized } from "./model";

const fixtureCheck = TypeCompiler.Compile(FixturePayload);

export function normalizePayload(body: unknown): Normalized {
  if (isHaeShape(body)) return normalizeHae(body);
  if (isFixtureShape(body)) return normalizeFixtureBody(body);
  throw invalidPayload(
    'unrecognised payload: expected {"type":"heart_rate","samples":[…]} or a Health Auto Export {"data":{…}} body',
  );
}

/** Our fixture shape, checked then normalized (also a piece of one, from normalize/stream.ts). */
export function normalizeFixtureBody(body: unknown): Normalized {
  // Check first: listing Errors walks the body far more slowly, and is only needed to name the problem
  const error = fixtureCheck.Check(body) ? undefined : fixtureCheck.Errors(body).First();
  if (!error) return normalizeFixture(body as FixturePayload);
  const field = joinPath("", body, error.path);
  throw invalidPayload(`${error.message} at ${field || "body"}`, field || undefined);
}

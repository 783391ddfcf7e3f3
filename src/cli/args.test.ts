import { describe, expect, test } from "bun:test";
import { defineCommand, helpText, ioReason, parseCommand, UsageError } from "./args";

const spec = defineCommand({
  name: "try",
  operands: { usage: "[DIR]", max: 1 },
  summary: "A command for the tests.",
  options: {
    out: { type: "string", value: "FILE", default: "x.png", description: "where" },
    sample: { type: "string", value: "NAME", bare: "typical", description: "which sample" },
    json: { type: "boolean", short: "j", description: "as JSON" },
    from: { type: "string", value: "DAY", description: "first day" },
  },
  notes: "Exit status: 0.",
});

const parse = (...argv: string[]) => parseCommand(spec, argv);
const usageError = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (err) {
    return err instanceof UsageError ? err.message : `not a UsageError: ${err}`;
  }
  return null;
};

describe("parseCommand", () => {
  test("typed values with defaults, operands", () => {
    expect(parse()).toEqual({ values: { out: "x.png", sample: undefined, json: false, from: undefined }, operands: [], help: false });
    expect(parse("d", "-j", "--out=y.png", "--from", "2026-01-01")).toEqual({
      values: { out: "y.png", sample: undefined, json: true, from: "2026-01-01" },
      operands: ["d"],
      help: false,
    });
  });

  test("an option with a bare value: alone, before another option, at the end, or with its own value", () => {
    const sample = (...argv: string[]) => parse(...argv).values.sample;
    expect([
      sample("--sample"),
      sample("--sample", "--out", "a.png"),
      sample("--out", "a.png", "--sample"),
      sample("--sample", "extreme"),
      sample("--sample=stale"),
      sample("--sample", "-j"),
    ]).toEqual(["typical", "typical", "typical", "extreme", "stale", "typical"]);
    // after --sample a word is its value, not the operand
    expect(parse("--sample", "dir").operands).toEqual([]);
    expect(parse("dir", "--sample").operands).toEqual(["dir"]);
  });

  test("--help or -h anywhere before -- wins, even over a bad option", () => {
    expect([parse("--help").help, parse("--bogus", "-h").help, parse("--", "-h").help]).toEqual([true, true, false]);
  });

  test("every usage error is one line naming the option", () => {
    expect([
      usageError("--bogus"),
      usageError("-x"),
      usageError("--out"),
      usageError("--out", "--json"),
      usageError("--json=1"),
      usageError("a", "b"),
    ]).toEqual([
      'unknown option "--bogus"',
      'unknown option "-x"',
      "--out needs a value (FILE)",
      "--out needs a value (FILE)",
      "--json takes no value",
      'one DIR only, got "a" and "b"',
    ]);
    const none = defineCommand({ name: "none", summary: "", options: {} });
    expect(() => parseCommand(none, ["x"])).toThrow('unexpected argument "x"');
  });
});

test("--help comes from the same table: usage line, every option with its value name, default and bare value", () => {
  expect(helpText(spec)).toBe(
    `Usage: fitstack try [DIR] [--out FILE] [--sample [NAME]] [-j, --json] [--from DAY]

A command for the tests.

  --out FILE       where (default x.png)
  --sample [NAME]  which sample (no NAME: typical)
  -j, --json       as JSON
  --from DAY       first day
  -h, --help       print this help

Exit status: 0.
`,
  );
});

test("an I/O error's reason without the code and the syscall", () => {
  expect(ioReason(Object.assign(new Error("ENOENT: no such file or directory, open '/no/x.png'"), { code: "ENOENT" }))).toBe("no such file or directory");
  expect(ioReason(new Error("disk on fire\nsecond line"))).toBe("disk on fire");
});

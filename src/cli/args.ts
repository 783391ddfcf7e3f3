// One option table per subcommand: parsed by node:util parseArgs (strict) and printed as the subcommand's --help.
import { parseArgs } from "node:util";
import type { Logger } from "../log";

export interface OptionSpec {
  type: "string" | "boolean";
  description: string;
  /** The value's name in --help, e.g. FILE (string options). */
  value?: string;
  short?: string;
  default?: string | boolean;
  /**
   * A string option that may also stand alone: bare (`--sample`, or followed by another option) it takes this
   * value; followed by a word not starting with "-" it takes that word. parseArgs cannot, so it is done before.
   */
  bare?: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  /** The words after the options in the usage line, e.g. "[DIR|FILE]"; none when the command takes no operands. */
  operands?: { usage: string; max: number };
  summary: string;
  options: O;
  /** Free text after the options: exit status, environment. */
  notes?: string;
}

export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]["type"] extends "boolean" ? boolean : O[K] extends { default: string } ? string : string | undefined;
};

export interface ParsedArgs<O extends Record<string, OptionSpec>> {
  values: OptionValues<O>;
  operands: string[];
  help: boolean;
}

/** A bad command line: one line naming the option; exit status 2. */
export class UsageError extends Error {}

/** A file the user named cannot be read or written: one line naming the path; exit status 1. */
export class PathError extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`${path}: ${ioReason(cause)}`);
  }
}

/** "no such file or directory" from Node's "ENOENT: no such file or directory, open '/x'". */
export function ioReason(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  return /^[A-Z]+: ([^,]+),/.exec(message)?.[1] ?? message.split("\n")[0]!;
}

export function defineCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

export function parseCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, argv: string[]): ParsedArgs<O> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, option] of Object.entries(spec.options)) options[name] = { type: option.type, ...(option.short ? { short: option.short } : {}) };
  const beforeOperands = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (beforeOperands.includes("--help") || beforeOperands.includes("-h")) return { values: {} as OptionValues<O>, operands: [], help: true };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: fillBareValues(spec, argv), options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(usageMessage(spec, err as Error));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const max = spec.operands?.max ?? 0;
  if (parsed.positionals.length > max) {
    const got = parsed.positionals.map((word) => `"${word}"`).join(" and ");
    throw new UsageError(max === 0 ? `unexpected argument ${got}` : `${max === 1 ? "one" : `at most ${max}`} ${spec.operands!.usage.replace(/[[\]]/g, "")} only, got ${got}`);
  }
  for (const [name, option] of Object.entries(spec.options)) {
    values[name] ??= option.default ?? (option.type === "boolean" ? false : undefined);
  }
  delete values.help;
  return { values: values as OptionValues<O>, operands: parsed.positionals, help: false };
}

/** `--sample` bare or before another option → `--sample=typical`; `--sample NAME` stays. */
function fillBareValues(spec: CommandSpec, argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return out.concat(argv.slice(i));
    const option = arg.startsWith("--") ? spec.options[arg.slice(2)] : undefined;
    const next = argv[i + 1];
    if (option?.bare !== undefined && (next === undefined || next.startsWith("-"))) out.push(`${arg}=${option.bare}`);
    else out.push(arg);
  }
  return out;
}

/** parseArgs' messages, some of them three lines long, as one line in our words. */
function usageMessage(spec: CommandSpec, err: Error): string {
  const code = (err as { code?: string }).code;
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? "";
  const name = /--([\w-]+)/.exec(quoted)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option "${quoted.startsWith("-") ? quoted : `-${quoted}`}"`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `unexpected argument "${quoted}"`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/does not take an argument/.test(err.message)) return `--${name} takes no value`;
    return `--${name} needs a value${spec.options[name]?.value ? ` (${spec.options[name]!.value})` : ""}`;
  }
  return err.message.split("\n")[0]!;
}

/** The subcommand's --help, from the same table the parser uses. */
export function helpText(spec: CommandSpec): string {
  const flag = (name: string, option: OptionSpec) => {
    const value = option.value ?? "VALUE";
    const shown = option.type === "boolean" ? "" : option.bare !== undefined ? ` [${value}]` : ` ${value}`;
    return `${option.short ? `-${option.short}, ` : ""}--${name}${shown}`;
  };
  const entries = Object.entries(spec.options);
  const usage = [`fitstack ${spec.name}`, spec.operands?.usage, ...entries.map(([name, option]) => `[${flag(name, option)}]`)].filter(Boolean).join(" ");
  const rows: [string, string][] = entries.map(([name, option]) => {
    const fallback = option.bare !== undefined ? `no ${option.value ?? "VALUE"}: ${option.bare}` : option.default !== undefined && option.default !== false ? `default ${option.default}` : "";
    return [flag(name, option), option.description + (fallback ? ` (${fallback})` : "")];
  });
  rows.push(["-h, --help", "print this help"]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = [`Usage: ${usage}`, "", spec.summary, "", ...rows.map(([left, right]) => `  ${left.padEnd(width)}${indent(right, width + 2)}`)];
  if (spec.notes) lines.push("", spec.notes.trimEnd());
  return lines.join("\n") + "\n";
}

const indent = (text: string, by: number) => text.replaceAll("\n", "\n" + " ".repeat(by));

/** What main.ts hands a subcommand: its environment, logger and output streams (raw text, no newline added). */
export interface CliContext {
  env: Record<string, string | undefined>;
  log: Logger;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Unix seconds. */
  now: () => number;
  /** stdout and stderr are both terminals. */
  interactive: boolean;
}

/** A subcommand module: its table and what runs once the table parsed (exit status; -1 = keeps running). */
export interface Subcommand<O extends Record<string, OptionSpec> = any> {
  command: CommandSpec<O>;
  run(args: ParsedArgs<O>, ctx: CliContext): Promise<number>;
}

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { receiveBody } from "./body";
import { HttpError } from "./errors";
import { RawLog, Spool } from "./raw/rawlog";

const dir = mkdtempSync(join(tmpdir(), "body-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const raw = new RawLog(dir);
const spoolDir = join(dir, "spool");
const spooled = () => (existsSync(spoolDir) ? readdirSync(spoolDir) : []);

/** A request whose body arrives in the given chunks, with or without a Content-Length. */
function request(chunks: Uint8Array[], declare = true): Request {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Request("http://x/hook", { method: "POST", body, headers: declare ? { "content-length": String(length) } : {}, duplex: "half" } as RequestInit);
}

const bytes = (text: string) => new TextEncoder().encode(text);
const chunksOf = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => bytes(text.slice(i * size, (i + 1) * size)));
const readAll = (spool: Spool) => {
  const source = spool.finish();
  const text = new TextDecoder().decode(source.read(0, source.size));
  spool.discard();
  return text;
};

describe("receiveBody: small in memory, big to a spool file", () => {
  const text = `{"type":"heart_rate","samples":[${Array.from({ length: 200 }, (_, i) => `{"ts":${i},"bpm":60}`).join(",")}]}`;

  test("a body within spoolAbove stays in memory, the BOM dropped", async () => {
    const body = await receiveBody(request([bytes("\uFEFF" + text)]), 1 << 20, () => raw.spool(), undefined, 1 << 20);
    expect(body).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(body as Uint8Array)).toBe(text);
  });

  test("a declared length over spoolAbove goes straight to the spool; read back without its BOM; discard removes it", async () => {
    const body = await receiveBody(request(chunksOf("\uFEFF" + text, 100)), 1 << 20, () => raw.spool(), undefined, 1000);
    expect(body).toBeInstanceOf(Spool);
    expect(spooled().length).toBe(1);
    expect(readAll(body as Spool)).toBe(text);
    expect(spooled()).toEqual([]);
  });

  test("a body of unknown length moves to the spool when it grows past spoolAbove, nothing lost at the seam", async () => {
    const body = await receiveBody(request(chunksOf(text, 333), false), 1 << 20, () => raw.spool(), undefined, 1000);
    expect(body).toBeInstanceOf(Spool);
    expect(readAll(body as Spool)).toBe(text);
  });

  test("over the limit while spooling: 413 naming the setting, and the spool is gone", async () => {
    const error = await receiveBody(request(chunksOf(text, 500), false), 2000, () => raw.spool(), "MAX_BODY_MB", 1000).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect([error.status, error.code]).toEqual([413, "body_too_large"]);
    expect(error.message).toContain("MAX_BODY_MB");
    expect(spooled()).toEqual([]);
  });

  test("an empty body is a 400, whatever the path", async () => {
    for (const spoolAbove of [0, 1000]) {
      const error = await receiveBody(request([], false), 2000, () => raw.spool(), undefined, spoolAbove).catch((e) => e);
      expect([error.status, error.code]).toEqual([400, "empty_body"]);
    }
    expect(spooled()).toEqual([]);
  });

  test("a spool file is the owner's only", async () => {
    const spool = raw.spool();
    spool.write(bytes("{}"));
    const mode = (await Bun.file(spool.path).stat()).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(readFileSync(spool.path, "utf8")).toBe("{}");
    spool.discard();
  });

  test("clearSpool removes what this process (at its start) or a process that is gone left, not a live one's", async () => {
    const mine = raw.spool();
    mine.write(bytes("{"));
    await Bun.write(join(spoolDir, "999999999-left-behind.json"), "{");
    await Bun.write(join(spoolDir, "1-another-live-process.json"), "{"); // pid 1 is alive
    raw.clearSpool();
    expect(spooled()).toEqual(["1-another-live-process.json"]);
    mine.discard();
    rmSync(join(spoolDir, "1-another-live-process.json"));
  });
});

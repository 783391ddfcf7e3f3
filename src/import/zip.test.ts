import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeZip, type ZipOptions } from "../../tests/support/export";
import { centralDirectory, entryBytes, localEntries, ZipError } from "./zip";

const dir = mkdtempSync(join(tmpdir(), "fitstack-zip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 300 kB that deflates well, and one that barely does (sizes differ between the two fields)
const text = "<Record value=\"1\"/>\n".repeat(15_000);
const noise = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 2654435761) >>> 24);

async function write(name: string, options: ZipOptions) {
  const path = join(dir, name);
  await Bun.write(path, makeZip([{ name: "apple_health_export/export.xml", data: text }, { name: "b.bin", data: noise, store: true }], options));
  return path;
}

async function readAll(path: string, entry: Parameters<typeof entryBytes>[1]) {
  const parts: Uint8Array[] = [];
  for await (const chunk of entryBytes(path, entry)) parts.push(chunk);
  return Buffer.concat(parts);
}

const unzip = Bun.which("unzip");

describe("zip reader", () => {
  for (const [label, options] of [
    ["plain", {}],
    ["ZIP64 records and extra fields", { zip64: true }],
    ["data descriptors (Mac re-zip)", { dataDescriptors: true }],
  ] as [string, ZipOptions][]) {
    test(`${label}: central directory and every entry's bytes`, async () => {
      const path = await write(`${label.split(" ")[0]}.zip`, options);
      // the writer's output is a valid zip for Info-ZIP too, so the reader is not only checked against itself
      if (unzip) expect(Bun.spawnSync([unzip, "-tq", path]).exitCode).toBe(0);
      const entries = (await centralDirectory(path))!;
      expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([
        ["apple_health_export/export.xml", 8, text.length],
        ["b.bin", 0, noise.length],
      ]);
      expect((await readAll(path, entries[0]!)).toString()).toBe(text);
      expect(new Uint8Array(await readAll(path, entries[1]!))).toEqual(noise);
    });
  }

  test("a zip cut short: no central directory, entries from local headers, bytes until the damage, then ZipError", async () => {
    const whole = await Bun.file(await write("cut-src.zip", { dataDescriptors: true })).bytes();
    const path = join(dir, "cut.zip");
    await Bun.write(path, whole.subarray(0, 1500));
    expect(await centralDirectory(path)).toBeNull();
    const [entry] = await localEntries(path);
    expect(entry!.name).toBe("apple_health_export/export.xml");
    const got: Uint8Array[] = [];
    let error: unknown;
    try {
      for await (const chunk of entryBytes(path, entry!)) got.push(chunk);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ZipError);
    const prefix = Buffer.concat(got).toString();
    // 1,500 bytes of deflate hold far more than 1,500 bytes of this text, all of it a prefix of the original
    expect(prefix.length).toBeGreaterThan(1500);
    expect(text.startsWith(prefix)).toBe(true);
  });
});

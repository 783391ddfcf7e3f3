// A zip read in place: the central directory (ZIP64 too) and one entry streamed through inflate, never
// unpacked to disk nor held whole. A zip cut short (no central directory) is read from its local headers.
import { createInflateRaw } from "node:zlib";

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  /** Uncompressed size, or null when unknown (a truncated zip's data-descriptor entry). */
  size: number | null;
  localOffset: number;
}

export class ZipError extends Error {}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;

async function bytes(path: string, start: number, end: number): Promise<DataView> {
  const buf = await Bun.file(path).slice(start, end).arrayBuffer();
  return new DataView(buf);
}

const u64 = (view: DataView, at: number) => Number(view.getBigUint64(at, true));

/** The entries of the central directory, or null when there is none (a zip cut short). */
export async function centralDirectory(path: string): Promise<ZipEntry[] | null> {
  const fileSize = Bun.file(path).size;
  const tailStart = Math.max(0, fileSize - 22 - MAX_COMMENT);
  const tail = await bytes(path, tailStart, fileSize);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  let count = tail.getUint16(eocd + 10, true);
  let cdSize = tail.getUint32(eocd + 12, true);
  let cdOffset = tail.getUint32(eocd + 16, true);
  // ZIP64: the classic record holds 0xffff…; the real values sit in the ZIP64 record its locator points at
  if (eocd >= 20 && tail.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const at = u64(tail, eocd - 20 + 8);
    const z64 = await bytes(path, at, at + 56);
    if (z64.getUint32(0, true) !== ZIP64_EOCD) throw new ZipError("the ZIP64 end record is damaged");
    count = u64(z64, 32);
    cdSize = u64(z64, 40);
    cdOffset = u64(z64, 48);
  }
  if (cdOffset + cdSize > fileSize) return null;
  const cd = await bytes(path, cdOffset, cdOffset + cdSize);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count && p + 46 <= cd.byteLength; n++) {
    if (cd.getUint32(p, true) !== CENTRAL) throw new ZipError(`the central directory is damaged at entry ${n + 1}`);
    const method = cd.getUint16(p + 10, true);
    let compressedSize = cd.getUint32(p + 20, true);
    let size = cd.getUint32(p + 24, true);
    const nameLength = cd.getUint16(p + 28, true);
    const extraLength = cd.getUint16(p + 30, true);
    const commentLength = cd.getUint16(p + 32, true);
    let localOffset = cd.getUint32(p + 42, true);
    const name = decoder.decode(new Uint8Array(cd.buffer, cd.byteOffset + p + 46, nameLength));
    // ZIP64 extra field (0x0001): the 64-bit values, in this order, for each 32-bit field that is 0xffffffff
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.getUint16(e, true);
      const length = cd.getUint16(e + 2, true);
      if (id === 1) {
        let f = e + 4;
        if (size === 0xffffffff) (size = u64(cd, f)), (f += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(cd, f)), (f += 8);
        if (localOffset === 0xffffffff) localOffset = u64(cd, f);
      }
      e += 4 + length;
    }
    entries.push({ name, method, compressedSize, size, localOffset });
    p = extraEnd + commentLength;
  }
  return entries;
}

/**
 * Entries found by walking local headers from the start: what a zip cut short still holds. Sizes of
 * data-descriptor entries are unknown, so the walk looks for the next header signature after them.
 */
export async function localEntries(path: string): Promise<ZipEntry[]> {
  const file = Bun.file(path);
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder();
  let at = 0;
  while (at + 30 <= file.size) {
    const head = await bytes(path, at, Math.min(file.size, at + 30 + 0xffff * 2));
    if (head.byteLength < 30 || head.getUint32(0, true) !== LOCAL) {
      const next = await findSignature(path, at + 1);
      if (next < 0) break;
      at = next;
      continue;
    }
    const flags = head.getUint16(6, true);
    const method = head.getUint16(8, true);
    const compressedSize = head.getUint32(18, true);
    const size = head.getUint32(22, true);
    const nameLength = head.getUint16(26, true);
    const extraLength = head.getUint16(28, true);
    if (30 + nameLength > head.byteLength) break;
    const name = decoder.decode(new Uint8Array(head.buffer, 30, nameLength));
    const sizesKnown = (flags & 8) === 0 && compressedSize !== 0xffffffff;
    entries.push({ name, method, compressedSize: sizesKnown ? compressedSize : file.size - at, size: sizesKnown ? size : null, localOffset: at });
    const dataStart = at + 30 + nameLength + extraLength;
    const next = sizesKnown ? dataStart + compressedSize : await findSignature(path, dataStart);
    if (next < 0 || next <= at) break;
    at = next;
  }
  return entries;
}

async function findSignature(path: string, from: number): Promise<number> {
  const file = Bun.file(path);
  const CHUNK = 1 << 20;
  for (let at = from; at < file.size; at += CHUNK - 3) {
    const chunk = new Uint8Array(await file.slice(at, Math.min(file.size, at + CHUNK)).arrayBuffer());
    for (let i = chunk.indexOf(0x50); i >= 0 && i + 3 < chunk.length; i = chunk.indexOf(0x50, i + 1)) {
      if (chunk[i + 1] === 0x4b && chunk[i + 2] === 3 && chunk[i + 3] === 4) return at + i;
    }
  }
  return -1;
}

/**
 * The entry's uncompressed bytes, chunk by chunk. A truncated entry yields what inflates and then throws
 * ZipError; inflate runs in the native zlib, so memory stays at a chunk or two.
 */
export async function* entryBytes(path: string, entry: ZipEntry): AsyncGenerator<Uint8Array> {
  const file = Bun.file(path);
  const head = await bytes(path, entry.localOffset, entry.localOffset + 30);
  if (head.byteLength < 30 || head.getUint32(0, true) !== LOCAL) throw new ZipError(`the local header of ${entry.name} is damaged`);
  const dataStart = entry.localOffset + 30 + head.getUint16(26, true) + head.getUint16(28, true);
  const end = Math.min(file.size, dataStart + entry.compressedSize);
  const raw = file.slice(dataStart, end).stream();
  if (entry.method === 0) {
    for await (const chunk of raw) yield chunk;
    if (dataStart + entry.compressedSize > file.size) throw new ZipError("the zip ends inside the entry");
    return;
  }
  if (entry.method !== 8) throw new ZipError(`${entry.name} uses compression method ${entry.method}; only deflate is supported`);
  const inflate = createInflateRaw({ chunkSize: 256 * 1024 });
  const feed = (async () => {
    try {
      for await (const chunk of raw) {
        if (inflate.destroyed) return;
        // "close" too: a reader that stops early destroys the inflater, which then never drains
        if (!inflate.write(chunk)) await drainedOrClosed(inflate);
      }
      if (!inflate.destroyed) inflate.end();
    } catch (err) {
      inflate.destroy(err as Error);
    }
  })();
  try {
    for await (const chunk of inflate) yield chunk as Uint8Array;
  } catch (err) {
    throw new ZipError(`the zip is damaged inside ${entry.name}: ${(err as Error).message}`);
  } finally {
    inflate.destroy();
    await feed;
  }
}

function drainedOrClosed(stream: ReturnType<typeof createInflateRaw>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

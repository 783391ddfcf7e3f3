// Small Health-app exports made in tests: export.xml text, and zips as the phone, a Mac or ZIP64 writes them.
import { deflateRawSync } from "node:zlib";

/** The DTD of an iOS 16 export (HealthKit Export Version 12): the VisionPrescription ATTLIST is never closed. */
export const BROKEN_DTD = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 12 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT VisionPrescription (RightEye?, LeftEye?, Attachment*, MetadataEntry*)>
<!ATTLIST VisionPrescription
  type CDATA #REQUIRED
  dateIssued CDATA #REQUIRED
  expirationDate CDATA #IMPLIED
  brand CDATA #IMPLIED
<!ELEMENT RightEye EMPTY>
<!ATTLIST RightEye
  sphere CDATA #IMPLIED
  device CDATA #IMPLIED
>
>
]>
`;

export const GOOD_DTD = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
`;

export const WATCH_DEVICE = "&lt;&lt;HKDevice: 0x282a45810&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:9.1&gt;";
export const PHONE_DEVICE = "&lt;&lt;HKDevice: 0x283f11220&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,3, software:16.1&gt;";

export interface RecordSpec {
  type: string;
  start: string;
  end?: string;
  value?: string | number;
  unit?: string;
  source?: string;
  device?: string;
  children?: string;
}

const attr = (name: string, value: string | number | undefined) => (value === undefined ? "" : ` ${name}="${value}"`);

export function record(r: RecordSpec): string {
  const type = r.type.startsWith("HK") ? r.type : `HKQuantityTypeIdentifier${r.type}`;
  const head = ` <Record type="${type}" sourceName="${r.source ?? "Ann’s Apple Watch"}" sourceVersion="9.1"${attr("device", r.device)}${attr("unit", r.unit)} creationDate="${r.end ?? r.start}" startDate="${r.start}" endDate="${r.end ?? r.start}"${attr("value", r.value)}`;
  return r.children ? `${head}>\n${r.children}\n </Record>` : `${head}/>`;
}

/** Heart-rate records every `stepS` seconds from `start` (a "yyyy-MM-dd HH:mm:ss ±HHMM" local time, UTC offset in it). */
export function heartRateRecords(startUnix: number, count: number, stepS: number, bpm: (i: number) => number, offset = "+0000", source?: string): string[] {
  return Array.from({ length: count }, (_, i) => record({ type: "HeartRate", start: localDate(startUnix + i * stepS, offset), value: bpm(i), unit: "count/min", source }));
}

/** Unix seconds → "yyyy-MM-dd HH:mm:ss ±HHMM" in the given offset. */
export function localDate(unix: number, offset = "+0000"): string {
  const sign = offset[0] === "-" ? -1 : 1;
  const shift = sign * (Number(offset.slice(1, 3)) * 3600 + Number(offset.slice(3, 5)) * 60);
  const iso = new Date((unix + shift) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} ${offset}`;
}

export function exportXml(body: string[], dtd = GOOD_DTD): string {
  return `${dtd}<HealthData locale="en_FR">\n <ExportDate value="2024-01-10 10:00:00 +0100"/>\n <Me HKCharacteristicTypeIdentifierDateOfBirth="1990-02-02"/>\n${body.join("\n")}\n</HealthData>\n`;
}

export interface ZipFileSpec {
  name: string;
  data: string | Uint8Array;
  /** Default deflate. */
  store?: boolean;
}

export interface ZipOptions {
  /** Write ZIP64 extra fields and end records even though the sizes are small. */
  zip64?: boolean;
  /** Local headers without sizes, followed by data descriptors (what macOS Archive Utility writes). */
  dataDescriptors?: boolean;
}

/** A zip file's bytes, written by hand so each variant (ZIP64, data descriptors) is exactly what a test asks for. */
export function makeZip(files: ZipFileSpec[], options: ZipOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const encoder = new TextEncoder();
  for (const file of files) {
    const raw = typeof file.data === "string" ? encoder.encode(file.data) : file.data;
    const data = file.store ? raw : new Uint8Array(deflateRawSync(raw));
    const method = file.store ? 0 : 8;
    const crc = Bun.hash.crc32(raw);
    const name = encoder.encode(file.name);
    const flags = 0x800 | (options.dataDescriptors ? 8 : 0);
    const z64 = options.zip64;
    const localExtra = z64 ? zip64Extra([raw.length, data.length]) : new Uint8Array();
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, z64 ? 45 : 20, true);
    local.setUint16(6, flags, true);
    local.setUint16(8, method, true);
    local.setUint32(14, options.dataDescriptors ? 0 : crc, true);
    local.setUint32(18, z64 ? 0xffffffff : options.dataDescriptors ? 0 : data.length, true);
    local.setUint32(22, z64 ? 0xffffffff : options.dataDescriptors ? 0 : raw.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, localExtra.length, true);
    parts.push(new Uint8Array(local.buffer), name, localExtra, data);
    let length = 30 + name.length + localExtra.length + data.length;
    if (options.dataDescriptors) {
      const dd = new DataView(new ArrayBuffer(z64 ? 24 : 16));
      dd.setUint32(0, 0x08074b50, true);
      dd.setUint32(4, crc, true);
      if (z64) dd.setBigUint64(8, BigInt(data.length), true), dd.setBigUint64(16, BigInt(raw.length), true);
      else dd.setUint32(8, data.length, true), dd.setUint32(12, raw.length, true);
      parts.push(new Uint8Array(dd.buffer));
      length += dd.byteLength;
    }
    const centralExtra = z64 ? zip64Extra([raw.length, data.length, offset]) : new Uint8Array();
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, z64 ? 45 : 20, true);
    cd.setUint16(6, z64 ? 45 : 20, true);
    cd.setUint16(8, flags, true);
    cd.setUint16(10, method, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, z64 ? 0xffffffff : data.length, true);
    cd.setUint32(24, z64 ? 0xffffffff : raw.length, true);
    cd.setUint16(28, name.length, true);
    cd.setUint16(30, centralExtra.length, true);
    cd.setUint32(42, z64 ? 0xffffffff : offset, true);
    central.push(new Uint8Array(cd.buffer), name, centralExtra);
    offset += length;
  }
  const cdSize = central.reduce((sum, p) => sum + p.length, 0);
  const cdOffset = offset;
  const tail: Uint8Array[] = [];
  if (options.zip64) {
    const rec = new DataView(new ArrayBuffer(56));
    rec.setUint32(0, 0x06064b50, true);
    rec.setBigUint64(4, 44n, true);
    rec.setUint16(12, 45, true);
    rec.setUint16(14, 45, true);
    rec.setBigUint64(24, BigInt(files.length), true);
    rec.setBigUint64(32, BigInt(files.length), true);
    rec.setBigUint64(40, BigInt(cdSize), true);
    rec.setBigUint64(48, BigInt(cdOffset), true);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, 0x07064b50, true);
    locator.setBigUint64(8, BigInt(cdOffset + cdSize), true);
    locator.setUint32(16, 1, true);
    tail.push(new Uint8Array(rec.buffer), new Uint8Array(locator.buffer));
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, options.zip64 ? 0xffff : files.length, true);
  end.setUint16(10, options.zip64 ? 0xffff : files.length, true);
  end.setUint32(12, options.zip64 ? 0xffffffff : cdSize, true);
  end.setUint32(16, options.zip64 ? 0xffffffff : cdOffset, true);
  tail.push(new Uint8Array(end.buffer));
  return Buffer.concat([...parts, ...central, ...tail]);
}

function zip64Extra(values: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(4 + values.length * 8));
  view.setUint16(0, 1, true);
  view.setUint16(2, values.length * 8, true);
  values.forEach((v, i) => view.setBigUint64(4 + i * 8, BigInt(v), true));
  return new Uint8Array(view.buffer);
}

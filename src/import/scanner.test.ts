import { describe, expect, test } from "bun:test";
import { BROKEN_DTD, exportXml, GOOD_DTD } from "../../tests/support/export";
import { decodeEntities, scanHealthXml, type XmlTag } from "./scanner";

async function* chunksOf(text: string, size: number) {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function scan(text: string, size = 1 << 16) {
  const tags: XmlTag[] = [];
  const result = await scanHealthXml(chunksOf(text, size), { wantsAttributes: (name) => name !== "Me", tag: (t) => tags.push(t) });
  return { result, tags: tags.map((t) => `${t.kind}:${t.name}${Object.keys(t.attrs).length ? " " + JSON.stringify(t.attrs) : ""}`) };
}

const BODY = [
  ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Ann’s Apple Watch" device="&lt;&lt;HKDevice: 0x1&gt;, hardware:Watch6,2&gt;" unit="count/min" startDate="2024-01-01 10:00:00 +0100" value="61">`,
  `  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>`,
  ` </Record>`,
  ` <Record type="HKQuantityTypeIdentifierVO2Max" unit="mL/min&#183;kg" value="41.5" note="a > b\u000b"/>`,
  ` <!-- a comment with <Record type="x"/> inside -->`,
  ` <Unknown a="1"/>`,
];

describe("scanHealthXml", () => {
  const expected = [
    "open:HealthData {\"locale\":\"en_FR\"}",
    "self:ExportDate {\"value\":\"2024-01-10 10:00:00 +0100\"}",
    "self:Me",
    'open:Record {"type":"HKQuantityTypeIdentifierHeartRate","sourceName":"Ann’s Apple Watch","device":"<<HKDevice: 0x1>, hardware:Watch6,2>","unit":"count/min","startDate":"2024-01-01 10:00:00 +0100","value":"61"}',
    'self:MetadataEntry {"key":"HKMetadataKeyHeartRateMotionContext","value":"0"}',
    "close:Record",
    'self:Record {"type":"HKQuantityTypeIdentifierVO2Max","unit":"mL/min·kg","value":"41.5","note":"a > b\\u000b"}',
    'self:Unknown {"a":"1"}',
    "close:HealthData",
  ];

  test("reads past the iOS 16 DTD that is never closed, and every tag after it", async () => {
    const { result, tags } = await scan(exportXml(BODY, BROKEN_DTD));
    expect(tags).toEqual(expected);
    expect(result.complete).toBe(true);
  });

  test("the same tags whatever the chunk boundaries (1 byte, 7 bytes, a UTF-8 character split)", async () => {
    const text = exportXml(BODY, GOOD_DTD);
    expect((await scan(text, 1)).tags).toEqual(expected);
    expect((await scan(text, 7)).tags).toEqual(expected);
  });

  test("a file cut short: tags before the cut, complete false, where it stopped", async () => {
    const text = exportXml(BODY, GOOD_DTD);
    const cut = text.indexOf("<Unknown") + 5;
    const { result, tags } = await scan(text.slice(0, cut));
    expect(tags.at(-1)).toStartWith("self:Record");
    expect(result.complete).toBe(false);
    // the stop is at the start of the unfinished tag, in characters of the text read
    expect(result.stoppedAt).toBe(text.slice(0, text.indexOf("<Unknown")).length);
  });

  test("entities: named, decimal and hex; other text untouched", () => {
    expect(decodeEntities("&lt;a&gt; &amp; &quot;&apos; &#183; &#x2019; & plain")).toBe("<a> & \"' · ’ & plain");
  });
});

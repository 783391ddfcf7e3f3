// Header sets as each firmware generation and client sends them (../shared/reference/trmnl.md G4, G7).
import { expect, test } from "bun:test";
import { chooseFormat, firmwareAtLeast, readDeviceHeaders, type DeviceMode } from "./deviceFormat";

const common = { ID: "AA:BB:CC:DD:EE:FF", "Access-Token": "k", "Refresh-Rate": "900", "Battery-Voltage": "4.02", RSSI: "-61" };
const CLIENTS: Record<string, Record<string, string>> = {
  // ≤1.5.7: Width/Height but no Model
  og_1_4_6: { ...common, "FW-Version": "1.4.6", Width: "800", Height: "480" },
  og_1_5_8: { ...common, "FW-Version": "1.5.8", Model: "og", Width: "800", Height: "480" },
  og_1_6_0: { ...common, "FW-Version": "1.6.0", Model: "og", Width: "800", Height: "480" },
  og_gen2_1_8_14: {
    ...common,
    "Update-Source": "timer",
    "FW-Version": "1.8.14",
    "FW-Commit": "74f7b18",
    Model: "og_gen2",
    "Image-Cached": "true",
    "Wake-Time": "1",
    "WiFi-Band": "2.4",
    "Temperature-Profile": "true",
    Width: "800",
    Height: "480",
  },
  x_1_8_6: { ...common, "FW-Version": "1.8.6", Model: "x", Width: "1872", Height: "1404" },
  x_1_8_14: { ...common, "Percent-Charged": "81", "Battery-Count": "2", "FW-Version": "1.8.14", Model: "x", Width: "1872", Height: "1404" },
  // before 1.8.10 (#424) board names were spelled like this
  e1001_1_8_6: { ...common, "FW-Version": "1.8.6", Model: "reTerminal E1001", Width: "800", Height: "480" },
  xteink_old: { ...common, "FW-Version": "1.8.2", Model: "XTEINK_X4", Width: "800", Height: "480" },
  papers3: { ...common, "FW-Version": "1.8.6", Model: "PaperS3", Width: "960", Height: "540" },
  e1003_no_size: { ...common, "FW-Version": "1.8.12", Model: "reterminal_e1003" },
  colour_e1002: { ...common, "FW-Version": "1.8.12", Model: "reterminal_e1002", Width: "800", Height: "480" },
  kindle: { "access-token": "k", "battery-voltage": "3.9", "png-width": "758", "png-height": "1024", rssi: "-50", ID: "AA:BB:CC:DD:EE:FF", "User-Agent": "trmnl-display/0.1.1" },
  kobo: { ID: "AA:BB:CC:DD:EE:FF", "Access-Token": "k", "Battery-Voltage": "3.7", RSSI: "-55", "FW-Version": "0.4.0" },
  pi: { "access-token": "k", ID: "AA:BB:CC:DD:EE:FF", "battery-voltage": "100.00", rssi: "0", "User-Agent": "trmnl-display/0.2.0" },
};

const choose = (client: string, mode?: DeviceMode, portrait = false) => {
  const f = chooseFormat(readDeviceHeaders(new Headers(CLIENTS[client])), mode, portrait);
  return `${f.kind} ${f.width}x${f.height} ${f.depth}-bit ≤${f.maxBytes}`;
};

test("without a mode: OG 1-bit, 4-grey boards 2-bit, X-class 4-bit at native size, Kindle 8-bit, the rest 1-bit", () => {
  expect(Object.keys(CLIENTS).map((client) => `${client}: ${choose(client)}`)).toEqual([
    "og_1_4_6: mono 800x480 1-bit ≤89999",
    "og_1_5_8: og 800x480 1-bit ≤89999",
    "og_1_6_0: og 800x480 1-bit ≤89999",
    "og_gen2_1_8_14: og 800x480 1-bit ≤89999",
    "x_1_8_6: x 1872x1404 4-bit ≤750000",
    "x_1_8_14: x 1872x1404 4-bit ≤750000",
    "e1001_1_8_6: grey800 800x480 2-bit ≤89999",
    "xteink_old: grey800 800x480 2-bit ≤89999",
    "papers3: x 960x540 4-bit ≤750000",
    "e1003_no_size: x 1872x1404 4-bit ≤750000",
    "colour_e1002: mono 800x480 1-bit ≤89999",
    "kindle: kindle 758x1024 8-bit ≤512000",
    "kobo: mono 800x480 1-bit ≤89999",
    "pi: mono 800x480 1-bit ≤89999",
  ]);
});

test("grey: 2-bit on OGs from firmware 1.6.0, never before; 4-bit on X-class; grey for clients that are not TRMNL firmware", () => {
  expect(["og_1_4_6", "og_1_5_8", "og_1_6_0", "og_gen2_1_8_14", "x_1_8_14", "kobo"].map((client) => choose(client, "grey"))).toEqual([
    "mono 800x480 1-bit ≤89999",
    "og 800x480 1-bit ≤89999",
    "og 800x480 2-bit ≤89999",
    "og 800x480 2-bit ≤89999",
    "x 1872x1404 4-bit ≤750000",
    "mono 800x480 2-bit ≤512000",
  ]);
});

test("1bit and kindle modes, and portrait turning a landscape panel but not a client that asked for a portrait size", () => {
  expect([
    choose("e1001_1_8_6", "1bit"),
    choose("x_1_8_14", "1bit"),
    choose("kobo", "kindle"),
    choose("x_1_8_14", undefined, true),
    // the X draws a portrait PNG upright only from firmware 1.8.14
    choose("x_1_8_6", undefined, true),
    choose("og_1_6_0", "grey", true),
    choose("kindle", undefined, true),
    choose("kindle", undefined, false),
  ]).toEqual([
    "grey800 800x480 1-bit ≤89999",
    "x 1872x1404 1-bit ≤750000",
    "kindle 800x480 8-bit ≤512000",
    "x 1404x1872 4-bit ≤750000",
    "x 1872x1404 4-bit ≤750000",
    "og 480x800 2-bit ≤89999",
    "kindle 758x1024 8-bit ≤512000",
    "kindle 758x1024 8-bit ≤512000",
  ]);
});

test("firmware versions compare by number, a missing or odd one is never new enough", () => {
  expect([
    firmwareAtLeast("1.6.0", [1, 6, 0]),
    firmwareAtLeast("1.10.0", [1, 6, 0]),
    firmwareAtLeast("v1.8.14+dev", [1, 6, 0]),
    firmwareAtLeast("1.5.12", [1, 6, 0]),
    firmwareAtLeast(null, [1, 6, 0]),
    firmwareAtLeast("beta", [1, 6, 0]),
  ]).toEqual([true, true, true, false, false, false]);
});

test("sizes out of bounds are ignored", () => {
  const seen = readDeviceHeaders(new Headers({ Model: " X ", Width: "0", Height: "99999", "png-width": "abc" }));
  expect(seen).toEqual({ model: "X", fwVersion: null, width: null, height: null, pngWidth: null, pngHeight: null });
  expect(chooseFormat(seen, undefined, false)).toEqual({ kind: "x", width: 1872, height: 1404, depth: 4, maxBytes: 750_000 });
});

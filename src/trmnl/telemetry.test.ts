import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batteryLow, DeviceTelemetry, readDeviceReading } from "./telemetry";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "fitstack-telemetry-"));
  dirs.push(dir);
  return join(dir, "trmnl", "telemetry.json");
};

test("headers → a reading: believable numbers kept, fakes and garbage dropped", () => {
  const read = (h: Record<string, string>) => readDeviceReading("AA:BB:CC:DD:EE:FF", new Headers(h), 1000);
  expect(read({ "Battery-Voltage": "3.87", "Percent-Charged": "64", RSSI: "-61" })).toEqual({ device: "AA:BB:CC:DD:EE:FF", ts: 1000, batteryVolts: 3.87, percentCharged: 64, rssiDbm: -61 });
  // trmnl-display's "100.00" volts, a percentage over 100, a positive dBm, text
  expect(read({ "battery-voltage": "100.00", "percent-charged": "140", rssi: "12" })).toMatchObject({ batteryVolts: null, percentCharged: null, rssiDbm: null });
  expect(read({ "Battery-Voltage": "abc", RSSI: "" })).toMatchObject({ batteryVolts: null, rssiDbm: null });
});

test("low battery: under 3.5 V, or at most 15 % where the charge is reported", () => {
  const reading = (batteryVolts: number | null, percentCharged: number | null) => ({ device: "d", ts: 0, batteryVolts, percentCharged, rssiDbm: null });
  expect([reading(3.49, null), reading(3.5, null), reading(null, 15), reading(4.1, 16), reading(null, null)].map(batteryLow)).toEqual([true, false, true, false, false]);
});

test("the latest reading per device survives a restart, in a file only its owner reads; a damaged file starts over", () => {
  const file = tempFile();
  const telemetry = new DeviceTelemetry(file);
  telemetry.record({ device: "A", ts: 1, batteryVolts: 4, percentCharged: null, rssiDbm: -50 });
  telemetry.record({ device: "A", ts: 2, batteryVolts: 3.9, percentCharged: null, rssiDbm: -52 });
  telemetry.record({ device: "B", ts: 3, batteryVolts: null, percentCharged: null, rssiDbm: null });
  expect(new DeviceTelemetry(file).all()).toEqual([
    { device: "A", ts: 2, batteryVolts: 3.9, percentCharged: null, rssiDbm: -52 },
    { device: "B", ts: 3, batteryVolts: null, percentCharged: null, rssiDbm: null },
  ]);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  writeFileSync(file, '{"devices": {"A": ');
  expect(new DeviceTelemetry(file).all()).toEqual([]);
});

// TRMNL routes: the BYOS device API (/api/setup, /api/display, /api/log), the images, and the cloud Redirect plugin.
// Firmware traps (see ../shared/reference/trmnl.md): a JSON `status` of 500 or `reset_firmware:true` factory-resets
// the device and `status` 202 drains its battery, so neither is ever sent; errors are plain HTTP statuses.
import { Elysia } from "elysia";
import { sameSecret } from "../auth";
import { checkNesting, readBody } from "../body";
import type { TrmnlConfig } from "../config";
import { HttpError, notFound } from "../errors";
import type { Logger } from "../log";
import { renderDashboard } from "../render/dashboard";
import { decodePng1Bit } from "../render/png1bit";
import { emptyData } from "../render/sample-data";
import { clientAddress, FAILED_ATTEMPTS_LIMIT, type FailedAttempts } from "./attempts";
import { encodeBmp1Bit } from "./bmp";
import type { DashboardImage, Dashboards, ImageRequest } from "./dashboards";
import { chooseFormat, describeFormat, readDeviceHeaders } from "./deviceFormat";
import { DeviceLog, logEntries } from "./deviceLog";
import type { DeviceRegistry } from "./devices";
import { quietSleepS, quietUntil } from "./quietHours";
import { batteryLow, readDeviceReading, type DeviceReading, type DeviceTelemetry } from "./telemetry";

export interface TrmnlDeps {
  config: TrmnlConfig;
  /** Who /trmnl/redirect and /trmnl/dashboard.png show (USER_LABEL). */
  userLabel: string;
  dashboards: Dashboards;
  devices: DeviceRegistry;
  deviceLog: DeviceLog;
  telemetry: DeviceTelemetry;
  /** Hands each device reading to the store as metrics; a failure is logged, never the device's problem. */
  recordReading?: (reading: DeviceReading) => Promise<void>;
  clock: () => Date;
  log: Logger;
  /** Failed setup/key attempts per client address (429 over the limit). */
  attempts: FailedAttempts;
  /** The socket's peer address of a request (serve knows it; app.handle in tests has none). */
  peer?: (request: Request) => string | null | undefined;
}

const MAX_LOG_BYTES = 256 * 1024;
const deviceUnauthorized = () => new HttpError(401, "unauthorized", "unknown device or wrong Access-Token");
// one answer for an unlisted MAC and a listed one outside its window: a MAC guess learns nothing
const notPairing = () => new HttpError(404, "device_not_pairing", "this device is not open for pairing (TRMNL_DEVICES, then `fitstack trmnl pair MAC`)");
/** Header values a device sends, as logged: a 12 KB header is not a 12 KB log line. */
const logged = (value: string | null) => (value === null ? null : value.slice(0, 40));
const tokenUnauthorized = () => new HttpError(401, "unauthorized", "missing or wrong token");

function png(image: DashboardImage, headers: Record<string, string> = {}): Response {
  // exactly image/png and never compressed: the firmware reads anything else as BMP and asks for identity encoding
  return new Response(image.png, { headers: { "content-type": "image/png", "content-length": String(image.png.length), etag: image.etag, ...headers } });
}

export function trmnlRoutes(deps?: TrmnlDeps) {
  if (!deps) return new Elysia();
  const { config, dashboards, devices, log, attempts } = deps;
  const addressOf = (request: Request) => clientAddress(deps.peer?.(request), request.headers);
  /** 429 with Retry-After for an address over the limit of failed attempts. */
  const checkAttempts = (address: string) => {
    const retryAfter = attempts.retryAfterS(address);
    if (retryAfter > 0) throw new HttpError(429, "too_many_attempts", "too many failed device attempts from this address", undefined, { "retry-after": String(retryAfter) });
  };
  /** Counts a failure; logs only an address's first one and the one reaching the limit, so refusals cannot fill the log. */
  const failed = (address: string, what: string, mac: string | null) => {
    const count = attempts.fail(address);
    if (count === 1 || count === FAILED_ATTEMPTS_LIMIT) log.warn(what, { device: logged(mac), address: logged(address), failures: count });
  };

  /** Where the device fetches from: TRMNL_BASE_URL, else what it called (it sends its key only to its own base URL). */
  const baseUrl = (request: Request) => {
    if (config.baseUrl) return config.baseUrl;
    const url = new URL(request.url);
    const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || url.protocol.slice(0, -1);
    return `${proto}://${request.headers.get("host") ?? url.host}`;
  };
  const device = (request: Request) => {
    const address = addressOf(request);
    const mac = request.headers.get("id");
    // a known key always works; only a failing one from an address over the limit is turned away
    const found = devices.authenticate(mac, request.headers.get("access-token"), attempts.retryAfterS(address) === 0);
    if (found) return found;
    checkAttempts(address);
    failed(address, "trmnl device refused: unknown device or wrong key", mac);
    throw deviceUnauthorized();
  };
  /** The TRMNL_TOKEN routes do not exist unless it is set. */
  const checkToken = (given: string | undefined) => {
    if (!config.token) throw notFound();
    if (!given || !sameSecret(given, config.token)) throw tokenUnauthorized();
    return config.token;
  };
  let setupBmp: Promise<Uint8Array> | undefined;
  /** What each device's last /api/display asked for, so its download renders the same image if it left the cache. */
  const lastRequest = new Map<string, ImageRequest>();

  return new Elysia()
    .get("/api/setup", ({ request }) => {
      const address = addressOf(request);
      checkAttempts(address);
      const mac = request.headers.get("id");
      const registered = devices.setup(mac);
      if (!registered) {
        failed(address, "trmnl setup refused: MAC not listed in TRMNL_DEVICES or not open for pairing", mac);
        throw notPairing();
      }
      log.info("trmnl device set up", { device: registered.mac, friendly_id: registered.friendlyId });
      return Response.json({
        status: 200,
        api_key: registered.apiKey,
        friendly_id: registered.friendlyId,
        image_url: `${baseUrl(request)}/trmnl/setup.bmp`,
        message: "fitstack: registered",
      });
    })
    .get("/api/display", async ({ request }) => {
      const started = performance.now();
      const found = device(request);
      const h = request.headers;
      const now = Math.floor(deps.clock().getTime() / 1000);
      const listed = config.devices.find((d) => d.mac === found.mac);
      const seen = readDeviceHeaders(h);
      const format = chooseFormat(seen, listed?.mode, listed?.portrait ?? config.height > config.width);
      const reading = readDeviceReading(found.mac, h, now);
      // battery and signal are for the owner's eyes: failing to keep them never fails the device's poll
      const notKept = (err: unknown) => log.warn("trmnl device reading not kept", { device: found.mac, error: (err as Error).message });
      try {
        deps.telemetry.record(reading);
      } catch (err) {
        notKept(err);
      }
      deps.recordReading?.(reading).catch(notKept);
      // quiet hours: sleep to the window's end, showing the screen as it will be then (no redraw in the night)
      const quietEnd = config.quiet ? quietUntil(now, config.quiet, config.timeZone) : null;
      const imageRequest: ImageRequest = { format, ...(quietEnd === null ? {} : { at: quietEnd }), batteryLow: batteryLow(reading) };
      lastRequest.set(found.mac, imageRequest);
      const image = await dashboards.current(found.user, imageRequest);
      log.info("trmnl display", {
        device: found.mac,
        filename: image.filename,
        format: describeFormat(format),
        model: logged(seen.model),
        battery_v: reading.batteryVolts,
        rssi: reading.rssiDbm,
        fw: logged(seen.fwVersion),
        ...(quietEnd === null ? {} : { quiet_until: new Date(quietEnd * 1000).toISOString() }),
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
      return Response.json({
        status: 0,
        image_url: `${baseUrl(request)}/trmnl/img/${image.filename}`,
        filename: image.filename,
        refresh_rate: quietEnd === null ? config.refreshS : quietSleepS(now, quietEnd),
        image_url_timeout: 0,
        update_firmware: false,
        firmware_url: "",
        reset_firmware: false,
        special_function: "none",
      });
    })
    .post(
      "/api/log",
      async ({ request }) => {
        const found = device(request);
        const text = new TextDecoder().decode(await readBody(request, MAX_LOG_BYTES));
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, "invalid_json", "body is not valid JSON");
        }
        checkNesting(body);
        deps.deviceLog.append(found.mac, logEntries(body), deps.clock());
        return new Response(null, { status: 204 });
      },
      { parse: "none" },
    )
    .get("/trmnl/img/:filename", async ({ params, query, request }) => {
      // the device sends its ID/Access-Token with the download; the Redirect plugin's URL carries ?token=
      const found = query.token !== undefined ? (checkToken(query.token), null) : device(request);
      const user = found ? found.user : deps.userLabel;
      let image = dashboards.find(params.filename);
      if (!image || image.user !== user) {
        const current = await dashboards.current(user, found ? lastRequest.get(found.mac) : {});
        image = current.filename === params.filename ? current : undefined;
      }
      if (!image) throw notFound();
      return png(image, { "cache-control": "private, max-age=86400, immutable" });
    })
    .get("/trmnl/setup.bmp", async () => {
      // the "no data yet" screen: nothing personal, so it needs no key (the device has none yet)
      setupBmp ??= renderDashboard(emptyData, { ...dashboards.options, width: 800, height: 480 }).then((p) => encodeBmp1Bit(decodePng1Bit(p)));
      return new Response(await setupBmp, { headers: { "content-type": "image/bmp" } });
    })
    .get("/trmnl/redirect", async ({ query, request }) => {
      const token = checkToken(query.token);
      const image = await dashboards.current(deps.userLabel);
      // a URL per image, so what the device downloads always matches the filename it was told
      return Response.json({
        filename: image.filename,
        url: `${baseUrl(request)}/trmnl/img/${image.filename}?token=${encodeURIComponent(token)}`,
        refresh_rate: config.refreshS,
      });
    })
    .get("/trmnl/dashboard.png", async ({ query, request }) => {
      checkToken(query.token);
      const image = await dashboards.current(deps.userLabel);
      const headers = { etag: image.etag, "cache-control": "no-cache" };
      const seen = request.headers.get("if-none-match");
      if (seen && seen.split(",").some((tag) => tag.trim().replace(/^W\//, "") === image.etag)) return new Response(null, { status: 304, headers });
      return png(image, headers);
    });
}

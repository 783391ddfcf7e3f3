// Inter as WOFF (satori cannot read WOFF2), imported as files so `bun build --compile` embeds them in the binary.
import boldPath from "@fontsource/inter/files/inter-latin-700-normal.woff" with { type: "file" };
import regularPath from "@fontsource/inter/files/inter-latin-400-normal.woff" with { type: "file" };

export interface Font {
  name: string;
  data: ArrayBuffer;
  weight: 400 | 700;
  style: "normal";
}

export const FONT_FAMILY = "Inter";

let loading: Promise<Font[]> | undefined;

/** Loads both weights once; the same array is handed back every time, so satori can reuse its parsed fonts. */
export function loadFonts(): Promise<Font[]> {
  loading ??= Promise.all([
    Bun.file(regularPath).arrayBuffer(),
    Bun.file(boldPath).arrayBuffer(),
  ]).then(([regular, bold]) => [
    { name: FONT_FAMILY, data: regular, weight: 400, style: "normal" },
    { name: FONT_FAMILY, data: bold, weight: 700, style: "normal" },
  ]);
  loading.catch(() => (loading = undefined)); // a failed load is retried next time, not cached
  return loading;
}

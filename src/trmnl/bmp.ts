// 1-bit BMP3 for the setup screen: the one image format every firmware version takes (old ones refused PNG).
import { rowBytes, type BwImage } from "../render/png1bit";

/** Bottom-up rows padded to 4 bytes, palette black then white, so bit 1 = white as the firmware draws it. */
export function encodeBmp1Bit(image: BwImage): Uint8Array {
  const { width, height, bits } = image;
  const stride = Math.ceil(rowBytes(width) / 4) * 4;
  const offset = 14 + 40 + 8;
  const out = new Uint8Array(offset + stride * height);
  const view = new DataView(out.buffer);
  out.set([0x42, 0x4d]); // "BM"
  view.setUint32(2, out.length, true);
  view.setUint32(10, offset, true);
  view.setUint32(14, 40, true); // BITMAPINFOHEADER
  view.setInt32(18, width, true);
  view.setInt32(22, height, true); // positive: bottom-up
  view.setUint16(26, 1, true);
  view.setUint16(28, 1, true); // bits per pixel
  view.setUint32(34, stride * height, true);
  view.setUint32(38, 2835, true); // 72 dpi
  view.setUint32(42, 2835, true);
  view.setUint32(46, 2, true); // colours used
  view.setUint32(50, 2, true);
  out.set([0, 0, 0, 0, 255, 255, 255, 0], 54);
  for (let y = 0; y < height; y++) {
    out.set(bits.subarray(y * rowBytes(width), (y + 1) * rowBytes(width)), offset + (height - 1 - y) * stride);
  }
  return out;
}

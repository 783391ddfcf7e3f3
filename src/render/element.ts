// A satori element tree as plain objects: no React, no JSX runtime.
import { FONT_FAMILY } from "./font";

export interface Element {
  type: string;
  props: { style?: Record<string, unknown>; children?: Child | Child[] };
}
type Child = Element | string;

export const h = (type: string, style: Record<string, unknown>, children?: Child | Child[]): Element => ({
  type,
  props: { style, children },
});

/** A rectangle on the canvas in whole pixels. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface TextStyle {
  size: number;
  bold?: boolean;
  align?: "left" | "center" | "right";
  /** White on black, e.g. for a stale sync time. */
  reverse?: boolean;
}

/** One line of text placed in a box, vertically centred, cut with an ellipsis when too long. */
export function textAt(box: Box, content: string, style: TextStyle): Element {
  const justify = { left: "flex-start", center: "center", right: "flex-end" }[style.align ?? "left"];
  return h(
    "div",
    {
      position: "absolute",
      left: box.x,
      top: box.y,
      width: box.w,
      height: box.h,
      display: "flex",
      alignItems: "center",
      justifyContent: justify,
      backgroundColor: style.reverse ? "black" : "white",
      color: style.reverse ? "white" : "black",
      fontFamily: FONT_FAMILY,
      fontSize: style.size,
      fontWeight: style.bold === false ? 400 : 700,
      lineHeight: 1.2, // room for descenders; the inner line clips only sideways, with the ellipsis
    },
    h("div", { display: "block", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis", maxWidth: box.w }, content),
  );
}

/** What a panel contributes: text for satori to lay out, and chart shapes drawn straight in SVG on whole pixels. */
export interface Layer {
  text: Element[];
  svg: string;
}

export const layer = (text: Element[] = [], svg = ""): Layer => ({ text, svg });

export const rect = (x: number, y: number, w: number, hh: number, fill = "black") =>
  w > 0 && hh > 0 ? `<rect x="${x}" y="${y}" width="${w}" height="${hh}" fill="${fill}"/>` : "";

/**
 * What a page looks like to a person on a small or dark screen, measured in the page (pass it to
 * `page.evaluate`): sideways overflow, text below WCAG AA contrast, controls off screen.
 */
export type Finding = {
  width: number;
  inner: number;
  wide: string[];
  low: string[];
  unreachable: string[];
};

/**
 * Runs in the page. Contrast: each element with its own text, its colour (times the opacity of it
 * and its ancestors) over the backgrounds behind it, composited; disabled controls are exempt
 * (WCAG 1.4.3). Colours go through a 1×1 canvas, which turns lab()/oklch() into sRGB.
 */
export function audit(): Finding {
  const ctx = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new Error("no canvas");
  const rgba = (css: string) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "#000";
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const [r = 0, g = 0, b = 0, a = 0] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255] as const;
  };
  const lum = (c: readonly number[]) => {
    const f = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(c[0] ?? 0) + 0.7152 * f(c[1] ?? 0) + 0.0722 * f(c[2] ?? 0);
  };
  const over = (top: readonly number[], under: readonly number[], alpha: number) =>
    [0, 1, 2].map((i) => (top[i] ?? 0) * alpha + (under[i] ?? 0) * (1 - alpha));
  const background = (el: Element) => {
    const layers: (readonly number[])[] = [];
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let base: readonly number[] = [255, 255, 255];
    const last = layers[layers.length - 1];
    if ((last?.[3] ?? 0) >= 1) base = layers.pop() ?? base;
    for (let l = layers.pop(); l; l = layers.pop()) base = over(l, base, l[3] ?? 1);
    return base;
  };
  const name = (e: Element) => {
    const id = (e as HTMLElement).dataset.testid;
    return `${e.tagName.toLowerCase()}${id ? `[${id}]` : ""} "${(e.textContent ?? "").trim().slice(0, 40)}"`;
  };
  const scrollsX = (e: Element) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o !== "visible") return o === "auto" || o === "scroll" ? "box" : "clip";
    }
    return null;
  };
  const out: Finding = {
    width: document.scrollingElement?.scrollWidth ?? 0,
    inner: innerWidth,
    wide: [],
    low: [],
    unreachable: [],
  };
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    const cs = getComputedStyle(e);
    if (!r.width || !r.height || cs.visibility === "hidden") continue;
    if (r.right > innerWidth + 1 && !scrollsX(e)) out.wide.push(`${name(e)} to ${r.right}px`);
    if (e.matches("a,button,input,select,textarea,[role=button]") && !e.closest("[aria-hidden]")) {
      if ((r.right > innerWidth + 1 || r.left < -1) && scrollsX(e) !== "box")
        out.unreachable.push(name(e));
    }
    const ownText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent?.trim());
    if (!ownText || e.closest(":disabled, [aria-disabled=true], [aria-hidden=true]")) continue;
    let opacity = 1;
    for (let p: Element | null = e; p; p = p.parentElement)
      opacity *= Number(getComputedStyle(p).opacity);
    if (opacity === 0) continue;
    const bg = background(e);
    const fg = rgba(cs.color);
    const text = over(fg, bg, fg[3] * opacity);
    const [hi, lo] = [lum(text), lum(bg)].sort((a, b) => b - a) as [number, number];
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5)
      out.low.push(`${ratio.toFixed(2)} ${name(e)} (${cs.color} on ${bg.map(Math.round)})`);
  }
  out.low = [...new Set(out.low)];
  return out;
}

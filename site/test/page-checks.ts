/// <reference lib="dom" />
/**
 * Measurements taken inside the browser, for the layout tests: what a visitor would see,
 * not what the HTML says.
 */
import type { Page } from 'playwright-core';

/** How far the page scrolls sideways (0 when it fits). */
export const sidewaysOverflow = (page: Page): Promise<number> =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

export interface SmallText {
  text: string;
  px: number;
  where: string;
}

/**
 * Every visible piece of text rendered under `min` CSS pixels, SVG text included at the size
 * it is drawn (its font size times the SVG's scale on screen). Visually hidden labels
 * (`.sr`), closed details and hidden elements are not seen, so they do not count.
 */
export const smallText = (page: Page, min = 11): Promise<SmallText[]> =>
  page.evaluate((minPx) => {
    const out: { text: string; px: number; where: string }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const text = (node.textContent ?? '').trim();
      if (text === '') continue;
      const el = node.parentElement;
      if (!el || el.closest('.sr, script, style, noscript, title')) continue;
      if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
      if (rects.length === 0) continue;
      let px = Number.parseFloat(getComputedStyle(el).fontSize);
      if (el instanceof SVGGraphicsElement) {
        const m = el.getScreenCTM();
        if (m) px *= Math.hypot(m.a, m.b);
      }
      if (px < minPx - 0.01) {
        const where = el.closest('[id]')?.id ?? el.tagName.toLowerCase();
        out.push({ text: text.slice(0, 40), px: Math.round(px * 100) / 100, where });
      }
    }
    return out;
  }, min);

/** Whether an element is inside the first screen (the viewport before any scrolling). */
export const onFirstScreen = (page: Page, selector: string): Promise<boolean> =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
  }, selector);

/** Bounding boxes of the elements matched, for overlap checks. */
export const boxes = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { text: e.textContent ?? '', x0: r.left, x1: r.right, y0: r.top, y1: r.bottom };
    }),
  );

/** Pairs of boxes that overlap by more than `tolerance` pixels each way. */
export function overlapping<T extends { text: string; x0: number; x1: number; y0: number; y1: number }>(
  list: T[],
  tolerance = 0.5,
): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < list.length; i++)
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i];
      const b = list[j];
      if (!a || !b) continue;
      const x = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
      const y = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
      if (x > tolerance && y > tolerance) pairs.push([a.text, b.text]);
    }
  return pairs;
}

/** Relative luminance (0 black, 1 white) of a computed CSS colour such as `rgb(17, 20, 24)` or `oklab(...)`. */
export const backgroundLuminance = (page: Page, selector: string): Promise<number> =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return -1;
    // Let the browser resolve any colour syntax (color-mix, oklab) to sRGB by painting it.
    const canvas = document.createElement('canvas');
    canvas.width = 1;
    canvas.height = 1;
    const ctx = canvas.getContext('2d');
    if (!ctx) return -1;
    ctx.fillStyle = getComputedStyle(el).backgroundColor;
    ctx.fillRect(0, 0, 1, 1);
    const [r = 0, g = 0, b = 0] = Array.from(ctx.getImageData(0, 0, 1, 1).data).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }, selector);

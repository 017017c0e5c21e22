/**
 * Inline SVG charts for the HTML report: static markup, no script, no external fonts, so the
 * report reads the same offline, printed, or in a mail client. All text goes through `esc`.
 */

/** Escape text for HTML element content and double-quoted attributes. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A probability bar: label on the left, bar scaled to [0, 1], value on the right. */
export type Bar = { label: string; value: number; kind: 'target' | 'competitor'; note?: string };
/** A group of bars under a heading (one model). */
export type BarGroup = { title: string; bars: Bar[] };

/**
 * Horizontal bar chart of probabilities, grouped by model: the term's first token and its top
 * competitors, so "base: ' pie' 62 % vs ' Py' 14 %" is visible at a glance.
 */
export function barChart(groups: readonly BarGroup[], opts: { width?: number; ariaLabel: string }): string {
  const width = opts.width ?? 480;
  const labelW = 150, valueW = 64, rowH = 20, gap = 6, headH = 22;
  const barMax = width - labelW - valueW - 8;
  let y = 4;
  const parts: string[] = [];
  for (const g of groups) {
    parts.push(`<text x="0" y="${y + 15}" class="ch-group">${esc(g.title)}</text>`);
    y += headH;
    for (const b of g.bars) {
      const v = Math.max(0, Math.min(1, b.value));
      const w = Math.max(1, v * barMax);
      const cls = b.kind === 'target' ? 'ch-target' : 'ch-comp';
      parts.push(
        `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" class="ch-label">${esc(b.label)}</text>`,
        `<rect x="${labelW}" y="${y + 2}" width="${barMax}" height="${rowH - 4}" rx="3" class="ch-track"/>`,
        `<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" rx="3" class="${cls}"><title>${esc(b.note ?? b.label)}</title></rect>`,
        `<text x="${labelW + barMax + 6}" y="${y + 14}" class="ch-value">${esc(pct(v))}</text>`,
      );
      y += rowH;
    }
    y += gap;
  }
  return `<svg class="chart" role="img" aria-label="${esc(opts.ariaLabel)}" viewBox="0 0 ${width} ${y}" width="${width}" height="${y}">${parts.join('')}</svg>`;
}

/** One line of a line chart: points with null gaps skipped. */
export type Series = { name: string; cls: string; points: { x: number; y: number | null }[] };

/** Line chart over x in [0, 1] (adapter scale) and y as a fraction shown in percent. */
export function lineChart(series: readonly Series[], opts: { ariaLabel: string; xLabel: string; width?: number; height?: number }): string {
  const W = opts.width ?? 720, H = opts.height ?? 300;
  const m = { l: 52, r: 24, t: 40, b: 44 };
  const ys = series.flatMap((s) => s.points.map((p) => p.y).filter((v): v is number => v !== null));
  const yMax = Math.max(1, ...ys);
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = Math.min(0, ...xs), xMax = Math.max(1, ...xs);
  const px = (x: number) => m.l + ((x - xMin) / (xMax - xMin || 1)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" class="ch-grid"/>`,
      `<text x="${m.l - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end" class="ch-axis">${esc(pct(v, 0))}</text>`);
  }
  const ticks = [...new Set(xs)].sort((a, b) => a - b);
  for (const x of ticks) {
    parts.push(`<text x="${px(x).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle" class="ch-axis">${esc(x)}</text>`);
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" class="ch-axis">${esc(opts.xLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter((p): p is { x: number; y: number } => p.y !== null);
    if (pts.length > 1) parts.push(`<polyline fill="none" class="${esc(s.cls)}" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) {
      parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" class="${esc(s.cls)} ch-dot"><title>${esc(`${s.name} at ${p.x}: ${pct(p.y)}`)}</title></circle>`);
    }
  }
  // legend above the plot, left to right, so it never covers a line
  let lx = m.l;
  for (const s of series) {
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="14" y2="14" class="${esc(s.cls)}"/>`, `<circle cx="${lx + 11}" cy="14" r="3.5" class="${esc(s.cls)} ch-dot"/>`,
      `<text x="${lx + 30}" y="18" class="ch-label">${esc(s.name)}</text>`);
    lx += 44 + s.name.length * 6.6;
  }
  return `<svg class="chart" role="img" aria-label="${esc(opts.ariaLabel)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${parts.join('')}</svg>`;
}

/** 0.1234 → "12.3 %" (digits after the point configurable). */
export function pct(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)} %`;
}

import { escapeHtml } from './html.js';

export interface Bar {
  label: string;
  value: number;
  /** A CSS class for the bar (its colour). */
  tone?: 'good' | 'neutral' | 'bad';
}

export interface BarChartSpec {
  id: string;
  title: string;
  /** What the bars count: the x axis title. */
  xLabel: string;
  /** What each bar is: the y axis title. */
  yLabel: string;
  bars: Bar[];
  /** The value the scale must reach (charts compared side by side share it). */
  max?: number;
}

const WIDTH = 720;
const LABEL_WIDTH = 260;
const ROW = 26;
const TOP = 44;
const BOTTOM = 46;
const PLOT = WIDTH - LABEL_WIDTH - 70;
const LABEL_CHARS = 34;

const shortLabel = (label: string) =>
  label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;

/** Up to 5 round whole-number tick values (bars count objects) from 0 to at least `max`. */
export function ticks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const round = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const step = Math.max(1, round);
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/**
 * A horizontal bar chart as inline SVG (no script, no external asset): one labelled row per bar,
 * its value printed at its end, an x axis with ticks and a title, the y axis title above its labels. Bars are scaled
 * to round ticks, so one bar of a short run is a bar of its size on a labelled scale, never a
 * solid block.
 */
export function barChart(spec: BarChartSpec): string {
  if (spec.bars.length === 0) return `<p class="note">${escapeHtml(spec.title)}: nothing to show.</p>`;
  const scale = ticks(Math.max(spec.max ?? 0, ...spec.bars.map((b) => b.value)));
  const top = scale[scale.length - 1]!;
  const height = TOP + spec.bars.length * ROW + BOTTOM;
  const x = (v: number) => LABEL_WIDTH + (v / top) * PLOT;
  const axisY = TOP + spec.bars.length * ROW;
  const grid = scale
    .map(
      (v) =>
        `<line class="grid" x1="${x(v).toFixed(1)}" y1="${TOP}" x2="${x(v).toFixed(1)}" y2="${axisY}"/>` +
        `<text class="tick" x="${x(v).toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${v.toLocaleString('en-US')}</text>`,
    )
    .join('');
  const rows = spec.bars
    .map((bar, i) => {
      const y = TOP + i * ROW;
      const w = Math.max(bar.value > 0 ? 2 : 0, x(bar.value) - LABEL_WIDTH);
      return (
        `<g class="bar ${bar.tone ?? 'neutral'}" data-label="${escapeHtml(bar.label)}" data-value="${bar.value}">` +
        `<text class="label" x="${LABEL_WIDTH - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${escapeHtml(shortLabel(bar.label))}</text>` +
        `<rect x="${LABEL_WIDTH}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 8}"><title>${escapeHtml(bar.label)}: ${bar.value}</title></rect>` +
        `<text class="value" x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + ROW / 2 + 4}">${bar.value.toLocaleString('en-US')}</text></g>`
      );
    })
    .join('');
  return `<figure><svg id="${escapeHtml(spec.id)}" class="chart" role="img" aria-label="${escapeHtml(spec.title)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">
<text class="title" x="0" y="16">${escapeHtml(spec.title)}</text>
${grid}
<line class="axis" x1="${LABEL_WIDTH}" y1="${TOP}" x2="${LABEL_WIDTH}" y2="${axisY}"/>
<line class="axis" x1="${LABEL_WIDTH}" y1="${axisY}" x2="${LABEL_WIDTH + PLOT}" y2="${axisY}"/>
${rows}
<text class="axis-title" x="${LABEL_WIDTH + PLOT / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>
<text class="axis-title" x="${LABEL_WIDTH - 8}" y="${TOP - 8}" text-anchor="end">${escapeHtml(spec.yLabel)}</text>
</svg></figure>`;
}

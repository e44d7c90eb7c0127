/**
 * `node --import tsx bench/chart.ts RUN.json OUT.svg`: draws the chart of
 * docs/performance.md from the JSON of a `npm run bench -- --sweep --out
 * RUN.json` run: sustained throughput, p50 and p99 latency (at half that
 * rate), and CPU per 1,000 transfers by component, against the batch size,
 * one panel each, the batch size on a log scale. On a shared machine the
 * first two move with the load of whatever else runs on the machine; the CPU cost per transfer moves
 * much less, which is why it is drawn too. Plain SVG text, no dependencies.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Point {
  readonly batch_size: number;
  readonly cpu_ms_per_1000: { service: number; broker: number; postgres: number; harness: number };
  readonly transfers_per_second: number;
  readonly latency_ms_p99: number;
  readonly latency_ms_p50: number;
}

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  process.stderr.write('usage: node --import tsx bench/chart.ts RUN.json OUT.svg\n');
  process.exit(2);
}
const run = JSON.parse(readFileSync(input, 'utf8')) as { at: string; machine: string; results: Point[] };
const points = [...run.results].sort((a, b) => a.batch_size - b.batch_size);
if (points.length < 2) throw new Error(`${input}: a sweep needs at least two points`);

const panel = { width: 420, height: 260, left: 70, right: 20, top: 40, bottom: 50 };
const width = 3 * panel.width;
const height = panel.height + 40;

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const totalCpu = (point: Point) =>
  point.cpu_ms_per_1000.service +
  point.cpu_ms_per_1000.broker +
  point.cpu_ms_per_1000.postgres +
  point.cpu_ms_per_1000.harness;

const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: number[];
}

function drawPanel(offsetX: number, title: string, unit: string, series: Series[], logY = false): string {
  const plotWidth = panel.width - panel.left - panel.right;
  const plotHeight = panel.height - panel.top - panel.bottom;
  const logMin = Math.log10(points[0]!.batch_size);
  const logMax = Math.log10(points.at(-1)!.batch_size);
  const x = (batch: number) =>
    offsetX + panel.left + ((Math.log10(batch) - logMin) / (logMax - logMin || 1)) * plotWidth;
  const all = series.flatMap((line) => line.values);
  const yMax = logY ? 10 ** Math.ceil(Math.log10(Math.max(...all, 10))) : niceMax(Math.max(...all));
  const yMin = logY ? 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...all)))) : 0;
  const y = (value: number) =>
    logY
      ? panel.top +
        plotHeight -
        ((Math.log10(Math.max(value, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotHeight
      : panel.top + plotHeight - (value / yMax) * plotHeight;
  const ticks = logY
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, index) => yMin * 10 ** index)
    : Array.from({ length: 6 }, (_, index) => (yMax * index) / 5);
  const parts: string[] = [];
  parts.push(
    `<text x="${offsetX + panel.width / 2}" y="22" text-anchor="middle" font-weight="bold">${escape(title)}</text>`,
  );
  // Axes, horizontal grid lines and their labels.
  for (const value of ticks) {
    parts.push(
      `<line x1="${offsetX + panel.left}" x2="${offsetX + panel.left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#ddd"/>`,
    );
    parts.push(
      `<text x="${offsetX + panel.left - 6}" y="${y(value) + 4}" text-anchor="end" font-size="11">${value.toLocaleString('en-US')}</text>`,
    );
  }
  for (const point of points) {
    parts.push(
      `<line x1="${x(point.batch_size).toFixed(1)}" x2="${x(point.batch_size).toFixed(1)}" y1="${panel.top}" y2="${panel.top + plotHeight}" stroke="#eee"/>`,
    );
    parts.push(
      `<text x="${x(point.batch_size).toFixed(1)}" y="${panel.top + plotHeight + 16}" text-anchor="middle" font-size="11">${point.batch_size}</text>`,
    );
  }
  parts.push(
    `<text x="${offsetX + panel.left + plotWidth / 2}" y="${panel.top + plotHeight + 36}" text-anchor="middle" font-size="12">batch size (commands per transaction, log scale)</text>`,
  );
  parts.push(
    `<text transform="translate(${offsetX + 16} ${panel.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(unit)}</text>`,
  );
  series.forEach((line, index) => {
    const path = points
      .map((point, at) => `${at === 0 ? 'M' : 'L'}${x(point.batch_size).toFixed(1)},${y(line.values[at]!).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${line.color}" stroke-width="2"/>`);
    points.forEach((point, at) => {
      parts.push(
        `<circle cx="${x(point.batch_size).toFixed(1)}" cy="${y(line.values[at]!).toFixed(1)}" r="3" fill="${line.color}"/>`,
      );
    });
    parts.push(
      `<text x="${offsetX + panel.left + 8}" y="${panel.top + 14 + 14 * index}" font-size="11" fill="${line.color}">${escape(line.label)}</text>`,
    );
  });
  return parts.join('\n');
}

const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
  `<rect width="${width}" height="${height}" fill="white"/>`,
  drawPanel(0, 'Hot account: sustained throughput', 'transfers per second', [
    { label: 'transfers/s, end to end', color: '#1f77b4', values: points.map((point) => point.transfers_per_second) },
  ]),
  drawPanel(panel.width, 'Latency at half that rate', 'publish to event, ms', [
    { label: 'p99', color: '#d62728', values: points.map((point) => point.latency_ms_p99) },
    { label: 'p50', color: '#2ca02c', values: points.map((point) => point.latency_ms_p50) },
  ]),
  drawPanel(
    2 * panel.width,
    'CPU per 1,000 transfers',
    'CPU ms (log scale)',
    [
      { label: 'all four', color: '#000000', values: points.map((point) => totalCpu(point)) },
      { label: 'service', color: '#1f77b4', values: points.map((point) => point.cpu_ms_per_1000.service) },
      { label: 'RabbitMQ', color: '#ff7f0e', values: points.map((point) => point.cpu_ms_per_1000.broker) },
      { label: 'PostgreSQL', color: '#9467bd', values: points.map((point) => point.cpu_ms_per_1000.postgres) },
      { label: 'harness', color: '#8c564b', values: points.map((point) => point.cpu_ms_per_1000.harness) },
    ],
    true,
  ),
  `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="10" fill="#555">${escape(`npm run bench -- --sweep, ${run.at}; ${run.machine}`)}</text>`,
  '</svg>',
].join('\n');
writeFileSync(output, `${svg}\n`);
process.stderr.write(`wrote ${output} (${points.length} batch sizes)\n`);

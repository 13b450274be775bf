/**
 * Turns {@link ReportContent} into one self-contained HTML page: charts as inline SVG, embedding
 * pictures as base64 PNG, no scripts, no external resources, so it opens offline anywhere.
 */
import type { EpochMetrics } from '../../training/epoch-metrics.js';
import { baselineTestsHtml, COMPARISON_STYLE, comparisonHighlightsHtml, comparisonTableHtml } from '../comparison-html.js';
import { escapeHtml, formatCount, formatKiB, formatNumber, formatSeconds, MISSING } from '../format.js';
import type { Picture, ProjectionSummary, ReportContent, Section } from './report-content.js';

/** Renders the whole report page. */
export function renderReportHtml(content: ReportContent): string {
  const run = content.run;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(run.title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(run.title)}</h1>
<p class="meta">Report built ${escapeHtml(content.generatedAt)}${run.createdAt ? ` · run started ${escapeHtml(run.createdAt)}` : ''}</p>
${notes(content.notes)}
<h2>A/B comparison</h2>
${section(content.comparison, ({ table, chartSvg }) => `${comparisonHighlightsHtml(table)}${comparisonTableHtml(table)}<figure class="chart" id="ab-chart">${chartSvg}</figure>${baselineTestsHtml(table)}${notes(table.warnings)}`)}
<h2>Training</h2>
${section(content.training, ({ epochs, chartSvg }) => `<figure class="chart" id="training-chart">${chartSvg}</figure>${epochTable(epochs)}`)}
<h2>Embeddings in 2-D</h2>
${section(content.pictures, (items) => `${projectionScores(content.projections)}${pictures(items)}`)}
<h2>Run</h2>
${runFacts(content)}
<h3>Configuration</h3>
<pre>${escapeHtml(JSON.stringify(run.config, null, 2))}</pre>
<h2>Data summary</h2>
${section(content.inspect, (value) => keyValueTable(flatten(value)))}
</body></html>
`;
}

const STYLE = `body{font-family:'DejaVu Sans',system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1em}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}.missing{color:#a33}.meta{color:#666}
figure{margin:0.5em 0}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.grid img{width:100%;border:1px solid #eee}pre{background:#f7f7f7;padding:0.8em;overflow:auto;max-height:30em}
${COMPARISON_STYLE}`;

function section<T>(s: Section<T>, render: (value: T) => string): string {
  return s.kind === 'present' ? render(s.value) : `<p class="missing">Not available: ${escapeHtml(s.reason)}</p>`;
}

function notes(items: readonly string[]): string {
  return items.length === 0 ? '' : `<ul class="notes">${items.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
}

function epochTable(epochs: readonly EpochMetrics[]): string {
  const rows = epochs.map((e) =>
    `<tr><td>${e.epoch}</td><td>${formatNumber(e.loss)}</td><td>${e.recallAt4 === null ? MISSING : formatNumber(e.recallAt4)}</td>`
    + `<td>${formatCount(e.eventsPerSecond)}</td></tr>`,
  );
  return `<table><thead><tr><th>epoch</th><th>loss</th><th>val recall@4</th><th>events/s</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function pictures(items: readonly Picture[]): string {
  const groups = new Map<string, Picture[]>();
  for (const p of items) groups.set(p.embedding, [...(groups.get(p.embedding) ?? []), p]);
  return [...groups].map(([embedding, pics]) => `<h3>${escapeHtml(embedding)} (${pics[0]!.points} clients sampled)</h3><div class="grid">`
    + pics.map((p) => `<figure><img alt="${escapeHtml(`${p.method} of ${p.embedding}, coloured by ${p.label}`)}" src="data:image/png;base64,${Buffer.from(p.png).toString('base64')}">`
      + `<figcaption>${escapeHtml(`${p.method}, coloured by ${p.label}`)} · local ${formatNumber(p.scores.local)} · global ${formatNumber(p.scores.global)}`
      + ` · <a href="${escapeHtml(p.file)}">${escapeHtml(p.file)}</a></figcaption></figure>`).join('')
    + '</div>').join('\n');
}

/** What the two scores mean, in one sentence, above their table. */
const SCORES_SENTENCE = 'Local score: how well each client keeps its nearest neighbours in the picture (area under the R_NX curve, '
  + '1 perfect, about 0 for a random layout); global score: how well the picture keeps the linear structure of the data, relative to PCA = 1 '
  + '(GS of the TriMap paper).';

function projectionScores(rows: readonly ProjectionSummary[]): string {
  if (rows.length === 0) return '';
  const body = rows.map((r) => `<tr><td>${escapeHtml(r.embedding)}</td><td>${escapeHtml(r.method)}</td><td>${formatCount(r.points)}</td>`
    + `<td>${formatNumber(r.local)}</td><td>${formatNumber(r.global)}</td></tr>`).join('');
  return `<h3>Projection quality</h3><p>${escapeHtml(SCORES_SENTENCE)}</p>`
    + `<table id="projection-scores"><thead><tr><th>embedding</th><th>method</th><th>clients</th><th>local score</th><th>global score</th></tr></thead><tbody>${body}</tbody></table>`;
}

function runFacts(content: ReportContent): string {
  const run = content.run;
  const facts: [string, string][] = [];
  if (run.backend) facts.push(['backend', run.backend]);
  if (run.model?.encoder) facts.push(['encoder', run.model.encoder]);
  if (run.model?.embeddingSize !== undefined) facts.push(['embedding size', String(run.model.embeddingSize)]);
  if (run.model?.parameters !== undefined) facts.push(['trainable parameters', formatCount(run.model.parameters)]);
  if (run.model?.bytes !== undefined) facts.push(['model size on disk', formatKiB(run.model.bytes)]);
  const total = content.timings.reduce((s, t) => s + t.seconds, 0);
  const timings = content.timings.map((t) => `<tr><td>${escapeHtml(t.step)}</td><td>${formatSeconds(t.seconds)}</td></tr>`).join('');
  return `${keyValueTable(facts)}<h3>Timings</h3><table id="timings"><tbody>${timings}<tr><th>sum of the steps above</th><th>${formatSeconds(total)}</th></tr></tbody></table>`;
}

function keyValueTable(rows: readonly [string, string][]): string {
  return `<table><tbody>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
}

/**
 * Flattens nested JSON into dotted keys: arrays of scalars become one comma-separated value,
 * arrays of objects one row per element (keyed by its `name` when it has one, e.g. columns).
 */
function flatten(value: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (Array.isArray(value) && value.length > 0 && value.every(isPlainObject)) {
    value.forEach((item: Record<string, unknown>, i) => {
      const { name, ...rest } = item;
      const key = typeof name === 'string' ? name : String(i);
      out.push([`${prefix}.${key}`, Object.entries(rest).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : scalar(v)}`).join(', ')]);
    });
  } else if (Array.isArray(value) && value.length > 0 && value.every((v) => Array.isArray(v) && isScalarArray(v))) {
    // e.g. the most frequent values of a column as [value, count] pairs
    out.push([prefix || 'value', value.map((pair: unknown[]) => pair.map(scalar).join(' ')).join('; ')]);
  } else if (value !== null && typeof value === 'object' && !isScalarArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix || 'value', Array.isArray(value) ? value.map(scalar).join(', ') : scalar(value)]);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isScalarArray(value: object): boolean {
  return Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
}

function scalar(v: unknown): string {
  return typeof v === 'number' && !Number.isInteger(v) ? formatNumber(v) : String(v);
}

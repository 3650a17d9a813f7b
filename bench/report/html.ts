// Self-contained HTML reports: a results table and inline SVG plots, no scripts and no external assets.

/** A table: column headers and rows of cells (numbers are formatted to 4 significant decimals). */
export interface ReportTable {
  caption: string;
  columns: string[];
  rows: (string | number | null | undefined)[][];
}

/** A report: title, short facts (dataset, backend, …), tables and SVG figures. */
export interface Report {
  title: string;
  facts: [string, string][];
  tables: ReportTable[];
  figures: { caption: string; svg: string }[];
  notes?: string[];
}

/** Escape text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '<td class="na">–</td>';
  if (typeof value === 'number') {
    const text = Number.isInteger(value) ? String(value) : Number.isFinite(value) ? value.toFixed(4) : String(value);
    return `<td class="num">${text}</td>`;
  }
  return `<td>${escapeHtml(value)}</td>`;
}

/** Render a report to one HTML page. */
export function renderReport(report: Report): string {
  const facts = report.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const tables = report.tables
    .map(
      (t) => `<table><caption>${escapeHtml(t.caption)}</caption><thead><tr>${t.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('')}</tr></thead>` +
        `<tbody>${t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`,
    )
    .join('\n');
  // The SVG comes from our own renderer (vega), not from user input.
  const figures = report.figures.map((f) => `<figure>${f.svg}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`).join('\n');
  const notes = (report.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a1a1a}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}
table{border-collapse:collapse;margin:1rem 0}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #bbb;padding:.25rem .6rem}td.num{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#777}
figure{margin:1rem 0}svg{max-width:100%;height:auto}
</style></head><body>
<h1>${escapeHtml(report.title)}</h1>
<dl>${facts}</dl>
${tables}
${figures}
${notes ? `<h2>Notes</h2><ul>${notes}</ul>` : ''}
</body></html>
`;
}

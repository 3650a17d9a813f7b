// Plots for reports: Vega-Lite specs rendered to standalone SVG in Node (no browser, no network).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One series of a line chart. */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

/** Options of a line chart. */
export interface LineChartOptions {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Horizontal reference lines (e.g. a baseline's value). */
  rules?: { name: string; y: number }[];
  width?: number;
  height?: number;
  xScale?: 'linear' | 'log';
}

/** Render a multi-series line chart (with optional reference rules) to an SVG string. */
export async function lineChartSvg(series: Series[], options: LineChartOptions): Promise<string> {
  const values = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({ series: s.name, x: p.x, y: p.y })));
  const rules = (options.rules ?? []).filter((r) => Number.isFinite(r.y)).map((r) => ({ series: r.name, y: r.y }));
  const layers: object[] = [
    {
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: options.xTitle, scale: { type: options.xScale ?? 'linear' } },
        y: { field: 'y', type: 'quantitative', title: options.yTitle, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
  ];
  if (rules.length > 0) {
    layers.push({
      data: { values: rules },
      mark: { type: 'rule', strokeDash: [6, 4] },
      encoding: { y: { field: 'y', type: 'quantitative' }, color: { field: 'series', type: 'nominal', title: null } },
    });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: options.width ?? 560,
    height: options.height ?? 300,
    layer: layers,
  } as unknown as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Server-side chart rendering: a Vega-Lite spec becomes an SVG string (for inline HTML) and a PNG
 * (for files beside the report). No browser or canvas: Vega renders headless with
 * `renderer: 'none'`, resvg rasterises the SVG with the system fonts.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ConfigError } from '../../errors.js';
import { expectInteger } from '../../options.js';

/** Options of {@link renderVegaLite}. */
export interface RenderOptions {
  /**
   * Width of the PNG in pixels; the height follows the SVG's aspect ratio. The SVG keeps the
   * size the spec asks for.
   * @defaultValue twice the SVG's own width (sharp on high-density screens)
   */
  readonly width?: number;
}

/** A rendered chart: the same picture as SVG markup and as PNG bytes. */
export interface RenderedChart {
  /** Standalone SVG markup (starts with `<svg`), safe to inline in HTML. */
  readonly svg: string;
  /** PNG file bytes. */
  readonly png: Uint8Array;
}

/**
 * Renders a Vega-Lite spec to SVG and PNG.
 *
 * @param spec - a Vega-Lite top-level spec (plain object, e.g. from the builders in this folder)
 * @throws ConfigError if the spec cannot be compiled by Vega-Lite
 */
export async function renderVegaLite(spec: object, options: RenderOptions = {}): Promise<RenderedChart> {
  if (options.width !== undefined) expectInteger('width', options.width, 16, 16384);
  let vegaSpec: vega.Spec;
  try {
    // Vega-Lite validates the shape itself and throws a readable error; the static type of a
    // caller-built plain object cannot be narrowed further here.
    vegaSpec = compile(spec as TopLevelSpec, { logger: quietLogger() }).spec;
  } catch (error) {
    throw new ConfigError(`Vega-Lite could not compile the chart spec: ${messageOf(error)}`, { cause: error });
  }
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', logLevel: vega.Error });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    // Releases the dataflow's timers and listeners so the process can exit.
    view.finalize();
  }
  const png = rasterise(svg, options.width);
  return { svg, png };
}

/** Rasterises SVG markup to PNG bytes with resvg, using DejaVu for Vega's generic `sans-serif`. */
export function rasterise(svg: string, width?: number): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: width === undefined ? { mode: 'zoom', value: 2 } : { mode: 'width', value: width },
    background: 'white',
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans', defaultFontFamily: 'DejaVu Sans' },
  });
  return new Uint8Array(resvg.render().asPng());
}

/** A Vega logger that drops warnings (they would interleave with progress bars) but keeps errors. */
function quietLogger(): ReturnType<typeof vega.logger> {
  return vega.logger(vega.Error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderVegaLite } from './render.js';
import { ConfigError } from '../../errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  // The IHDR chunk always comes first: width and height are big-endian at bytes 16 and 20.
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const barSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 200,
  height: 100,
  data: { values: [{ name: 'alpha', value: 3 }, { name: 'beta', value: 7 }] },
  mark: 'bar',
  encoding: { x: { field: 'name', type: 'nominal' }, y: { field: 'value', type: 'quantitative' } },
};

describe('renderVegaLite', () => {
  it('renders an SVG with the marks and axis labels of the spec', async () => {
    const { svg } = await renderVegaLite(barSpec);
    assert.match(svg, /^<svg/);
    assert.match(svg, /alpha/);
    assert.match(svg, /beta/);
    // Each datum becomes one bar path labelled with its values.
    assert.equal(svg.match(/aria-roledescription="bar"/g)?.length, 2);
    assert.match(svg, /aria-label="name: beta; value: 7"/);
    assert.ok(svg.length > 1000, `svg unexpectedly short (${svg.length})`);
  });

  it('renders a valid PNG of the requested width', async () => {
    const { png } = await renderVegaLite(barSpec, { width: 600 });
    assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
    const { width, height } = pngSize(png);
    assert.equal(width, 600);
    assert.ok(height > 100 && height < 600, `height ${height}`);
    // A blank image compresses to a few hundred bytes; drawn bars and text do not.
    assert.ok(png.length > 2000, `png unexpectedly small (${png.length} bytes)`);
  });

  it('defaults the PNG to twice the SVG width', async () => {
    const { svg, png } = await renderVegaLite(barSpec);
    const svgWidth = Number(/width="([\d.]+)"/.exec(svg)?.[1]);
    assert.equal(pngSize(png).width, Math.round(svgWidth * 2));
  });

  it('rejects a spec Vega-Lite cannot compile with a ConfigError', async () => {
    await assert.rejects(renderVegaLite({ mark: 'no-such-mark', data: { values: [] } }), ConfigError);
  });

  it('rejects a bad width', async () => {
    await assert.rejects(renderVegaLite(barSpec, { width: 0 }), /Expected `width` to be an integer in \[16, 16384\], got `0` \(number\)/);
  });
});

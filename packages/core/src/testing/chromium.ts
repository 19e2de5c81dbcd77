/**
 * Headless Chromium for the HTML report tests (metrics' reports, the CLI's `compare` report): find
 * the binary, take screenshots, decode a PNG's size and colour variety, and run a layout check
 * inside the page (no clipped text, no legend over the data, no overlapping labels) whose findings
 * come back through `--dump-dom`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

/**
 * Path of a Chromium binary, or undefined: `$CHROMIUM` when it names an existing file (`CHROMIUM=none`
 * behaves as if none were installed), else `chromium`, `chromium-browser` or `google-chrome` on PATH.
 */
export const CHROMIUM: string | undefined = (() => {
  const env = process.env.CHROMIUM;
  if (env !== undefined && env !== '') return existsSync(env) ? env : undefined;
  const r = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || command -v google-chrome'], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n')[0];
  return r.status === 0 && path ? path : undefined;
})();

function chromium(args: string[]): { stdout: string; stderr: string; status: number | null } {
  if (!CHROMIUM) throw new Error('chromium not installed');
  const profile = mkdtempSync(join(tmpdir(), 'calozoo-chromium-'));
  const common = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`];
  const r = spawnSync(CHROMIUM, [...common, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20 });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
}

/** Screenshots `file` (an absolute path) into `png` with a window of `width` × `height` px; returns Chromium's stderr. */
export function screenshot(file: string, png: string, width: number, height: number): string {
  return chromium([`--screenshot=${png}`, `--window-size=${width},${height}`, `file://${file}`]).stderr;
}

/** Width, height and number of distinct colours (capped) of an 8-bit RGB or RGBA PNG, decoded with node:zlib. */
export function pngInfo(png: Buffer, cap = 500): { width: number; height: number; colours: number } {
  if (png.toString('latin1', 1, 4) !== 'PNG') throw new Error('not a PNG');
  let o = 8;
  let w = 0, h = 0, ct = 0;
  const idat: Buffer[] = [];
  while (o < png.length) {
    const len = png.readUInt32BE(o);
    const type = png.toString('ascii', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      w = data.readUInt32BE(0);
      h = data.readUInt32BE(4);
      ct = data[9];
    } else if (type === 'IDAT') idat.push(data);
    o += 12 + len;
  }
  const bpp = ct === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * bpp;
  const out = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const left = x >= bpp ? out[y * stride + x - bpp] : 0;
      const up = y > 0 ? out[(y - 1) * stride + x] : 0;
      const ul = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp] : 0;
      let p = 0;
      if (f === 1) p = left;
      else if (f === 2) p = up;
      else if (f === 3) p = (left + up) >> 1;
      else if (f === 4) {
        const q = left + up - ul;
        const pa = Math.abs(q - left), pb = Math.abs(q - up), pc = Math.abs(q - ul);
        p = pa <= pb && pa <= pc ? left : pb <= pc ? up : ul;
      }
      out[y * stride + x] = (v + p) & 255;
    }
  }
  const seen = new Set<number>();
  for (let i = 0; i < out.length && seen.size < cap; i += bpp) seen.add((out[i] << 16) | (out[i + 1] << 8) | out[i + 2]);
  return { width: w, height: h, colours: seen.size };
}

/** What the in-page layout check found. */
export interface LayoutFindings {
  /** SVGs checked. */
  svgs: number;
  /** Text elements checked. */
  texts: number;
  /** Text whose box leaves its SVG's viewBox. */
  clipped: { svg: string; text: string; box: number[]; viewBox: number[] }[];
  /** Legend boxes that intersect the box of a plotted element (`class="data"`). */
  legendOverlaps: { svg: string; legend: string; box: number[]; data: number[] }[];
  /** Pairs of axis-aligned texts of one SVG whose boxes overlap. */
  textOverlaps: { svg: string; a: string; b: string }[];
}

/**
 * Runs in the page: for every <svg>, the box of each <text> (mapped into the SVG's user space)
 * must lie inside the viewBox, each `.legend` box must miss every `.data` box, and no two
 * axis-aligned texts may overlap. Writes the findings as JSON into <pre id="layout-check">.
 */
const LAYOUT_CHECK_SCRIPT = `
(function () {
  function run() {
    var out = { svgs: 0, texts: 0, clipped: [], legendOverlaps: [], textOverlaps: [] };
    function box(svg, el) {
      var b = el.getBBox();
      var m = svg.getScreenCTM().inverse().multiply(el.getScreenCTM());
      var xs = [], ys = [];
      [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]].forEach(function (p) {
        var q = svg.createSVGPoint(); q.x = p[0]; q.y = p[1]; q = q.matrixTransform(m); xs.push(q.x); ys.push(q.y);
      });
      return { x0: Math.min.apply(null, xs), y0: Math.min.apply(null, ys), x1: Math.max.apply(null, xs), y1: Math.max.apply(null, ys), skew: Math.abs(m.b) > 0.01 && Math.abs(m.a) > 0.01, empty: b.width === 0 && b.height === 0 };
    }
    function hit(a, b, tol) { return a.x0 < b.x1 - tol && b.x0 < a.x1 - tol && a.y0 < b.y1 - tol && b.y0 < a.y1 - tol; }
    function arr(b) { return [b.x0, b.y0, b.x1, b.y1].map(function (v) { return Math.round(v * 10) / 10; }); }
    var svgs = document.querySelectorAll('svg');
    for (var s = 0; s < svgs.length; s++) {
      var svg = svgs[s];
      out.svgs++;
      var t = svg.querySelector('title');
      var name = t ? t.textContent : 'svg #' + s;
      var vb = svg.viewBox.baseVal;
      var view = vb && vb.width ? { x0: vb.x, y0: vb.y, x1: vb.x + vb.width, y1: vb.y + vb.height } : { x0: 0, y0: 0, x1: svg.width.baseVal.value, y1: svg.height.baseVal.value };
      var texts = [];
      var els = svg.querySelectorAll('text');
      for (var i = 0; i < els.length; i++) {
        var b = box(svg, els[i]);
        if (b.empty) continue;
        out.texts++;
        var label = els[i].textContent;
        if (b.x0 < view.x0 - 0.5 || b.y0 < view.y0 - 0.5 || b.x1 > view.x1 + 0.5 || b.y1 > view.y1 + 0.5) out.clipped.push({ svg: name, text: label, box: arr(b), viewBox: arr(view) });
        if (!b.skew && !(els[i].parentNode && els[i].parentNode.closest && els[i].parentNode.closest('text'))) texts.push({ b: b, label: label });
      }
      for (var a = 0; a < texts.length; a++) for (var c = a + 1; c < texts.length; c++) if (hit(texts[a].b, texts[c].b, 1)) out.textOverlaps.push({ svg: name, a: texts[a].label, b: texts[c].label });
      var legends = svg.querySelectorAll('.legend');
      var data = svg.querySelectorAll('.data');
      for (var l = 0; l < legends.length; l++) {
        var lb = box(svg, legends[l]);
        for (var d = 0; d < data.length; d++) {
          var db = box(svg, data[d]);
          if (!db.empty && hit(lb, db, 0.5)) out.legendOverlaps.push({ svg: name, legend: legends[l].textContent, box: arr(lb), data: arr(db) });
        }
      }
    }
    var pre = document.createElement('pre');
    pre.id = 'layout-check';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  if (document.readyState === 'complete') run(); else window.addEventListener('load', run);
})();
`;

/** The HTML with the layout-check script injected before </body>. */
function withLayoutCheck(html: string): string {
  const script = `<script>${LAYOUT_CHECK_SCRIPT}</script>`;
  return html.includes('</body>') ? html.replace('</body>', `${script}</body>`) : html + script;
}

/** Writes a copy of `html` with the layout check next to `dir`, loads it in headless Chromium and returns the findings. */
export function runLayoutCheck(html: string, dir: string): LayoutFindings {
  const file = join(dir, `layout-check-${process.pid}-${Date.now()}.html`);
  writeFileSync(file, withLayoutCheck(html));
  const r = chromium(['--virtual-time-budget=5000', '--dump-dom', `file://${file}`]);
  const m = /<pre id="layout-check">([\s\S]*?)<\/pre>/.exec(r.stdout);
  if (!m) throw new Error(`no layout-check output from Chromium (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const json = m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, '\u00a0').replace(/&amp;/g, '&');
  return JSON.parse(json) as LayoutFindings;
}

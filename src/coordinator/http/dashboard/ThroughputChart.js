const SVG = 'http://www.w3.org/2000/svg';
const PAD = { top: 14, right: 16, bottom: 26, left: 48 };

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 */
function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/** A round axis maximum at or above `value`: 1, 2, 5, 10, 20, 50... */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * An SVG line-and-area chart of results per second over a time window ending now, with gridlines,
 * a y axis in results/s and an x axis in minutes ago. Redraws to the container's width.
 */
export class ThroughputChart {
  /** @type {HTMLElement} */
  #container;
  #windowMs;
  /** @type {[number, number][]} */
  #samples = [];
  #nowMs = Date.now();
  /** Time under the pointer, or null: the sample nearest to it gets a readout. */
  /** @type {number | null} */
  #hoverAt = null;

  /**
   * @param {HTMLElement} container
   * @param {number} [windowSeconds] width of the window shown; default 300
   */
  constructor(container, windowSeconds = 300) {
    this.#container = container;
    this.#windowMs = windowSeconds * 1000;
    new ResizeObserver(() => this.#draw()).observe(container);
    container.addEventListener('pointermove', (event) => {
      const box = container.getBoundingClientRect();
      const plotW = Math.max(240, container.clientWidth) - PAD.left - PAD.right;
      this.#hoverAt = this.#nowMs - this.#windowMs + ((event.clientX - box.left - PAD.left) / plotW) * this.#windowMs;
      this.#draw();
    });
    container.addEventListener('pointerleave', () => {
      this.#hoverAt = null;
      this.#draw();
    });
  }

  /**
   * @param {[number, number][]} samples `[atMs, resultsPerSecond]`, oldest first
   * @param {number} nowMs the server's clock when it answered (the right edge)
   */
  update(samples, nowMs) {
    this.#samples = samples;
    this.#nowMs = nowMs;
    this.#draw();
  }

  #draw() {
    const width = Math.max(240, this.#container.clientWidth);
    const height = this.#container.clientHeight || 220;
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const start = this.#nowMs - this.#windowMs;
    const visible = this.#samples.filter(([at]) => at >= start);
    const max = niceMax(Math.max(0, ...visible.map(([, v]) => v)) * 1.1);
    const x = (/** @type {number} */ at) => PAD.left + ((at - start) / this.#windowMs) * plotW;
    const y = (/** @type {number} */ v) => PAD.top + plotH - (v / max) * plotH;

    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'results per second' });
    for (let i = 0; i <= 4; i++) {
      const value = (max * i) / 4;
      const gy = y(value);
      root.append(svg('line', { x1: PAD.left, x2: width - PAD.right, y1: gy, y2: gy, class: i === 0 ? 'axis' : 'grid' }));
      const label = svg('text', { x: PAD.left - 8, y: gy + 4, class: 'tick', 'text-anchor': 'end' });
      label.textContent = Number.isInteger(value) ? String(value) : value.toFixed(1);
      root.append(label);
    }
    const minutes = Math.round(this.#windowMs / 60_000);
    for (let m = minutes; m >= 0; m--) {
      const label = svg('text', { x: x(this.#nowMs - m * 60_000), y: height - 8, class: 'tick', 'text-anchor': m === 0 ? 'end' : 'middle' });
      label.textContent = m === 0 ? 'now' : `-${m}m`;
      root.append(label);
    }
    if (visible.length > 0) {
      const points = visible.map(([at, v]) => `${x(at).toFixed(1)},${y(v).toFixed(1)}`);
      const base = y(0).toFixed(1);
      root.append(svg('path', { d: `M${x(visible[0][0]).toFixed(1)},${base} L${points.join(' L')} L${x(visible.at(-1)[0]).toFixed(1)},${base} Z`, class: 'area' }));
      root.append(svg('polyline', { points: points.join(' '), class: 'line' }));
      const [lastAt, lastValue] = visible.at(-1);
      root.append(svg('circle', { cx: x(lastAt), cy: y(lastValue), r: 3.5, class: 'last' }));
      if (this.#hoverAt !== null) {
        const hoverAt = this.#hoverAt;
        const [at, v] = visible.reduce((best, s) => (Math.abs(s[0] - hoverAt) < Math.abs(best[0] - hoverAt) ? s : best));
        const hx = x(at);
        root.append(svg('line', { x1: hx, x2: hx, y1: PAD.top, y2: PAD.top + plotH, class: 'hover-line' }));
        root.append(svg('circle', { cx: hx, cy: y(v), r: 4, class: 'last' }));
        const label = svg('text', { x: hx + (hx > width / 2 ? -8 : 8), y: PAD.top + 12, class: 'hover-label', 'text-anchor': hx > width / 2 ? 'end' : 'start' });
        label.textContent = `${new Date(at).toLocaleTimeString('en-GB', { hour12: false })} · ${v}/s`;
        root.append(label);
      }
    } else {
      const empty = svg('text', { x: PAD.left + plotW / 2, y: PAD.top + plotH / 2, class: 'empty', 'text-anchor': 'middle' });
      empty.textContent = 'waiting for samples…';
      root.append(empty);
    }
    this.#container.dataset.points = String(visible.length);
    this.#container.dataset.max = String(Math.max(0, ...visible.map(([, v]) => v)));
    this.#container.replaceChildren(root);
  }
}

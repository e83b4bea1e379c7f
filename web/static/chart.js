// Draws each [data-chart] element's line chart with uPlot (vendored in
// static/vendor/uplot). The page holds the same numbers as a table, so
// without this file nothing is lost; with it, the table is folded away.

const palette = ['--accent', '--chart-2', '--chart-3'];

function color(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function draw(el) {
  const spec = JSON.parse(el.dataset.chart);
  const labels = spec.labels || [];
  const xs = labels.map((_, i) => i);
  const text = color('--muted', '#575b63');
  const grid = color('--border', '#d5d7dc');
  const axis = (label) => ({ label, stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
  const opts = {
    width: Math.max(el.clientWidth, 280),
    height: 260,
    padding: [12, 36, 0, 0],
    scales: { x: { time: false } },
    series: [
      { label: spec.x_label, value: (u, i) => (i == null ? '' : labels[i] ?? '') },
      ...spec.series.map((s, i) => ({
        label: s.label,
        stroke: color(palette[i % palette.length], '#2346b8'),
        width: 2,
        points: { show: labels.length <= 62 },
      })),
    ],
    axes: [
      { ...axis(spec.x_label), values: (u, splits) => splits.map((i) => labels[i] ?? '') },
      { ...axis(spec.y_label), values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? v.toLocaleString() : '')) },
    ],
  };
  const plot = new window.uPlot(opts, [xs, ...spec.series.map((s) => s.values)], el);
  const table = el.parentElement.querySelector('details.chart-table');
  if (table) table.open = false;
  new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 280), height: 260 })).observe(el);
}

if (window.uPlot) {
  for (const el of document.querySelectorAll('[data-chart]')) draw(el);
}

import type { SystemResults } from './scenarios';

type Results = Partial<Record<'raw-ws' | 'homeroom' | 'postgraphile', SystemResults>>;
const COLORS = { 'raw-ws': '#6b7280', homeroom: '#2563eb', postgraphile: '#d97706' } as const;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * A dependency-free SVG: left, server CPU per delivery (scenario a); middle, RSS per idle
 * subscription (b); right, the saturation curves (c): p99 latency against delivered events/s.
 */
export function renderChart(run: { date: string; results: Results }): string {
  const systems = (Object.keys(COLORS) as (keyof typeof COLORS)[]).filter((s) => run.results[s]);
  const W = 960;
  const H = 360;
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, extra = '') =>
    parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${esc(s)}</text>`);

  const bars = (x0: number, title: string, values: (number | null | undefined)[], unit: string) => {
    const w = 200;
    const top = 60;
    const h = 220;
    const max = Math.max(1e-9, ...values.map((v) => v ?? 0));
    text(x0, 35, title, 'font-weight="bold"');
    systems.forEach((s, i) => {
      const v = values[i] ?? 0;
      const bh = (h * v) / max;
      const x = x0 + 10 + i * (w / systems.length);
      const bw = w / systems.length - 14;
      parts.push(`<rect x="${x}" y="${top + h - bh}" width="${bw}" height="${bh}" fill="${COLORS[s]}"/>`);
      text(
        x + bw / 2,
        top + h - bh - 5,
        values[i] == null ? '–' : `${Number(v.toFixed(1))}${unit}`,
        'text-anchor="middle"',
      );
      text(x + bw / 2, top + h + 16, s, 'text-anchor="middle"');
    });
    parts.push(`<line x1="${x0}" y1="${top + h}" x2="${x0 + w}" y2="${top + h}" stroke="#333"/>`);
  };
  bars(
    20,
    'server CPU µs / delivery (a)',
    systems.map((s) => run.results[s]?.steady?.serverCpuMicrosPerDelivery),
    '',
  );
  bars(
    250,
    'RSS KiB / idle subscription (b)',
    systems.map((s) => run.results[s]?.idle?.kibPerSubscription),
    '',
  );

  // Saturation: x = delivered/s (log), y = p99 ms (log).
  const x0 = 510;
  const w = 420;
  const top = 60;
  const h = 220;
  text(x0, 35, 'saturation (c): p99 ms vs deliveries/s', 'font-weight="bold"');
  const pts = systems.flatMap((s) =>
    (run.results[s]?.saturation?.steps ?? []).map((st) => ({ s, x: st.deliveriesPerSecond, y: st.latencyMs.p99 ?? 0 })),
  );
  if (pts.length) {
    const lx = (v: number) => Math.log10(Math.max(v, 1));
    const [xmin, xmax] = [
      Math.floor(Math.min(...pts.map((p) => lx(p.x)))),
      Math.ceil(Math.max(...pts.map((p) => lx(p.x))) + 0.01),
    ];
    const [ymin, ymax] = [
      Math.floor(Math.min(...pts.map((p) => lx(p.y * 10)))),
      Math.ceil(Math.max(...pts.map((p) => lx(p.y * 10))) + 0.01),
    ];
    const X = (v: number) => x0 + ((lx(v) - xmin) / (xmax - xmin || 1)) * w;
    const Y = (ms: number) => top + h - ((lx(ms * 10) - ymin) / (ymax - ymin || 1)) * h;
    parts.push(`<rect x="${x0}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
    for (let e = xmin; e <= xmax; e++)
      text(x0 + ((e - xmin) / (xmax - xmin || 1)) * w, top + h + 16, `${10 ** e}`, 'text-anchor="middle"');
    for (let e = ymin; e <= ymax; e++)
      text(x0 - 4, top + h - ((e - ymin) / (ymax - ymin || 1)) * h + 4, `${10 ** e / 10}`, 'text-anchor="end"');
    const limit = Y(100);
    if (limit >= top && limit <= top + h)
      parts.push(
        `<line x1="${x0}" y1="${limit}" x2="${x0 + w}" y2="${limit}" stroke="#dc2626" stroke-dasharray="4 3"/>`,
      ),
        text(x0 + w - 4, limit - 4, 'p99 = 100 ms', 'text-anchor="end" fill="#dc2626"');
    for (const s of systems) {
      const line = pts.filter((p) => p.s === s);
      if (!line.length) continue;
      parts.push(
        `<polyline fill="none" stroke="${COLORS[s]}" stroke-width="2" points="${line.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
      for (const p of line)
        parts.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="3" fill="${COLORS[s]}"/>`);
    }
    systems.forEach((s, i) => {
      parts.push(`<rect x="${x0 + 10}" y="${top + 8 + i * 16}" width="10" height="10" fill="${COLORS[s]}"/>`);
      text(x0 + 26, top + 17 + i * 16, s);
    });
  }
  text(
    20,
    H - 12,
    `Homeroom live fan-out benchmark, ${run.date} — one run, same machine; lower CPU and memory are better`,
    'fill="#555"',
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}

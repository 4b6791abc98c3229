// A tool's similar tools, recent executions, and calls over time (the stats API and a chart
// of the last 24 hours drawn from its executions).
import { $, h, clear, toolHref, fmt, millis, api, failure } from './core.js';
import { executionTable } from './executions.js';

export async function loadSimilar(name) {
  const box = $('#similar-body');
  try {
    const { data } = await api('GET', `/tools/${encodeURIComponent(name)}/similar?limit=5`);
    clear(box, data.length ? h('ol', { class: 'plain' }, data.map((t) => h('li', {},
      h('a', { href: toolHref(t.name) }, t.name), ' ', h('span', { class: 'muted' }, fmt(t.similarity, 2)),
      h('br'), h('span', { class: 'small' }, t.description)))) : h('p', { class: 'muted' }, 'No other tools.'));
  } catch (e) { clear(box, failure('Loading similar tools', e)); }
}

export async function loadActivity(name) {
  const recent = $('#recent-body');
  const stats = $('#stats-body');
  const enc = encodeURIComponent(name);
  const [execs, ...windows] = await Promise.allSettled([
    api('GET', `/tools/${enc}/executions?limit=200`),
    ...['1h', '24h', '7d'].map((w) => api('GET', `/tools/${enc}/stats?window=${w}`)),
  ]);
  if (execs.status === 'fulfilled') {
    const items = execs.value.data.items;
    clear(recent, items.length ? executionTable(items.slice(0, 10), false) : h('p', { class: 'muted' }, 'Not called yet.'),
      items.length ? h('p', {}, h('a', { href: '/ui/executions?tool=' + enc }, 'All executions of ' + name)) : null);
  } else clear(recent, failure('Loading the executions', execs.reason));
  const failed = windows.find((w) => w.status === 'rejected');
  const parts = [];
  if (failed) parts.push(failure('Loading the call statistics', failed.reason));
  else {
    parts.push(h('div', { class: 'table-wrap' }, h('table', { class: 'table compact stats' },
      h('thead', {}, h('tr', {}, ['Window', 'Calls', 'Success rate', 'p50', 'p95'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, windows.map((w, i) => {
        const s = w.value.data;
        return h('tr', {}, h('td', {}, ['last hour', 'last 24 h', 'last 7 days'][i]), h('td', {}, String(s.calls)),
          h('td', {}, s.calls ? Math.round(s.success_rate * 100) + '%' : '–'),
          h('td', {}, millis(s.p50_ms)), h('td', {}, millis(s.p95_ms)));
      })))));
  }
  if (execs.status === 'fulfilled') parts.push(callChart(execs.value.data.items));
  clear(stats, parts);
}

/** Calls per hour over the last 24 hours, successes and failures stacked, with the hour's
 * median duration in the bar's title: drawn from the 200 most recent executions. */
export function callChart(items) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, ...kids) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    kids.forEach((k) => el.append(k));
    return el;
  };
  const now = Date.now();
  const hours = Array.from({ length: 24 }, () => ({ ok: 0, fail: 0, ms: [] }));
  for (const x of items) {
    const age = Math.floor((now - new Date(x.executed_at).getTime()) / 3600000);
    if (age < 0 || age > 23) continue;
    const b = hours[23 - age];
    if (x.success) b.ok++; else b.fail++;
    b.ms.push(x.duration_ms);
  }
  const calls = hours.reduce((a, b) => a + b.ok + b.fail, 0);
  if (!calls) return h('p', { class: 'muted' }, 'No calls in the last 24 hours.');
  const max = Math.max(1, ...hours.map((b) => b.ok + b.fail));
  const W = 480, H = 120, bw = W / 24;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H + 18}`, class: 'chart', role: 'img',
    'aria-label': `Calls per hour over the last 24 hours: ${calls} in all` });
  hours.forEach((b, i) => {
    const total = b.ok + b.fail;
    if (!total) return;
    const okH = (b.ok / max) * H, failH = (b.fail / max) * H;
    const ms = b.ms.sort((a, c) => a - c)[Math.floor((b.ms.length - 1) / 2)];
    const g = svg('g', {}, svg('title', {}, document.createTextNode(`${24 - i} h ago: ${b.ok} succeeded, ${b.fail} failed, median ${ms} ms`)));
    if (b.ok) g.append(svg('rect', { x: i * bw + 1, y: H - okH, width: bw - 2, height: okH, class: 'ok' }));
    if (b.fail) g.append(svg('rect', { x: i * bw + 1, y: H - okH - failH, width: bw - 2, height: failH, class: 'fail' }));
    chart.append(g);
  });
  chart.append(svg('line', { x1: 0, y1: H + 0.5, x2: W, y2: H + 0.5, class: 'axis' }));
  chart.append(svg('text', { x: 0, y: H + 14, class: 'tick' }, document.createTextNode('24 h ago')));
  chart.append(svg('text', { x: W, y: H + 14, class: 'tick end' }, document.createTextNode('now')));
  return h('figure', { class: 'chart-box' }, chart,
    h('figcaption', {}, h('span', { class: 'swatch ok' }), ' succeeded ', h('span', { class: 'swatch fail' }), ` failed · calls per hour over the last 24 h; the tallest bar is ${max} call${max === 1 ? '' : 's'} (hover a bar for its median duration)`));
}

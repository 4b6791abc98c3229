// The upstream MCP servers and their health.
import { $, h, clear, when, api, failure } from './core.js';

export async function pageServers() {
  const box = $('#servers');
  try {
    const { data } = await api('GET', '/servers');
    if (!data.length) { clear(box, h('p', { class: 'muted' }, 'No upstream server is registered.')); return; }
    clear(box, h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Name', 'URL', 'Status', 'Tools', 'Last sync', 'Last error'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, data.map((s) => {
        const hl = s.health || {};
        return h('tr', {}, h('td', {}, s.name), h('td', {}, h('code', {}, s.url)),
          h('td', {}, h('span', { class: 'badge ' + (hl.status || '') }, hl.status || 'unknown')),
          h('td', {}, String(hl.tool_count ?? '–')), h('td', {}, hl.last_sync_at ? when(hl.last_sync_at) : '–'),
          h('td', {}, hl.last_error || ''));
      })))));
  } catch (e) { clear(box, failure('Loading the upstream servers', e)); }
}

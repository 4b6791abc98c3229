// The tool list, filtered by category and tags (by the API) and by origin and name (here).
import { $, h, clear, toolHref, builtins, api, failure, splitList, origin, ORIGIN_LABEL } from './core.js';

export async function pageTools() {
  const form = $('#tools-filter');
  const params = new URLSearchParams(location.search);
  for (const name of ['category', 'tags', 'origin', 'name']) {
    if (params.has(name)) form.elements[name].value = params.get(name);
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const name of ['category', 'tags', 'origin', 'name']) if (form.elements[name].value) next.set(name, form.elements[name].value);
    history.replaceState(null, '', '/ui/tools' + (next.toString() ? '?' + next : ''));
    loadTools(form, null);
  });
  $('#tools-more').addEventListener('click', () => loadTools(form, $('#tools-more').dataset.cursor));
  loadTools(form, null);
}

export async function loadTools(form, cursor) {
  const f = form.elements;
  const q = new URLSearchParams({ limit: '200' });
  if (f.category.value.trim()) q.set('category', f.category.value.trim());
  if (f.tags.value.trim()) q.set('tags', splitList(f.tags.value).join(','));
  if (cursor) q.set('cursor', cursor);
  const status = $('#tools-status');
  const table = $('#tools-table');
  const body = $('tbody', table);
  const more = $('#tools-more');
  if (!cursor) { clear(body); table.hidden = true; }
  clear(status, h('p', { class: 'muted' }, 'Loading tools…'));
  try {
    const { data, headers } = await api('GET', '/tools?' + q);
    const builtin = builtins();
    const wanted = f.origin.value;
    const needle = f.name.value.trim().toLowerCase();
    const rows = data.filter((t) => (!wanted || origin(t, builtin) === wanted) && (!needle || t.name.toLowerCase().includes(needle)));
    for (const t of rows) {
      const o = origin(t, builtin);
      body.append(h('tr', {},
        h('td', {}, h('a', { href: toolHref(t.name) }, t.name)),
        h('td', {}, t.description),
        h('td', {}, t.category),
        h('td', {}, t.tags.join(', ')),
        h('td', {}, h('span', { class: 'badge ' + o }, ORIGIN_LABEL[o]))));
    }
    const next = headers.get('x-next-cursor');
    more.hidden = !next;
    if (next) more.dataset.cursor = next;
    const shown = body.children.length;
    table.hidden = shown === 0;
    clear(status, h('p', {}, shown ? `${shown} tool${shown === 1 ? '' : 's'}${next ? ' so far' : ''}.` : 'No tool matches these filters.'));
  } catch (e) {
    more.hidden = true;
    clear(status, failure('Loading the tools', e));
  }
}

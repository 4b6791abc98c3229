// Executions: one tool's history, newest first, by outcome; one execution in full.
import { $, h, clear, toolHref, pretty, when, api, failure } from './core.js';

export function outcomeBadge(x) {
  return x.success ? h('span', { class: 'badge ok' }, 'success') : h('span', { class: 'badge fail' }, x.error_kind || 'failure');
}

export function executionTable(items, withTool) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
    h('thead', {}, h('tr', {}, ['Id', 'When', withTool ? 'Tool' : null, 'Outcome', 'Duration'].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((x) => executionRow(x, withTool)))));
}

export function executionRow(x, withTool, withRequest) {
  return h('tr', {},
    h('td', {}, h('a', { href: '/ui/executions/' + x.id }, '#' + x.id)),
    h('td', {}, when(x.executed_at)),
    withTool ? h('td', {}, h('a', { href: toolHref(x.tool_name) }, x.tool_name)) : null,
    h('td', {}, outcomeBadge(x)),
    h('td', {}, x.duration_ms + ' ms'),
    withRequest ? h('td', {}, h('code', {}, x.request_id || '–')) : null);
}


export async function pageExecutions() {
  const form = $('#exec-filter');
  const params = new URLSearchParams(location.search);
  const select = form.elements.tool;
  if (params.get('outcome')) form.elements.outcome.value = params.get('outcome');
  const wanted = params.get('tool') || '';
  try {
    const { data } = await api('GET', '/tools?limit=1000');
    for (const t of data) select.append(h('option', { value: t.name }, t.name));
  } catch (e) {
    clear($('#exec-status'), failure('Loading the tool names', e));
  }
  if (wanted && ![...select.options].some((o) => o.value === wanted)) select.append(h('option', { value: wanted }, wanted));
  select.value = wanted;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (select.value) q.set('tool', select.value);
    if (form.elements.outcome.value !== 'all') q.set('outcome', form.elements.outcome.value);
    history.replaceState(null, '', '/ui/executions' + (q.toString() ? '?' + q : ''));
    loadExecutions(form, null);
  });
  $('#exec-more').addEventListener('click', () => loadExecutions(form, $('#exec-more').dataset.cursor));
  if (wanted) loadExecutions(form, null);
  else if (!$('#exec-status').children.length) clear($('#exec-status'), h('p', { class: 'muted' }, 'Choose a tool to see its calls.'));
}

export async function loadExecutions(form, cursor) {
  const tool = form.elements.tool.value;
  const status = $('#exec-status');
  const table = $('#exec-table');
  const body = $('tbody', table);
  const more = $('#exec-more');
  if (!cursor) { clear(body); table.hidden = true; }
  if (!tool) { clear(status, h('p', { class: 'muted' }, 'Choose a tool to see its calls.')); more.hidden = true; return; }
  const q = new URLSearchParams({ limit: '50', outcome: form.elements.outcome.value });
  if (cursor) q.set('cursor', cursor);
  clear(status, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const { data } = await api('GET', `/tools/${encodeURIComponent(tool)}/executions?${q}`);
    for (const x of data.items) body.append(executionRow(x, true, true));
    more.hidden = !data.next_cursor;
    if (data.next_cursor) more.dataset.cursor = data.next_cursor;
    table.hidden = body.children.length === 0;
    clear(status, h('p', {}, body.children.length ? `${body.children.length} call${body.children.length === 1 ? '' : 's'}, newest first.` : 'No calls recorded with this outcome.'));
  } catch (e) {
    more.hidden = true;
    clear(status, failure(`Loading the executions of ${tool}`, e));
  }
}

export async function pageExecution() {
  const id = document.body.dataset.subject;
  const box = $('#execution');
  try {
    const { data: x } = await api('GET', '/executions/' + encodeURIComponent(id));
    const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
    clear(box,
      h('dl', { class: 'facts' },
        row('Tool', h('a', { href: toolHref(x.tool_name) }, x.tool_name)),
        row('When', when(x.executed_at)),
        row('Outcome', outcomeBadge(x)),
        row('Duration', x.duration_ms + ' ms'),
        row('Request id', h('code', {}, x.request_id || '–')),
        x.caller ? row('Caller', x.caller) : null),
      h('p', {}, h('a', { href: '/ui/executions?tool=' + encodeURIComponent(x.tool_name) }, 'All executions of ' + x.tool_name)),
      h('h2', {}, 'Arguments'), h('pre', { class: 'code' }, pretty(x.input_data)),
      x.success ? [h('h2', {}, 'Result'), h('pre', { class: 'code result' }, pretty(x.output_data))]
        : [h('h2', {}, 'Error'), h('p', { class: 'error-text' }, x.error || '(none recorded)'),
          x.output_data !== null && x.output_data !== undefined ? h('pre', { class: 'code' }, pretty(x.output_data)) : null]);
  } catch (e) { clear(box, failure(`Loading execution ${id}`, e)); }
}

// One tool's page: its summary, actions, schemas, try-it form and activity.
import { $, h, clear, toolHref, builtins, api, failure, canEdit, origin, ORIGIN_LABEL } from './core.js';
import { schemaView } from './schema.js';
import { renderTryIt } from './tryit.js';
import { loadSimilar, loadActivity } from './activity.js';

export async function pageTool() {
  const name = document.body.dataset.subject;
  const params = new URLSearchParams(location.search);
  if (params.has('registered')) $('#tool-notice').append(h('p', { class: 'notice' }, `Registered ${name}.`));
  if (params.has('saved')) $('#tool-notice').append(h('p', { class: 'notice' }, 'Changes saved.'));
  let tool;
  try {
    tool = (await api('GET', '/tools/' + encodeURIComponent(name))).data;
  } catch (e) {
    clear($('#tool-summary'), failure(`Loading the tool ${name}`, e));
    for (const id of ['#tryit', '#schemas', '#stats', '#recent', '#similar']) $(id).hidden = true;
    return;
  }
  const o = origin(tool, builtins());
  renderSummary(tool, o);
  renderActions(tool, o);
  clear($('#schemas-body'), schemaView('Input', tool.input_schema), tool.output_schema ? schemaView('Output', tool.output_schema) : null);
  renderTryIt(tool);
  loadSimilar(name);
  loadActivity(name);
}

export function renderSummary(tool, o) {
  const badges = h('p', { class: 'badges' },
    h('span', { class: 'badge ' + o }, ORIGIN_LABEL[o]),
    h('span', { class: 'badge' }, 'category ' + tool.category),
    h('span', { class: 'badge' }, 'v' + tool.version),
    tool.tags.map((t) => h('span', { class: 'badge tag' }, '#' + t)),
    tool.author ? h('span', { class: 'muted' }, ' by ' + tool.author) : null);
  const parts = [badges, h('p', { class: 'lead' }, tool.description)];
  if (tool.long_description) parts.push(h('p', {}, tool.long_description));
  if (tool.config && tool.config.upstream) {
    parts.push(h('p', { class: 'muted' }, `Synced from the upstream server ${tool.config.upstream.server} (its tool ${tool.config.upstream.tool}).`));
  }
  if (tool.examples.length) {
    parts.push(h('h2', {}, 'Examples'),
      h('p', { class: 'hint' }, 'Each one opens the search with it: does this tool come first?'), h('ul', { class: 'examples' }, tool.examples.map((x) => h('li', {},
      h('a', { href: '/?query=' + encodeURIComponent(x), title: 'Search with this request' }, x)))));
  }
  clear($('#tool-summary'), parts);
}

export function renderActions(tool, o) {
  const box = $('#tool-actions');
  if (o === 'builtin') { clear(box, h('span', { class: 'muted' }, 'Built in: read-only')); return; }
  if (!canEdit()) { clear(box); return; }
  const dialog = $('#delete-dialog');
  const edit = h('a', { class: 'button secondary', href: toolHref(tool.name) + '/edit' }, 'Edit');
  const del = h('button', { type: 'button', class: 'danger', onclick: () => dialog.showModal() }, 'Delete');
  clear(box, edit, del);
  $('#delete-confirm').addEventListener('click', async () => {
    try {
      await api('DELETE', '/tools/' + encodeURIComponent(tool.name));
      location.href = '/ui/tools';
    } catch (e) {
      const top = $('.form-error', dialog);
      clear(top, h('span', {}, failure('Deleting', e).textContent));
      top.hidden = false;
    }
  });
}

/** A schema as a table of its properties, with the raw JSON folded below. */

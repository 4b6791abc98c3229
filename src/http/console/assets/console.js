// toolbox console: fills the server-rendered pages from the REST API. Every action is an API
// call carrying the key the person entered; nothing here decides what they may do, the API
// does (this script only hides controls a read-only key cannot use). Written by hand, no build
// step. Data is put into the page with textContent, never as HTML.
'use strict';

const KEY_STORE = 'toolbox.apiKey';
const session = { role: 'unknown', caller: null };

// ---- DOM helpers -------------------------------------------------------------------------

function $(sel, root = document) { return root.querySelector(sel); }
function $$(sel, root = document) { return Array.from(root.querySelectorAll(sel)); }

/** An element: h('a', {href: '/x', class: 'c'}, 'text', child, ...). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function clear(el, ...children) { el.replaceChildren(...children.flat().filter(Boolean)); return el; }
function toolHref(name) { return '/ui/tools/' + encodeURIComponent(name); }
function pretty(v) { return JSON.stringify(v, null, 2); }
function fmt(n, digits = 3) { return typeof n === 'number' ? n.toFixed(digits) : '–'; }
function millis(v) { return typeof v === 'number' ? Number(v.toFixed(1)) + ' ms' : '–'; }
function when(ts) { const d = new Date(ts); return isNaN(d) ? String(ts) : d.toLocaleString(); }
function pointerEscape(s) { return s.replace(/~/g, '~0').replace(/\//g, '~1'); }
function builtins() { return new Set((document.body.dataset.builtins || '').split(' ').filter(Boolean)); }

// ---- The API -----------------------------------------------------------------------------

/** A failed API call: what was asked, the status and the problem+json body, if any. */
class ApiFailure extends Error {
  constructor(method, path, status, body, reason) {
    const problem = body && typeof body === 'object' ? body : null;
    const detail = reason || (problem && (problem.detail || problem.title)) ||
      (typeof body === 'string' && body.slice(0, 200)) || 'no details';
    super(detail);
    this.method = method; this.path = path; this.status = status; this.problem = problem;
  }
  /** "GET /tools answered 503 (Service unavailable)". */
  get request() {
    const title = this.problem && this.problem.title ? ' (' + this.problem.title + ')' : '';
    return this.status ? `${this.method} ${this.path} answered ${this.status}${title}`
      : `${this.method} ${this.path} got no answer`;
  }
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) headers.authorization = 'Bearer ' + key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiFailure(method, path, 0, null, 'the service could not be reached: ' + e.message);
  }
  const text = await resp.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = text; } }
  if (!resp.ok) {
    const failure = new ApiFailure(method, path, resp.status, data);
    if (resp.status === 401) askForKey(key ? 'The key was refused: ' + failure.message : 'This service checks API keys: enter one to use the console.');
    throw failure;
  }
  return { data, headers: resp.headers, status: resp.status };
}

/** An alert saying what could not be loaded or done, and why. */
function failure(what, err) {
  const box = h('div', { class: 'alert', role: 'alert' },
    h('p', {}, h('strong', {}, what + ' failed: '), err.message));
  if (err instanceof ApiFailure) {
    const rid = err.problem && err.problem.request_id;
    box.append(h('p', { class: 'meta' }, err.request, rid ? ' · request id ' + rid : ''));
    if (err.status === 401) box.append(h('p', {}, h('button', { type: 'button', onclick: () => askForKey() }, 'Enter an API key')));
    if (err.status === 403 && err.problem && err.problem.required_scope) {
      box.append(h('p', {}, 'It needs a key with the ', h('code', {}, err.problem.required_scope), ' role.'));
    }
  }
  return box;
}

// ---- Access: the key and the caller's role -----------------------------------------------

function canEdit() { return session.role === 'admin' || session.role === 'unknown'; }
function canCall() { return session.role !== 'read' && session.role !== 'none'; }

function askForKey(reason) {
  const panel = $('#key-panel');
  if (reason) $('#key-reason').textContent = reason;
  if (panel.hidden) { panel.hidden = false; $('#key-input').focus(); }
}

function setupKeyPanel() {
  $('#key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('#key-input').value.trim();
    if (key) sessionStorage.setItem(KEY_STORE, key); else sessionStorage.removeItem(KEY_STORE);
    location.reload();
  });
  $('#key-cancel').addEventListener('click', () => { $('#key-panel').hidden = true; });
}

/** Asks `GET /me` who the key belongs to. A service without `/me` answers 404: the role is
 * then unknown, every control is shown, and the API's 403 says what a key may not do. */
async function whoami() {
  try {
    const { data } = await api('GET', '/me');
    session.role = (data && data.role) || 'unknown';
    session.caller = data && data.caller;
  } catch (e) {
    session.role = e.status === 401 ? 'none' : 'unknown';
  }
  renderAccess();
}

function renderAccess() {
  const el = $('#access');
  const hasKey = !!sessionStorage.getItem(KEY_STORE);
  const parts = [];
  if (session.role === 'none') parts.push(h('span', { class: 'pill warn' }, 'No valid key'));
  else if (session.role !== 'unknown') {
    parts.push(h('span', { class: 'pill', 'data-role': session.role, title: 'the role of this key' },
      (session.caller ? session.caller + ' · ' : '') + session.role));
  } else if (hasKey) parts.push(h('span', { class: 'pill' }, 'Key set'));
  parts.push(h('button', { type: 'button', class: 'link', onclick: () => askForKey() }, hasKey ? 'Change key' : 'Set API key'));
  if (hasKey) {
    parts.push(h('button', {
      type: 'button', class: 'link',
      onclick: () => { sessionStorage.removeItem(KEY_STORE); location.reload(); },
    }, 'Forget key'));
  }
  clear(el, parts);
  for (const node of $$('[data-needs="admin"]')) node.hidden = !canEdit();
}

// ---- Field errors from problem+json pointers ---------------------------------------------

function clearErrors(form) {
  for (const slot of $$('.field-error', form)) { slot.hidden = true; slot.textContent = ''; }
  for (const c of $$('[aria-invalid]', form)) c.removeAttribute('aria-invalid');
  const top = $('.form-error', form);
  if (top) { top.hidden = true; top.textContent = ''; }
}

function errorText(e) {
  if (e.message) return e.message;
  let text = e.rule ? 'breaks the rule `' + e.rule + '`' : 'is not valid';
  if (e.expected !== undefined) text += ': expected ' + JSON.stringify(e.expected);
  return text;
}

/** Puts each error of `problem` under the field its pointer names (the longest matching
 * `data-pointer`); the rest go to the form's summary. Returns how many were placed. */
function showFieldErrors(form, problem, summary) {
  const errors = (problem && problem.errors) || [];
  const fields = $$('[data-pointer]', form).filter((f) => f.dataset.pointer !== undefined);
  const unplaced = [];
  let first = null;
  for (const e of errors) {
    const p = e.pointer || '';
    const match = fields
      .filter((f) => f.dataset.pointer && (p === f.dataset.pointer || p.startsWith(f.dataset.pointer + '/')))
      .sort((a, b) => b.dataset.pointer.length - a.dataset.pointer.length)[0];
    if (!match) { unplaced.push(e); continue; }
    const slot = $('.field-error', match);
    const control = $('input, select, textarea', match);
    const where = p === match.dataset.pointer ? '' : p.slice(match.dataset.pointer.length) + ': ';
    slot.append(h('span', {}, where + errorText(e)));
    slot.hidden = false;
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      const ids = new Set((control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
      ids.add(slot.id);
      control.setAttribute('aria-describedby', [...ids].join(' '));
      first = first || control;
    }
  }
  const top = $('.form-error', form);
  if (top) {
    const lines = [summary || (problem && problem.detail) || 'The request was refused.'];
    for (const e of unplaced) lines.push((e.pointer ? e.pointer + ': ' : '') + errorText(e));
    clear(top, lines.map((l) => h('span', {}, l)));
    top.hidden = false;
  }
  if (first) first.focus();
  return errors.length - unplaced.length;
}

/** A field with its label and error slot, made by the script (the try-it form). */
function fieldBox(id, label, pointer, control, hint) {
  return h('div', { class: 'field', 'data-pointer': pointer },
    h('label', { for: id }, label), control,
    hint ? h('p', { class: 'hint' }, hint) : null,
    h('p', { class: 'field-error', id: id + '-error', hidden: true }));
}

// ---- Search ------------------------------------------------------------------------------

function numberOrText(raw) {
  const v = raw.trim();
  if (v === '') return undefined;
  const n = Number(v);
  // Sent as typed when it is no number, so the API's own message names what is wrong.
  return Number.isFinite(n) ? n : v;
}

function splitList(raw) { return raw.split(',').map((s) => s.trim()).filter(Boolean); }

async function pageSearch() {
  const form = $('#search-form');
  const params = new URLSearchParams(location.search);
  for (const name of ['query', 'method', 'category', 'tags', 'limit', 'threshold']) {
    if (params.has(name)) form.elements[name].value = params.get(name);
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); runSearch(form); });
  if (params.get('query')) runSearch(form); else $('#q').focus();
}

async function runSearch(form) {
  clearErrors(form);
  const f = form.elements;
  const body = { query: f.query.value, explain: true };
  const method = f.method.value;
  if (method === 'weighted' || method === 'rrf') { body.use_hybrid = true; body.fusion = method; }
  if (method === 'vector') body.use_hybrid = false;
  if (f.category.value.trim()) body.category = f.category.value.trim();
  if (f.tags.value.trim()) body.tags = splitList(f.tags.value);
  const limit = numberOrText(f.limit.value);
  if (limit !== undefined) body.limit = limit;
  const threshold = numberOrText(f.threshold.value);
  if (threshold !== undefined) body.threshold = threshold;
  const params = new URLSearchParams();
  for (const name of ['query', 'method', 'category', 'tags', 'limit', 'threshold']) {
    if (f[name].value) params.set(name, f[name].value);
  }
  history.replaceState(null, '', '/?' + params);
  const status = $('#search-status');
  const list = $('#results');
  clear(status, h('p', { class: 'muted' }, 'Searching…'));
  try {
    const { data } = await api('POST', '/mcp/find_tool', body);
    clear(list, data.map((hit, i) => hitItem(hit, i, data)));
    clear(status, h('p', {}, data.length ? `${data.length} tool${data.length === 1 ? '' : 's'}, best first.`
      : 'No tool passed the threshold.'));
    $('.legend').hidden = !data.length;
  } catch (e) {
    clear(list);
    if (e.status === 422) { showFieldErrors(form, e.problem); clear(status); } else clear(status, failure('The search', e));
  }
}

function bar(kind, value, label) {
  const fill = h('span', { class: 'fill ' + kind });
  fill.style.width = Math.max(0, Math.min(1, value || 0)) * 100 + '%';
  return h('div', { class: 'bar-row' },
    h('span', { class: 'bar-name' }, kind === 'vector' ? 'Vector' : 'Text'),
    h('span', { class: 'bar', role: 'img', 'aria-label': label }, fill),
    h('span', { class: 'bar-label' }, label));
}

/** What share of a hybrid score each side gave: the person's answer to "why is this here". */
function sides(x) {
  if (!x) return null;
  if (x.method === 'hybrid-weighted' && x.vector_weight !== undefined) {
    const v = x.vector_weight * (x.vector_normalized || 0);
    const t = (1 - x.vector_weight) * (x.text_normalized || 0);
    return v + t > 0 ? v / (v + t) : null;
  }
  if (x.method === 'hybrid-rrf' && x.rrf_k !== undefined) {
    const v = 1 / (x.rrf_k + x.vector_rank);
    const t = x.text_rank ? 1 / (x.rrf_k + x.text_rank) : 0;
    return v / (v + t);
  }
  if (x.method === 'vector') return 1;
  if (x.method === 'text') return 0;
  return null;
}

function hitItem(hit, i, all) {
  const x = hit.explain;
  const bars = [];
  let why = '';
  if (x) {
    const maxText = Math.max(...all.map((a) => (a.explain ? a.explain.text_score : 0)), 0);
    const vNorm = x.vector_normalized !== undefined ? x.vector_normalized : Math.max(0, x.similarity);
    bars.push(bar('vector', vNorm, `similarity ${fmt(x.similarity)} · rank #${x.vector_rank}` +
      (x.vector_normalized !== undefined ? ` · normalised ${fmt(x.vector_normalized, 2)}` : '')));
    const tNorm = x.text_normalized !== undefined ? x.text_normalized : (maxText ? x.text_score / maxText : 0);
    bars.push(bar('text', tNorm, x.text_rank ? `BM25 ${fmt(x.text_score, 2)} · rank #${x.text_rank}` +
      (x.text_normalized !== undefined ? ` · normalised ${fmt(x.text_normalized, 2)}` : '') : 'no query word matched'));
    if (!x.text_rank) why = 'Found by meaning only: no query word occurs in it';
    else if (x.method === 'vector') why = 'Ranked by meaning (vector search); its words match too';
    else if (vNorm >= 0.5 && tNorm >= 0.5) why = 'Found by both sides';
    else why = vNorm > tNorm ? 'Found mostly by meaning (vector side)' : 'Found mostly by its words (text side)';
    const share = sides(x);
    if (share !== null && x.method.startsWith('hybrid')) {
      why += ` · the vector side gave ${Math.round(share * 100)}% of the score`;
    }
    why += ` · ${x.method}`;
  }
  return h('li', { class: 'hit' },
    h('div', { class: 'hit-head' },
      h('span', { class: 'rank', 'aria-label': 'rank ' + (i + 1) }, String(i + 1)),
      h('a', { href: toolHref(hit.name), class: 'hit-name' }, hit.name),
      h('span', { class: 'badge' }, hit.category),
      hit.upstream ? h('span', { class: 'badge ' + hit.upstream.status }, hit.upstream.server + ': ' + hit.upstream.status) : null,
      h('span', { class: 'score' }, 'score ' + fmt(hit.score))),
    h('p', { class: 'hit-desc' }, hit.description),
    bars.length ? h('div', { class: 'bars' }, bars) : null,
    why ? h('p', { class: 'why' }, why) : null);
}

// ---- Tools -------------------------------------------------------------------------------

function origin(tool, builtin) {
  if (builtin.has(tool.name)) return 'builtin';
  const cfg = tool.config || {};
  if (cfg.upstream) return 'upstream';
  if (cfg.executor) return 'http';
  return 'discovery';
}
const ORIGIN_LABEL = { builtin: 'Built in', upstream: 'Upstream', http: 'HTTP', discovery: 'Discovery only' };

async function pageTools() {
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

async function loadTools(form, cursor) {
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

// ---- One tool ----------------------------------------------------------------------------

async function pageTool() {
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

function renderSummary(tool, o) {
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
    parts.push(h('h2', {}, 'Examples'), h('ul', { class: 'examples' }, tool.examples.map((x) => h('li', {}, x))));
  }
  clear($('#tool-summary'), parts);
}

function renderActions(tool, o) {
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
function schemaView(label, schema) {
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const names = orderedNames(schema);
  const rows = names.map((n) => {
    const p = props[n] || {};
    return h('tr', {},
      h('td', {}, h('code', {}, n), required.has(n) ? h('span', { class: 'req', title: 'required' }, ' required') : null),
      h('td', {}, typeLabel(p)),
      h('td', {}, p.description || '', constraints(p) ? h('span', { class: 'muted' }, (p.description ? ' · ' : '') + constraints(p)) : null));
  });
  return h('div', { class: 'schema' },
    h('h3', {}, label),
    names.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Notes'))),
      h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, 'No named properties.'),
    h('details', {}, h('summary', {}, 'JSON'), h('pre', { class: 'code' }, pretty(schema))));
}

/** A schema's property names, the required ones first. */
function orderedNames(schema) {
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const names = Object.keys(props);
  return [...names.filter((n) => required.has(n)), ...names.filter((n) => !required.has(n))];
}

function typeLabel(p) {
  if (p.enum) return 'one of ' + p.enum.map((v) => JSON.stringify(v)).join(', ');
  if (Array.isArray(p.type)) return p.type.join(' | ');
  if (p.type === 'array' && p.items && p.items.type) return 'array of ' + p.items.type;
  return p.type || 'any';
}

function constraints(p) {
  const c = [];
  for (const [k, label] of [['minimum', 'min'], ['maximum', 'max'], ['exclusiveMinimum', '>'], ['exclusiveMaximum', '<'],
    ['minLength', 'min length'], ['maxLength', 'max length'], ['pattern', 'pattern'], ['format', 'format'],
    ['minItems', 'min items'], ['maxItems', 'max items']]) {
    if (p[k] !== undefined) c.push(`${label} ${p[k]}`);
  }
  if (p.default !== undefined) c.push('default ' + JSON.stringify(p.default));
  return c.join(', ');
}

// ---- Try it: a form generated from the input schema ---------------------------------------

function argControl(id, p) {
  if (p.enum) {
    return h('select', { id }, h('option', { value: '' }, '— not set —'),
      p.enum.map((v, i) => h('option', { value: String(i) }, typeof v === 'string' ? v : JSON.stringify(v))));
  }
  const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
  if (type === 'boolean') {
    return h('select', { id }, h('option', { value: '' }, '— not set —'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
  }
  if (type === 'number' || type === 'integer') return h('input', { id, inputmode: type === 'integer' ? 'numeric' : 'decimal', autocomplete: 'off' });
  if (type === 'string') return h('input', { id, autocomplete: 'off' });
  return h('textarea', { id, class: 'code', rows: 3, spellcheck: 'false', placeholder: 'JSON' });
}

function readArg(control, p) {
  const raw = control.value;
  if (raw === '') return undefined;
  if (p.enum) return p.enum[Number(raw)];
  const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
  if (type === 'boolean') return raw === 'true';
  if (type === 'number' || type === 'integer') return numberOrText(raw);
  if (type === 'string') return raw;
  try { return JSON.parse(raw); } catch (e) { throw new Error('is not valid JSON: ' + e.message); }
}

function renderTryIt(tool) {
  const body = $('#tryit-body');
  if (!canCall()) {
    clear(body, h('p', { class: 'muted' }, 'Calling tools needs a key with the call role.'));
    return;
  }
  const schema = tool.input_schema || {};
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const names = orderedNames(schema);
  const form = h('form', { id: 'tryit-form', novalidate: true }, h('p', { class: 'form-error', role: 'alert', hidden: true }));
  const readers = [];
  names.forEach((n, i) => {
    const p = props[n] || {};
    const id = 'arg-' + i;
    const control = argControl(id, p);
    if (required.has(n)) control.setAttribute('aria-required', 'true');
    const hint = [p.description, constraints(p)].filter(Boolean).join(' · ');
    form.append(fieldBox(id, n + (required.has(n) ? ' (required)' : ''), '/' + pointerEscape(n), control, hint));
    readers.push([n, control, p]);
  });
  let raw = null;
  if (!names.length) {
    raw = h('textarea', { id: 'arg-json', class: 'code', rows: 4, spellcheck: 'false' }, '{}');
    form.append(fieldBox('arg-json', 'Arguments (JSON object)', '', raw));
  }
  form.append(h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Call ' + tool.name)));
  form.addEventListener('submit', (e) => { e.preventDefault(); callTool(tool, form, readers, raw); });
  clear(body, form);
}

async function callTool(tool, form, readers, raw) {
  clearErrors(form);
  const out = $('#tryit-result');
  const args = {};
  const local = [];
  try {
    if (raw) Object.assign(args, JSON.parse(raw.value || '{}'));
  } catch (e) { local.push({ pointer: '', message: 'the arguments are not valid JSON: ' + e.message }); }
  for (const [n, control, p] of readers) {
    try {
      const v = readArg(control, p);
      if (v !== undefined) args[n] = v;
    } catch (e) { local.push({ pointer: '/' + pointerEscape(n), message: e.message }); }
  }
  if (local.length) { showFieldErrors(form, { errors: local }, 'Fix the fields marked below.'); return; }
  clear(out, h('p', { class: 'muted' }, 'Calling…'));
  try {
    const { data } = await api('POST', '/mcp/call_tool', { tool_name: tool.name, arguments: args });
    const link = data.execution_id ? h('a', { href: '/ui/executions/' + data.execution_id }, 'execution #' + data.execution_id) : 'not recorded';
    if (data.success) {
      clear(out, h('div', { class: 'outcome ok', role: 'status' },
        h('p', {}, h('strong', {}, 'Succeeded'), ` in ${data.duration_ms} ms · `, link),
        h('pre', { class: 'code result' }, pretty(data.result))));
    } else {
      clear(out, h('div', { class: 'outcome fail', role: 'alert' },
        h('p', {}, h('strong', {}, 'The tool failed'), ` (${data.error_kind || 'tool_error'}) in ${data.duration_ms} ms · `, link),
        h('p', { class: 'error-text' }, data.error || '')));
    }
    loadActivity(tool.name);
  } catch (e) {
    if (e.status === 422 && e.problem && e.problem.errors) {
      clear(out);
      showFieldErrors(form, e.problem, 'The arguments do not match the input schema.');
    } else clear(out, failure('The call', e));
  }
}

// ---- Similar tools, recent executions, stats ---------------------------------------------

async function loadSimilar(name) {
  const box = $('#similar-body');
  try {
    const { data } = await api('GET', `/tools/${encodeURIComponent(name)}/similar?limit=5`);
    clear(box, data.length ? h('ol', { class: 'plain' }, data.map((t) => h('li', {},
      h('a', { href: toolHref(t.name) }, t.name), ' ', h('span', { class: 'muted' }, fmt(t.similarity, 2)),
      h('br'), h('span', { class: 'small' }, t.description)))) : h('p', { class: 'muted' }, 'No other tools.'));
  } catch (e) { clear(box, failure('Loading similar tools', e)); }
}

async function loadActivity(name) {
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
function callChart(items) {
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

function outcomeBadge(x) {
  return x.success ? h('span', { class: 'badge ok' }, 'success') : h('span', { class: 'badge fail' }, x.error_kind || 'failure');
}

function executionTable(items, withTool) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
    h('thead', {}, h('tr', {}, ['Id', 'When', withTool ? 'Tool' : null, 'Outcome', 'Duration'].filter(Boolean).map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((x) => executionRow(x, withTool)))));
}

function executionRow(x, withTool, withRequest) {
  return h('tr', {},
    h('td', {}, h('a', { href: '/ui/executions/' + x.id }, '#' + x.id)),
    h('td', {}, when(x.executed_at)),
    withTool ? h('td', {}, h('a', { href: toolHref(x.tool_name) }, x.tool_name)) : null,
    h('td', {}, outcomeBadge(x)),
    h('td', {}, x.duration_ms + ' ms'),
    withRequest ? h('td', {}, h('code', {}, x.request_id || '–')) : null);
}

// ---- Register and edit -------------------------------------------------------------------

async function pageToolForm() {
  const form = $('#tool-form');
  const editing = form.dataset.editing;
  if (!canEdit()) {
    clear($('#form-status'), h('p', { class: 'alert' }, `${editing ? 'Editing' : 'Registering'} tools needs an admin key; this key has the ${session.role} role.`));
    form.hidden = true;
    return;
  }
  if (editing) {
    try {
      const { data } = await api('GET', '/tools/' + encodeURIComponent(editing));
      fillToolForm(form, data);
      if (builtins().has(editing)) {
        clear($('#form-status'), h('p', { class: 'alert' }, `${editing} is built in: it cannot be changed.`));
        form.hidden = true;
        return;
      }
    } catch (e) {
      clear($('#form-status'), failure(`Loading the tool ${editing}`, e));
      form.hidden = true;
      return;
    }
  } else $('#t-name').focus();
  form.addEventListener('submit', (e) => { e.preventDefault(); submitTool(form, editing); });
}

function fillToolForm(form, t) {
  const f = form.elements;
  f.description.value = t.description || '';
  f.long_description.value = t.long_description || '';
  f.category.value = t.category || '';
  f.tags.value = (t.tags || []).join(', ');
  f.version.value = t.version || '';
  f.author.value = t.author || '';
  f.examples.value = (t.examples || []).join('\n');
  f.input_schema.value = pretty(t.input_schema);
  f.output_schema.value = t.output_schema ? pretty(t.output_schema) : '';
  f.config.value = t.config && Object.keys(t.config).length ? pretty(t.config) : '';
}

async function submitTool(form, editing) {
  clearErrors(form);
  const f = form.elements;
  const body = {};
  const local = [];
  const text = (name) => f[name].value.trim();
  if (!editing) body.name = text('name');
  body.description = text('description');
  for (const name of ['long_description', 'category', 'version', 'author']) if (text(name)) body[name] = text(name);
  body.tags = splitList(f.tags.value);
  body.examples = f.examples.value.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const name of ['input_schema', 'output_schema', 'config']) {
    if (!text(name)) { if (name === 'input_schema') body[name] = undefined; continue; }
    try { body[name] = JSON.parse(f[name].value); } catch (e) { local.push({ pointer: '/' + name, message: 'is not valid JSON: ' + e.message }); }
  }
  if (local.length) { showFieldErrors(form, { errors: local }, 'Fix the fields marked below.'); return; }
  const status = $('#form-status');
  clear(status, h('p', { class: 'muted' }, editing ? 'Saving…' : 'Registering…'));
  try {
    if (editing) {
      await api('PUT', '/tools/' + encodeURIComponent(editing), body);
      location.href = toolHref(editing) + '?saved=1';
    } else {
      const { data } = await api('POST', '/tools', body);
      location.href = toolHref(data.name) + '?registered=1';
    }
  } catch (e) {
    clear(status);
    if (e.status === 422 || (e.problem && e.problem.errors)) {
      const n = (e.problem && e.problem.errors && e.problem.errors.length) || 0;
      showFieldErrors(form, e.problem, n > 1 ? `The tool was refused: ${n} problems, marked below.`
        : n === 1 ? 'The tool was refused: see the field marked below.' : 'The tool was refused: ' + e.message);
    }
    else clear(status, failure(editing ? 'Saving the tool' : 'Registering the tool', e));
  }
}

// ---- Executions --------------------------------------------------------------------------

async function pageExecutions() {
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

async function loadExecutions(form, cursor) {
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

async function pageExecution() {
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

// ---- Upstream servers --------------------------------------------------------------------

async function pageServers() {
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

// ---- Start -------------------------------------------------------------------------------

const PAGES = {
  search: pageSearch, tools: pageTools, tool: pageTool, edit: pageToolForm, register: pageToolForm,
  executions: pageExecutions, execution: pageExecution, servers: pageServers,
};

document.addEventListener('DOMContentLoaded', async () => {
  setupKeyPanel();
  await whoami();
  const page = PAGES[document.body.dataset.page];
  if (page) {
    try { await page(); } catch (e) {
      $('#main').append(failure('This page', e));
    }
  }
  document.body.dataset.ready = 'true';
});

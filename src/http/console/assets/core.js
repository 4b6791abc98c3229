// The console's core: DOM helpers, the API client and its failures, the key and the caller's
// role, and field errors placed by problem+json pointers.

export const KEY_STORE = 'toolbox.apiKey';
export const session = { role: 'unknown', caller: null };


export function $(sel, root = document) { return root.querySelector(sel); }
export function $$(sel, root = document) { return Array.from(root.querySelectorAll(sel)); }

/** An element: h('a', {href: '/x', class: 'c'}, 'text', child, ...). */
export function h(tag, attrs, ...children) {
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

export function clear(el, ...children) { el.replaceChildren(...children.flat().filter(Boolean)); return el; }
export function toolHref(name) { return '/ui/tools/' + encodeURIComponent(name); }
export function pretty(v) { return JSON.stringify(v, null, 2); }
export function fmt(n, digits = 3) { return typeof n === 'number' ? n.toFixed(digits) : '–'; }
export function millis(v) { return typeof v === 'number' ? Number(v.toFixed(1)) + ' ms' : '–'; }
export function when(ts) { const d = new Date(ts); return isNaN(d) ? String(ts) : d.toLocaleString(); }
export function pointerEscape(s) { return s.replace(/~/g, '~0').replace(/\//g, '~1'); }
export function builtins() { return new Set((document.body.dataset.builtins || '').split(' ').filter(Boolean)); }


/** A failed API call: what was asked, the status and the problem+json body, if any. */
export class ApiFailure extends Error {
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

export async function api(method, path, body) {
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
export function failure(what, err) {
  const box = h('div', { class: 'alert', role: 'alert' },
    h('p', {}, h('strong', {}, what + ' failed: '), err.message));
  if (err instanceof ApiFailure) {
    const rid = err.problem && err.problem.request_id;
    box.append(h('p', { class: 'meta' }, err.request, rid ? ' · request id ' + rid : ''));
    if (err.status === 401) box.append(h('p', {}, h('button', { type: 'button', onclick: () => askForKey() }, 'Enter an API key')));
    const role = err.problem && (err.problem.required_role || err.problem.required_scope);
    if (err.status === 403 && role) box.append(h('p', {}, 'It needs a key with the ', h('code', {}, role), ' role.'));
  }
  return box;
}


export function canEdit() { return session.role === 'admin' || session.role === 'unknown'; }
export function canCall() { return session.role !== 'read' && session.role !== 'none'; }

export function askForKey(reason) {
  const panel = $('#key-panel');
  if (reason) $('#key-reason').textContent = reason;
  if (panel.hidden) { panel.hidden = false; $('#key-input').focus(); }
}

export function setupKeyPanel() {
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
export async function whoami() {
  try {
    const { data } = await api('GET', '/me');
    session.role = (data && data.role) || 'unknown';
    session.caller = data && data.caller;
  } catch (e) {
    session.role = e.status === 401 ? 'none' : 'unknown';
  }
  renderAccess();
}

export function renderAccess() {
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


export function clearErrors(form) {
  for (const slot of $$('.field-error', form)) { slot.hidden = true; slot.textContent = ''; }
  for (const c of $$('[aria-invalid]', form)) c.removeAttribute('aria-invalid');
  const top = $('.form-error', form);
  if (top) { top.hidden = true; top.textContent = ''; }
}

export function errorText(e) {
  if (e.message) return e.message;
  let text = e.rule ? 'breaks the rule `' + e.rule + '`' : 'is not valid';
  if (e.expected !== undefined) text += ': expected ' + JSON.stringify(e.expected);
  return text;
}

/** Puts each error of `problem` under the field its pointer names (the longest matching
 * `data-pointer`); the rest go to the form's summary. Returns how many were placed. */
export function showFieldErrors(form, problem, summary) {
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
export function fieldBox(id, label, pointer, control, hint) {
  return h('div', { class: 'field', 'data-pointer': pointer },
    h('label', { for: id }, label), control,
    hint ? h('p', { class: 'hint' }, hint) : null,
    h('p', { class: 'field-error', id: id + '-error', hidden: true }));
}


export function numberOrText(raw) {
  const v = raw.trim();
  if (v === '') return undefined;
  const n = Number(v);
  // Sent as typed when it is no number, so the API's own message names what is wrong.
  return Number.isFinite(n) ? n : v;
}

export function splitList(raw) { return raw.split(',').map((s) => s.trim()).filter(Boolean); }

export function origin(tool, builtin) {
  if (builtin.has(tool.name)) return 'builtin';
  const cfg = tool.config || {};
  if (cfg.upstream) return 'upstream';
  if (cfg.executor) return 'http';
  return 'discovery';
}
export const ORIGIN_LABEL = { builtin: 'Built in', upstream: 'Upstream', http: 'HTTP', discovery: 'Discovery only' };

// Try it: a form generated from a tool's input schema that calls call_tool; the API's
// violations are shown under the fields their pointers name.
import { $, h, clear, pretty, pointerEscape, api, failure, canCall, clearErrors, showFieldErrors, fieldBox, numberOrText } from './core.js';
import { orderedNames, constraints } from './schema.js';
import { loadActivity } from './activity.js';

export function argControl(id, p) {
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

export function readArg(control, p) {
  const raw = control.value;
  if (raw === '') return undefined;
  if (p.enum) return p.enum[Number(raw)];
  const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
  if (type === 'boolean') return raw === 'true';
  if (type === 'number' || type === 'integer') return numberOrText(raw);
  if (type === 'string') return raw;
  try { return JSON.parse(raw); } catch (e) { throw new Error('is not valid JSON: ' + e.message); }
}

export function renderTryIt(tool) {
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

export async function callTool(tool, form, readers, raw) {
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
    // A refused call is recorded too (all but an unknown tool): show it in the history.
    loadActivity(tool.name);
  }
}

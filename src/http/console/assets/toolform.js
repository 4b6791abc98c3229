// Register and edit: a tool's definition as a form, sent to POST /tools or PUT /tools/{name}.
import { session, $, h, clear, toolHref, pretty, builtins, api, failure, canEdit, clearErrors, showFieldErrors, splitList } from './core.js';

export async function pageToolForm() {
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

export function fillToolForm(form, t) {
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

export async function submitTool(form, editing) {
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

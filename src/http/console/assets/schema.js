// A JSON Schema shown readably: its properties as a table, the raw JSON folded below.
import { h, pretty } from './core.js';

export function schemaView(label, schema) {
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
export function orderedNames(schema) {
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const names = Object.keys(props);
  return [...names.filter((n) => required.has(n)), ...names.filter((n) => !required.has(n))];
}

export function typeLabel(p) {
  if (p.enum) return 'one of ' + p.enum.map((v) => JSON.stringify(v)).join(', ');
  if (Array.isArray(p.type)) return p.type.join(' | ');
  if (p.type === 'array' && p.items && p.items.type) return 'array of ' + p.items.type;
  return p.type || 'any';
}

export function constraints(p) {
  const c = [];
  for (const [k, label] of [['minimum', 'min'], ['maximum', 'max'], ['exclusiveMinimum', '>'], ['exclusiveMaximum', '<'],
    ['minLength', 'min length'], ['maxLength', 'max length'], ['pattern', 'pattern'], ['format', 'format'],
    ['minItems', 'min items'], ['maxItems', 'max items']]) {
    if (p[k] !== undefined) c.push(`${label} ${p[k]}`);
  }
  if (p.default !== undefined) c.push('default ' + JSON.stringify(p.default));
  return c.join(', ');
}

// The search playground: find_tool with explain, each hit's score parts drawn as bars.
import { $, h, clear, toolHref, fmt, api, failure, clearErrors, showFieldErrors, numberOrText, splitList } from './core.js';

export async function pageSearch() {
  const form = $('#search-form');
  const params = new URLSearchParams(location.search);
  for (const name of ['query', 'method', 'category', 'tags', 'limit', 'threshold']) {
    if (params.has(name)) form.elements[name].value = params.get(name);
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); runSearch(form); });
  if (params.get('query')) runSearch(form); else $('#q').focus();
}

export async function runSearch(form) {
  clearErrors(form);
  const f = form.elements;
  const body = { query: f.query.value, explain: true };
  const method = f.method.value;
  if (method === 'weighted' || method === 'rrf') { body.use_hybrid = true; body.fusion = method; }
  if (method === 'vector' || method === 'text') body.method = method;
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

export function bar(kind, value, label) {
  const fill = h('span', { class: 'fill ' + kind });
  fill.style.width = Math.max(0, Math.min(1, value || 0)) * 100 + '%';
  return h('div', { class: 'bar-row' },
    h('span', { class: 'bar-name' }, kind === 'vector' ? 'Vector' : 'Text'),
    h('span', { class: 'bar', role: 'img', 'aria-label': label }, fill),
    h('span', { class: 'bar-label' }, label));
}

/** What share of a hybrid score each side gave: the person's answer to "why is this here". */
export function sides(x) {
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

export function hitItem(hit, i, all) {
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

// meshroute config checker: a thin shell over the wasm module's functions (validate,
// proxies, tables, simulate, envoyConfig, runTests, diff), which take text and return JSON
// strings.
// No framework, no build step. See meshroute.d.ts for the JSON shapes.
import init, * as mr from './meshroute_validator_web.js';

const $ = (id) => document.getElementById(id);
const editor = $('editor');
const gutter = $('gutter');

const state = {
  text: '',
  proxies: [],
  proxyName: null,
  tables: null,
  envoy: null,
  lastRequest: null,
  decision: null,
  validateMs: 0,
  examples: {},
  tab: 'listeners',
};

// ------------------------------------------------------------------------------------------
// Small helpers

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function setStatus(msg, kind = '') {
  const s = $('status');
  s.textContent = msg;
  s.className = kind;
}

function call(fn, ...args) {
  return JSON.parse(fn(...args));
}

// ------------------------------------------------------------------------------------------
// Editor: textarea + line-number gutter with synchronized scroll

let gutterLines = 0;
let gutterMarks = new Map(); // line → severity

function renderGutter() {
  const n = state.text.split('\n').length;
  let html = '';
  for (let i = 1; i <= n; i++) {
    const m = gutterMarks.get(i);
    html += m ? `<span class="mark-${m}">${i}</span>\n` : `${i}\n`;
  }
  gutter.innerHTML = html;
  gutterLines = n;
  gutter.scrollTop = editor.scrollTop;
}

editor.addEventListener('scroll', () => {
  gutter.scrollTop = editor.scrollTop;
});

// Puts the cursor at a 1-based line and UTF-16 column (what the diagnostics carry; textarea
// offsets are UTF-16 code units too).
function focusAt(line, column) {
  const text = editor.value;
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    start = nl + 1;
  }
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  const offset = Math.min(start + Math.max(column - 1, 0), end);
  editor.focus();
  editor.setSelectionRange(offset, offset);
  const lh = parseFloat(getComputedStyle(editor).lineHeight) || 18;
  const top = (line - 1) * lh;
  if (top < editor.scrollTop || top > editor.scrollTop + editor.clientHeight - 2 * lh) {
    editor.scrollTop = Math.max(0, top - editor.clientHeight / 3);
  }
  gutter.scrollTop = editor.scrollTop;
}

// ------------------------------------------------------------------------------------------
// Config in the URL fragment: #c=<base64url(deflate-raw(utf8))>, or #t=<base64url(utf8)>

function toB64url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

async function pipeThrough(bytes, stream) {
  const r = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(r).arrayBuffer());
}

async function encodeFragment(text) {
  const bytes = new TextEncoder().encode(text);
  if (typeof CompressionStream === 'function') {
    try {
      return 'c=' + toB64url(await pipeThrough(bytes, new CompressionStream('deflate-raw')));
    } catch (_) { /* fall through to plain base64 */ }
  }
  return 't=' + toB64url(bytes);
}

async function decodeFragment(hash) {
  const h = hash.replace(/^#/, '');
  if (h.startsWith('c=')) {
    const bytes = await pipeThrough(fromB64url(h.slice(2)), new DecompressionStream('deflate-raw'));
    return new TextDecoder().decode(bytes);
  }
  if (h.startsWith('t=')) return new TextDecoder().decode(fromB64url(h.slice(2)));
  return null;
}

const MAX_FRAGMENT = 64 * 1024;
let fragmentTimer = 0;
let lastFragment = '';

function scheduleFragment() {
  clearTimeout(fragmentTimer);
  fragmentTimer = setTimeout(async () => {
    const f = await encodeFragment(state.text);
    if (f.length > MAX_FRAGMENT) {
      if (location.hash) history.replaceState(null, '', location.pathname + location.search);
      lastFragment = '';
      return;
    }
    lastFragment = '#' + f;
    if (location.hash !== lastFragment) history.replaceState(null, '', lastFragment);
  }, 500);
}

window.addEventListener('hashchange', async () => {
  if (location.hash === lastFragment) return;
  try {
    const t = await decodeFragment(location.hash);
    if (t !== null) setText(t);
  } catch (e) {
    setStatus('The link’s configuration could not be decoded: ' + e.message, 'error');
  }
});

$('copy-link').addEventListener('click', async () => {
  const f = await encodeFragment(state.text);
  const url = location.origin + location.pathname + '#' + f;
  if (f.length > MAX_FRAGMENT) {
    setStatus(`This configuration is too large for a link (${Math.round(f.length / 1024)} KiB encoded).`, 'warning');
    return;
  }
  try {
    await navigator.clipboard.writeText(url);
    setStatus('Link copied.');
  } catch (_) {
    history.replaceState(null, '', '#' + f);
    setStatus('The link is in the address bar.');
  }
});

// ------------------------------------------------------------------------------------------
// Examples, files, drag and drop

async function loadExamples() {
  const sel = $('example');
  try {
    const r = await fetch('examples/index.json');
    const index = r.ok ? await r.json() : {};
    // Seed first: the walkthrough the page opens with.
    const names = Object.keys(index).sort((a, b) => (b === 'seed') - (a === 'seed') || a.localeCompare(b));
    await Promise.all(names.map(async (name) => {
      const x = await fetch(`examples/${index[name]}`);
      if (x.ok) state.examples[name] = await x.text();
    }));
    // Keep the index order (Promise.all filled the object in completion order).
    const ordered = {};
    for (const n of names) if (n in state.examples) ordered[n] = state.examples[n];
    state.examples = ordered;
  } catch (_) { /* no examples served */ }
  const seed = state.examples.seed;
  if (seed) {
    // The walkthrough's two earlier states, derived from the seed files.
    state.examples['seed: before the VirtualService (404)'] = seed
      .split(/^---$/m)
      .filter((d) => !/^kind:\s*VirtualService\s*$/m.test(d))
      .join('---');
    state.examples['seed: the walkthrough’s first host (IST0101)'] = seed.replace(
      /^(\s{6,}host:\s*)demoappv10\s*$/m, '$1demoappv10.default.svc');
  }
  // The seed's variants right after it.
  const keys = Object.keys(state.examples);
  const variants = keys.filter((k) => k.startsWith('seed: '));
  const order = keys.filter((k) => !k.startsWith('seed: '));
  order.splice(order.indexOf('seed') + 1, 0, ...variants);
  sel.replaceChildren(...order.map((n) => el('option', { value: n, text: n })));
  $('load-example').disabled = sel.options.length === 0;
}

function joinDocuments(texts) {
  return texts.map((t) => t.replace(/\s+$/, '')).filter((t) => t).join('\n---\n') + '\n';
}

$('load-example').addEventListener('click', () => {
  const t = state.examples[$('example').value];
  if (t !== undefined) setText(t);
});

$('clear').addEventListener('click', () => {
  setText('');
  editor.focus();
});

async function loadFiles(fileList) {
  const files = [...fileList].sort((a, b) => a.name.localeCompare(b.name));
  if (!files.length) return;
  const texts = await Promise.all(files.map((f) => f.text()));
  setText(joinDocuments(texts));
  setStatus(`Loaded ${files.length} file${files.length === 1 ? '' : 's'}: ${files.map((f) => f.name).join(', ')}`);
}

$('file-input').addEventListener('change', (e) => {
  loadFiles(e.target.files);
  e.target.value = '';
});

const drop = $('drop-zone');
for (const t of ['dragenter', 'dragover']) {
  drop.addEventListener(t, (e) => {
    if (![...(e.dataTransfer?.types || [])].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    drop.classList.add('dragging');
  });
}
drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
drop.addEventListener('drop', (e) => {
  drop.classList.remove('dragging');
  if (!e.dataTransfer?.files?.length) return;
  e.preventDefault();
  loadFiles(e.dataTransfer.files);
});

// ------------------------------------------------------------------------------------------
// Validation (debounced; the delay grows with the time a validation takes)

let validateTimer = 0;

function setText(t) {
  editor.value = t;
  onInput(true);
}

function onInput(now = false) {
  state.text = editor.value;
  if (state.text.split('\n').length !== gutterLines) renderGutter();
  clearTimeout(validateTimer);
  const delay = now ? 0 : Math.max(250, 2 * state.validateMs);
  validateTimer = setTimeout(runAll, delay);
  scheduleFragment();
}

editor.addEventListener('input', () => onInput());

function runAll() {
  const t0 = performance.now();
  let v;
  try {
    v = call(mr.validate, state.text);
  } catch (e) {
    setStatus('The checker failed: ' + e, 'error');
    return;
  }
  state.validateMs = performance.now() - t0;
  document.body.dataset.validateMs = state.validateMs.toFixed(1);
  renderDiagnostics(v);
  refreshProxies();
  refreshTables();
  if (state.lastRequest) runSimulation(state.lastRequest);
  else renderPath();
  const what = v.config ? 'meshroute config file' : `resource${v.resources === 1 ? '' : 's'}`;
  const verdict = v.errors ? `${v.errors} error${v.errors === 1 ? '' : 's'}`
    : v.warnings ? `${v.warnings} warning${v.warnings === 1 ? '' : 's'}` : 'no issues';
  setStatus(`${v.config ? what + ', ' + v.resources + ' resources' : v.resources + ' ' + what}: ${verdict} · checked in ${state.validateMs.toFixed(0)} ms`,
    v.errors ? 'error' : v.warnings ? 'warning' : 'ok');
}

function resourceKey(d) {
  if (!d.kind) return '';
  return d.namespace ? `${d.kind} ${d.namespace}/${d.name}` : `${d.kind} ${d.name}`;
}

const MAX_DIAGS = 500;

function renderDiagnostics(v) {
  const list = $('diagnostics');
  gutterMarks = new Map();
  const rank = { error: 0, warning: 1, info: 2 };
  for (const d of v.diagnostics) {
    const m = gutterMarks.get(d.line);
    if (!m || rank[d.severity] < rank[m]) gutterMarks.set(d.line, d.severity);
  }
  renderGutter();
  const parts = [];
  if (v.errors) parts.push(`${v.errors} error${v.errors === 1 ? '' : 's'}`);
  if (v.warnings) parts.push(`${v.warnings} warning${v.warnings === 1 ? '' : 's'}`);
  if (v.infos) parts.push(`${v.infos} info`);
  $('diag-summary').textContent = parts.join(', ');
  if (!v.diagnostics.length) {
    list.replaceChildren(el('p', { class: 'empty', id: 'no-issues' },
      v.resources ? `✔ No validation issues found (${v.resources} resource${v.resources === 1 ? '' : 's'}).` : 'Nothing to check yet.'));
    return;
  }
  const groups = new Map();
  for (const d of v.diagnostics.slice(0, MAX_DIAGS)) {
    const k = resourceKey(d);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(d);
  }
  const out = [];
  if (v.rejected) {
    out.push(el('p', { class: 'rejected' },
      'Kubernetes (Istio’s webhook) would refuse part of this input, and the meshroute filter would refuse the whole config.'));
  }
  for (const [k, ds] of groups) {
    const worst = ds.reduce((w, d) => (rank[d.severity] < rank[w] ? d.severity : w), 'info');
    out.push(el('div', { class: 'diag-group' },
      el('h3', { class: `sev-${worst}` }, k || 'Input'),
      el('ul', {}, ds.map((d) => el('li', {},
        el('button', {
          type: 'button',
          class: `diag sev-${d.severity}`,
          dataset: { line: d.line, column: d.columnUtf16, code: d.code },
          onclick: () => focusAt(d.line, d.columnUtf16),
          title: 'Show in the editor',
        },
        el('span', { class: 'sev' }, d.severity),
        el('span', { class: 'code' }, d.code),
        el('span', { class: 'loc' }, `${d.line}:${d.columnUtf16}`),
        el('span', { class: 'msg' }, d.message),
        d.path ? el('span', { class: 'path' }, d.path) : null))))));
  }
  if (v.diagnostics.length > MAX_DIAGS) {
    out.push(el('p', { class: 'hint' }, `… and ${v.diagnostics.length - MAX_DIAGS} more.`));
  }
  list.replaceChildren(...out);
}

// ------------------------------------------------------------------------------------------
// Proxy picker and the four tables

function refreshProxies() {
  state.proxies = call(mr.proxies, state.text);
  const sel = $('proxy');
  const keep = state.proxyName;
  sel.replaceChildren(...state.proxies.map((p, i) => el('option', { value: String(i), text: p.name })));
  let i = state.proxies.findIndex((p) => p.name === keep);
  if (i < 0) i = 0;
  sel.value = String(i);
  state.proxyName = state.proxies[i]?.name ?? null;
  $('proxy-source').textContent = state.proxies[i]?.source ?? '';
}

function currentProxy() {
  const p = state.proxies[Number($('proxy').value)];
  return p ? JSON.stringify({ kind: p.kind, namespace: p.namespace, labels: p.labels }) : '';
}

$('proxy').addEventListener('change', () => {
  const p = state.proxies[Number($('proxy').value)];
  state.proxyName = p?.name ?? null;
  $('proxy-source').textContent = p?.source ?? '';
  refreshTables();
  if (state.lastRequest) runSimulation(state.lastRequest);
  else renderPath();
});

const MAX_ROWS = 1000;

function table(id, caption, headers, rows) {
  const shown = rows.slice(0, MAX_ROWS);
  return el('div', { class: 'table-wrap' },
    el('table', { id },
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, shown.length
        ? shown.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))
        : el('tr', {}, el('td', { colspan: headers.length, class: 'empty' }, 'none')))),
    rows.length > MAX_ROWS ? el('p', { class: 'hint' }, `… ${rows.length - MAX_ROWS} more rows.`) : null);
}

function refreshTables() {
  // Certificates are judged at the browser's clock (core has none).
  const t = call(mr.tables, state.text, currentProxy(), Date.now());
  state.tables = t;
  if (t.error) {
    for (const n of ['listeners', 'routes', 'clusters', 'endpoints', 'secrets', 'envoy']) $(`panel-${n}`).replaceChildren(el('p', { class: 'error' }, t.error));
    return;
  }
  const notes = t.diagnostics || [];
  $('compile-notes').replaceChildren(...notes.map((d) => el('p', { class: `note sev-${d.severity}` },
    el('button', { type: 'button', class: 'link', onclick: () => focusAt(d.line, d.columnUtf16) }, `${d.line}:${d.columnUtf16}`),
    ` [${d.code}] ${resourceKey(d)}: ${d.message}`)));
  // One row per filter chain: an HTTPS server's chain matches its SNI names (TLS mode after).
  $('panel-listeners').replaceChildren(table('table-listeners', 'istioctl proxy-config listeners',
    ['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION', 'GATEWAYS'],
    t.listeners.map((l) => [l.addresses, l.port, l.match, l.destination, (l.gateway ? [l.gateway] : l.gateways || []).join(', ')])));
  $('panel-routes').replaceChildren(table('table-routes', 'istioctl proxy-config routes',
    ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE', 'ACTION'],
    t.routes.map((r) => [r.name, r.vhostName, domains(r.domains), r.match, r.virtualService, r.action])));
  $('panel-clusters').replaceChildren(table('table-clusters', 'istioctl proxy-config clusters',
    ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE', 'LB', 'ENDPOINTS'],
    t.clusters.map((c) => [c.serviceFqdn, c.port, c.subset, c.direction, c.type, c.destinationRule, c.lb.lbPolicy, c.endpoints])));
  $('panel-endpoints').replaceChildren(table('table-endpoints', 'istioctl proxy-config endpoints',
    ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER', 'WEIGHT', 'SOURCE'],
    t.endpoints.map((e) => [e.endpoint, e.status, e.outlierCheck, e.cluster, e.weight, e.source])));
  // Certificates by serial, dates and fingerprint: never a key or a whole certificate.
  $('panel-secrets').replaceChildren(table('table-secrets', 'istioctl proxy-config secret',
    ['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE', 'SHA-256', 'SOURCE'],
    (t.secrets || []).map((x) => [x.resourceName, x.type, x.status, String(x.validCert), x.serialNumber, x.notAfter, x.notBefore,
      el('code', { class: 'fingerprint', title: x.subject }, x.sha256), [x.source, ...x.notes].join(' · ')])));
  refreshEnvoy();
}

const MAX_FILE_CHARS = 200000;

function fileBlock(path, text, open) {
  const shown = text.length > MAX_FILE_CHARS ? text.slice(0, MAX_FILE_CHARS) : text;
  return el('details', { class: 'envoy-file', open },
    el('summary', {}, el('code', {}, path), ` — ${text.length.toLocaleString()} characters`),
    el('pre', {}, shown),
    text.length > MAX_FILE_CHARS ? el('p', { class: 'hint' }, `… ${(text.length - MAX_FILE_CHARS).toLocaleString()} more characters.`) : null);
}

// The Envoy tab: the files `meshroute bootstrap` would write for the chosen proxy, built by the
// same library the CLI uses (meshroute-envoy-config).
function refreshEnvoy() {
  const v = call(mr.envoyConfig, state.text, currentProxy());
  state.envoy = v;
  const panel = $('panel-envoy');
  if (v.error) {
    panel.replaceChildren(el('p', { class: 'error' }, v.error));
    return;
  }
  // replaceChildren takes nodes, not arrays (an array would be shown as text): flatten here.
  panel.replaceChildren(...[
    el('p', { class: 'hint' }, 'What ', el('code', {}, v.command),
      ' writes: the bootstrap, the filter’s configuration (ECDS), the clusters with their endpoints (CDS, EDS), the listeners (LDS) and the certificates (SDS). Re-running it replaces the watched files and Envoy reloads them in place.'),
    v.redacted ? el('p', { class: 'hint', id: 'envoy-redacted' }, 'Shown redacted: private keys are replaced by a placeholder and certificates by their SHA-256 fingerprint and subject (the files written hold them; SDS files are written readable by their owner only).') : null,
    ...v.files.map((f, i) => fileBlock(f.path, f.text, i === 0)),
    el('h3', {}, 'With ', el('code', {}, '--native'), ': the routes and clusters istiod would generate, without the filter'),
    v.native.error ? el('p', { class: 'error' }, v.native.error) : fileBlock(v.native.path, v.native.text, false),
  ].flat().filter(Boolean));
}

function domains(d) {
  return d.length <= 3 ? d.join(', ') : `${d.slice(0, 3).join(', ')} +${d.length - 3} more`;
}

// Tabs (ARIA tabs pattern: arrow keys move between tabs, Tab moves into the panel).
const tabs = [...document.querySelectorAll('[role=tab]')];
function selectTab(tab, focus) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
}
for (const t of tabs) {
  t.addEventListener('click', () => selectTab(t, false));
  t.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(t);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length], true);
  });
}

// ------------------------------------------------------------------------------------------
// Request simulator

$('sim-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const port = $('sim-port').value.trim();
  const req = {
    url: $('sim-url').value,
    method: $('sim-method').value,
    headers: $('sim-headers').value,
    sourceIp: $('sim-source').value,
    seed: Number($('sim-seed').value) || 0,
  };
  if (port) req.listenerPort = Number(port);
  runSimulation(req);
});

function runSimulation(req) {
  state.lastRequest = req;
  const d = call(mr.simulate, state.text, currentProxy(), JSON.stringify(req));
  state.decision = d.error ? null : d;
  renderDecision(d);
  renderPath();
}

function renderDecision(d) {
  const box = $('sim-result');
  if (d.error) {
    box.replaceChildren(el('p', { class: 'error', id: 'sim-error' }, d.error));
    return;
  }
  const fwd = d.outcome === 'forward';
  const headline = fwd
    ? `Forwarded to ${d.cluster}${d.endpoint ? ' → ' + d.endpoint : ''}`
    : `Local reply ${d.status}${d.reply ? ` (${d.reply.kind.replace(/_/g, ' ')}, ${d.reply.flag})` : ''}`;
  const rows = [
    ['listener', d.listener], ['route configuration', d.routeConfig], ['virtual host', d.virtualHost],
    ['VirtualService', d.virtualService], ['route', d.route], ['cluster', d.cluster],
    ['endpoint', d.endpoint && `${d.endpoint}${d.endpointSource ? ' (' + d.endpointSource + ')' : ''}`],
    ['load balancer', d.lbPolicy], ['upstream :path', fwd ? d.path : null],
    ['upstream :authority', fwd ? d.authority : null], ['location', d.location],
    ['timeout', fwd ? (d.timeoutMs ? `${d.timeoutMs} ms` : 'none') : null],
    ['retries', d.retry ? `${d.retry.numRetries} on ${d.retry.retryOn}${d.retry.default ? ' (default policy)' : ''}` : null],
    ['fault delay', d.delayMs ? `${d.delayMs} ms` : null],
    ['mirrors', d.mirrors?.length ? d.mirrors.map((m) => m.cluster).join(', ') : null],
    ['request headers', headerOps(d.requestHeaders)], ['response headers', headerOps(d.responseHeaders)],
    ['reply body', d.reply?.body?.trim() || null],
  ].filter(([, v]) => v !== null && v !== undefined && v !== '');
  box.tabIndex = -1;
  box.replaceChildren(
    el('p', { class: `outcome ${fwd ? 'ok' : 'reply'}`, id: 'sim-outcome' }, headline),
    el('dl', { class: 'decision' }, rows.map(([k, v]) => [el('dt', {}, k), el('dd', { dataset: { key: k } }, String(v))])),
    el('h3', {}, 'Trace'),
    el('ol', { class: 'trace', id: 'sim-trace' }, (d.trace || []).map((l) => el('li', {}, l))));
}

function headerOps(o) {
  if (!o) return null;
  const parts = [
    ...(o.set || []).map((h) => `set ${h.name}: ${h.value}`),
    ...(o.add || []).map((h) => `add ${h.name}: ${h.value}`),
    ...(o.remove || []).map((h) => `remove ${h}`),
  ];
  return parts.length ? parts.join('; ') : null;
}

// ------------------------------------------------------------------------------------------
// Traffic path (SVG): listener → virtual hosts → routes → clusters (weights) → endpoints

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const MAX_NODES = 60; // per column

function renderPath() {
  const box = $('path');
  const t = state.tables;
  if (!t || t.error || !t.graph) { box.replaceChildren(); return; }
  const d = state.decision;
  const cols = [[], [], [], [], []];
  const edges = [];
  const byId = new Map();
  const node = (col, id, label, sub, hl, extra = {}) => {
    if (byId.has(id)) { const n = byId.get(id); n.hl ||= hl; return n; }
    const n = { col, id, label, sub, hl, ...extra };
    byId.set(id, n);
    cols[col].push(n);
    return n;
  };
  const endpointsByCluster = new Map();
  for (const e of t.endpoints) {
    if (!endpointsByCluster.has(e.cluster)) endpointsByCluster.set(e.cluster, []);
    endpointsByCluster.get(e.cluster).push(e);
  }
  for (const l of t.graph.listeners) {
    const lHl = !!d && d.listener === l.name && (!d.routeConfig || d.routeConfig === l.routeConfig);
    const lid = `l:${l.name}:${l.routeConfig}`;
    const ln = node(0, lid, l.name, l.tls ? `${l.tls} · route ${l.routeConfig}` : `route ${l.routeConfig}`, lHl);
    for (const vh of l.virtualHosts) {
      const vHl = lHl && d.virtualHost === vh.name;
      const vn = node(1, `v:${lid}:${vh.name}`, vh.name, domains(vh.domains), vHl);
      edges.push({ a: ln, b: vn, hl: vHl });
      if (!vh.routes.length) {
        const rn = node(2, `r:${lid}:${vh.name}:none`, vh.requireTls ? '301 → https' : '404 (no route)', vh.requireTls ? 'httpsRedirect' : 'no VirtualService', vHl, { reply: true });
        edges.push({ a: vn, b: rn, hl: vHl });
      }
      for (const r of vh.routes) {
        const rHl = vHl && d.routeIndex === r.index;
        const rn = node(2, `r:${lid}:${vh.name}:${r.index}`, r.match, r.virtualService || r.name, rHl, { reply: r.kind !== 'forward' });
        edges.push({ a: vn, b: rn, hl: rHl });
        if (r.kind !== 'forward') {
          rn.sub = `${r.label}${r.virtualService ? ' · ' + r.virtualService : ''}`;
          continue;
        }
        const total = r.destinations.reduce((a, x) => a + x.weight, 0) || 1;
        for (const ds of r.destinations) {
          const cHl = rHl && d.cluster === ds.cluster;
          const eps = endpointsByCluster.get(ds.cluster) || [];
          const cn = node(3, 'c:' + ds.cluster, ds.cluster, ds.missing ? 'not found: 503' : `${eps.length} endpoint${eps.length === 1 ? '' : 's'}`, cHl, { missing: ds.missing });
          edges.push({ a: rn, b: cn, hl: cHl, label: r.destinations.length > 1 || ds.weight !== 100 ? `${Math.round((100 * ds.weight) / total)}%` : null });
          for (const e of eps) {
            const eHl = cHl && d.endpoint === e.endpoint;
            const en = node(4, `e:${ds.cluster}:${e.endpoint}`, e.endpoint, e.source, eHl, { unhealthy: e.status !== 'HEALTHY' });
            edges.push({ a: cn, b: en, hl: eHl });
          }
        }
      }
    }
  }
  if (!cols[0].length) {
    box.replaceChildren(el('p', { class: 'hint' }, 'This proxy has no listeners (no Gateway selects it, or no services to route to).'));
    return;
  }
  const truncated = cols.some((c) => c.length > MAX_NODES);
  for (let i = 0; i < cols.length; i++) cols[i] = cols[i].slice(0, MAX_NODES);
  // Column widths: listener, virtual hosts, routes, clusters (long names), endpoints.
  const CW = [150, 210, 170, 330, 210], GAP = 40, H = 40, VG = 10, PAD = 16;
  const X = CW.map((_, i) => PAD + CW.slice(0, i).reduce((a, w) => a + w + GAP, 0));
  const rows = Math.max(...cols.map((c) => c.length));
  const height = PAD * 2 + 22 + rows * (H + VG);
  const width = X[4] + CW[4] + PAD;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'path-title', class: 'path-svg' });
  const hlNames = d ? [d.listener, d.virtualHost, d.route, d.cluster, d.endpoint].filter(Boolean).join(' → ') : '';
  svg.append(s('title', { id: 'path-title' }, `Traffic path of ${state.proxyName || 'the proxy'}${hlNames ? '; the simulated request: ' + hlNames : ''}`));
  ['Listener', 'Virtual hosts', 'Routes', 'Clusters', 'Endpoints'].forEach((h, i) =>
    svg.append(s('text', { x: X[i], y: PAD + 10, class: 'col-head' }, h)));
  for (const [ci, col] of cols.entries()) {
    const colH = col.length * (H + VG);
    const y0 = PAD + 22 + ((rows * (H + VG)) - colH) / 2;
    col.forEach((n, i) => { n.x = X[ci]; n.w = CW[ci]; n.y = y0 + i * (H + VG); n.shown = true; });
  }
  const g = s('g', { class: 'edges' });
  for (const e of edges) {
    if (!e.a.shown || !e.b.shown) continue;
    const x1 = e.a.x + e.a.w, y1 = e.a.y + H / 2, x2 = e.b.x, y2 = e.b.y + H / 2, mx = (x1 + x2) / 2;
    g.append(s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: e.hl ? 'edge hl' : 'edge' }));
    if (e.label) g.append(s('text', { x: mx, y: (y1 + y2) / 2 - 4, class: e.hl ? 'weight hl' : 'weight', 'text-anchor': 'middle' }, e.label));
  }
  svg.append(g);
  for (const col of cols) {
    for (const n of col) {
      const cls = ['node', n.hl ? 'hl' : '', n.reply ? 'reply' : '', n.missing ? 'missing' : '', n.unhealthy ? 'unhealthy' : ''].join(' ').trim();
      const gn = s('g', { class: cls, transform: `translate(${n.x},${n.y})` });
      gn.append(s('title', {}, `${n.label}\n${n.sub || ''}`));
      gn.append(s('rect', { width: n.w, height: H, rx: 6 }));
      gn.append(s('text', { x: 8, y: 16, class: 'label' }, clip(n.label, Math.floor((n.w - 14) / 7))));
      if (n.sub) gn.append(s('text', { x: 8, y: 31, class: 'sub' }, clip(n.sub, Math.floor((n.w - 14) / 6.4))));
      svg.append(gn);
    }
  }
  // A local reply ends the path where the request stopped.
  if (d && d.outcome === 'local_reply') {
    const last = [...byId.values()].filter((n) => n.hl && n.shown).sort((a, b) => b.col - a.col)[0];
    const x = last ? last.x + last.w + 6 : PAD, y = last ? last.y + H / 2 + 4 : PAD + 40;
    svg.append(s('text', { x, y, class: 'reply-mark' }, `${d.status}`));
  }
  box.replaceChildren(svg, truncated ? el('p', { class: 'hint' }, `Showing the first ${MAX_NODES} nodes of each column.`) : '');
}

function clip(t, n) {
  t = String(t ?? '');
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
}

// ------------------------------------------------------------------------------------------
// Start

// ------------------------------------------------------------------------------------------
// Route tests (runTests: `meshroute test --coverage`) and Diff (diff: `meshroute diff`)

function locationButton(file, line, column) {
  // Only the editor's own text can be jumped to; the tests pane has no gutter.
  if (file !== 'input.yaml') return `${file}:${line}:${column}`;
  return el('button', { type: 'button', class: 'link', onclick: () => focusAt(line, column) }, `line ${line}`);
}

function renderTests(v) {
  const box = $('tests-result');
  if (v.error) return box.replaceChildren(el('p', { class: 'error' }, v.error));
  const problems = (v.diagnostics || []).map((d) =>
    el('li', { class: 'error' }, `tests line ${d.line}:${d.column} [${d.code}] ${d.message}`));
  const c = v.coverage;
  const summary = el('p', { class: v.failed || v.errors ? 'error' : 'ok', id: 'tests-summary' },
    `${v.passed} passed, ${v.failed} failed` + (v.errors ? `, ${v.errors} could not run` : '') +
    (c ? ` · coverage ${c.all.covered}/${c.all.total} (${c.percent.toFixed(1)}%)` : ''));
  const cases = v.results.map((r) => {
    const status = r.error ? 'ERROR' : r.passed ? 'PASS' : 'FAIL';
    return el('details', { class: `case ${status.toLowerCase()}`, open: !r.passed },
      el('summary', {}, el('strong', {}, status), ` ${r.name} `, el('span', { class: 'hint' }, `(${r.format}, tests line ${r.line})`)),
      r.error ? el('p', { class: 'error' }, r.error) : null,
      r.requests.length ? el('p', {}, 'request: ', el('code', {}, r.requests[0])) : null,
      r.failures.length ? el('ul', {}, r.failures.map((f) =>
        el('li', {}, el('code', {}, f.assertion), `: expected ${f.expected}, got ${f.actual}`))) : null,
      r.happened ? el('p', {}, 'happened: ', r.happened) : null,
      r.trace.length && !r.passed ? el('ol', { class: 'trace' }, r.trace.map((t) => el('li', {}, t))) : null);
  });
  const uncovered = c ? c.items.filter((i) => !i.covered) : [];
  const cov = uncovered.length
    ? el('div', {}, el('h3', {}, 'Not covered'),
      table('table-uncovered', 'VirtualService rules, match blocks and destinations no case reaches',
        ['where', 'VirtualService', 'field'],
        uncovered.map((i) => [locationButton(i.file, i.line, i.column), i.virtualService, i.path])))
    : null;
  box.replaceChildren(problems.length ? el('ul', {}, problems) : '', summary, ...cases, cov || '');
}

$('tests-run').addEventListener('click', () => {
  renderTests(call(mr.runTests, state.text, $('tests-input').value));
});

function renderDiff(v) {
  const box = $('diff-result');
  if (v.error) return box.replaceChildren(el('p', { class: 'error' }, v.error));
  const n = v.changedRequests;
  const parts = [el('p', { class: n ? 'error' : 'ok', id: 'diff-summary' },
    n === 0 ? 'No request routes differently.' : `${n} request${n === 1 ? '' : 's'} route${n === 1 ? 's' : ''} differently.`)];
  for (const p of v.proxies) {
    if (!p.rows.length && !p.requests.length) continue;
    parts.push(el('h3', {}, p.describe));
    if (p.requests.length) {
      parts.push(table(null, 'requests that route differently', ['request', 'before', 'after', 'rule'],
        p.requests.map((r) => [el('code', {}, r.request), r.before, r.after,
          r.location ? locationButton(r.location.file, r.location.line, r.location.column) : ''])));
    }
    if (p.rows.length) {
      const sign = { added: '+', removed: '−', changed: '~' };
      parts.push(table(null, 'proxy-config rows', ['', 'table', 'row', 'fields'],
        p.rows.map((r) => [sign[r.change], r.table, r.key, (r.fields || []).join('; ')])));
    }
    for (const u of p.unprobed) parts.push(el('p', { class: 'hint' }, `not probed: ${u}`));
  }
  box.replaceChildren(...parts);
}

$('diff-from-editor').addEventListener('click', () => {
  $('diff-old').value = state.text;
});
$('diff-run').addEventListener('click', () => {
  renderDiff(call(mr.diff, $('diff-old').value, state.text));
});

async function start() {
  try {
    await init();
  } catch (e) {
    setStatus('Could not load the WebAssembly module: ' + e.message, 'error');
    return;
  }
  $('version').textContent = mr.version();
  // For tests and the curious: the raw functions, on the page's window.
  window.meshroute = { validate: mr.validate, proxies: mr.proxies, tables: mr.tables, simulate: mr.simulate, envoyConfig: mr.envoyConfig, runTests: mr.runTests, diff: mr.diff, state, decodeFragment };
  await loadExamples();
  let initial = null;
  if (location.hash) {
    try {
      initial = await decodeFragment(location.hash);
      lastFragment = location.hash;
    } catch (e) {
      setStatus('The link’s configuration could not be decoded: ' + e.message, 'error');
    }
  }
  if (initial === null) initial = state.examples.seed ?? '';
  editor.value = initial;
  state.text = initial;
  renderGutter();
  runAll();
  document.body.dataset.ready = 'true';
}

start();

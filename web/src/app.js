// The zerops.yaml linter page. Every decision comes from the policy component
// (the same bytes the zerops-cache binary embeds, transpiled by jco); this file
// only moves text in and renders what comes back. No network after load.

import { applyFix, createEditor, loaded, replaceText, selectRange, showDiagnostics } from './editor.js';
import { inline } from './markdown.js';
import { answer, errorText } from './answer.js';

// Started first: the component's module and WebAssembly compile while the
// editor is set up.
const policyModule = import('./policy/policy.js');
const loadStarted = performance.now();

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'title' || k === 'type') e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

const DEBOUNCE_MS = 120;
const EXAMPLE = `zerops:
  - setup: app
    build:
      base: nodejs@22
      prepareCommands:
        - apk add --no-cache git
      buildCommands:
        - npm install
        - npm run build
      deployFiles: dist/~
      cache:
        - node_modules
        - ./.cache/
    run:
      base: nodejs@22
      start: node index.js
`;


const state = {
  policy: null,
  caps: {},
  view: null,
  // Raw bytes of an opened file, linted as bytes (exactly as the CLI does)
  // until the text is edited.
  openedBytes: null,
  setups: [],
  // The quick fixes of the last lint, and the text they are for.
  fixes: [],
  fixedText: null,
  // Paths of a chosen project folder, for the tree lints; null: the file alone.
  tree: null,
  generation: 0,
  compareGeneration: 0,
  patternGeneration: 0,
  timer: 0,
  // The text of the share link in the address bar (null: none).
  sharedText: null,
  // The setups panel: the layer keys it shows (JSON), and its pending render.
  setupsShown: null,
  setupsTimer: 0,
  // The lint worker, the request it is answering and the newest one waiting.
  worker: null,
  request: 0,
  inFlight: null,
  queued: null,
  workerReady: false,
  // Assist calls sent to the worker, by id.
  callId: 0,
  calls: new Map(),
  timings: { load: null, lastLint: null, lints: 0, inputToDiagnostics: null, firstLint: null },
  inputAt: 0,
};
// For tests and the curious: load and lint timings.
window.zeropsCache = state.timings;

const ui = {
  status: $('status'),
  summary: $('summary'),
  list: $('diagnostics'),
  workspace: $('workspace'),
  viewCount: $('view-count'),
  setups: $('setups'),
  previous: $('previous'),
  compareSetup: $('compare-setup'),
  compareResult: $('compare-result'),
  patternsSetup: $('patterns-setup'),
  patterns: $('patterns'),
  paths: $('paths'),
  patternResult: $('pattern-result'),
  about: $('about'),
};

const getText = () => state.view.state.doc.toString();

// ---------------------------------------------------------------- component

/** Where a finding without a position is shown. */
const FILE_START = { line: 1, column: 1 };

async function loadPolicy() {
  const t0 = loadStarted;
  try {
    const policy = await policyModule;
    state.policy = policy;
    state.caps = {
      lint: typeof policy.linter?.lint === 'function',
      lintBytes: typeof policy.linter?.lintBytes === 'function',
      lintWithTree: typeof policy.linter?.lintWithTree === 'function' && typeof policy.linter?.treeDepth === 'function',
      keys: typeof policy.layers?.keys === 'function',
      explain: typeof policy.layers?.explain === 'function',
      patterns: typeof policy.patterns?.selectEntries === 'function' && typeof policy.patterns?.describeSet === 'function',
      fixes: typeof policy.assist?.fixes === 'function',
    };
    state.timings.load = Math.round((performance.now() - t0) * 10) / 10;
    const version = policy.about?.version?.() ?? '?';
    const pkg = policy.about?.witPackage?.() ?? '?';
    ui.status.textContent = `Policy component ${version} (${pkg}) loaded in ${Math.round(state.timings.load)} ms. Runs offline.`;
    ui.about.textContent = `zerops-cache policy ${version}, WIT package ${pkg}, run by jco in this browser.`;
    $('open-folder-button').hidden = !state.caps.lintWithTree;
    document.body.dataset.ready = 'true';
  } catch (e) {
    ui.status.textContent = `The policy component failed to load: ${errorText(e)}`;
    ui.status.classList.add('failed');
    document.body.dataset.ready = 'failed';
    throw e;
  }
}


// ---------------------------------------------------------------- editor

/** The tree facts of the chosen project folder, limited to `depth`. */
function treeFacts(depth) {
  if (!state.tree) return undefined;
  return { entries: state.tree.filter((p) => p.split('/').length <= depth), depth, tracked: undefined };
}

function hoverTree() {
  if (!state.tree || !state.caps.lintWithTree) return undefined;
  try {
    return treeFacts(state.policy.linter.treeDepth(new TextEncoder().encode(getText())));
  } catch {
    return undefined;
  }
}

/** On a phone-width screen the editor and the diagnostics are tabs: show one. */
function showView(name) {
  ui.workspace.dataset.view = name;
  for (const t of document.querySelectorAll('#view-tabs [role="tab"], .view-tabs [role="tab"]')) {
    const on = t.getAttribute('aria-controls') === `pane-${name}`;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
  }
}

function jumpTo(d) {
  showView('editor');
  const editor = $('editor');
  const r = editor.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) editor.scrollIntoView({ block: 'nearest' });
  selectRange(state.view, d.start, d.end);
}

/** The quick fixes for one diagnostic of the last lint. */
function fixesFor(d) {
  return state.fixes.filter((f) => f.code === d.code
    && f.range.start.line === d.start.line && f.range.start.column === d.start.column
    && f.range.end.line === d.end.line && f.range.end.column === d.end.column);
}

/** Applies a fix; if the text changed since it was computed, the same fix for the text now. */
function fixNow(fix) {
  const text = getText();
  let f = fix;
  if (text !== state.fixedText) {
    f = state.policy.assist.fixes(text).find((x) => x.code === fix.code && x.title === fix.title);
    if (!f) return;
  }
  applyFix(state.view, f);
}

// ---------------------------------------------------------------- lint

function renderDiagnostics(diags) {
  const frag = document.createDocumentFragment();
  const counts = { error: 0, warning: 0, note: 0 };
  for (const d of diags) {
    counts[d.severity in counts ? d.severity : 'note']++;
    const loc = `${d.start.line}:${d.start.column}`;
    const button = el(
      'button',
      // Named by its visible text (severity, line, code, message, help):
      // an aria-label that differs from it fails WCAG 2.5.3 (label in name).
      { type: 'button', class: 'jump', title: 'Go to it in the editor' },
      el('span', { class: 'head' },
        el('span', { class: 'sev', text: d.severity }),
        el('span', { class: 'loc', text: `line ${loc}` }),
        el('span', { class: 'code', text: d.code })),
      el('span', { class: 'message' }, inline(d.message)),
      d.help ? el('span', { class: 'help' }, 'help: ', el('span', { class: 'help-text' }, inline(d.help))) : null,
    );
    button.addEventListener('click', () => jumpTo(d));
    const fixes = fixesFor(d).map((f) => {
      const b = el('button', { type: 'button', class: 'fix', 'data-testid': 'fix', 'data-title': f.title }, 'Fix: ', inline(f.title));
      b.addEventListener('click', () => fixNow(f));
      return b;
    });
    frag.append(el('li', {
      class: `diag sev-${d.severity}`,
      'data-line': String(d.start.line),
      'data-column': String(d.start.column),
      'data-end-line': String(d.end.line),
      'data-end-column': String(d.end.column),
      'data-code': d.code,
      'data-severity': d.severity,
      'data-message': d.message,
      'data-help': d.help ?? undefined,
    }, button,
    el('span', { class: 'fixes' }, ...fixes,
      el('a', { class: 'doc', href: `codes/${encodeURIComponent(d.code)}.html`, target: '_blank', 'data-testid': 'doc-link' }, `About ${d.code}`))));
  }
  ui.list.replaceChildren(frag);
  applyFilter();
  const { error: errors, warning: warnings, note: notes } = counts;
  const parts = [`${errors} error${errors === 1 ? '' : 's'}`, `${warnings} warning${warnings === 1 ? '' : 's'}`];
  if (notes) parts.push(`${notes} note${notes === 1 ? '' : 's'}`);
  ui.summary.textContent = diags.length ? `${parts.join(', ')}.` : 'No problems found.';
  ui.summary.classList.toggle('clean', diags.length === 0);
  ui.viewCount.textContent = diags.length ? `(${diags.length})` : '';
}

/** The severity filter: unchecked severities are hidden from the list (not from the editor). */
function applyFilter() {
  const shown = new Set([...document.querySelectorAll('[data-testid="filter"] input:checked')].map((i) => i.value));
  for (const li of ui.list.children) li.hidden = !shown.has(li.dataset.severity);
}

/** Arrow keys, Home and End move between the visible diagnostics. */
function listKeys(e) {
  const buttons = [...ui.list.querySelectorAll(':scope > li:not([hidden]) button.jump')];
  const i = buttons.indexOf(document.activeElement);
  if (i < 0) return;
  let j = null;
  if (e.key === 'ArrowDown') j = Math.min(i + 1, buttons.length - 1);
  else if (e.key === 'ArrowUp') j = Math.max(i - 1, 0);
  else if (e.key === 'Home') j = 0;
  else if (e.key === 'End') j = buttons.length - 1;
  if (j === null) return;
  e.preventDefault();
  buttons[j].focus();
}

// Lints run in a Web Worker (lint-worker.js), one at a time: while one
// runs, only the newest text waits; an answer for an older text is dropped.
// Without a worker (it failed to start), the same answer() runs here.
/** Starts the lint worker; body[data-worker] says loading, ready, failed or none. */
function startWorker() {
  const w = newWorker();
  document.body.dataset.worker = w ? 'loading' : 'none';
  return w;
}

function newWorker() {
  if (typeof Worker !== 'function' || location.protocol === 'file:') return null;
  // ?worker=0 lints on the main thread: the benchmark's baseline.
  if (new URLSearchParams(location.search).get('worker') === '0') return null;
  try {
    const w = new Worker('lint-worker.js', { type: 'module' });
    w.onmessage = (e) => {
      if (e.data.ready) {
        state.workerReady = true;
        document.body.dataset.worker = 'ready';
      }
      else if (e.data.call !== undefined) answered(e.data);
      else received(e.data);
    };
    w.onerror = (e) => {
      e.preventDefault?.();
      // The worker could not load: lint here from now on.
      state.worker = null;
      state.inFlight = null;
      document.body.dataset.worker = 'failed';
      for (const [, p] of state.calls) p.reject(new Error('the lint worker failed'));
      state.calls.clear();
      runAll();
    };
    return w;
  } catch {
    return null;
  }
}

function lintNow() {
  const text = getText();
  if (!text.trim() && !state.openedBytes) {
    state.queued = null;
    ++state.request;
    ui.list.replaceChildren();
    ui.summary.textContent = 'Paste a zerops.yaml or open a file.';
    ui.summary.classList.remove('clean');
    ui.viewCount.textContent = '';
    state.fixes = [];
    showDiagnostics(state.view, [], fixesFor, fixNow);
    ui.list.dataset.state = 'empty';
    ui.list.dataset.generation = String(++state.generation);
    showSetups({ empty: true });
    return;
  }
  const req = {
    id: ++state.request,
    text,
    bytes: state.openedBytes ?? undefined,
    tree: state.tree && state.caps.lintWithTree ? state.tree : null,
  };
  // Before the worker's component is ready, a small text is linted here (a
  // few ms): the first diagnostics after load do not wait for the worker.
  if (!state.worker || (!state.workerReady && !state.inFlight && text.length <= SMALL_TEXT)) {
    const t0 = performance.now();
    let res;
    try {
      res = answer(state.policy, req);
    } catch (e) {
      res = { id: req.id, failed: errorText(e) };
    }
    show(res, text, t0);
    return;
  }
  if (state.inFlight) state.queued = req;
  else send(req);
}

/**
 * Asks the worker's assist interface (completions, hovers); here when there
 * is no worker, or its component is still loading.
 */
function assistCall(method, ...args) {
  if (!state.worker || !state.workerReady) return Promise.resolve(state.policy?.assist?.[method]?.(...args) ?? null);
  const call = ++state.callId;
  return new Promise((resolve, reject) => {
    state.calls.set(call, { resolve, reject });
    state.worker.postMessage({ call, method, args });
  });
}

function answered({ call, result, error }) {
  const p = state.calls.get(call);
  if (!p) return;
  state.calls.delete(call);
  if (error !== undefined) p.reject(new Error(error));
  else p.resolve(result);
}

/** Bytes of text linted on the main thread while the worker is still loading. */
const SMALL_TEXT = 64 * 1024;

function send(req) {
  state.inFlight = { id: req.id, text: req.text, t0: performance.now() };
  state.worker.postMessage(req);
}

function received(res) {
  const done = state.inFlight;
  state.inFlight = null;
  if (state.queued) {
    const next = state.queued;
    state.queued = null;
    send(next);
    return;
  }
  if (!done || res.id !== done.id || res.id !== state.request) return;
  // Edited since (a lint is due after the debounce): these positions are
  // for a text that is gone.
  if (done.text !== getText()) return;
  show(res, done.text, done.t0);
}

/** Renders one lint's answer: the list, the squiggles, the setups. */
function show(res, text, t0) {
  if (res.failed) {
    ui.summary.textContent = `The linter failed: ${res.failed}`;
    ui.list.replaceChildren();
    ui.list.dataset.generation = String(++state.generation);
    ui.setups.dataset.generation = ui.list.dataset.generation;
    return;
  }
  state.fixes = res.fixes;
  state.fixedText = text;
  // A diagnostic without a position (none from lint today) is shown at the
  // start of the file: WIT gives `start`/`end` as option<position>.
  const diags = res.diags.map((d) => (d.start ? d : { ...d, start: FILE_START, end: FILE_START }));
  const r0 = performance.now();
  renderDiagnostics(diags);
  const r1 = performance.now();
  showDiagnostics(state.view, diags, fixesFor, fixNow);
  const r2 = performance.now();
  state.timings.lastLint = Math.round((performance.now() - t0) * 100) / 100;
  state.timings.lints++;
  if (state.timings.firstLint === null && state.firstLintStart) {
    state.timings.firstLint = Math.round((performance.now() - state.firstLintStart) * 100) / 100;
    // Milliseconds from navigation start to the first diagnostics on screen.
    state.timings.firstDiagnosticsAt = Math.round(performance.now());
  }
  ui.list.dataset.state = 'linted';
  ui.list.dataset.generation = String(++state.generation);
  if (state.inputAt) {
    // From the last keystroke (or paste) to its diagnostics on screen, debounce included.
    state.timings.inputToDiagnostics = Math.round((performance.now() - state.inputAt) * 10) / 10;
    state.inputAt = 0;
  }
  // Main-thread cost of showing this answer: the list and the squiggles;
  // the setups panel follows in a task of its own.
  state.timings.render = { list: ms(r1 - r0), squiggles: ms(r2 - r1) };
  clearTimeout(state.setupsTimer);
  state.setupsTimer = setTimeout(() => showSetups(res.keys), 0);
}

const ms = (x) => Math.round(x * 10) / 10;

/** The setups panel and the setup choices, from a lint's layer keys. */
function showSetups(keys) {
  // Most keystrokes change no layer key: the panel stays as it is.
  const json = JSON.stringify(keys);
  if (json !== state.setupsShown) {
    const t0 = performance.now();
    state.setupsShown = json;
    state.setups = keys.entries ? keys.entries.map((e) => e.setup) : [];
    renderSetups(keys);
    fillSelect(ui.compareSetup, state.setups, false);
    fillSelect(ui.patternsSetup, state.setups, true);
    patternsNow();
    state.timings.renderSetups = ms(performance.now() - t0);
  }
  compareNow();
  // For tests: the panels show the lint of this generation.
  ui.setups.dataset.generation = ui.list.dataset.generation;
  document.body.dataset.linted = 'true';
}

// ---------------------------------------------------------------- setups (layers interface)

function unavailable(what) {
  return el('p', { class: 'notice', 'data-testid': 'unavailable', text: `${what} needs a newer policy component than this page carries.` });
}

function cacheMode(spec) {
  if (!spec) return { mode: '?', patterns: [] };
  if (spec.tag === 'all') {
    return spec.val
      ? { mode: 'true: the whole build container is kept', patterns: [] }
      : { mode: 'false: nothing of /build/source is kept', patterns: [] };
  }
  return { mode: `patterns (${spec.val.length})`, patterns: spec.val };
}

function shortKey(k) {
  return el('span', { class: 'key', title: k, text: `${k.slice(0, 16)}…` });
}

function renderSetups(res) {
  if (res.unavailable) return ui.setups.replaceChildren(unavailable('Showing layer keys'));
  if (res.empty) return ui.setups.replaceChildren(el('p', { class: 'notice', text: 'No config yet.' }));
  if (res.error) return ui.setups.replaceChildren(el('p', { class: 'notice error', text: res.error }));
  if (!res.entries.length) return ui.setups.replaceChildren(el('p', { class: 'notice', text: 'No setups in this file.' }));
  const frag = document.createDocumentFragment();
  for (const entry of res.entries) {
    const card = el('article', { class: 'setup', 'data-setup': entry.setup }, el('h3', {}, 'setup ', el('code', { text: entry.setup })));
    if (entry.keys.tag === 'err') {
      card.append(el('p', { class: 'notice error', text: errorText({ payload: entry.keys.val }) }));
      frag.append(card);
      continue;
    }
    const k = entry.keys.val;
    const { mode, patterns } = cacheMode(k.inputs.cache);
    card.dataset.cache = k.inputs.cache.tag === 'all' ? String(k.inputs.cache.val) : 'patterns';
    const dl = el('dl');
    const row = (dt, dd) => dl.append(el('dt', { text: dt }), el('dd', {}, dd));
    if (k.buildFrom && k.buildFrom !== k.setup) row('build from', el('code', { text: k.buildFrom }));
    if (!k.buildFrom) row('build', 'no build section: defaults');
    row('cache', mode);
    if (patterns.length) row('patterns', el('ul', {}, ...patterns.map((p) => el('li', {}, el('code', { text: p })))));
    row('os', el('code', { text: k.inputs.os }));
    row('base', k.inputs.base.length ? el('code', { text: k.inputs.base.join(', ') }) : '(none)');
    row('prepare', `${k.inputs.prepareCommands.length} command${k.inputs.prepareCommands.length === 1 ? '' : 's'}`);
    row('base layer key', shortKey(k.keys.base));
    row('build layer key', shortKey(k.keys.build));
    card.append(dl);
    card.dataset.buildFrom = k.buildFrom ?? '';
    card.dataset.baseKey = k.keys.base;
    card.dataset.buildKey = k.keys.build;
    frag.append(card);
  }
  ui.setups.replaceChildren(frag);
}

function fillSelect(select, names, keepFirst) {
  const current = select.value;
  const opts = keepFirst ? [select.options[0]] : [];
  select.replaceChildren(...opts, ...names.map((n) => el('option', { value: n, text: n })));
  if (names.includes(current) || (keepFirst && current === '')) select.value = current;
}

// ---------------------------------------------------------------- compare (layers.explain)

function renderReasons(reasons, cls) {
  return el('ul', {}, ...reasons.map((r) => el('li', {
    class: `reason ${cls || ''}`,
    'data-kind': r.kind,
    'data-field': r.field ?? '',
  }, r.message)));
}

function compareNow() {
  ui.compareResult.dataset.generation = String(++state.compareGeneration);
  if (!state.caps.explain) return ui.compareResult.replaceChildren(unavailable('Comparing versions'));
  const previous = ui.previous.value;
  const current = getText();
  if (!previous.trim()) {
    return ui.compareResult.replaceChildren(el('p', { class: 'notice', text: 'Paste the previous version to compare.' }));
  }
  let d;
  try {
    d = state.policy.layers.explain(previous, current, ui.compareSetup.value || undefined);
  } catch (e) {
    ui.compareResult.replaceChildren(el('p', { class: 'notice error', 'data-testid': 'compare-error', text: errorText(e) }));
    return;
  }
  const layer = (name, v, yes, no) => el('section', {
    class: 'layer', 'data-layer': name, 'data-invalidated': String(v.invalidated), 'data-testid': `layer-${name}`,
  },
  el('h3', {}, `${name === 'base' ? 'Base' : 'Build'} layer: `, el('span', { class: 'verdict', text: v.invalidated ? yes : no })),
  v.reasons.length ? renderReasons(v.reasons) : el('p', { class: 'hint', text: 'Nothing that decides this layer changed.' }));
  const out = [
    el('p', {}, 'Setup ', el('code', { text: d.setup }),
      d.buildFrom && d.buildFrom !== d.setup ? el('span', {}, ' (build from ', el('code', { text: d.buildFrom }), ')') : null),
    layer('base', d.base, 'rebuilt', 'reused'),
    layer('build', d.build, 'dropped', 'reused'),
  ];
  const keyRow = (name, prev, now) => el('li', {},
    `${name} layer key `, prev ? shortKey(prev) : '(no previous cache)', ' → ', shortKey(now),
    prev && prev !== now ? ' (changed)' : prev ? ' (same)' : '');
  out.push(el('details', { class: 'keys' }, el('summary', { text: 'Layer keys' }),
    el('ul', {},
      keyRow('base', d.previousKeys?.base, d.keys.base),
      keyRow('build', d.previousKeys?.build, d.keys.build))));
  if (d.unaffected.length) {
    out.push(el('section', { class: 'layer unaffected', 'data-testid': 'unaffected' },
      el('h3', { text: 'Changes that keep the cache' }), renderReasons(d.unaffected, 'kept')));
  }
  ui.compareResult.replaceChildren(...out);
}

// ---------------------------------------------------------------- pattern tester (patterns interface)

function linesOf(text) {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

function patternsNow() {
  ui.patternResult.dataset.generation = String(++state.patternGeneration);
  if (!state.caps.patterns) return ui.patternResult.replaceChildren(unavailable('The pattern tester'));
  const patterns = linesOf(ui.patterns.value);
  const paths = linesOf(ui.paths.value);
  if (!patterns.length || !paths.length) {
    return ui.patternResult.replaceChildren(el('p', { class: 'notice', text: 'Enter patterns and paths.' }));
  }
  let verdicts;
  let set;
  try {
    ({ verdicts, set } = testPaths(patterns, paths));
  } catch (e) {
    ui.patternResult.replaceChildren(el('p', { class: 'notice error', text: errorText(e) }));
    return;
  }
  const taken = verdicts.filter((v) => v.taken).length;
  const table = el('table', { class: 'paths' },
    el('caption', { class: 'visually-hidden', text: 'Paths and whether the cache takes them' }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'path' }), el('th', { scope: 'col', text: 'cache' }), el('th', { scope: 'col', text: 'why' }))),
    el('tbody', {}, ...verdicts.map((v) => el('tr', { 'data-path': v.path, 'data-taken': String(v.taken) },
      el('td', { class: 'path', text: v.path }),
      el('td', { class: 'verdict', text: v.taken ? 'taken' : 'not taken' }),
      el('td', { class: 'why' }, el('span', { class: 'reason', text: v.why }),
        v.details?.length
          ? el('details', {}, el('summary', { text: 'each pattern' }),
            el('ul', { class: 'detail' }, ...v.details.map((t) => el('li', { text: t }))))
          : null)))));
  const problems = patternProblems(set, patterns);
  ui.patternResult.replaceChildren(
    problems.length
      ? el('ul', { class: 'notice error', 'data-testid': 'pattern-problems' }, ...problems.map((t) => el('li', { text: t })))
      : '',
    el('p', { 'data-testid': 'pattern-summary', text: `${taken} of ${verdicts.length} paths taken.` }),
    table);
}

/**
 * Asks the patterns interface about each path, the way a cache walk does:
 * the pasted paths form a tree (a trailing `/`, or having paths below it,
 * makes a directory); starting at the root, one `select-entries` call per
 * directory decides take / descend / skip for its entries, and a path gets
 * the first take or skip met on the way down to it.
 * Returns { set, verdicts: [{path, taken, why}] }.
 */
function testPaths(patterns, paths) {
  const api = state.policy.patterns;
  const set = api.describeSet(patterns);

  // The tree of pasted paths.
  const root = { name: '', path: '', dir: true, children: new Map() };
  const nodes = [];
  for (const raw of paths) {
    const isDir = raw.endsWith('/');
    const parts = raw.replace(/^(\.\/)+/, '').split('/').filter((p) => p !== '' && p !== '.');
    let node = root;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i];
      let child = node.children.get(name);
      if (!child) {
        child = { name, path: node.path ? `${node.path}/${name}` : name, dir: false, children: new Map() };
        node.children.set(name, child);
      }
      if (i < parts.length - 1 || isDir) child.dir = true;
      node = child;
    }
    nodes.push({ raw, node });
  }

  // The walk: one call per directory, only into directories decided `descend`.
  const decided = new Map(); // node -> decision
  const walk = (dir) => {
    const entries = [...dir.children.values()];
    if (!entries.length) return;
    const list = entries.map((e) => ({ name: e.name, kind: e.dir ? 'dir' : 'file', utf8: true }));
    const decisions = api.selectEntries(patterns, dir.path, list);
    entries.forEach((e, i) => {
      decided.set(e, decisions[i]);
      if (decisions[i].tag === 'descend') walk(e);
    });
  };
  walk(root);

  const pat = (i) => {
    const written = patterns[i];
    const norm = set.normalized[i];
    return norm === written ? `\`${norm}\`` : `\`${norm}\` (written \`${written}\`)`;
  };
  const verdicts = nodes.map(({ raw, node }) => {
    if (node === root) return { path: raw, taken: false, why: 'the source directory itself is never a cache path' };
    // The first take or skip on the way down from the root.
    const chain = [];
    for (let n = node; n && n !== root; n = parentOf(root, n)) chain.unshift(n);
    for (const n of chain) {
      const d = decided.get(n);
      if (!d) break;
      const self = n === node;
      const where = self ? 'it' : `\`${n.path}/\``;
      if (d.tag === 'take') {
        return {
          path: raw, taken: true,
          why: self ? `matches pattern ${pat(d.val)}` : `inside \`${n.path}/\`, which pattern ${pat(d.val)} takes whole`,
        };
      }
      if (d.tag === 'skip') {
        const r = d.val;
        let why;
        if (r.tag === 'no-match') {
          why = `no pattern matches ${where}${n.dir ? ' or anything below' : ''}`;
          const details = set.statuses
            .map((st, i) => (st.tag === 'applied' ? api.explainMismatch(set.normalized[i], n.path) : undefined))
            .map((m, i) => (m ? `${pat(i)}: ${m}` : null))
            .filter(Boolean);
          return { path: raw, taken: false, why, details };
        } else if (r.tag === 'not-a-directory') {
          why = `pattern ${pat(r.val)} names a path below ${where}, but ${self ? 'it' : 'that'} is not a directory`;
        } else if (r.tag === 'symlink-not-followed') {
          why = `pattern ${pat(r.val)} could match below ${where}, but symlinks are never followed`;
        } else if (r.tag === 'not-utf8') {
          why = 'the name is not valid UTF-8';
        } else {
          why = `skipped (${r.tag})`;
        }
        return { path: raw, taken: false, why };
      }
    }
    return { path: raw, taken: false, why: 'not reached by any pattern' };
  });
  return { set, verdicts };
}

function parentOf(root, node) {
  const i = node.path.lastIndexOf('/');
  if (i < 0) return root;
  let n = root;
  for (const part of node.path.slice(0, i).split('/')) n = n.children.get(part);
  return n;
}

function patternProblems(set, patterns) {
  const items = [];
  set.statuses.forEach((st, i) => {
    const p = `\`${patterns[i]}\``;
    if (st.tag === 'invalid') items.push(`${p} is malformed, never applied: ${st.val.message} (column ${st.val.column})`);
    else if (st.tag === 'absolute') items.push(`${p} starts with \`/\`: outside the source directory, never applied`);
    else if (st.tag === 'parent-component') items.push(`${p} has a \`..\` component: outside the source directory, never applied`);
    else if (st.tag === 'empty') items.push(`${p} names nothing`);
  });
  return items;
}


// ---------------------------------------------------------------- wiring

function runAll() {
  const text = getText();
  saveText(text);
  forgetStaleLink(text);
  lintNow();
}

function schedule(fn) {
  clearTimeout(state.timer);
  state.timer = setTimeout(fn, DEBOUNCE_MS);
}

/** A tab list: click or arrow keys select; `onSelect(tab)` shows its panel. */
function setupTabs(tabs, onSelect) {
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
    }
    onSelect(tab);
    if (focus) tab.focus();
  };
  for (const [i, t] of tabs.entries()) {
    t.addEventListener('click', () => select(t, false));
    t.addEventListener('keydown', (e) => {
      let j = null;
      if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
      else if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = tabs.length - 1;
      if (j !== null) {
        e.preventDefault();
        select(tabs[j], true);
      }
    });
  }
}

/** Puts a loaded text in the editor as one transaction (Ctrl-Z brings the old text back). */
function load(text, bytes) {
  clearTimeout(state.timer);
  replaceText(state.view, text);
  state.openedBytes = bytes ?? null;
  runAll();
}

async function openFile(file) {
  // Ask before reading, as the CLI does: an oversized file is refused unread.
  const tooLarge = state.policy?.linter?.checkSize?.(Math.min(file.size, 0xffffffff));
  if (tooLarge) {
    replaceText(state.view, '');
    clearTimeout(state.timer);
    state.openedBytes = null;
    state.fixes = [];
    ++state.request;
    renderDiagnostics([tooLarge]);
    ui.list.dataset.generation = String(++state.generation);
    ui.setups.dataset.generation = ui.list.dataset.generation;
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('utf-8').decode(bytes);
  }
  load(text, bytes);
}

/**
 * A project folder chosen in the browser: every path in it (directories
 * derived from the files' paths; a browser lists no empty directories),
 * relative to the folder, without `.git`. Read locally, never uploaded.
 */
async function openFolder(files) {
  const paths = new Set();
  let root = null;
  let config = null;
  for (const f of files) {
    const parts = (f.webkitRelativePath || f.name).split('/');
    root ??= parts[0];
    const rel = parts.slice(1);
    if (!rel.length || rel[0] === '.git') continue;
    for (let i = 1; i <= rel.length; i++) paths.add(rel.slice(0, i).join('/'));
    if (rel.length === 1 && (rel[0] === 'zerops.yaml' || (rel[0] === 'zerops.yml' && !config))) config = f;
  }
  state.tree = [...paths].sort();
  $('tree-status').textContent = `Project folder ${root ?? ''}: ${state.tree.length} paths, read in this browser. `
    + 'Cache paths are checked against them (git-tracked files are the CLI\'s to check).';
  $('tree-status').append(el('button', { type: 'button', id: 'forget-folder', text: 'Forget folder' }));
  $('forget-folder').addEventListener('click', () => {
    state.tree = null;
    $('tree-status').textContent = 'The page checks the file alone, like zerops-cache lint --no-tree.';
    runAll();
  });
  if (config) await openFile(config);
  else runAll();
}

// ---------------------------------------------------------------- share link

/** `#yaml=<base64url of UTF-8>`: the fragment never reaches a server. */
function shareUrl(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  const b64 = btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${location.origin}${location.pathname}${location.search}#yaml=${b64}`;
}

/**
 * The config of a share link in the address bar, or null. A `#yaml`
 * fragment that cannot be read gets a warning that stays (the status line
 * below it is the component's); any other fragment is not ours.
 */
function configFromHash() {
  const warning = $('link-warning');
  if (!location.hash.startsWith('#yaml')) return null;
  const m = /^#yaml=([A-Za-z0-9_-]*={0,2})$/.exec(location.hash);
  const bad = (why) => {
    warning.textContent = `This link's #yaml= fragment ${why}, so it was ignored; the editor holds your last text instead.`;
    warning.hidden = false;
    return null;
  };
  if (!m) return bad('is malformed (it must be #yaml= followed by base64url: letters, digits, - and _)');
  let text;
  try {
    const b64 = m[1].replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return bad('is not base64url of UTF-8 text (cut short when copied?)');
  }
  warning.hidden = true;
  state.sharedText = text;
  return text;
}

// ---------------------------------------------------------------- kept text

/** The editor's text is kept in this browser (localStorage) across reloads. */
const SAVED = 'zerops-cache:text';

function savedText() {
  try {
    return localStorage.getItem(SAVED);
  } catch {
    return null;
  }
}

function saveText(text) {
  try {
    if (text) localStorage.setItem(SAVED, text);
    else localStorage.removeItem(SAVED);
  } catch {
    // Storage full or refused (private mode): the text stays in the tab only.
  }
}

/** The text changed: a share link in the address bar is for an older text; drop it. */
function forgetStaleLink(text) {
  if (state.sharedText === null || text === state.sharedText) return;
  state.sharedText = null;
  if (location.hash.startsWith('#yaml')) history.replaceState(null, '', `${location.pathname}${location.search}`);
  if (!$('share-row').hidden) {
    $('share-url').value = '';
    $('share-row').hidden = true;
  }
}

async function share() {
  const text = getText();
  const url = shareUrl(text);
  history.replaceState(null, '', url);
  state.sharedText = text;
  $('link-warning').hidden = true;
  const out = $('share-url');
  $('share-row').hidden = false;
  out.value = url;
  out.select();
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch {
    copied = false;
  }
  $('share-status').textContent = copied
    ? `Copied (${url.length} characters). The config is in the fragment, which browsers never send to a server.`
    : `Copy the link above (${url.length} characters). The config is in the fragment, which browsers never send to a server.`;
}

function wire() {
  const fileInput = $('open-file');
  $('open-file-button').addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    if (fileInput.files && fileInput.files[0]) openFile(fileInput.files[0]);
    fileInput.value = '';
  });
  const folderInput = $('open-folder');
  $('open-folder-button').addEventListener('click', () => folderInput.click());
  folderInput.addEventListener('change', () => {
    if (folderInput.files && folderInput.files.length) openFolder([...folderInput.files]);
    folderInput.value = '';
  });
  $('load-example').addEventListener('click', () => {
    load(EXAMPLE);
    state.view.focus();
  });
  $('share').addEventListener('click', share);
  // Another share link opened in this tab: load it (undoable, like a file).
  window.addEventListener('hashchange', () => {
    const text = configFromHash();
    if (text !== null && text !== getText()) load(text);
  });
  for (const box of document.querySelectorAll('[data-testid="filter"] input')) box.addEventListener('change', applyFilter);
  ui.list.addEventListener('keydown', listKeys);
  ui.previous.addEventListener('input', () => schedule(compareNow));
  ui.compareSetup.addEventListener('change', compareNow);
  ui.patterns.addEventListener('input', () => {
    ui.patternsSetup.value = '';
    schedule(patternsNow);
  });
  ui.paths.addEventListener('input', () => schedule(patternsNow));
  ui.patternsSetup.addEventListener('change', () => {
    const name = ui.patternsSetup.value;
    if (!name) return;
    const card = ui.setups.querySelector(`.setup[data-setup="${CSS.escape(name)}"]`);
    const pats = card ? [...card.querySelectorAll('dd ul li code')].map((c) => c.textContent) : [];
    ui.patterns.value = pats.join('\n');
    patternsNow();
  });
  // Drop a file anywhere on the editor.
  const editor = $('editor');
  editor.addEventListener('dragover', (e) => e.preventDefault());
  editor.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files?.[0];
    if (f) openFile(f);
  }, true);
}

function onChange(update) {
  if (!state.policy) return;
  if (update.transactions.some((t) => t.annotation(loaded))) return;
  // An edit: the text is what is linted now, not the opened file's bytes.
  state.openedBytes = null;
  state.inputAt = performance.now();
  schedule(runAll);
}

state.view = createEditor({
  parent: $('editor'),
  doc: configFromHash() ?? savedText() ?? '',
  assist: () => state.policy?.assist ?? null,
  completions: (text, at) => (state.policy ? assistCall('complete', text, at) : null),
  hovers: (text, at, facts) => (state.policy ? assistCall('hover', text, at, facts) : null),
  tree: hoverTree,
  onChange,
  label: 'zerops.yaml',
});
// For tests and scripts: the editor's text, and a paste that replaces it.
window.zeropsEditor = {
  view: state.view,
  getText,
  paste(text) {
    state.view.dispatch({ changes: { from: 0, to: state.view.state.doc.length, insert: text }, userEvent: 'input.paste' });
  },
};
setupTabs([...document.querySelectorAll('.tabs [role="tab"]')], (tab) => {
  for (const t of document.querySelectorAll('.tabs [role="tab"]')) $(t.getAttribute('aria-controls')).hidden = t !== tab;
});
setupTabs([...document.querySelectorAll('.view-tabs [role="tab"]')], (tab) => {
  showView(tab.getAttribute('aria-controls').replace(/^pane-/, ''));
});
wire();
await loadPolicy();
// Offline after the first visit, reloads included (sw.js caches the page).
if ('serviceWorker' in navigator && location.protocol.startsWith('http')) {
  navigator.serviceWorker.register('sw.js').catch(() => {});
}
// The first diagnostics after load, timed inside the page (lint, squiggles,
// list; set by show()).
// A small text is linted here first, and the worker (which compiles its own
// copy of the component) starts after, not competing with it; a big text goes
// to the worker from the start.
const bigAtLoad = getText().length > SMALL_TEXT;
if (bigAtLoad) state.worker = startWorker();
state.firstLintStart = performance.now();
runAll();
if (!bigAtLoad) state.worker = startWorker();

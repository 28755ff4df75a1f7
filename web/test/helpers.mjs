// Shared by the browser tests: paths, the static server, Chromium, the CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../serve.mjs';

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(WEB, '..');
export const DIST = join(WEB, 'dist');
export const RESULTS = join(WEB, 'test-results');
// The corpus is part of the repository (tests/corpus); ZEROPS_CORPUS overrides.
export const CORPUS = process.env.ZEROPS_CORPUS || join(REPO, 'tests', 'corpus', 'zerops-yml');
export const CLI = process.env.ZEROPS_CACHE_BIN || join(REPO, 'target', 'debug', 'zerops-cache');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function corpusFiles() {
  if (!existsSync(CORPUS)) throw new Error(`corpus not found at ${CORPUS} (set ZEROPS_CORPUS)`);
  return readdirSync(CORPUS)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(CORPUS, f));
}

// The page has no project directory, so it compares with `lint --no-tree`
// (the lints that list the project are the CLI's alone) when the CLI has it.
let noTree = null;
export function cliLintArgs() {
  if (noTree === null) {
    const help = spawnSync(CLI, ['lint', '--help'], { encoding: 'utf8' }).stdout || '';
    noTree = help.includes('--no-tree');
  }
  return noTree ? ['lint', '--no-tree'] : ['lint'];
}

/** `zerops-cache lint [--no-tree] --format json FILE` as a list of flat diagnostics. */
export function cliLint(file) {
  const r = spawnSync(CLI, [...cliLintArgs(), '--format', 'json', file], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`${CLI} lint exited ${r.status}: ${r.stderr}`);
  }
  const report = JSON.parse(r.stdout);
  return report.files[0].diagnostics.map((d) => ({
    code: d.code,
    severity: d.severity,
    line: d.line,
    column: d.column,
    endLine: d.end_line,
    endColumn: d.end_column,
    message: d.message,
    help: d.help ?? null,
  }));
}

/** Any `zerops-cache ... --format json` command: { status, json }. */
export function cliJson(args) {
  const r = spawnSync(CLI, [...args, '--format', 'json'], { encoding: 'utf8' });
  // 3: the CLI refused the file (a config error, or a file the platform rejects).
  if (r.status !== 0 && r.status !== 1 && r.status !== 2 && r.status !== 3) throw new Error(`${CLI} ${args.join(' ')}: ${r.stderr}`);
  let json = null;
  try {
    json = r.stdout ? JSON.parse(r.stdout) : null;
  } catch {
    json = null;
  }
  return { status: r.status, json, stderr: r.stderr };
}

/** Shows a tab of the tools panel. */
export async function showTab(page, name) {
  await page.click(`[data-testid="tab-${name}"]`);
  await page.waitForSelector(`#panel-${name}:not([hidden])`);
}

/** The setups panel as data. */
export async function pageSetups(page) {
  return page.$$eval('[data-testid="setups"] .setup', (cards) =>
    cards.map((c) => ({
      setup: c.dataset.setup,
      buildFrom: c.dataset.buildFrom ?? null,
      base: c.dataset.baseKey ?? null,
      build: c.dataset.buildKey ?? null,
      cache: c.dataset.cache ?? null,
      error: c.querySelector('.notice.error')?.textContent ?? null,
    })),
  );
}

export function requireDist() {
  if (!existsSync(join(DIST, 'index.html')) || !existsSync(join(DIST, 'policy', 'policy.js'))) {
    throw new Error('web/dist is missing: run `npm run build` in web/ first');
  }
}

/** Starts the static server and a headless Chromium with a fresh profile. */
export async function startBrowser() {
  requireDist();
  const server = await serve({ root: DIST, port: 0 });
  const profile = mkdtempSync(join(tmpdir(), 'zerops-web-chromium-'));
  const t0 = performance.now();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const launchMs = performance.now() - t0;
  return {
    server,
    context,
    launchMs,
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the component is loaded, the first lint (of the text kept
 * from an earlier visit, or of none) is shown and the lint worker is ready
 * (or not used): a lint answered after that is the lint of what the test
 * typed, and the page makes no more requests of its own.
 */
export async function ready(page) {
  await page.waitForSelector('body[data-ready="true"][data-linted="true"][data-worker]:not([data-worker="loading"])', { timeout: 10_000 });
}

/** Opens the page and waits until the component is loaded and has linted. */
export async function openPage(ctx) {
  const page = await ctx.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(ctx.server.url);
  await ready(page);
  page.errors = errors;
  return page;
}

/** Replaces the editor's text as a paste would (one edit). */
export async function pasteConfig(page, text) {
  await page.evaluate((t) => window.zeropsEditor.paste(t), text);
}

/** The editor's text. */
export async function editorText(page) {
  return page.evaluate(() => window.zeropsEditor.getText());
}

/** Waits for a lint newer than generation `before`. */
export async function lintAfter(page, before) {
  await page.waitForFunction(
    (b) => {
      const l = document.querySelector('[data-testid="diagnostics"]');
      // The setups panel follows the list in a task of its own.
      const s = document.querySelector('[data-testid="setups"]');
      return l.dataset.generation && l.dataset.generation !== b && s.dataset.generation === l.dataset.generation;
    },
    before,
    { timeout: 5_000 },
  );
}

/** The lint generation shown now. */
export async function generation(page) {
  return page.getAttribute('[data-testid="diagnostics"]', 'data-generation');
}

/** Replaces the editor text and waits for the lint of exactly that text. */
export async function setConfig(page, text) {
  const before = await page.getAttribute('[data-testid="diagnostics"]', 'data-generation');
  await pasteConfig(page, text);
  await page.waitForFunction(
    (b) => {
      const l = document.querySelector('[data-testid="diagnostics"]');
      const s = document.querySelector('[data-testid="setups"]');
      return l.dataset.generation && l.dataset.generation !== b && s.dataset.generation === l.dataset.generation;
    },
    before,
    { timeout: 5_000 },
  );
}

/** The diagnostics the page shows, read from the DOM hooks. */
export async function pageDiagnostics(page) {
  return page.$$eval('[data-testid="diagnostics"] > li', (items) =>
    items.map((li) => ({
      code: li.dataset.code,
      severity: li.dataset.severity,
      line: Number(li.dataset.line),
      column: Number(li.dataset.column),
      endLine: Number(li.dataset.endLine),
      endColumn: Number(li.dataset.endColumn),
      // The text as the component wrote it (the list renders its `code` spans).
      message: li.dataset.message,
      help: li.dataset.help ?? null,
    })),
  );
}

export function screenshotPath(name) {
  mkdirSync(RESULTS, { recursive: true });
  return join(RESULTS, name);
}

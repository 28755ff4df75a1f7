// The longest main-thread task per keystroke while typing into a big file,
// in headless Chromium: the page's "typing never blocks" target (≤ 50 ms).
//
//   node bench/keystroke.mjs [--dist DIR] [--keys N] [--query ?worker=0]   (after `npm run build`)
//
// Opens the page from DIR (default web/dist), pastes a generated 2,000-line
// zerops.yaml (100 setups, every tenth with a typo), puts the cursor at the
// end of line 1000 and types N characters (default 30), each followed by
// the wait for its diagnostics (the list's data-generation) and one frame.
// Per keystroke: the longest task (PerformanceObserver `longtask`, which
// reports tasks of 50 ms or more: 0 means none) and the longest input event
// (Event Timing, key to next paint, 16 ms and more). Prints max, p90 and
// median of each. `--query ?worker=0` lints on the main thread (baseline);
// --dist of an older build compares builds (it needs only the list's hooks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../serve.mjs';
import { CHROMIUM, DIST } from '../test/helpers.mjs';
import { bigConfig } from '../test/big-config.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const root = resolve(opt('--dist', DIST));
const keys = Number(opt('--keys', 30));
const query = opt('--query', '');

const server = await serve({ root, port: 0 });
const profile = mkdtempSync(join(tmpdir(), 'zerops-bench-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'],
  viewport: { width: 1280, height: 900 },
});
const generation = (page) => page.getAttribute('[data-testid="diagnostics"]', 'data-generation');
const shown = (page, before) => page.waitForFunction(
  (b) => document.querySelector('[data-testid="diagnostics"]').dataset.generation !== b, before, { timeout: 10_000 });
try {
  const page = await context.newPage();
  await page.goto(`${server.url}${query}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
  // This page's lint worker (older builds have none) has loaded its component.
  await page.waitForFunction(() => document.body.dataset.worker !== 'loading', null, { timeout: 10_000 });
  let before = await generation(page);
  await page.evaluate((t) => window.zeropsEditor.paste(t), bigConfig());
  await shown(page, before);
  // The paste's own work (the setups panel, in a task after the list) is not a keystroke's.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200))));
  await page.evaluate(() => {
    window.__tasks = [];
    window.__events = [];
    new PerformanceObserver((l) => window.__tasks.push(...l.getEntries().map((e) => [e.startTime, e.duration])))
      .observe({ type: 'longtask' });
    new PerformanceObserver((l) => window.__events.push(...l.getEntries().map((e) => [e.startTime, e.duration])))
      .observe({ type: 'event', durationThreshold: 16 });
    const { view } = window.zeropsEditor;
    view.dispatch({ selection: { anchor: view.state.doc.line(1000).to }, scrollIntoView: true });
    view.focus();
  });
  // Scrolling to line 1000 (and highlighting it) is the jump's work, not a keystroke's.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300))));
  const perKey = [];
  for (let i = 0; i < keys; i++) {
    before = await generation(page);
    const t0 = await page.evaluate(() => performance.now());
    await page.keyboard.type('x');
    await shown(page, before);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
    const t1 = await page.evaluate(() => performance.now());
    const { tasks, events } = await page.evaluate(() => ({ tasks: window.__tasks, events: window.__events }));
    const within = (xs) => xs.filter(([s, d]) => s + d >= t0 && s <= t1).map(([, d]) => d);
    perKey.push({ task: Math.max(0, ...within(tasks)), event: Math.max(0, ...within(events)) });
  }
  const stat = (k) => {
    const xs = perKey.map((p) => p[k]).sort((a, b) => a - b);
    const at = (q) => Math.round(xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]);
    return { max: Math.round(xs.at(-1)), p90: at(0.9), median: at(0.5) };
  };
  console.log(JSON.stringify({ dist: root, query, lines: 2000, keystrokes: keys, longestTaskMs: stat('task'), longestEventMs: stat('event') }));
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}

// Browser tests of what the page keeps while you work: typing never blocks
// (lint in a worker; the per-keystroke benchmark), reloads offline (service
// worker), the text across reloads, share links that follow the text, link
// warnings that stay, accessibility (axe-core), touch layouts, a clean example.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bigConfig } from './big-config.mjs';
import { editorText, generation, lintAfter, openPage, ready, pageDiagnostics, screenshotPath, setConfig, startBrowser } from './helpers.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

const BAD = 'zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      deployFiles: dist\n      cahce: node_modules\n';

describe('robust page', () => {
  let ctx;
  before(async () => {
    ctx = await startBrowser();
  });
  after(async () => ctx && (await ctx.close()));

  /**
   * Types `n` characters at the end of line `line` of the 2,000-line file,
   * waiting after each for its diagnostics; returns, per keystroke, the
   * longest main-thread task (PerformanceObserver longtask: tasks of 50 ms
   * and more; 0 when none) and the longest input event (Event Timing: from
   * the key to the next paint).
   */
  async function typeIntoBigFile(query, n) {
    const page = await ctx.context.newPage();
    await page.goto(`${ctx.server.url}${query}`);
    await ready(page);
    await setConfig(page, bigConfig());
    // The paste's own work (the setups panel, in a task after the list) is not a keystroke's.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200))));
    await page.evaluate(() => {
      window.__tasks = [];
      window.__events = [];
      new PerformanceObserver((l) => window.__tasks.push(...l.getEntries().map((e) => [e.startTime, e.duration])))
        .observe({ type: 'longtask' });
      new PerformanceObserver((l) => window.__events.push(...l.getEntries().map((e) => [e.startTime, e.duration, e.name])))
        .observe({ type: 'event', durationThreshold: 16 });
    });
    // The cursor at the end of line 1000 (a `start:` value of a setup's run).
    await page.evaluate(() => {
      const { view } = window.zeropsEditor;
      const line = view.state.doc.line(1000);
      view.dispatch({ selection: { anchor: line.to }, scrollIntoView: true });
      view.focus();
    });
    // Scrolling to line 1000 (and highlighting it) is the jump's work, not a keystroke's.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300))));
    const perKey = [];
    for (let i = 0; i < n; i++) {
      const before = await generation(page);
      const t0 = await page.evaluate(() => performance.now());
      await page.keyboard.type('x');
      await lintAfter(page, before);
      // The answer is rendered; let the frame after it paint before reading.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
      const t1 = await page.evaluate(() => performance.now());
      const { tasks, events } = await page.evaluate(() => ({ tasks: window.__tasks, events: window.__events }));
      const within = (xs) => xs.filter(([s, d]) => s + d >= t0 && s <= t1).map(([, d]) => d);
      perKey.push({ longestTask: Math.max(0, ...within(tasks)), longestEvent: Math.max(0, ...within(events)) });
    }
    const text = await editorText(page);
    assert.ok(text.split('\n')[999].endsWith('x'.repeat(n)), 'every keystroke reached the editor');
    const lints = await page.evaluate(() => window.zeropsCache.lastLint);
    await page.close();
    const sorted = (k) => perKey.map((p) => p[k]).sort((a, b) => a - b);
    const stat = (k) => ({ max: Math.round(sorted(k).at(-1)), median: Math.round(sorted(k)[Math.floor(n / 2)]) });
    return { keystrokes: n, longestTaskMs: stat('longestTask'), longestEventMs: stat('longestEvent'), lastLintMs: lints };
  }

  test('benchmark: the longest main-thread task per keystroke on a 2,000-line file (worker, and main thread as baseline)', async () => {
    const worker = await typeIntoBigFile('', 30);
    const main = await typeIntoBigFile('?worker=0', 30);
    const report = { file: '2,000 lines, 100 setups', worker, mainThread: main };
    console.log(`# keystroke benchmark ${JSON.stringify(report)}`);
    writeFileSync(screenshotPath('keystroke.json'), JSON.stringify(report, null, 2) + '\n');
    // A benchmark, not a timed assertion: only that it measured something.
    assert.equal(worker.keystrokes, 30);
  });

  test('reloads offline after the first visit (service worker), and lints', async () => {
    const page = await openPage(ctx);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
      }
    });
    await ctx.context.setOffline(true);
    try {
      await page.reload();
      await ready(page);
      await setConfig(page, BAD);
      const diags = await pageDiagnostics(page);
      assert.ok(diags.some((d) => d.code === 'unknown-key' && d.line === 6), JSON.stringify(diags));
      // The code pages are there offline too.
      await page.goto(`${ctx.server.url}codes/unknown-key.html`);
      assert.match(await page.textContent('h1'), /unknown-key/);
      assert.deepEqual(page.errors.filter((e) => !/net::ERR_INTERNET_DISCONNECTED/.test(e)), []);
    } finally {
      await ctx.context.setOffline(false);
      await page.close();
    }
  });

  test('the text is kept across reloads; a share link is dropped once the text changes', async () => {
    const page = await openPage(ctx);
    await setConfig(page, BAD);
    await page.reload();
    await ready(page);
    assert.equal(await editorText(page), BAD);
    await page.click('[data-testid="share"]');
    await page.waitForFunction(() => location.hash.startsWith('#yaml='));
    const before = await generation(page);
    await page.evaluate(() => {
      const { view } = window.zeropsEditor;
      view.dispatch({ changes: { from: view.state.doc.length, insert: '# edited\n' }, userEvent: 'input.type' });
    });
    await lintAfter(page, before);
    assert.equal(await page.evaluate(() => location.hash), '', 'the stale link is gone from the address bar');
    assert.equal(await page.isHidden('#share-row'), true);
    // A reload brings the edited text back, not the shared one.
    await page.reload();
    await ready(page);
    assert.equal(await editorText(page), `${BAD}# edited\n`);
    await page.close();
  });

  test('a bad share link is warned about, and the warning stays after the component loads', async () => {
    for (const [hash, why] of [['#yaml=%%%', /malformed/], ['#yaml=_w', /not base64url of UTF-8/], ['#yaml', /malformed/]]) {
      const page = await ctx.context.newPage();
      await page.goto(ctx.server.url + hash);
      await ready(page);
      assert.equal(await page.isVisible('[data-testid="link-warning"]'), true, hash);
      assert.match(await page.textContent('[data-testid="link-warning"]'), why);
      assert.match(await page.textContent('#status'), /loaded/);
      await page.close();
    }
    // A fragment that is not ours (the skip link's) is no warning.
    const page = await ctx.context.newPage();
    await page.goto(`${ctx.server.url}#editor`);
    await ready(page);
    assert.equal(await page.isHidden('[data-testid="link-warning"]'), true);
    await page.close();
  });

  test('axe-core: no serious or critical violations, with diagnostics listed and on a code page', async () => {
    const page = await openPage(ctx);
    await setConfig(page, BAD);
    const run = async () => {
      await page.addScriptTag({ path: AXE });
      return page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target }));
      });
    };
    const bad = (vs) => vs.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.ok((await pageDiagnostics(page)).length > 0);
    assert.deepEqual(bad(await run()), []);
    await page.goto(`${ctx.server.url}codes/index.html`);
    assert.deepEqual(bad(await run()), []);
    await page.goto(`${ctx.server.url}codes/cache-deleted-by-build.html`);
    assert.deepEqual(bad(await run()), []);
    await page.close();
  });

  test('no keyboard hints on a touch screen', async () => {
    const page = await openPage(ctx);
    assert.equal(await page.isVisible('[data-testid="keys-hint"]'), true);
    const cdp = await ctx.context.newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    await page.reload();
    await ready(page);
    assert.equal(await page.evaluate(() => matchMedia('(pointer: coarse)').matches), true, 'touch emulation gives a coarse pointer');
    assert.equal(await page.isHidden('[data-testid="keys-hint"]'), true);
    await page.close();
  });

  test('the example lints clean, and every finding links to its code page', async () => {
    const page = await openPage(ctx);
    const before = await generation(page);
    await page.click('[data-testid="load-example"]');
    await lintAfter(page, before);
    assert.deepEqual(await pageDiagnostics(page), []);
    assert.equal(await page.textContent('[data-testid="summary"]'), 'No problems found.');
    await setConfig(page, BAD);
    const href = await page.getAttribute('[data-testid="diagnostics"] > li[data-code="unknown-key"] [data-testid="doc-link"]', 'href');
    assert.equal(href, 'codes/unknown-key.html');
    const res = await page.request.get(new URL(href, ctx.server.url).href);
    assert.equal(res.status(), 200);
    await page.close();
  });
});

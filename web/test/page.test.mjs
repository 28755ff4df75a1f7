// Browser tests of the linter page: lint, jump to line, timing, screenshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, cliLint, editorText, generation, lintAfter, openPage, pageDiagnostics, pageSetups, pasteConfig, screenshotPath, setConfig, startBrowser, ready } from './helpers.mjs';

// A corpus file with a known problem: a legacy (v1) config, a service hostname
// `app:` at line 4 where the `zerops:` list belongs. An error on line 4, with
// the code the CLI gives it.
const KNOWN = 'EinLinuus__sveltekit-blog__zerops.yml.yaml';
const KNOWN_LINE = 4;
const KNOWN_ITEM = `[data-testid="diagnostics"] > li[data-severity="error"][data-line="${KNOWN_LINE}"]`;

describe('linter page', () => {
  let ctx;
  before(async () => {
    ctx = await startBrowser();
    console.log(`# chromium launch: ${Math.round(ctx.launchMs)} ms`);
  });
  after(async () => ctx && (await ctx.close()));

  /** One page load: goto → component ready → text entered → its diagnostics shown. */
  async function timedLoad(text) {
    const page = await ctx.context.newPage();
    const t0 = Date.now();
    await page.goto(ctx.server.url);
    await ready(page);
    const tReady = Date.now();
    await pasteConfig(page, text);
    await page.waitForSelector(KNOWN_ITEM, { timeout: 5_000 });
    const tDiag = Date.now();
    const inPage = await page.evaluate(() => window.zeropsCache);
    return {
      page,
      figures: {
        loadToDiagnosticsMs: tDiag - t0,
        loadToReadyMs: tReady - t0,
        typingToDiagnosticsMs: tDiag - tReady,
        componentLoadMs: inPage.load,
        inputToDiagnosticsMs: inPage.inputToDiagnostics,
        lintMs: inPage.lastLint,
      },
    };
  }

  test('load → diagnostics of a corpus file with a known problem', async () => {
    const text = readFileSync(join(CORPUS, KNOWN), 'utf8');
    const runs = [];
    let first;
    for (let i = 0; i < 6; i++) {
      const { page, figures } = await timedLoad(text);
      runs.push(figures);
      if (i === 0) first = page;
      else await page.close();
    }
    const median = (k) => {
      const xs = runs.slice(1).map((r) => r[k]).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)];
    };
    const summary = {
      cold: runs[0],
      warmMedian: Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(k)])),
      warmRuns: runs.length - 1,
    };
    console.log(`# timing cold ${JSON.stringify(summary.cold)}`);
    console.log(`# timing warm median of ${summary.warmRuns} ${JSON.stringify(summary.warmMedian)}`);
    writeFileSync(screenshotPath('timing.json'), JSON.stringify(summary, null, 2) + '\n');
    // Generous bound: the goal is well under a second; timed asserts are flaky on shared machines.
    assert.ok(summary.warmMedian.loadToDiagnosticsMs < 5_000, `load→diagnostics took ${summary.warmMedian.loadToDiagnosticsMs} ms`);

    const page = first;
    const diags = await pageDiagnostics(page);
    const cli = cliLint(join(CORPUS, KNOWN)).find((d) => d.line === KNOWN_LINE && d.severity === 'error');
    assert.ok(cli, `the CLI reports an error on line ${KNOWN_LINE}`);
    const shown = diags.find((d) => d.line === KNOWN_LINE && d.code === cli.code);
    assert.ok(shown, `${cli.code} is listed on line ${KNOWN_LINE}: ${JSON.stringify(diags)}`);
    assert.equal(shown.severity, 'error');
    assert.equal(shown.message, cli.message);
    // The line has an error squiggle in the editor and a marker in the lint gutter.
    assert.ok(await page.locator('.cm-lintRange-error').count() >= 1, 'an error squiggle is drawn');
    assert.ok(await page.locator('.cm-lint-marker-error').count() >= 1, 'an error marker is in the gutter');
    // The screenshot shows the finding's line: jump to it first.
    await page.click(`${KNOWN_ITEM} button`);
    await page.screenshot({ path: screenshotPath('lint.png'), fullPage: true });
    await page.close();
  });

  test('load → diagnostics measured inside the page (config preloaded from the URL fragment)', async () => {
    const text = readFileSync(join(CORPUS, KNOWN), 'utf8');
    const hash = `#yaml=${Buffer.from(text, 'utf8').toString('base64url')}`;
    const runs = [];
    for (let i = 0; i < 6; i++) {
      const page = await ctx.context.newPage();
      const t0 = Date.now();
      await page.goto(ctx.server.url + hash);
      await page.waitForSelector(KNOWN_ITEM);
      const wall = Date.now() - t0;
      const inPage = await page.evaluate(() => window.zeropsCache);
      runs.push({ navigationToDiagnosticsMs: inPage.firstDiagnosticsAt, firstLintMs: inPage.firstLint, gotoToDiagnosticsMs: wall });
      await page.close();
    }
    const xs = runs.map((r) => r.navigationToDiagnosticsMs).sort((a, b) => a - b);
    const median = xs[Math.floor(xs.length / 2)];
    const lints = runs.slice(1).map((r) => r.firstLintMs).sort((a, b) => a - b);
    console.log(`# timing navigation→diagnostics in page: median ${median} ms; first lint after load (warm) median ${lints[Math.floor(lints.length / 2)]} ms; runs ${JSON.stringify(runs)}`);
    writeFileSync(screenshotPath('timing-preloaded.json'), JSON.stringify({ median, runs }, null, 2) + '\n');
    assert.ok(median < 5_000);
  });

  test('a large file: diagnostics within a second after typing stops', async () => {
    const page = await openPage(ctx);
    // Every corpus setup list concatenated under one `zerops:` (a few thousand lines).
    const { readdirSync } = await import('node:fs');
    let text = 'zerops:\n';
    for (const f of readdirSync(CORPUS).filter((x) => /\.ya?ml$/.test(x)).sort()) {
      const src = readFileSync(join(CORPUS, f), 'utf8').replace(/\r\n?/g, '\n');
      const i = src.indexOf('\nzerops:\n');
      const body = src.startsWith('zerops:\n') ? src.slice('zerops:\n'.length) : i >= 0 ? src.slice(i + '\nzerops:\n'.length) : null;
      if (body) text += body.replace(/^(?!\s)/gm, '  ').replace(/^  $/gm, '') + '\n';
    }
    text += 'oops: 1\n';
    const lines = text.split('\n').length;
    // As a paste: set the value and fire one input event (typing 140 KB would take minutes).
    await pasteConfig(page, text);
    await page.waitForSelector('[data-testid="diagnostics"] > li[data-code="root-unknown-key"]');
    const t = await page.evaluate(() => window.zeropsCache);
    console.log(`# large file: ${lines} lines, input→diagnostics ${t.inputToDiagnostics} ms (lint ${t.lastLint} ms)`);
    assert.ok(t.inputToDiagnostics < 5_000);
    // A keystroke at the end: the same, again.
    await page.focus('[data-testid="config-input"]');
    await page.keyboard.press('Control+End');
    const before = await generation(page);
    await page.keyboard.type('x');
    await lintAfter(page, before);
    const t2 = await page.evaluate(() => window.zeropsCache);
    console.log(`# large file: one keystroke → diagnostics ${t2.inputToDiagnostics} ms (lint ${t2.lastLint} ms)`);
    await page.close();
  });

  test('clicking a diagnostic jumps to its line', async () => {
    const page = await openPage(ctx);
    const lines = ['zerops:', '  - setup: app', '    build:', '      base: nodejs@22'];
    for (let i = 0; i < 60; i++) lines.push(`      # filler ${i}`);
    lines.push('oops: true');
    const text = lines.join('\n') + '\n';
    await setConfig(page, text);
    const item = page.locator('[data-testid="diagnostics"] > li[data-line="65"]');
    await item.first().waitFor();
    // Keyboard: focus the item's button and press Enter.
    await item.first().locator('button').focus();
    await page.keyboard.press('Enter');
    const sel = await page.evaluate(() => {
      const v = window.zeropsEditor.view;
      const r = v.state.selection.main;
      return {
        focused: v.hasFocus,
        line: v.state.doc.lineAt(r.from).number,
        selected: v.state.sliceDoc(r.from, r.to),
      };
    });
    assert.ok(sel.focused, 'the editor has focus');
    assert.equal(sel.line, 65);
    assert.equal(sel.selected, 'oops', 'the diagnostic\'s span is selected');
    // CodeMirror scrolls in its next measure cycle (an animation frame),
    // not within the key press: wait for it, a few seconds at most.
    const scrolled = await page
      .waitForFunction(() => window.zeropsEditor.view.scrollDOM.scrollTop > 0, null, { timeout: 5000 })
      .then(() => true, () => false);
    assert.ok(scrolled, 'the editor scrolled to the line');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('opening a file lints its bytes like the CLI', async () => {
    const page = await openPage(ctx);
    const before = await page.getAttribute('[data-testid="diagnostics"]', 'data-generation');
    await page.setInputFiles('[data-testid="open-file"]', join(CORPUS, KNOWN));
    await page.waitForFunction((b) => document.querySelector('[data-testid="diagnostics"]').dataset.generation !== b, before);
    const diags = await pageDiagnostics(page);
    assert.ok(diags.some((d) => d.severity === 'error' && d.line === KNOWN_LINE));
    const value = await editorText(page);
    assert.ok(value.includes('build'), 'the file is shown in the editor');
    await page.close();
  });

  test('a clean file says so; an empty editor shows no diagnostics', async () => {
    const page = await openPage(ctx);
    await setConfig(page, 'zerops:\n  - setup: app\n    run:\n      base: nodejs@22\n');
    assert.equal((await pageDiagnostics(page)).filter((d) => d.severity === 'error').length, 0);
    await setConfig(page, '');
    assert.deepEqual(await pageDiagnostics(page), []);
    await page.close();
  });

  test('narrow screen and dark scheme render without horizontal overflow', async () => {
    const page = await ctx.context.newPage();
    await page.setViewportSize({ width: 375, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(ctx.server.url);
    await ready(page);
    await pasteConfig(page, readFileSync(join(CORPUS, KNOWN), 'utf8'));
    await page.click('[data-testid="view-diagnostics"]');
    await page.waitForSelector('[data-testid="diagnostics"] > li');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page overflows horizontally by ${overflow}px`);
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.notEqual(bg, 'rgb(255, 255, 255)', 'dark scheme applies');
    await page.screenshot({ path: screenshotPath('lint-narrow-dark.png'), fullPage: true });
    await page.close();
  });

  test('offline: every request goes to the page\'s own server, and linting works with the network gone', async () => {
    const page = await ctx.context.newPage();
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(ctx.server.url);
    await ready(page);
    const foreign = urls.filter((u) => !u.startsWith(ctx.server.url) && !u.startsWith('data:'));
    assert.deepEqual(foreign, []);
    await ctx.context.setOffline(true);
    try {
      const before = urls.length;
      await setConfig(page, 'services: []\n');
      assert.ok((await pageDiagnostics(page)).some((d) => d.code === 'root-missing-zerops'));
      assert.equal(urls.length, before, 'linting makes no requests');
    } finally {
      await ctx.context.setOffline(false);
    }
    await page.close();
  });

  test('setups panel: cache mode, patterns and layer keys per setup', async () => {
    const page = await openPage(ctx);
    await setConfig(page, readFileSync(join(CORPUS, 'zerops-recipe-apps__deno-hello-world-app__zerops.yaml'), 'utf8'));
    const setups = await pageSetups(page);
    assert.ok(setups.length >= 2, JSON.stringify(setups));
    for (const s of setups) {
      assert.match(s.base, /^[0-9a-f]{64}$/);
      assert.match(s.build, /^[0-9a-f]{64}$/);
    }
    // This recipe caches everything in one setup (`cache: true`) and a list in the other.
    assert.ok(setups.some((s) => s.cache === 'true'), JSON.stringify(setups));
    assert.ok(setups.some((s) => s.cache === 'patterns'), JSON.stringify(setups));
    const patterns = await page.$$eval('[data-testid="setups"] .setup[data-cache="patterns"] dd ul li', (l) => l.map((x) => x.textContent));
    assert.ok(patterns.length > 0);
    await page.close();
  });

  test('keyboard: tabs switch with the arrow keys and every control has a label', async () => {
    const page = await openPage(ctx);
    await page.focus('[data-testid="tab-setups"]');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-compare');
    assert.equal(await page.isVisible('#panel-compare'), true);
    assert.equal(await page.isVisible('#panel-setups'), false);
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-patterns');
    await page.keyboard.press('Home');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-setups');
    const unlabeled = await page.$$eval('textarea, select, input:not([type="file"])', (els) =>
      els.filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map((e) => e.id));
    assert.deepEqual(unlabeled, []);
    await page.close();
  });
});

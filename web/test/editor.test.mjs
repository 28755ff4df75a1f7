// Browser tests of the CodeMirror editor: squiggles, hover, completion, quick
// fixes, the diagnostics panel (click, keyboard, filter), the phone layout,
// undo of a load, the share link and the file:// notice.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORPUS, DIST, editorText, generation, lintAfter, openPage, pageDiagnostics, screenshotPath, setConfig, startBrowser, ready } from './helpers.mjs';

// `buildCommand` (line 5, columns 7–19) is an unknown key with a did-you-mean fix.
const TYPO = [
  'zerops:',
  '  - setup: app',
  '    build:',
  '      base: nodejs@22',
  '      buildCommand:',
  '        - npm ci',
  '      deployFiles: ./',
  '      cache:',
  '        - node_modules',
  '    run:',
  '      base: nodejs@22',
  '      start: node index.js',
  '',
].join('\n');
const TYPO_ITEM = '[data-testid="diagnostics"] > li[data-code="unknown-key"][data-line="5"]';

/** The editor's selection: its line and the selected text. */
async function selection(page) {
  return page.evaluate(() => {
    const v = window.zeropsEditor.view;
    const r = v.state.selection.main;
    return { focused: v.hasFocus, line: v.state.doc.lineAt(r.from).number, text: v.state.sliceDoc(r.from, r.to) };
  });
}

/** Screen coordinates of a 1-based line and column of the editor's text. */
async function coordsOf(page, line, column) {
  return page.evaluate(([l, c]) => {
    const v = window.zeropsEditor.view;
    const pos = v.state.doc.line(l).from + c - 1;
    v.dispatch({ effects: [] });
    const r = v.coordsAtPos(pos);
    return { x: r.left + 2, y: (r.top + r.bottom) / 2 };
  }, [line, column]);
}

/** Puts the cursor at the end of the text and focuses the editor. */
async function cursorAtEnd(page) {
  await page.evaluate(() => {
    const v = window.zeropsEditor.view;
    v.dispatch({ selection: { anchor: v.state.doc.length } });
    v.focus();
  });
}

/**
 * Accepts the selected completion with Enter. CodeMirror ignores Enter for
 * its interaction delay (75 ms) after the list opens, against accidental
 * picks, so wait past it first.
 */
async function acceptCompletion(page) {
  await page.waitForSelector('.cm-tooltip-autocomplete li[aria-selected="true"]');
  await page.waitForTimeout(150);
  await page.keyboard.press('Enter');
}

describe('editor', () => {
  let ctx;
  before(async () => {
    ctx = await startBrowser();
  });
  after(async () => ctx && (await ctx.close()));

  test('squiggle on the exact span, with the message on hover', async () => {
    const page = await openPage(ctx);
    await setConfig(page, TYPO);
    const underlined = await page.$$eval('.cm-lintRange-error', (els) => els.map((e) => e.textContent).join(''));
    assert.equal(underlined, 'buildCommand', 'the error squiggle covers exactly the unknown key');
    const box = await page.locator('.cm-lintRange-error').first().boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = page.locator('.cm-tooltip-lint');
    await tip.waitFor({ timeout: 5_000 });
    assert.match(await tip.textContent(), /unknown key buildCommand in build; .*did you mean buildCommands\?/s);
    assert.ok(await tip.locator('code').count() >= 3, 'the message\'s backticks are rendered as code');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('hover over a key shows what it does, from the assist interface, with code rendered', async () => {
    const page = await openPage(ctx);
    await setConfig(page, TYPO);
    const at = await coordsOf(page, 4, 8); // `base` of build
    await page.mouse.move(at.x, at.y);
    const hover = page.locator('[data-testid="hover"]');
    await hover.waitFor({ timeout: 5_000 });
    const text = await hover.textContent();
    assert.match(text, /build\.base/);
    assert.match(text, /invalidates both layers/);
    assert.ok(!text.includes('`'), `backticks are rendered, not shown: ${text}`);
    assert.ok(await hover.locator('code').count() > 0, 'Markdown code spans are <code>');
    await page.screenshot({ path: screenshotPath('editor-hover.png') });
    await page.close();
  });

  test('completion: keys of the map at the cursor, from the component', async () => {
    const page = await openPage(ctx);
    await setConfig(page, 'zerops:\n  - setup: app\n    run:\n      start: node index.js\n      ');
    await cursorAtEnd(page);
    await page.keyboard.type('bas');
    await page.keyboard.press('Control+Space');
    const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'base' });
    await option.first().waitFor({ timeout: 5_000 });
    const labels = await page.$$eval('.cm-tooltip-autocomplete li .cm-completionLabel', (l) => l.map((x) => x.textContent));
    assert.ok(labels.includes('base'), JSON.stringify(labels));
    assert.ok(!labels.includes('start'), `keys already written are not offered: ${JSON.stringify(labels)}`);
    await acceptCompletion(page);
    assert.match(await editorText(page), /\n {6}base: $/);
    // Values for `base`.
    await page.keyboard.type('node');
    await page.keyboard.press('Control+Space');
    await page.locator('.cm-tooltip-autocomplete li', { hasText: /nodejs@/ }).first().waitFor({ timeout: 5_000 });
    await page.screenshot({ path: screenshotPath('editor-completion.png') });
    await acceptCompletion(page);
    assert.match(await editorText(page), /base: nodejs@\S+$/);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('quick fix from the panel is one undoable transaction; the lint tooltip offers it too', async () => {
    const page = await openPage(ctx);
    await setConfig(page, TYPO);
    const fix = page.locator(`${TYPO_ITEM} [data-testid="fix"]`);
    assert.equal(await fix.getAttribute('data-title'), 'Change `buildCommand` to `buildCommands`');
    assert.equal(await fix.textContent(), 'Fix: Change buildCommand to buildCommands');
    assert.equal(await fix.locator('code').count(), 2);
    let before = await generation(page);
    await fix.click();
    await lintAfter(page, before);
    assert.equal(await editorText(page), TYPO.replace('buildCommand:', 'buildCommands:'));
    assert.equal((await pageDiagnostics(page)).filter((d) => d.code === 'unknown-key').length, 0);
    // Undo brings the typo back, and its diagnostic.
    before = await generation(page);
    await page.keyboard.press('Control+z');
    await lintAfter(page, before);
    assert.equal(await editorText(page), TYPO);
    await page.locator(TYPO_ITEM).waitFor();
    // The same fix from the squiggle's tooltip.
    const box = await page.locator('.cm-lintRange-error').first().boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const action = page.locator('.cm-tooltip-lint .cm-diagnosticAction');
    await action.first().waitFor({ timeout: 5_000 });
    before = await generation(page);
    await action.first().click();
    await lintAfter(page, before);
    assert.equal(await editorText(page), TYPO.replace('buildCommand:', 'buildCommands:'));
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('a multi-edit quick fix: the legacy v1 rewrite of a corpus file', async () => {
    const page = await openPage(ctx);
    const legacy = readFileSync(join(CORPUS, 'EinLinuus__sveltekit-blog__zerops.yml.yaml'), 'utf8');
    await setConfig(page, legacy);
    const item = '[data-testid="diagnostics"] > li[data-code="legacy-format"]';
    const before = await generation(page);
    await page.click(`${item} [data-testid="fix"]`);
    await lintAfter(page, before);
    const fixed = await editorText(page);
    assert.match(fixed, /^zerops:\n/);
    assert.match(fixed, /^ {2}- setup: app$/m);
    assert.equal(await page.locator(item).count(), 0, 'the legacy-format error is gone');
    await page.keyboard.press('Control+z');
    assert.equal(await editorText(page), legacy, 'one Ctrl-Z undoes the whole rewrite');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('a click on a diagnostic selects its span; arrow keys move through the list', async () => {
    const page = await openPage(ctx);
    const filler = Array.from({ length: 80 }, (_, i) => `      # filler ${i}`).join('\n');
    const text = TYPO.replace('      buildCommand:', `${filler}\n      buildCommand:`) + 'oops: 1\n';
    await setConfig(page, text);
    const items = await pageDiagnostics(page);
    assert.ok(items.length >= 2, JSON.stringify(items));
    const typo = items.find((d) => d.code === 'unknown-key');
    await page.click(`[data-testid="diagnostics"] > li[data-code="unknown-key"][data-line="${typo.line}"] button.jump`);
    const sel = await selection(page);
    assert.deepEqual(sel, { focused: true, line: typo.line, text: 'buildCommand' });
    // CodeMirror scrolls in its next measure cycle (an animation frame).
    const scrolled = await page
      .waitForFunction(() => window.zeropsEditor.view.scrollDOM.scrollTop > 0, null, { timeout: 5000 })
      .then(() => true, () => false);
    assert.ok(scrolled, 'the editor scrolled to the span');
    // Desktop: the list is beside the editor, in view.
    const ed = await page.locator('#pane-editor').boundingBox();
    const list = await page.locator('#pane-diagnostics').boundingBox();
    assert.ok(list.x >= ed.x + ed.width - 1, `the diagnostics are beside the editor: ${JSON.stringify({ ed, list })}`);
    // Keyboard: focus the first item, ArrowDown to the next, Enter jumps.
    await page.focus('[data-testid="diagnostics"] > li:first-child button.jump');
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement.closest('li')?.dataset.line);
    assert.equal(focused, String(items[1].line));
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    assert.equal((await selection(page)).line, items.at(-1).line);
    await page.close();
  });

  test('F12 on an extends value goes to the setup it names', async () => {
    const page = await openPage(ctx);
    await setConfig(page, 'zerops:\n  - setup: base\n    build:\n      base: nodejs@22\n  - setup: app\n    extends: base\n    run:\n      base: nodejs@22\n');
    await page.evaluate(() => {
      const v = window.zeropsEditor.view;
      v.dispatch({ selection: { anchor: v.state.doc.line(6).from + 14 } });
      v.focus();
    });
    await page.keyboard.press('F12');
    assert.deepEqual(await selection(page), { focused: true, line: 2, text: 'base' });
    await page.close();
  });

  test('the severity filter hides the unchecked severities', async () => {
    const page = await openPage(ctx);
    await setConfig(page, TYPO + 'oops: 1\n');
    const all = await pageDiagnostics(page);
    const errors = all.filter((d) => d.severity === 'error').length;
    assert.ok(errors >= 1 && errors < all.length || errors === all.length);
    await page.uncheck('[data-testid="filter-error"]');
    const visible = await page.$$eval('[data-testid="diagnostics"] > li', (l) => l.filter((x) => !x.hidden && x.offsetParent).map((x) => x.dataset.severity));
    assert.ok(!visible.includes('error'), JSON.stringify(visible));
    assert.equal(visible.length, all.length - errors);
    await page.check('[data-testid="filter-error"]');
    const again = await page.$$eval('[data-testid="diagnostics"] > li', (l) => l.filter((x) => x.offsetParent).length);
    assert.equal(again, all.length);
    // Messages render their backticks as code.
    assert.ok(await page.locator(`${TYPO_ITEM} .message code`).count() > 0);
    await page.close();
  });

  test('phone layout: editor and diagnostics are tabs; a click goes back to the editor with the span selected', async () => {
    const page = await ctx.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(ctx.server.url);
    await ready(page);
    await setConfig(page, TYPO);
    assert.equal(await page.isVisible('[data-testid="view-tabs"]'), true);
    assert.equal(await page.isVisible('#editor'), true);
    assert.equal(await page.isVisible('#pane-diagnostics'), false, 'the diagnostics are behind their tab');
    assert.match(await page.textContent('[data-testid="view-diagnostics"]'), /\(1\)/);
    await page.click('[data-testid="view-diagnostics"]');
    assert.equal(await page.isVisible('#pane-diagnostics'), true);
    assert.equal(await page.isVisible('#editor'), false);
    const item = await page.locator(TYPO_ITEM).boundingBox();
    assert.ok(item.y < 844, `the first diagnostic is above the fold: ${item.y}`);
    await page.screenshot({ path: screenshotPath('phone-diagnostics.png') });
    await page.click(`${TYPO_ITEM} button.jump`);
    assert.equal(await page.isVisible('#editor'), true);
    assert.deepEqual(await selection(page), { focused: true, line: 5, text: 'buildCommand' });
    const ed = await page.locator('#editor').boundingBox();
    assert.ok(ed.y < 844 && ed.y + ed.height > 0, 'the editor is in view');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page overflows horizontally by ${overflow}px`);
    await page.screenshot({ path: screenshotPath('phone-editor.png') });
    await page.close();
  });

  test('Load example is undoable with Ctrl-Z', async () => {
    const page = await openPage(ctx);
    await setConfig(page, TYPO);
    let before = await generation(page);
    await page.click('[data-testid="load-example"]');
    await lintAfter(page, before);
    const example = await editorText(page);
    assert.notEqual(example, TYPO);
    assert.match(example, /setup: app/);
    assert.equal((await pageDiagnostics(page)).filter((d) => d.code === 'unknown-key').length, 0);
    before = await generation(page);
    await page.keyboard.press('Control+z');
    await lintAfter(page, before);
    assert.equal(await editorText(page), TYPO);
    await page.locator(TYPO_ITEM).waitFor();
    await page.keyboard.press('Control+y');
    assert.equal(await editorText(page), example);
    await page.close();
  });

  test('share link: the config travels in the fragment and comes back on load', async () => {
    const page = await openPage(ctx);
    const text = `${TYPO}# ünïcode ✓ 🚀\n`;
    await setConfig(page, text);
    await page.click('[data-testid="share"]');
    const url = await page.inputValue('[data-testid="share-url"]');
    assert.ok(url.startsWith(`${ctx.server.url}#yaml=`), url);
    assert.match(url.split('#yaml=')[1], /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(url.split('#yaml=')[1], 'base64url').toString('utf8'), text);
    const shown = await pageDiagnostics(page);
    const other = await ctx.context.newPage();
    await other.goto(url);
    await ready(other);
    await other.waitForSelector(TYPO_ITEM);
    assert.equal(await editorText(other), text);
    assert.deepEqual(await pageDiagnostics(other), shown);
    // Another link opened in the same tab replaces the text, undoably.
    const next = 'zerops:\n  - setup: web\n    run:\n      base: nodejs@22\n';
    const before = await generation(other);
    await other.evaluate((h) => { location.hash = h; }, `#yaml=${Buffer.from(next, 'utf8').toString('base64url')}`);
    await lintAfter(other, before);
    assert.equal(await editorText(other), next);
    await other.evaluate(() => window.zeropsEditor.view.focus());
    await other.keyboard.press('Control+z');
    assert.equal(await editorText(other), text);
    await other.close();
    await page.close();
  });

  test('opened from file://, the page says how to serve it', async () => {
    const page = await ctx.context.newPage();
    await page.goto(pathToFileURL(join(DIST, 'index.html')).href);
    await page.waitForSelector('body[data-ready="file"]', { timeout: 5_000 });
    const text = await page.textContent('#status');
    assert.match(text, /file:\/\//);
    assert.match(text, /node web\/serve\.mjs/);
    await page.close();
  });
});

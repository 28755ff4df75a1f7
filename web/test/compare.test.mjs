// Compare mode: the previous version pasted, the new one in the editor; the
// page shows which layers the change invalidates and why, exactly as
// `zerops-cache explain OLD NEW --setup S --verbose --format json` does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS, cliJson, openPage, screenshotPath, setConfig, showTab, startBrowser } from './helpers.mjs';

const BASE = readFileSync(join(CORPUS, 'zerops-recipe-apps__nestjs-minimal-app__zerops.yaml'), 'utf8');

const once = (text, from, to) => {
  assert.ok(text.includes(from), `fixture contains ${from}`);
  return text.replace(from, to);
};

async function compare(page, previous, current, setup) {
  await setConfig(page, current);
  await showTab(page, 'compare');
  const gen = await page.getAttribute('[data-testid="compare-result"]', 'data-generation');
  await page.fill('[data-testid="previous-input"]', previous);
  await page.waitForFunction(
    (g) => document.querySelector('[data-testid="compare-result"]').dataset.generation !== g, gen);
  if (setup) {
    const g2 = await page.getAttribute('[data-testid="compare-result"]', 'data-generation');
    await page.selectOption('[data-testid="compare-setup"]', setup);
    if ((await page.inputValue('[data-testid="compare-setup"]')) !== setup) throw new Error(`no setup ${setup}`);
    await page.waitForFunction(
      (g) => document.querySelector('[data-testid="compare-result"]').dataset.generation !== g, g2).catch(() => {});
  }
  return page.$eval('[data-testid="compare-result"]', (root) => {
    const reasons = (ul) => [...(ul?.querySelectorAll('li') ?? [])].map((li) => ({
      kind: li.dataset.kind, field: li.dataset.field, message: li.textContent,
    }));
    const layer = (name) => {
      const s = root.querySelector(`[data-layer="${name}"]`);
      return s && { invalidated: s.dataset.invalidated === 'true', reasons: reasons(s.querySelector('ul')) };
    };
    return {
      base: layer('base'),
      build: layer('build'),
      unaffected: reasons(root.querySelector('[data-testid="unaffected"] ul')),
      error: root.querySelector('.notice.error')?.textContent ?? null,
    };
  });
}

function cliExplain(dir, previous, current, setup) {
  const a = join(dir, 'old.yaml');
  const b = join(dir, 'new.yaml');
  writeFileSync(a, previous);
  writeFileSync(b, current);
  const r = cliJson(['explain', a, b, '--setup', setup, '--verbose']);
  assert.equal(r.status, 0, r.stderr);
  const reasons = (xs) => xs.map((x) => ({ kind: x.kind, field: x.field ?? '', message: x.message }));
  return {
    base: { invalidated: r.json.layers.base.invalidated, reasons: reasons(r.json.layers.base.reasons) },
    build: { invalidated: r.json.layers.build.invalidated, reasons: reasons(r.json.layers.build.reasons) },
    unaffected: reasons(r.json.unaffected ?? []),
    error: null,
  };
}

describe('compare mode', () => {
  let ctx;
  let page;
  let dir;
  before(async () => {
    ctx = await startBrowser();
    page = await openPage(ctx);
    dir = mkdtempSync(join(tmpdir(), 'zerops-web-compare-'));
  });
  after(async () => {
    const errors = page?.errors ?? [];
    if (ctx) await ctx.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(errors, []);
  });

  test('a cache change invalidates both layers, with the reason', async () => {
    const current = once(BASE, '      cache:\n        - node_modules\n', '      cache:\n        - node_modules\n        - .npm\n');
    const shown = await compare(page, BASE, current, 'prod');
    assert.equal(shown.base.invalidated, true);
    assert.equal(shown.build.invalidated, true);
    assert.ok(shown.base.reasons.some((r) => r.field === 'cache' && r.kind === 'added' && r.message.includes('.npm')),
      JSON.stringify(shown.base.reasons));
    assert.deepEqual(shown, cliExplain(dir, BASE, current, 'prod'));
    await page.screenshot({ path: screenshotPath('compare.png'), fullPage: true });
  });

  test('a buildCommands change keeps both layers and is listed as unaffected', async () => {
    const current = once(BASE, '        - npm ci\n', '        - npm install\n');
    const shown = await compare(page, BASE, current, 'prod');
    assert.equal(shown.base.invalidated, false);
    assert.equal(shown.build.invalidated, false);
    assert.ok(shown.unaffected.some((r) => r.field === 'buildCommands'), JSON.stringify(shown.unaffected));
    assert.deepEqual(shown, cliExplain(dir, BASE, current, 'prod'));
  });

  test('prepareCommands and base changes rebuild the base layer and drop the build layer', async () => {
    const current = once(BASE, '      base: nodejs@22\n\n      buildCommands:', '      base: nodejs@24\n      prepareCommands:\n        - apk add --no-cache git\n\n      buildCommands:');
    const shown = await compare(page, BASE, current, 'prod');
    assert.equal(shown.base.invalidated, true);
    assert.equal(shown.build.invalidated, true);
    assert.ok(shown.build.reasons.some((r) => r.kind === 'base-rebuilt'));
    assert.deepEqual(shown, cliExplain(dir, BASE, current, 'prod'));
  });

  test('a previous version that is not YAML is an error, not a crash', async () => {
    const shown = await compare(page, 'zerops: [\n', BASE, 'prod');
    assert.ok(shown.error, 'the error is shown');
  });
});

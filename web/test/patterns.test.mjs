// The pattern tester: cache patterns and a list of paths; which are taken,
// which are not, and why: the cache walk of the patterns interface
// (`select-entries`, one call per directory), never a re-implementation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI, openPage, screenshotPath, setConfig, showTab, startBrowser } from './helpers.mjs';

async function tester(page, patterns, paths) {
  await showTab(page, 'patterns');
  await page.fill('[data-testid="patterns-input"]', patterns.join('\n'));
  await page.fill('[data-testid="paths-input"]', paths.join('\n'));
  // Settled when the table lists exactly these paths (or the feature is missing).
  await page.waitForFunction((want) => {
    const root = document.querySelector('[data-testid="pattern-result"]');
    if (root.querySelector('[data-testid="unavailable"]')) return true;
    const got = [...root.querySelectorAll('tr[data-path]')].map((tr) => tr.dataset.path);
    return got.length === want.length && got.every((p, i) => p === want[i]);
  }, paths, { timeout: 5_000 });
  return page.$eval('[data-testid="pattern-result"]', (root) => ({
    rows: [...root.querySelectorAll('tr[data-path]')].map((tr) => ({
      path: tr.dataset.path, taken: tr.dataset.taken === 'true', why: tr.querySelector('td.why .reason').textContent,
    })),
    problems: [...root.querySelectorAll('[data-testid="pattern-problems"] li')].map((li) => li.textContent),
    summary: root.querySelector('[data-testid="pattern-summary"]')?.textContent ?? null,
    unavailable: !!root.querySelector('[data-testid="unavailable"]'),
  }));
}

describe('pattern tester', () => {
  let ctx;
  let page;
  before(async () => {
    ctx = await startBrowser();
    page = await openPage(ctx);
  });
  after(async () => {
    const errors = page?.errors ?? [];
    if (ctx) await ctx.close();
    assert.deepEqual(errors, []);
  });

  test('which paths the cache takes, which not, and why', async () => {
    const patterns = ['node_modules', './.cache/', 'frontend/*/dist', 'build/out', 'a[', '../outside', '/abs'];
    const paths = [
      'node_modules/',
      'node_modules/react/index.js',
      'src/index.ts',
      '.cache/vite/deps.json',
      'frontend/app/dist/',
      'frontend/app/src/main.ts',
      'frontend/README.md',
      'package.json',
      'build',
    ];
    const r = await tester(page, patterns, paths);
    assert.equal(r.unavailable, false, 'the component has the patterns interface');
    const taken = Object.fromEntries(r.rows.map((x) => [x.path, x.taken]));
    assert.deepEqual(taken, {
      'node_modules/': true,
      'node_modules/react/index.js': true,
      'src/index.ts': false,
      '.cache/vite/deps.json': true,
      'frontend/app/dist/': true,
      'frontend/app/src/main.ts': false,
      'frontend/README.md': false,
      'package.json': false,
      build: false,
    });
    const why = Object.fromEntries(r.rows.map((x) => [x.path, x.why]));
    assert.match(why['node_modules/'], /matches pattern `node_modules`/);
    assert.match(why['node_modules/react/index.js'], /inside `node_modules\/`/);
    assert.match(why['.cache/vite/deps.json'], /`\.cache` \(written `\.\/\.cache\/`\)/);
    assert.match(why['src/index.ts'], /no pattern matches/);
    assert.match(why['frontend/README.md'], /no pattern matches it/);
    assert.match(why.build, /pattern `build\/out` names a path below it, but it is not a directory/);
    assert.equal(r.summary, '4 of 9 paths taken.');
    // The malformed and outside patterns are reported and never applied.
    assert.equal(r.problems.length, 3, r.problems.join('\n'));
    assert.match(r.problems.join('\n'), /`a\[` is malformed/);
    assert.match(r.problems.join('\n'), /`\.\.\/outside` has a `\.\.` component/);
    assert.match(r.problems.join('\n'), /`\/abs` starts with `\/`/);
    await page.screenshot({ path: screenshotPath('patterns.png'), fullPage: true });
  });

  test('a path the page says a pattern matches, `zerops-cache match --zerops` matches too', async () => {
    const patterns = ['node_modules', 'vendor/*', '.cache/[a-c]*'];
    const paths = ['node_modules/', 'vendor/bundle/', 'vendor/', '.cache/babel/', '.cache/vite/', 'x.txt'];
    const r = await tester(page, patterns, paths);
    for (const row of r.rows) {
      const m = /matches pattern `([^`]+)`/.exec(row.why);
      const path = row.path.replace(/\/$/, '');
      const anyMatch = patterns.some((p) => spawnSync(CLI, ['match', '--zerops', p, path]).status === 0);
      assert.equal(Boolean(m), anyMatch, `${row.path}: page says "${row.why}"`);
    }
  });

  test('the patterns of a setup fill the tester', async () => {
    await setConfig(page, 'zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      cache:\n        - ./node_modules/\n        - .next/cache\n');
    await showTab(page, 'patterns');
    await page.selectOption('[data-testid="patterns-setup"]', 'app');
    assert.equal(await page.inputValue('[data-testid="patterns-input"]'), 'node_modules\n.next/cache');
  });
});

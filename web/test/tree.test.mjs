// A project folder chosen in the page: the cache paths are checked against
// its files, as `zerops-cache lint` (with its tree lints) does outside git.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, editorText, openPage, pageDiagnostics, startBrowser } from './helpers.mjs';

const HAS_TREE = (spawnSync(CLI, ['lint', '--help'], { encoding: 'utf8' }).stdout || '').includes('--no-tree');

describe('project folder', { skip: HAS_TREE ? false : 'this CLI has no tree lints' }, () => {
  let ctx;
  let page;
  let dir;
  before(async () => {
    ctx = await startBrowser();
    page = await openPage(ctx);
    dir = mkdtempSync(join(tmpdir(), 'zerops-web-tree-'));
  });
  after(async () => {
    const errors = page?.errors ?? [];
    if (ctx) await ctx.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(errors, []);
  });

  test('cache paths checked against the folder: the same diagnostics as the CLI', async (t) => {
    const project = join(dir, 'app');
    mkdirSync(join(project, 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
    mkdirSync(join(project, 'src'));
    writeFileSync(join(project, 'src', 'index.js'), 'console.log(1);\n');
    writeFileSync(join(project, 'zerops.yaml'), [
      'zerops:',
      '  - setup: app',
      '    build:',
      '      base: nodejs@22',
      '      buildCommands:',
      '        - npm ci',
      '      deployFiles: ./',
      '      cache:',
      '        - node_modules',
      '        - vendor',
      '        - .cache/*',
      '    run:',
      '      base: nodejs@22',
      '      start: node src/index.js',
      '',
    ].join('\n'));
    if (spawnSync('git', ['-C', project, 'rev-parse'], { stdio: 'ignore' }).status === 0) {
      t.skip(`${project} is inside a git work tree`);
      return;
    }
    const r = spawnSync(CLI, ['lint', '--format', 'json', join(project, 'zerops.yaml')], { encoding: 'utf8' });
    const cli = JSON.parse(r.stdout).files[0].diagnostics.map((d) => ({
      code: d.code, severity: d.severity, line: d.line, column: d.column,
      endLine: d.end_line, endColumn: d.end_column, message: d.message, help: d.help ?? null,
    }));
    assert.ok(cli.some((d) => d.code === 'cache-matches-nothing'), `the CLI finds a cache path with no match: ${r.stdout}`);

    const before = await page.getAttribute('[data-testid="diagnostics"]', 'data-generation');
    await page.setInputFiles('[data-testid="open-folder"]', project);
    await page.waitForFunction(
      (b) => document.querySelector('[data-testid="diagnostics"]').dataset.generation !== b, before);
    assert.match(await editorText(page), /setup: app/, "the folder's zerops.yaml is opened");
    assert.deepEqual(await pageDiagnostics(page), cli);
    console.log(`# project folder: ${cli.map((d) => `${d.code}@${d.line}`).join(', ')} (page == CLI)`);
    assert.match(await page.textContent('[data-testid="tree-status"]'), /Project folder app/);
  });
});

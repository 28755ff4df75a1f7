// The Node example reports what the CLI reports, byte for byte in JSON, on
// every corpus file, and keeps the CLI's exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(here, '..', '..');
const CLI = process.env.ZEROPS_CACHE_BIN || join(repo, 'target', 'debug', 'zerops-cache');
const CORPUS = process.env.ZEROPS_CORPUS || resolve(repo, 'tests', 'corpus', 'zerops-yml');

const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', cwd: here });
const example = (...args) => run(process.execPath, ['lint.mjs', ...args]);
// The example lints the file alone: compare with the CLI's `--no-tree` when it has it.
const NO_TREE = (run(CLI, ['lint', '--help']).stdout || '').includes('--no-tree') ? ['--no-tree'] : [];
const cliLint = (path) => run(CLI, ['lint', ...NO_TREE, '--format', 'json', path]);
/** What both must agree on: every diagnostic and the counts. */
const essence = (doc) => ({
  diagnostics: doc.files[0].diagnostics,
  errors: doc.errors,
  warnings: doc.warnings,
});

test('the transpiled component is built', () => {
  assert.ok(existsSync(join(here, 'gen', 'policy', 'policy.js')), 'run `npm run build` first');
});

test('same diagnostics, counts and exit code as `zerops-cache lint --format json` on every corpus file', () => {
  const files = readdirSync(CORPUS).filter((f) => /\.ya?ml$/.test(f)).sort();
  assert.ok(files.length > 0, `no corpus at ${CORPUS}`);
  let diagnostics = 0;
  for (const f of files) {
    const path = join(CORPUS, f);
    const cli = cliLint(path);
    const node = example('--format', 'json', path);
    assert.equal(node.stderr, '', f);
    assert.deepEqual(essence(JSON.parse(node.stdout)), essence(JSON.parse(cli.stdout)), f);
    assert.equal(node.status, cli.status, `${f}: exit code`);
    diagnostics += JSON.parse(cli.stdout).files[0].diagnostics.length;
  }
  console.log(`# node example: ${files.length} corpus files, ${diagnostics} diagnostics, same as the CLI`);
});

test('human output, exit codes 0, 1 and 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerops-node-example-'));
  try {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'zerops:\n  - setup: app\n    run:\n      base: nodejs@22\n');
    const ok = example(good);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /0 error\(s\)/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'services:\n  - hostname: app\n');
    const r = example(bad);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: error\\[root-missing-zerops\\]`, 'm'));

    const latin1 = join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from([0x7a, 0x3a, 0x20, 0xe9, 0x0a]));
    const u = example('--format', 'json', latin1);
    const cli = cliLint(latin1);
    assert.deepEqual(essence(JSON.parse(u.stdout)), essence(JSON.parse(cli.stdout)));
    assert.ok(JSON.parse(u.stdout).files[0].diagnostics.some((d) => d.code === 'invalid-utf8'));

    assert.equal(example(join(dir, 'missing.yaml')).status, 2);
    assert.equal(example().status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

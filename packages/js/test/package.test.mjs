// The npm tarball as a user gets it: `npm install ./zerops-cache-policy-X.tgz`
// into an empty project (offline: the package has no dependencies), imported
// by its name, must answer as the CLI does on the whole corpus, and its
// types must check with tsc (and reject a wrong program).
//
//   ZEROPS_PACKAGE_TGZ=dist/zerops-cache-policy-0.4.0.tgz \
//   ZEROPS_CACHE_BIN=target/debug/zerops-cache node --test packages/js/test/
// (scripts/test-packages.sh runs it after scripts/package.sh.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const repo = resolve(pkgDir, '..', '..');
const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
const tgz = resolve(process.env.ZEROPS_PACKAGE_TGZ || join(repo, 'dist', `zerops-cache-policy-${version}.tgz`));
const cli = resolve(process.env.ZEROPS_CACHE_BIN || join(repo, 'target', 'debug', 'zerops-cache'));
const corpusDir = join(repo, 'tests', 'corpus', 'zerops-yml');
const corpus = readdirSync(corpusDir)
  .filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'))
  .sort()
  .map((n) => join(corpusDir, n));

let project;

// A driver inside the project: imports the package by its name (the
// package's "exports" as Node resolves them), answers a list of requests.
const DRIVER = `
import { readFileSync } from 'node:fs';
import * as zc from 'zerops-cache-policy';
const requests = JSON.parse(readFileSync(0, 'utf8'));
const answers = requests.map(([fn, ...args]) => {
  try {
    if (fn === 'lint') return { ok: zc.lint(readFileSync(args[0]), { path: args[0] }) };
    if (fn === 'keys') return { ok: zc.keys(readFileSync(args[0], 'utf8'), null, { path: args[0] }) };
    if (fn === 'explain') {
      return { ok: zc.explain(readFileSync(args[0], 'utf8'), readFileSync(args[1], 'utf8'), args[2], { verbose: true }) };
    }
    if (fn === 'matches') return { ok: zc.matches(args[0], args[1], args[2]) };
    if (fn === 'version') return { ok: [zc.version(), zc.witPackage()] };
    if (fn === 'imagesTable') return { ok: zc.imagesTable() };
    throw new Error('unknown request ' + fn);
  } catch (e) {
    if (e instanceof zc.PolicyError) return { policyError: e.diagnostic, file: e.file ?? null };
    if (e instanceof zc.PatternError) return { patternError: { kind: e.kind, column: e.column } };
    return { crash: String(e && e.stack || e) };
  }
});
process.stdout.write(JSON.stringify(answers));
`;

function ask(requests) {
  const out = execFileSync(process.execPath, [join(project, 'driver.mjs')], {
    input: JSON.stringify(requests),
    maxBuffer: 256 * 1024 * 1024,
  });
  const answers = JSON.parse(out.toString('utf8'));
  for (const a of answers) assert.equal(a.crash, undefined, a.crash);
  return answers;
}

function runCli(...args) {
  const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => {
  project = mkdtempSync(join(tmpdir(), 'zerops-cache-npm-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Offline: everything the package needs is in the tarball.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tgz], {
    cwd: project,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(join(project, 'driver.mjs'), DRIVER);
});

after(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

test('the installed package reports the CLI version and WIT package', () => {
  const [{ ok: [v, wit] }] = ask([['version']]);
  const cliVersion = runCli('--version').out.trim();
  assert.equal(v, version);
  assert.equal(cliVersion, `zerops-cache ${v} (${wit})`);
  assert.equal(wit, `zerops:build-cache@${version}`);
});

test('lint gives the document of `zerops-cache lint --no-tree --format json` on every corpus file', () => {
  assert.ok(corpus.length >= 60, `only ${corpus.length} corpus files`);
  const answers = ask(corpus.map((f) => ['lint', f]));
  let diagnostics = 0;
  corpus.forEach((f, i) => {
    const r = runCli('lint', '--no-tree', '--format', 'json', f);
    assert.ok(r.code === 0 || r.code === 1, `${f}: exit ${r.code} ${r.err}`);
    assert.deepEqual(answers[i].ok, JSON.parse(r.out), f);
    diagnostics += answers[i].ok.files[0].diagnostics.length;
  });
  assert.ok(diagnostics > 0, 'the corpus gave no diagnostic at all');
});

test('keys gives the document of `zerops-cache keys --format json`, or its error', () => {
  const answers = ask(corpus.map((f) => ['keys', f]));
  let computed = 0;
  corpus.forEach((f, i) => {
    const r = runCli('keys', '--format', 'json', f);
    if (answers[i].ok) {
      assert.ok(r.code === 0 || r.code === 3, `${f}: exit ${r.code}`);
      assert.deepEqual(answers[i].ok, JSON.parse(r.out), f);
      computed += answers[i].ok.setups.filter((s) => s.keys).length;
    } else {
      assert.equal(r.code, 3, `${f}: the package failed (${JSON.stringify(answers[i])}) but the CLI did not`);
      assert.equal(r.out, '');
      assert.ok(r.err.includes(answers[i].policyError.code), `${f}: the CLI's error does not name ${answers[i].policyError.code}: ${r.err}`);
    }
  });
  assert.ok(computed >= 60, `keys for only ${computed} setups`);
});

test('explain gives the document of `zerops-cache explain OLD NEW -v --format json`, or its error', () => {
  // Each corpus file against the next, for the first setup of the new one.
  const pairs = [];
  for (let i = 0; i + 1 < corpus.length; i += 1) {
    const keys = runCli('keys', '--format', 'json', corpus[i + 1]);
    const setup = keys.code === 0 ? JSON.parse(keys.out).setups[0]?.setup : undefined;
    pairs.push([corpus[i], corpus[i + 1], setup]);
  }
  pairs.push([corpus[0], corpus[0], undefined]);
  const answers = ask(pairs.map(([a, b, s]) => ['explain', a, b, s ?? null]));
  let agreed = 0;
  pairs.forEach(([a, b, s], i) => {
    const args = ['explain', a, b, '-v', '--format', 'json', ...(s ? ['--setup', s] : [])];
    const r = runCli(...args);
    if (answers[i].ok) {
      assert.equal(r.code, 0, `${a} → ${b}: ${r.err}`);
      assert.deepEqual(answers[i].ok, JSON.parse(r.out), `${a} → ${b}`);
      agreed += 1;
    } else {
      assert.notEqual(r.code, 0, `${a} → ${b}: the package failed but the CLI did not`);
      assert.ok(r.err.includes(answers[i].policyError.code), `${a} → ${b}: the CLI's error does not name ${answers[i].policyError.code}: ${r.err}`);
      assert.ok(['old', 'new'].includes(answers[i].file), JSON.stringify(answers[i]));
    }
  });
  assert.ok(agreed >= 40, `only ${agreed} explanations compared`);
});

test('imagesTable gives the document of `zerops-cache images table --format json`', () => {
  const [{ ok: ours }] = ask([['imagesTable']]);
  const r = runCli('images', 'table', '--format', 'json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(ours, JSON.parse(r.out));
  assert.ok(ours.some((row) => row.os === 'alpine' && row.base === 'nodejs@22'), 'a row for nodejs@22');
});

test('matches answers as `zerops-cache match` (0 matched, 1 not, 2 bad pattern)', () => {
  const paths = ['node_modules', 'node_modules/x', 'a/b', 'a/b/c', 'x.txt', 'sub/a.txt', '[x]', 'é', 'a\\b', '.hidden'];
  const patterns = ['node_modules', 'node_modules/*', '*', '*/*', 'a/?', '*.txt', 'sub/*.txt', '[a-z]*', '[^a]*',
    '\\[x\\]', '?', '.*', 'a\\\\b', '[', 'a[', '[]a]', 'a\\', '[a-]', '[-a]', 'x[^]'];
  const requests = [];
  for (const p of patterns) for (const path of paths) requests.push(['matches', p, path]);
  for (const path of paths) requests.push(['matches', './node_modules/', path, { zerops: true }]);
  const answers = ask(requests);
  let k = 0;
  for (const p of [...patterns, './node_modules/']) {
    const zerops = p === './node_modules/';
    const r = runCli('match', ...(zerops ? ['--zerops'] : []), '--', p, ...paths);
    const printed = new Set(r.out.split('\n').filter(Boolean));
    for (const path of paths) {
      const a = answers[k++];
      if (r.code === 2) {
        assert.ok(a.patternError, `${p} is malformed for the CLI, but the package said ${JSON.stringify(a)}`);
      } else {
        assert.equal(a.ok, printed.has(path), `${p} vs ${path}`);
      }
    }
  }
});

test('the types check with tsc, and a wrongly typed program is rejected', () => {
  const tsc = join(pkgDir, 'node_modules', '.bin', 'tsc');
  const options = { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: [] };
  const check = (name, files, extra = {}) => {
    writeFileSync(join(project, name), JSON.stringify({ compilerOptions: { ...options, ...extra }, files }));
    return spawnSync(tsc, ['-p', join(project, name)], { cwd: project, encoding: 'utf8' });
  };
  // The small API, with the default library of the target.
  writeFileSync(join(project, 'typed.ts'), `
import { lint, explain, keys, matches, version, witPackage, imagesTable, PolicyError, PatternError,
  type LintReport, type Diagnostic, type ExplainReport, type KeysReport, type ImageRow } from 'zerops-cache-policy';

const report: LintReport = lint('zerops:\\n  - setup: app\\n', { path: 'zerops.yaml', denyWarnings: true });
const first: Diagnostic | undefined = report.files[0]?.diagnostics[0];
const line: number | null = first ? first.line : null;
const e: ExplainReport = explain('', 'zerops: []', undefined, { verbose: true });
const invalidated: boolean = e.layers.base.invalidated;
const k: KeysReport = keys('zerops: []');
const base: string | undefined = k.setups[0]?.keys?.base;
const m: boolean = matches('*.txt', 'a.txt', { zerops: true });
const v: string = version() + witPackage();
const rows: ImageRow[] = imagesTable();
const image: string | undefined = rows[0]?.image;
try { keys('{'); } catch (err) { if (err instanceof PolicyError) { const c: string = err.diagnostic.code; void c; } }
try { matches('[', 'a'); } catch (err) { if (err instanceof PatternError) { const col: number = err.column; void col; } }
void [line, invalidated, base, m, v, image];
`);
  let r = check('tsconfig.json', ['typed.ts']);
  assert.equal(r.status, 0, r.stdout + r.stderr);

  // The whole component (its resources are Disposable: esnext.disposable).
  writeFileSync(join(project, 'component.ts'), `
import { linter, patterns, about } from 'zerops-cache-policy/component';
const raw: linter.Diagnostic[] = linter.lint('zerops: []');
const code: string | undefined = raw[0]?.code;
const ok: boolean = patterns.isMatch('*.txt', 'a.txt');
const wit: string = about.witPackage();
void [code, ok, wit];
`);
  r = check('tsconfig.component.json', ['component.ts'], { lib: ['es2022', 'esnext.disposable'] });
  assert.equal(r.status, 0, r.stdout + r.stderr);

  writeFileSync(join(project, 'wrong.ts'), `
import { lint } from 'zerops-cache-policy';
const path: number = lint('zerops: []').files[0]!.path;
void path;
`);
  r = check('tsconfig.wrong.json', ['wrong.ts']);
  assert.notEqual(r.status, 0, 'tsc accepted a string assigned to a number: the types are too loose');
  assert.match(r.stdout + r.stderr, /TS2322/);
});

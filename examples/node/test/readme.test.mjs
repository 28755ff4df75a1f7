// The README's jco section runs as written: its shell block (all but the
// `npm install` line, whose package is linked from this example's
// node_modules) and its `lint.js`, in an empty directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(here, '..', '..');
const CLI = process.env.ZEROPS_CACHE_BIN || join(repo, 'target', 'debug', 'zerops-cache');

const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const section = readme.split('### JavaScript, with jco')[1].split('\n### ')[0];
const block = (lang) => {
  const m = section.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'));
  assert.ok(m, `a ${lang} block in the README's jco section`);
  return m[1];
};

test('the README jco snippet runs as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zerops-readme-'));
  try {
    symlinkSync(join(here, 'node_modules'), join(dir, 'node_modules'));
    const env = {
      ...process.env,
      PATH: [dirname(CLI), join(dir, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
      npm_config_update_notifier: 'false',
    };
    const lines = block('sh').split('\n').filter((l) => l.trim() && !l.startsWith('npm install'));
    assert.ok(lines.some((l) => l.includes('type=module')), 'the README says what package.json needs');
    for (const line of lines) {
      execSync(line, { cwd: dir, env, stdio: 'pipe' });
    }
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    assert.equal(pkg.type, 'module');
    writeFileSync(join(dir, 'lint.js'), block('js'));
    writeFileSync(join(dir, 'zerops.yaml'), 'zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cahce: [x]\n');
    const r = spawnSync(process.execPath, ['lint.js', 'zerops.yaml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.split('\n');
    assert.equal(out[0], 'zerops:build-cache@0.4.0');
    assert.ok(out.includes('5:7 error[unknown-key] unknown key `cahce` in `build`; the platform rejects the file'), r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

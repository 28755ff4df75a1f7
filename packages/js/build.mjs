// Writes gen/: the policy component transpiled by jco (ES modules, the core
// wasm, and TypeScript declarations generated from the WIT). The component
// comes from $ZEROPS_COMPONENT, or from `zerops-cache component export` of
// $ZEROPS_CACHE_BIN (default: ../../target/debug/zerops-cache).
//
//   npm ci && node build.mjs && npm pack     (scripts/package.sh does this)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const gen = join(here, 'gen');
const jco = join(here, 'node_modules', '.bin', 'jco');
if (!existsSync(jco)) {
  console.error(`${jco} is missing: run \`npm ci\` in packages/js first`);
  process.exit(2);
}

let wasm = process.env.ZEROPS_COMPONENT && resolve(process.env.ZEROPS_COMPONENT);
let tmp;
if (!wasm) {
  const bin = process.env.ZEROPS_CACHE_BIN || resolve(here, '..', '..', 'target', 'debug', 'zerops-cache');
  if (!existsSync(bin)) {
    console.error(`${bin} is missing: run \`cargo build\` at the repo root, or set ZEROPS_COMPONENT`);
    process.exit(2);
  }
  tmp = mkdtempSync(join(tmpdir(), 'zerops-cache-policy-'));
  wasm = join(tmp, 'policy.wasm');
  execFileSync(bin, ['component', 'export', wasm], { stdio: 'inherit' });
}
try {
  rmSync(gen, { recursive: true, force: true });
  execFileSync(jco, ['transpile', wasm, '-o', gen, '--name', 'policy', '--quiet'], { stdio: 'inherit' });
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
console.error(`wrote ${gen}`);

// Transpiles the policy component for Node into gen/policy/ with jco.
// The component comes from $ZEROPS_COMPONENT, or from
// `zerops-cache component export` of $ZEROPS_CACHE_BIN
// (default: ../../target/debug/zerops-cache, the repo's debug build).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const gen = join(here, 'gen');

let wasm = process.env.ZEROPS_COMPONENT && resolve(process.env.ZEROPS_COMPONENT);
if (!wasm) {
  const bin = process.env.ZEROPS_CACHE_BIN || resolve(here, '..', '..', 'target', 'debug', 'zerops-cache');
  if (!existsSync(bin)) {
    console.error(`${bin} is missing: run \`cargo build -p zerops-cache\` at the repo root, or set ZEROPS_COMPONENT`);
    process.exit(2);
  }
  mkdirSync(gen, { recursive: true });
  wasm = join(gen, 'policy.wasm');
  execFileSync(bin, ['component', 'export', wasm], { stdio: 'inherit' });
}
rmSync(join(gen, 'policy'), { recursive: true, force: true });
execFileSync(join(here, 'node_modules', '.bin', 'jco'),
  ['transpile', wasm, '-o', join(gen, 'policy'), '--name', 'policy', '--quiet'],
  { stdio: 'inherit' });
console.error(`wrote ${join(gen, 'policy')}`);

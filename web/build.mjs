// Builds web/dist/: the policy component transpiled by jco, plus the static page.
//
// The component comes from, in order:
//   1. $ZEROPS_COMPONENT (a .wasm component file), or
//   2. `zerops-cache component export` of the binary at $ZEROPS_CACHE_BIN
//      (default <repo>/target/debug/zerops-cache, built with
//      `cargo build -p zerops-cache` when missing).
// The page (src/app.js and the CodeMirror packages it imports) is bundled by
// rolldown into dist/app.js; every file of dist/ gets a .br and a .gz next to
// it, which serve.mjs sends to clients that accept them.
// The output is self-contained: serve web/dist/ with any static server.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const gen = join(here, 'gen');
const dist = join(here, 'dist');

function log(msg) {
  process.stderr.write(`web build: ${msg}\n`);
}

export function cliBinary() {
  return process.env.ZEROPS_CACHE_BIN || join(repo, 'target', 'debug', 'zerops-cache');
}

function obtainComponent() {
  if (process.env.ZEROPS_COMPONENT) {
    const p = resolve(process.env.ZEROPS_COMPONENT);
    log(`component from ZEROPS_COMPONENT=${p}`);
    return p;
  }
  const bin = cliBinary();
  if (!process.env.ZEROPS_CACHE_BIN) {
    // Cheap when up to date; rebuilds the embedded component when the guest changed.
    log('cargo build -p zerops-cache (debug)');
    execFileSync('cargo', ['build', '-p', 'zerops-cache'], { cwd: repo, stdio: 'inherit' });
  } else if (!existsSync(bin)) {
    throw new Error(`ZEROPS_CACHE_BIN=${bin} does not exist`);
  }
  mkdirSync(gen, { recursive: true });
  const out = join(gen, 'policy.wasm');
  execFileSync(bin, ['component', 'export', out], { stdio: 'inherit' });
  return out;
}

function transpile(wasm) {
  const jco = join(here, 'node_modules', '.bin', 'jco');
  if (!existsSync(jco)) throw new Error('jco is missing: run `npm ci` in web/ first');
  const out = join(dist, 'policy');
  // Default instantiation: ES module with top-level await that fetches
  // policy.core.wasm next to itself (browsers) or reads it (Node).
  execFileSync(jco, ['transpile', wasm, '-o', out, '--name', 'policy', '--no-typescript', '--quiet'], {
    stdio: 'inherit',
  });
  return out;
}

// The .js files of src/ are modules bundled into app.js, except these
// classic scripts; everything else in src/ is copied as is.
const CLASSIC = new Set(['file-notice.js', 'sw.js']);
// The bundles: the page and its lint worker (answer.js is shared between them).
const ENTRIES = { app: 'app.js', 'lint-worker': 'lint-worker.js' };

function copyStatic() {
  const src = join(here, 'src');
  for (const name of readdirSync(src)) {
    const p = join(src, name);
    if (statSync(p).isFile() && (!name.endsWith('.js') || CLASSIC.has(name))) copyFileSync(p, join(dist, name));
  }
  // The code pages (generated from the code table, committed): served offline as codes/<code>.html.
  mkdirSync(join(dist, 'codes'), { recursive: true });
  for (const name of readdirSync(join(src, 'codes'))) copyFileSync(join(src, 'codes', name), join(dist, 'codes', name));
}

async function bundle() {
  await build({
    input: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(here, 'src', v)])),
    // The component's module is loaded at run time, next to the page.
    external: [/\/policy\/policy\.js$/],
    logLevel: 'warn',
    output: {
      dir: dist, entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js',
      format: 'esm', minify: true, sourcemap: false,
    },
  });
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]);
}

/**
 * Fills in sw.js: the list of every file of dist/ (relative URLs) and a
 * version hashed from their contents, so each build is a new worker.
 */
function writeServiceWorker() {
  const sw = join(dist, 'sw.js');
  const files = filesUnder(dist).filter((f) => f !== sw).sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(f.slice(dist.length)).update(readFileSync(f));
  const urls = files.map((f) => f.slice(dist.length + 1).split(/[\\/]/).join('/'));
  const text = readFileSync(sw, 'utf8')
    .replace("'__VERSION__'", JSON.stringify(hash.digest('hex').slice(0, 16)))
    .replace('__FILES__', JSON.stringify(urls));
  writeFileSync(sw, text);
}

/** Writes FILE.br and FILE.gz next to every file; returns the byte totals. */
function precompress() {
  const sizes = { raw: 0, br: 0, gz: 0 };
  for (const f of filesUnder(dist)) {
    const body = readFileSync(f);
    const br = brotliCompressSync(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
    const gz = gzipSync(body, { level: 9 });
    writeFileSync(`${f}.br`, br);
    writeFileSync(`${f}.gz`, gz);
    sizes.raw += body.length;
    sizes.br += br.length;
    sizes.gz += gz.length;
  }
  return sizes;
}

const t0 = performance.now();
const wasm = obtainComponent();
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
transpile(wasm);
copyStatic();
await bundle();
const bytes = readFileSync(wasm);
const info = {
  component: {
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  },
  jco: JSON.parse(readFileSync(join(here, 'node_modules', '@bytecodealliance', 'jco', 'package.json'), 'utf8')).version,
};
writeFileSync(join(dist, 'build-info.json'), JSON.stringify(info, null, 2) + '\n');
writeServiceWorker();
const sizes = precompress();
const kb = (n) => `${Math.round(n / 1024)} KB`;
log(`wrote ${dist} in ${Math.round(performance.now() - t0)} ms (component ${info.component.bytes} bytes, jco ${info.jco}; `
  + `assets ${kb(sizes.raw)}, ${kb(sizes.br)} as .br, ${kb(sizes.gz)} as .gz)`);

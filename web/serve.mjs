// A tiny static server for web/dist/ (or any directory), bound to 127.0.0.1.
// Usage: node serve.mjs [--port N] [--root DIR]    (port 0 = any free port)
// Also imported by the tests: `const s = await serve({ root }); s.url; await s.close();`
// A file with a precompressed FILE.br or FILE.gz next to it (web/build.mjs
// writes both) is sent as that, with Content-Encoding, to a client whose
// Accept-Encoding takes it (br before gzip).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.yaml': 'text/yaml; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

const ENCODINGS = [
  { name: 'br', ext: 'br' },
  { name: 'gzip', ext: 'gz' },
];

/** The codings an Accept-Encoding header takes (q=0 refuses one). */
export function accepted(header) {
  const out = new Set();
  for (const part of String(header || '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) out.add(name);
  }
  return out;
}

/** The precompressed file to send for `file`, if the client takes one and it exists. */
async function precompressed(file, header) {
  const ok = accepted(header);
  for (const e of ENCODINGS) {
    if (!ok.has(e.name) && !ok.has('*')) continue;
    const st = await stat(`${file}.${e.ext}`).catch(() => null);
    if (st && st.isFile()) return e;
  }
  return null;
}

export async function serve({ root = join(here, 'dist'), port = 0, host = '127.0.0.1' } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end('forbidden\n');
        return;
      }
      const st = await stat(file).catch(() => null);
      if (!st || !st.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const encoding = await precompressed(file, req.headers['accept-encoding']);
      const body = await readFile(encoding ? `${file}.${encoding.ext}` : file);
      const headers = {
        'content-type': TYPES[extname(file)] || 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        vary: 'accept-encoding',
      };
      if (encoding) headers['content-encoding'] = encoding.name;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e}\n`);
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const { port: actual } = server.address();
  return {
    url: `http://${host}:${actual}/`,
    port: actual,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const s = await serve({ root: opt('--root', join(here, 'dist')), port: Number(opt('--port', 8000)) });
  console.log(`serving ${resolve(opt('--root', join(here, 'dist')))} at ${s.url} (Ctrl-C to stop)`);
}

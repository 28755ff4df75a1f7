// The built assets are precompressed, and serve.mjs sends the .br or .gz
// with Content-Encoding to clients that accept it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join, relative } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { serve } from '../serve.mjs';
import { DIST, requireDist } from './helpers.mjs';

function request(url, headers) {
  return new Promise((ok, fail) => {
    get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', fail);
  });
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]);
}

describe('precompressed assets', () => {
  let server;
  before(async () => {
    requireDist();
    server = await serve({ root: DIST, port: 0 });
  });
  after(async () => server && (await server.close()));

  test('every file of dist has a .br and a .gz that decompress to it', () => {
    const plain = files(DIST).filter((f) => !/\.(br|gz)$/.test(f));
    assert.ok(plain.length >= 5, JSON.stringify(plain));
    let raw = 0;
    let br = 0;
    for (const f of plain) {
      assert.ok(existsSync(`${f}.br`) && existsSync(`${f}.gz`), `${relative(DIST, f)} has .br and .gz`);
      const body = readFileSync(f);
      assert.ok(brotliDecompressSync(readFileSync(`${f}.br`)).equals(body), `${f}.br`);
      assert.ok(gunzipSync(readFileSync(`${f}.gz`)).equals(body), `${f}.gz`);
      raw += body.length;
      br += readFileSync(`${f}.br`).length;
    }
    console.log(`# assets: ${Math.round(raw / 1024)} KB, ${Math.round(br / 1024)} KB as brotli`);
    assert.ok(br < raw / 2);
  });

  test('Content-Encoding follows Accept-Encoding', async () => {
    for (const path of ['app.js', 'policy/policy.core.wasm', 'index.html']) {
      const body = readFileSync(join(DIST, path));
      const url = server.url + path;
      const b = await request(url, { 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(b.headers['content-encoding'], 'br', path);
      assert.equal(b.headers.vary, 'accept-encoding');
      assert.ok(brotliDecompressSync(b.body).equals(body));
      const g = await request(url, { 'accept-encoding': 'gzip, br;q=0' });
      assert.equal(g.headers['content-encoding'], 'gzip', path);
      assert.ok(gunzipSync(g.body).equals(body));
      const n = await request(url, {});
      assert.equal(n.headers['content-encoding'], undefined, path);
      assert.ok(n.body.equals(body));
      assert.equal(b.headers['content-type'], n.headers['content-type']);
    }
  });
});

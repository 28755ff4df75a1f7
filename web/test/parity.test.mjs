// The page and the CLI report the same diagnostics for every corpus file:
// same code, severity, start and end position and message.
//
// Each file goes in twice: opened as a file (its bytes, exactly what the CLI
// reads) and pasted into the editor (text as a browser holds it; a textarea
// turns CRLF into LF, so pasted files are compared after the same change).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { cliJson, cliLint, corpusFiles, openPage, pageDiagnostics, pageSetups, setConfig, startBrowser } from './helpers.mjs';

const files = corpusFiles();

describe(`page and CLI agree on every corpus file (${files.length} files)`, () => {
  let ctx;
  let page;
  let tmp;
  const seen = { files: 0, diagnostics: 0, setups: 0 };
  before(async () => {
    ctx = await startBrowser();
    page = await openPage(ctx);
    tmp = mkdtempSync(join(tmpdir(), 'zerops-web-parity-'));
  });
  after(async () => {
    console.log(`# parity: ${seen.files} files, ${seen.diagnostics} CLI diagnostics, ${seen.setups} setups' layer keys compared`);
    const errors = page?.errors ?? [];
    if (ctx) await ctx.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(errors, [], 'no errors in the page console');
  });

  for (const file of files) {
    test(basename(file), async () => {
      const expected = cliLint(file);
      seen.files++;
      seen.diagnostics += expected.length;

      // Opened as a file.
      const before = await page.getAttribute('[data-testid="diagnostics"]', 'data-generation');
      await page.setInputFiles('[data-testid="open-file"]', file);
      await page.waitForFunction(
        (b) => document.querySelector('[data-testid="diagnostics"]').dataset.generation !== b,
        before,
      );
      assert.deepEqual(await pageDiagnostics(page), expected, 'opened file');

      // Setups: the same layer keys as `zerops-cache keys --format json`.
      const keys = cliJson(['keys', file]);
      const shown = await pageSetups(page);
      if (keys.json) {
        const want = keys.json.setups.map((s) => ({
          setup: s.setup,
          buildFrom: s.build_from ?? '',
          base: s.keys?.base ?? null,
          build: s.keys?.build ?? null,
          cache: s.inputs ? (Array.isArray(s.inputs.cache) ? 'patterns' : String(s.inputs.cache)) : null,
          error: s.error ? 'error' : null,
        }));
        const got = shown.map((s) => ({ ...s, buildFrom: s.error ? '' : s.buildFrom, error: s.error ? 'error' : null }));
        assert.deepEqual(got, want, 'setups and layer keys');
        seen.setups += want.length;
      } else if (keys.stderr.includes('refused before running anything')) {
        // `keys` refuses a file the platform rejects (issue 32); the page, a
        // linter, still shows what it can of the setups next to the errors.
        assert.ok(expected.some((d) => d.severity === 'error'), 'refused without an error of lint');
      } else {
        // The CLI refused the file (not YAML, no setups list): the page shows the error, no setups.
        assert.equal(shown.length, 0, 'no setups when the CLI has none');
        assert.ok(await page.$('[data-testid="setups"] .notice.error'), 'the setups panel shows the error');
      }

      // Pasted as text (CRLF becomes LF in a textarea: compare with the CLI on that text).
      const text = readFileSync(file, 'utf8');
      let pastedExpected = expected;
      if (text.includes('\r')) {
        const lf = join(tmp, basename(file));
        writeFileSync(lf, text.replace(/\r\n?/g, '\n'));
        pastedExpected = cliLint(lf);
      }
      await setConfig(page, text);
      assert.deepEqual(await pageDiagnostics(page), pastedExpected, 'pasted text');
    });
  }
});

// How long the page takes to its first diagnostics, warm, in headless Chromium.
//
//   node bench/first-diagnostics.mjs [RUNS] [FILE]     (after `npm run build`)
//
// Each run opens the page with FILE (default: a corpus file with an error) in
// the URL fragment, so the first lint after load is of that file. Reported,
// as medians of the warm runs (the first run is cold and left out):
//   firstLintMs       performance.now() around the page's first lint after the
//                     component loaded: lint, quick fixes, squiggles, the list,
//                     the setups (window.zeropsCache.firstLint);
//   lintNowMs         of that, the lint itself with its fixes, squiggles and list;
//   navigationToDiagnosticsMs  navigation start → those diagnostics on screen,
//                     module and WebAssembly load included (firstDiagnosticsAt);
//   componentLoadMs   the import of the transpiled component (load).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, startBrowser } from '../test/helpers.mjs';

const runs = Number(process.argv[2] || 11);
const file = process.argv[3] || join(CORPUS, 'EinLinuus__sveltekit-blog__zerops.yml.yaml');
const text = readFileSync(file, 'utf8');
const hash = `#yaml=${Buffer.from(text, 'utf8').toString('base64url')}`;

const ctx = await startBrowser();
const rows = [];
try {
  for (let i = 0; i < runs; i++) {
    const page = await ctx.context.newPage();
    await page.goto(ctx.server.url + hash);
    await page.waitForFunction(() => window.zeropsCache && window.zeropsCache.firstDiagnosticsAt !== undefined);
    const t = await page.evaluate(() => window.zeropsCache);
    const shown = await page.locator('[data-testid="diagnostics"] > li').count();
    rows.push({ firstLintMs: t.firstLint, lintNowMs: t.lastLint, navigationToDiagnosticsMs: t.firstDiagnosticsAt, componentLoadMs: t.load, diagnostics: shown });
    await page.close();
  }
} finally {
  await ctx.close();
}
const warm = rows.slice(1);
const median = (k) => {
  const xs = warm.map((r) => r[k]).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
};
const out = {
  file,
  lines: text.split('\n').length,
  warmRuns: warm.length,
  cold: rows[0],
  warmMedian: {
    firstLintMs: median('firstLintMs'),
    lintNowMs: median('lintNowMs'),
    navigationToDiagnosticsMs: median('navigationToDiagnosticsMs'),
    componentLoadMs: median('componentLoadMs'),
  },
  warmMax: { firstLintMs: Math.max(...warm.map((r) => r.firstLintMs)) },
  budgetMs: 100,
};
out.withinBudget = out.warmMedian.firstLintMs <= out.budgetMs;
console.log(JSON.stringify(out, null, 2));

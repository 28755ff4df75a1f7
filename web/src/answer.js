// One lint of the page: the findings, the quick fixes and the setups' layer
// keys of a text, from the policy component. Run by lint-worker.js (off the
// main thread) and, when a worker cannot start, by app.js itself.
// Request: { id, text, bytes?, tree? } where `tree` is the project folder's
// paths (or null). Answer: { id, diags, fixes, keys } with keys = { entries }
// | { error } | { empty: true } | { unavailable: true }.

/** jco throws a ComponentError whose payload is the WIT error value. */
export function errorText(e) {
  const p = e && e.payload;
  if (p && typeof p.message === 'string') {
    return p.start ? `${p.message} (line ${p.start.line}, column ${p.start.column})` : p.message;
  }
  return String(e && e.message ? e.message : e);
}

function treeFacts(paths, depth) {
  return { entries: paths.filter((p) => p.split('/').length <= depth), depth, tracked: undefined };
}

export function answer(policy, { id, text, bytes, tree }) {
  const linter = policy.linter;
  let diags;
  if (tree && typeof linter?.lintWithTree === 'function') {
    const b = bytes ?? new TextEncoder().encode(text);
    diags = linter.lintWithTree(b, undefined, treeFacts(tree, linter.treeDepth(b)));
  } else if (bytes && typeof linter?.lintBytes === 'function') {
    diags = linter.lintBytes(bytes);
  } else {
    diags = linter.lint(text);
  }
  const fixes = typeof policy.assist?.fixes === 'function' ? policy.assist.fixes(text) : [];
  let keys;
  if (typeof policy.layers?.keys !== 'function') keys = { unavailable: true };
  else if (!text.trim()) keys = { empty: true };
  else {
    try {
      keys = { entries: policy.layers.keys(text, undefined) };
    } catch (e) {
      keys = { error: errorText(e) };
    }
  }
  return { id, diags, fixes, keys };
}

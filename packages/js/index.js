// zerops-cache-policy: the zerops-cache policy component (WebAssembly,
// transpiled by jco into ./gen) behind a small API whose results have the
// JSON shapes of the CLI's `--format json`:
//
//   lint(text, options)        = zerops-cache lint --no-tree --format json
//   explain(old, new, setup)   = zerops-cache explain OLD NEW --format json
//   keys(text, setup)          = zerops-cache keys --format json
//   matches(pattern, path)     = zerops-cache match PATTERN PATH (exit 0/1/2)
//   imagesTable()              = zerops-cache images table --format json
//
// The component imports nothing: instantiating it needs no shims. The full
// generated bindings are `zerops-cache-policy/component`.
import { about, advice, images, layers, linter, patterns } from './gen/policy.js';

/** The package name and version the component reports are the workspace's. */
export function version() {
  return about.version();
}

/** The WIT package the component implements, e.g. `zerops:build-cache@0.4.0`. */
export function witPackage() {
  return about.witPackage();
}

/** A finding about a config that stopped a question (an unknown setup, YAML that is not a mapping, …). */
export class PolicyError extends Error {
  constructor(diagnostic, file) {
    super(diagnostic.message);
    this.name = 'PolicyError';
    /** The diagnostic, as `--format json` prints one. */
    this.diagnostic = diagnostic;
    /** Which input it is about, for `explain`: `old` or `new`; otherwise undefined. */
    this.file = file;
  }
}

/** A malformed cache pattern (Go reports every kind as `syntax error in pattern`). */
export class PatternError extends Error {
  constructor(pattern, bad) {
    super(`syntax error in pattern \`${pattern}\` at column ${bad.column}: ${bad.message}`);
    this.name = 'PatternError';
    this.pattern = pattern;
    /** `trailing-backslash`, `unclosed-class`, `empty-class`, `misplaced-dash` or `range-without-end`. */
    this.kind = bad.kind;
    /** Byte offset (UTF-8) of the offending character. */
    this.offset = bad.offset;
    /** 1-based column, in characters, of the offending character. */
    this.column = bad.column;
    this.reason = bad.message;
  }
}

// The WIT records -> the CLI's JSON objects (snake_case, null for absent).

function jsonDiagnostic(d) {
  return {
    severity: d.severity,
    code: d.code,
    message: d.message,
    line: d.start?.line ?? null,
    column: d.start?.column ?? null,
    end_line: d.end?.line ?? null,
    end_column: d.end?.column ?? null,
    help: d.help ?? null,
  };
}

function jsonReason(r) {
  // Optional parts are present only where they apply, in the CLI's order.
  const out = { kind: r.kind };
  const optional = [
    ['field', r.field], ['index', r.index], ['from_index', r.fromIndex], ['key', r.key],
    ['old', r.old], ['new', r.new], ['version', r.version], ['at', r.at],
  ];
  for (const [name, value] of optional) if (value !== undefined) out[name] = value;
  out.invalidates = r.invalidates;
  out.message = r.message;
  return out;
}

function jsonVerdict(v) {
  return { invalidated: v.invalidated, reasons: v.reasons.map(jsonReason) };
}

function jsonInputs(i) {
  return {
    os: i.os,
    base: i.base,
    prepare_commands: i.prepareCommands,
    // Untagged, as written: `false`, `true` or the list of patterns.
    cache: i.cache.val,
  };
}

/**
 * The platform's verdict, as the CLI asks it before a command acts on a
 * file: a file with an error that `lint` reports is refused, with its first
 * error (every finding is in `error.findings`).
 */
function refuseRejected(text, command) {
  const verdict = linter.gate(bytesOf(text), undefined, command);
  if (!verdict.refuse) return;
  const first = verdict.findings.find((d) => d.severity === 'error') ?? verdict.findings[0];
  const err = new PolicyError(jsonDiagnostic(first), undefined);
  err.findings = verdict.findings.map(jsonDiagnostic);
  throw err;
}

/** Calls a component function that returns `result<T, diagnostic>`. */
function attempt(f) {
  try {
    return f();
  } catch (e) {
    if (e?.payload && typeof e.payload.code === 'string' && typeof e.payload.message === 'string') {
      throw new PolicyError(jsonDiagnostic(e.payload), e.payload.file);
    }
    throw e;
  }
}

const encoder = new TextEncoder();
const U32_MAX = 0xffffffff;

function bytesOf(text) {
  if (typeof text === 'string') return encoder.encode(text);
  if (text instanceof Uint8Array) return text;
  throw new TypeError('text must be a string or a Uint8Array');
}

function optionalString(name, value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value;
}

function count(diags, severity) {
  return diags.filter((d) => d.severity === severity).length;
}

/**
 * Lints a zerops.yaml: the document of `zerops-cache lint --no-tree --format json`
 * for one file (with `options.tree`, the tree lints too, from facts you gather).
 */
export function lint(text, options = {}) {
  const path = options.path ?? 'zerops.yaml';
  const setup = optionalString('options.setup', options.setup);
  const bytes = bytesOf(text);
  // A file over the size limit is refused without copying it into the component.
  const tooLarge = linter.checkSize(Math.min(bytes.length, U32_MAX));
  let diags;
  if (tooLarge) {
    diags = [tooLarge];
  } else {
    const t = options.tree ?? {};
    const tree = {
      entries: [...(t.entries ?? [])],
      depth: t.depth ?? 0,
      tracked: t.tracked ? [...t.tracked] : undefined,
    };
    diags = linter.lintWithTree(bytes, setup, tree);
  }
  const diagnostics = diags.map(jsonDiagnostic);
  const errors = count(diagnostics, 'error');
  const warnings = count(diagnostics, 'warning');
  const notes = count(diagnostics, 'note');
  return {
    files: [{ path, diagnostics, errors, warnings, notes }],
    errors,
    warnings,
    notes,
    deny_warnings: Boolean(options.denyWarnings),
  };
}

// The build image a config's setup resolves to, named as `zerops-cache
// explain` names it. The table only: a package reads no override file.
function imageChoice(text, setup) {
  let all;
  try {
    all = layers.keys(text, setup);
  } catch (e) {
    if (e?.payload === undefined) throw e;
    return '(unknown)';
  }
  const r = all[0]?.keys;
  if (!r || r.tag !== 'ok') return '(unknown)';
  const { os, base } = r.val.inputs;
  let c;
  try {
    c = images.resolve({ os, base, overrides: [], flag: undefined });
  } catch (e) {
    if (e?.payload === undefined) throw e;
    return 'none (no row: the build would stop)';
  }
  return c.host ? `the host's own root (${c.origin})` : c.reference;
}

/**
 * What changing the config from `oldText` to `newText` does to the cache of
 * `setup` (default: the only setup of the new file): the document of
 * `zerops-cache explain OLD NEW --format json` (`-v` with `options.verbose`).
 * Throws a PolicyError (with `file` `old` or `new`) when a config is unusable.
 */
export function explain(oldText, newText, setup, options = {}) {
  setup = optionalString('setup', setup);
  const d = attempt(() => layers.explain(oldText, newText, setup));
  const out = {
    setup: d.setup,
    layers: { base: jsonVerdict(d.base), build: jsonVerdict(d.build) },
  };
  if (options.verbose) out.unaffected = d.unaffected.map(jsonReason);
  // Which build image each config's `os` and `base` choose, when they differ.
  const oldImage = imageChoice(oldText, d.setup);
  const newImage = imageChoice(newText, d.setup);
  if (oldImage !== newImage) out.image = { old: oldImage, new: newImage };
  // The same cache advice as `lint` and `advise`, for the new config.
  let findings = [];
  try {
    findings = advice.advise(newText, d.setup, { entries: [], depth: 0, tracked: undefined }, undefined).findings;
  } catch (e) {
    if (!e?.payload) throw e;
  }
  out.advice = findings.map(jsonDiagnostic);
  return out;
}

/**
 * The layer keys of `setup` (default: every setup) and the normalized inputs
 * they digest: the document of `zerops-cache keys --format json`. Throws a
 * PolicyError when the file is not YAML or `setup` is not in it.
 */
export function keys(text, setup, options = {}) {
  setup = optionalString('setup', setup);
  refuseRejected(text, 'keys');
  const all = attempt(() => layers.keys(text, setup));
  const setups = all.map((entry) => {
    const r = entry.keys;
    if (r.tag === 'ok') {
      const s = r.val;
      const out = { setup: entry.setup };
      if (s.buildFrom !== undefined) out.build_from = s.buildFrom;
      out.keys = { base: s.keys.base, build: s.keys.build };
      out.inputs = jsonInputs(s.inputs);
      return out;
    }
    return { setup: entry.setup, error: jsonDiagnostic(r.val) };
  });
  return { path: options.path ?? 'zerops.yaml', setups };
}

/**
 * Whether `path` matches the cache `pattern`, exactly as Go's
 * `filepath.Match`; with `options.zerops`, `./x/` is `x` first. Throws a
 * PatternError for a malformed pattern (anywhere in it, as `zerops-cache match`).
 */
export function matches(pattern, path, options = {}) {
  if (typeof pattern !== 'string' || typeof path !== 'string') {
    throw new TypeError('pattern and path must be strings');
  }
  const p = options.zerops ? patterns.normalize(pattern) : pattern;
  try {
    patterns.validate(p);
  } catch (e) {
    if (e?.payload?.kind) throw new PatternError(p, e.payload);
    throw e;
  }
  return patterns.isMatch(p, path);
}

/**
 * The reviewed table that maps `os` and `base` to the build image, each row
 * with the page documenting its image and how it differs from Zerops' own
 * build image: the document of `zerops-cache images table --format json`.
 * (The table only: override files and `--image` are the CLI's.)
 */
export function imagesTable() {
  return images.table().map((r) => ({
    base: r.base,
    differs: r.differs,
    image: r.image,
    os: r.os,
    source: r.source,
  }));
}

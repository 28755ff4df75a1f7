// Types of the small API (index.js). The types of the full component, generated
// from the WIT by jco, are in ./gen (import them from 'zerops-cache-policy/component').
import type { TreeFacts } from './gen/interfaces/zerops-build-cache-linter.js';
import type { BadPatternKind } from './gen/interfaces/zerops-build-cache-patterns.js';
import type { ReasonKind } from './gen/interfaces/zerops-build-cache-layers.js';
import type { Severity } from './gen/interfaces/zerops-build-cache-diagnostics.js';

export type { TreeFacts, BadPatternKind, ReasonKind, Severity };

/** One diagnostic, as `zerops-cache lint --format json` prints it. */
export interface Diagnostic {
  severity: Severity;
  /** Stable kebab-case identifier, e.g. `yaml-syntax`. */
  code: string;
  message: string;
  /** 1-based; null for a finding without a position. */
  line: number | null;
  /** 1-based, in characters; null for a finding without a position. */
  column: number | null;
  end_line: number | null;
  end_column: number | null;
  help: string | null;
}

export interface LintedFile {
  path: string;
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  notes: number;
}

/** The document of `zerops-cache lint --format json`. */
export interface LintReport {
  files: LintedFile[];
  errors: number;
  warnings: number;
  notes: number;
  deny_warnings: boolean;
}

export interface LintOptions {
  /** The path shown in the report (default `zerops.yaml`). */
  path?: string;
  /** Check only this setup's cache paths (after `extends`); an unknown name is a `setup-unknown` error. */
  setup?: string;
  /** Recorded in the report, as `--deny-warnings`: warnings fail too. */
  denyWarnings?: boolean;
  /**
   * What you know about the project directory; enables the lints that compare
   * cache paths with its files. Default: none (as `--no-tree`).
   */
  tree?: Partial<TreeFacts>;
}

/** One reason a layer is invalidated (or, in `unaffected`, a change with no effect). */
export interface Reason {
  kind: ReasonKind;
  field?: string;
  index?: number;
  from_index?: number;
  key?: string;
  old?: string;
  new?: string;
  version?: number;
  at?: string;
  invalidates: boolean;
  /** In plain language, e.g. `prepareCommands[2] added "apk add vim"`. */
  message: string;
}

export interface LayerVerdict {
  invalidated: boolean;
  reasons: Reason[];
}

/** The document of `zerops-cache explain OLD NEW --format json`. */
export interface ExplainReport {
  setup: string;
  layers: { base: LayerVerdict; build: LayerVerdict };
  /** Only with `verbose`: changes that have no effect on the cache. */
  unaffected?: Reason[];
  /** The lint findings about the new config's cache. */
  advice: Diagnostic[];
}

export interface ExplainOptions {
  /** Also list the changes with no effect on the cache (`explain -v`). */
  verbose?: boolean;
}

/** The normalized inputs of the layer keys. */
export interface LayerInputs {
  os: string;
  base: string[];
  prepare_commands: string[];
  /** `true`/`false`, or the normalized patterns. */
  cache: boolean | string[];
}

export interface SetupKeys {
  setup: string;
  /** The setup the `build` section comes from; absent when none applies. */
  build_from?: string;
  /** Lowercase hex SHA-256 digests. */
  keys?: { base: string; build: string };
  inputs?: LayerInputs;
  /** Why this setup has no keys (e.g. an `extends` cycle). */
  error?: Diagnostic;
}

/** The document of `zerops-cache keys --format json`. */
export interface KeysReport {
  path: string;
  setups: SetupKeys[];
}

export interface KeysOptions {
  /** The path shown in the report (default `zerops.yaml`). */
  path?: string;
}

export interface MatchOptions {
  /** Apply the Zerops normalization to the pattern first (`./x/` is `x`). */
  zerops?: boolean;
}

/** The version of the policy inside (the workspace version, e.g. `0.4.0`). */
export function version(): string;
/** The WIT package the component implements, e.g. `zerops:build-cache@0.4.0`. */
export function witPackage(): string;

export function lint(text: string | Uint8Array, options?: LintOptions): LintReport;
export function explain(
  oldText: string,
  newText: string,
  setup?: string | null,
  options?: ExplainOptions,
): ExplainReport;
export function keys(text: string, setup?: string | null, options?: KeysOptions): KeysReport;
export function matches(pattern: string, path: string, options?: MatchOptions): boolean;

/** One row of the table that maps `os` and `base` to a build image. */
export interface ImageRow {
  os: string;
  /** Empty: a setup with no `base`. */
  base: string;
  /** An OCI image reference, e.g. `node:22-alpine`. */
  image: string;
  /** The page that documents the image. */
  source: string;
  /** How the image differs from Zerops' own build image. */
  differs: string;
}
/** `zerops-cache images table --format json`. */
export function imagesTable(): ImageRow[];

/** A config that stopped a question: an unknown setup, text that is not YAML, … */
export class PolicyError extends Error {
  readonly diagnostic: Diagnostic;
  /** For `explain`: which input the diagnostic is about. */
  readonly file: 'old' | 'new' | undefined;
  /** For `keys` of a file the platform rejects: every finding of lint (errors and warnings). */
  readonly findings?: Diagnostic[];
}

/** A malformed cache pattern. */
export class PatternError extends Error {
  readonly pattern: string;
  readonly kind: BadPatternKind;
  /** Byte offset (UTF-8) of the offending character. */
  readonly offset: number;
  /** 1-based column, in characters. */
  readonly column: number;
  /** One sentence for people, e.g. "this `[` is never closed by `]`". */
  readonly reason: string;
}

#!/usr/bin/env node
// Lints a zerops.yaml with the zerops-cache policy component, embedded in Node
// through jco: the same component bytes the zerops-cache binary runs in wasmtime.
//
//   node lint.mjs [--format human|json] FILE
//
// Exit codes as the CLI: 0 no errors, 1 errors found, 2 usage or I/O error.
// `--format json` prints the document of `zerops-cache lint --no-tree --format json`
// (the lints that read the project directory are left to the CLI).
import { readFile } from 'node:fs/promises';

const USAGE = 'usage: node lint.mjs [--format human|json] FILE';

function parseArgs(argv) {
  let format = 'human';
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--format') format = argv[++i];
    else if (a.startsWith('--format=')) format = a.slice('--format='.length);
    else if (a === '-h' || a === '--help') return { help: true };
    else if (a.startsWith('-') && a !== '-') throw new Error(`unknown option ${a}`);
    else files.push(a);
  }
  if (format !== 'human' && format !== 'json') throw new Error(`--format must be human or json, not ${format}`);
  if (files.length !== 1) throw new Error('name exactly one file');
  return { format, file: files[0] };
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`error: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let bytes;
  try {
    bytes = await readFile(args.file);
  } catch (e) {
    console.error(`error: cannot read ${args.file}: ${e.message}`);
    return 2;
  }

  // The component: instantiated on import (it imports nothing, so no shims).
  const { linter } = await import('./gen/policy/policy.js');
  // Raw bytes, as the CLI does: text that is not UTF-8 gets an `invalid-utf8` diagnostic.
  const diags = linter.lintBytes(bytes);

  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.filter((d) => d.severity === 'warning').length;
  const notes = diags.length - errors - warnings;
  if (args.format === 'json') {
    const report = {
      files: [{
        path: args.file,
        diagnostics: diags.map((d) => ({
          severity: d.severity,
          code: d.code,
          message: d.message,
          // start/end are option<position> in WIT: absent for a finding
          // without a position (null in the JSON, as the CLI prints it).
          line: d.start?.line ?? null,
          column: d.start?.column ?? null,
          end_line: d.end?.line ?? null,
          end_column: d.end?.column ?? null,
          help: d.help ?? null,
        })),
        errors,
        warnings,
        notes,
      }],
      errors,
      warnings,
      notes,
    };
    console.log(JSON.stringify(report, null, 2));
  } else {
    for (const d of diags) {
      const at = d.start ? `:${d.start.line}:${d.start.column}` : '';
      console.log(`${args.file}${at}: ${d.severity}[${d.code}]: ${d.message}`);
      if (d.help) console.log(`  help: ${d.help}`);
    }
    console.log(`${args.file}: ${errors} error(s), ${warnings} warning(s)`);
  }
  return errors > 0 ? 1 : 0;
}

process.exitCode = await main();

// The CodeMirror 6 editor of the page: YAML highlighting, search, undo, and
// the component's findings as squiggles (lint), hover, completion and quick
// fixes (assist). Positions cross the boundary as the component's: 1-based
// lines and columns counted in characters (code points).
import { EditorView, basicSetup } from 'codemirror';
import { Annotation, Compartment, EditorSelection } from '@codemirror/state';
import { syntaxHighlighting } from '@codemirror/language';
import { oneDarkHighlightStyle } from '@codemirror/theme-one-dark';
import { hoverTooltip, keymap } from '@codemirror/view';
import { indentWithTab } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { autocompletion } from '@codemirror/autocomplete';
import { inline, markdown } from './markdown.js';

/** Marks a change the page made (a load), as opposed to an edit. */
export const loaded = Annotation.define();

/** Offset in the document of a component position, clamped to its line. */
export function offsetOf(doc, pos) {
  if (pos.line < 1) return 0;
  if (pos.line > doc.lines) return doc.length;
  const line = doc.line(pos.line);
  let i = 0;
  for (let c = 1; c < pos.column && i < line.length; c++) {
    i += line.text.codePointAt(i) > 0xffff ? 2 : 1;
  }
  return line.from + Math.min(i, line.length);
}

/** The component position of a document offset. */
export function positionOf(doc, offset) {
  const line = doc.lineAt(offset);
  let column = 1;
  for (let i = 0; i < offset - line.from; column++) i += line.text.codePointAt(i) > 0xffff ? 2 : 1;
  return { line: line.number, column };
}

// The page's colours come from style.css; in a dark scheme the syntax
// colours are One Dark's, and the editor says it is dark (for its tooltips).
const scheme = new Compartment();
const darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
const schemeFor = (dark) => (dark ? [syntaxHighlighting(oneDarkHighlightStyle), EditorView.theme({}, { dark: true })] : []);

const SEVERITY = { error: 'error', warning: 'warning', note: 'info' };

/**
 * Creates the editor in `parent`.
 *   assist():   the component's assist interface, or null before it loads
 *   tree():     the project folder's tree facts for hover, or undefined
 *   onChange(update): a document change (update.transactions tell loads apart)
 *   hovers(text, position, tree): the component's hover, or a promise of it
 *               (the page asks its worker); default: assist().hover
 *   completions(text, position): the component's completions, or a promise
 *               of them (the page asks its lint worker: typing never runs the
 *               component on the main thread); default: assist().complete
 */
export function createEditor({ parent, doc, assist, tree, onChange, label, completions, hovers }) {
  const askHover = hovers ?? ((text, at, facts) => assist()?.hover?.(text, at, facts) ?? null);
  const hover = hoverTooltip(async (view, pos) => {
    const doc = view.state.doc;
    let h;
    try {
      h = await askHover(doc.toString(), positionOf(doc, pos), tree());
    } catch {
      return null;
    }
    if (!h || view.state.doc !== doc) return null;
    return {
      pos: offsetOf(doc, h.range.start),
      end: offsetOf(doc, h.range.end),
      above: true,
      create: () => {
        const dom = document.createElement('div');
        dom.className = 'assist-hover';
        dom.dataset.testid = 'hover';
        dom.append(markdown(h.markdown));
        return { dom };
      },
    };
  });

  const ask = completions ?? ((text, at) => assist()?.complete?.(text, at) ?? null);
  const complete = async (ctx) => {
    const doc = ctx.state.doc;
    let items;
    try {
      items = await ask(doc.toString(), positionOf(doc, ctx.pos));
    } catch {
      return null;
    }
    if (!items?.length || ctx.aborted) return null;
    const from = offsetOf(doc, items[0].replace.start);
    const to = offsetOf(doc, items[0].replace.end);
    if (!ctx.explicit && from === to && !/[\w-]$/.test(doc.sliceString(Math.max(0, ctx.pos - 1), ctx.pos))) return null;
    return {
      from,
      to,
      filter: false,
      options: items.map((c) => ({
        label: c.label,
        type: c.kind === 'key' ? 'property' : 'constant',
        detail: c.detail ? c.detail.replace(/`/g, '') : undefined,
        info: c.documentation ? () => markdown(c.documentation) : undefined,
        apply: (view) => {
          const a = offsetOf(view.state.doc, c.replace.start);
          const b = offsetOf(view.state.doc, c.replace.end);
          view.dispatch({
            changes: { from: a, to: b, insert: c.insertText },
            selection: EditorSelection.cursor(a + c.insertText.length),
            userEvent: 'input.complete',
          });
        },
      })),
    };
  };

  // F12 on an `extends` value: go to the setup it names.
  const definition = (view) => {
    const api = assist();
    if (!api?.definition) return false;
    const doc = view.state.doc;
    let r;
    try {
      r = api.definition(doc.toString(), positionOf(doc, view.state.selection.main.head));
    } catch {
      return false;
    }
    if (!r) return false;
    selectRange(view, r.start, r.end);
    return true;
  };

  const view = new EditorView({
    parent,
    doc,
    extensions: [
      basicSetup,
      scheme.of(schemeFor(darkQuery?.matches)),
      keymap.of([indentWithTab, { key: 'F12', run: definition, preventDefault: true }]),
      yaml(),
      lintGutter(),
      hover,
      autocompletion({ override: [complete], icons: false }),
      EditorView.contentAttributes.of({
        'data-testid': 'config-input',
        'aria-label': label,
        'aria-describedby': 'summary',
      }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChange(u);
      }),
    ],
  });
  darkQuery?.addEventListener('change', (e) => view.dispatch({ effects: scheme.reconfigure(schemeFor(e.matches)) }));
  return view;
}

/** Text edits of the component (against `doc`) as one CodeMirror change set. */
export function editChanges(doc, edits) {
  return edits.map((e) => ({ from: offsetOf(doc, e.range.start), to: offsetOf(doc, e.range.end), insert: e.newText }));
}

/**
 * Shows `diags` (the component's) as squiggles with hover messages; `fixesFor(d)`
 * gives each one's quick fixes, applied as one transaction each (undoable).
 */
export function showDiagnostics(view, diags, fixesFor, onFix) {
  const doc = view.state.doc;
  const out = diags.map((d) => {
    const from = offsetOf(doc, d.start);
    let to = offsetOf(doc, d.end);
    if (to < from) to = from;
    return {
      from,
      to,
      severity: SEVERITY[d.severity] ?? 'info',
      source: d.code,
      message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
      // The tooltip renders the component's `code` spans.
      renderMessage: () => {
        const span = document.createElement('span');
        span.append(inline(d.message));
        if (d.help) span.append('\nhelp: ', inline(d.help));
        return span;
      },
      // Action names are plain text: drop the Markdown backticks.
      actions: fixesFor(d).map((f) => ({ name: f.title.replace(/`/g, ''), apply: () => onFix(f) })),
    };
  });
  view.dispatch(setDiagnostics(view.state, out));
}

/** Applies a quick fix whose edits are against the editor's current text. */
export function applyFix(view, fix) {
  view.dispatch({ changes: editChanges(view.state.doc, fix.edits), userEvent: 'input.fix', scrollIntoView: true });
  view.focus();
}

/** Selects a component range and scrolls the editor to it. */
export function selectRange(view, start, end) {
  const doc = view.state.doc;
  const from = offsetOf(doc, start);
  const to = Math.max(from, offsetOf(doc, end));
  view.dispatch({
    selection: EditorSelection.range(from, to),
    effects: EditorView.scrollIntoView(from, { y: 'center' }),
  });
  view.focus();
}

/** Replaces the whole text as one undoable transaction. */
export function replaceText(view, text) {
  view.dispatch({
    changes: { from: 0, to: view.state.doc.length, insert: text },
    selection: EditorSelection.cursor(0),
    annotations: loaded.of(true),
    userEvent: 'input.load',
    scrollIntoView: true,
  });
}

// The little Markdown the component writes (messages, help, hover and
// completion docs): paragraphs, `- ` lists, `code` and **bold**, built as DOM
// nodes (never innerHTML), so nothing in a config can inject markup.

/** Inline text: `code` spans and **bold**. */
export function inline(text) {
  const frag = document.createDocumentFragment();
  const re = /`([^`]+)`|\*\*(.+?)\*\*/g;
  let last = 0;
  for (let m; (m = re.exec(text));) {
    if (m.index > last) frag.append(text.slice(last, m.index));
    const e = document.createElement(m[1] !== undefined ? 'code' : 'strong');
    if (m[1] !== undefined) e.textContent = m[1];
    else e.append(inline(m[2]));
    frag.append(e);
    last = re.lastIndex;
  }
  if (last < text.length) frag.append(text.slice(last));
  return frag;
}

/** Blocks: paragraphs separated by blank lines, runs of `- ` lines as lists. */
export function markdown(text) {
  const frag = document.createDocumentFragment();
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (!lines.length) continue;
    if (lines.every((l) => /^\s*[-*] /.test(l))) {
      const ul = document.createElement('ul');
      for (const l of lines) {
        const li = document.createElement('li');
        li.append(inline(l.replace(/^\s*[-*] /, '')));
        ul.append(li);
      }
      frag.append(ul);
    } else {
      const p = document.createElement('p');
      lines.forEach((l, i) => {
        if (i) p.append(document.createElement('br'));
        p.append(inline(l));
      });
      frag.append(p);
    }
  }
  return frag;
}

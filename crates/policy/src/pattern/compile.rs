//! A pattern parsed once into chunks of tokens, and the same chunk algorithm
//! as Go's `filepath.Match` run over the tokens (no re-parsing per name).
//!
//! Parsing follows `scanChunk`/`matchChunk`/`getEsc` exactly, so a pattern
//! compiles if and only if Go would never report `ErrBadPattern` for it, and
//! the first error found is the one Go stops at. Matching keeps Go's chunk
//! structure on purpose: Go commits to the first position where a middle
//! chunk matches, which is not the same as regular-expression semantics
//! (`*[a/]*b` does not match `a/b` in Go), so a regex translation would be
//! wrong.

use super::go::{decode_rune, scan_chunk};
use super::{BadPattern, BadPatternKind};

/// One single-character operator of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Literal bytes `lits[at..at + len]`, compared byte by byte.
    Lit { at: u32, len: u32 },
    /// `?`: one rune that is not `/`.
    Any,
    /// `[...]`: one rune inside (or, negated, outside) `ranges[at..at + len]`.
    Class { negated: bool, at: u32, len: u32 },
}

/// A non-star run of tokens, possibly preceded by a star.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub star: bool,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Compiled {
    pub chunks: Vec<Chunk>,
    pub toks: Vec<Tok>,
    pub lits: Vec<u8>,
    pub ranges: Vec<(u32, u32)>,
}

impl Compiled {
    /// Parses `pattern`; the error is the first one Go's parser meets.
    pub fn new(pattern: &str) -> Result<Compiled, BadPattern> {
        let bytes = pattern.as_bytes();
        let mut c = Compiled::default();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (star, chunk, next) = scan_chunk(rest);
            let offset = bytes.len() - rest.len() + (rest.len() - next.len() - chunk.len());
            let start = c.toks.len() as u32;
            c.parse_chunk(chunk, offset)?;
            c.chunks.push(Chunk {
                star,
                start,
                end: c.toks.len() as u32,
            });
            rest = next;
        }
        Ok(c)
    }

    /// Appends a literal byte, extending the previous literal token when it
    /// belongs to the same chunk (tokens at index >= `chunk_start`).
    fn push_lit(&mut self, b: u8, chunk_start: usize) {
        if self.toks.len() > chunk_start
            && let Some(Tok::Lit { at, len }) = self.toks.last_mut()
            && (*at + *len) as usize == self.lits.len()
        {
            *len += 1;
            self.lits.push(b);
            return;
        }
        self.toks.push(Tok::Lit {
            at: self.lits.len() as u32,
            len: 1,
        });
        self.lits.push(b);
    }

    /// Mirrors `matchChunk`'s parsing; `base` is the byte offset of `chunk`
    /// in the whole pattern, for error positions.
    fn parse_chunk(&mut self, chunk: &[u8], base: usize) -> Result<(), BadPattern> {
        let chunk_start = self.toks.len();
        let mut i = 0;
        while i < chunk.len() {
            match chunk[i] {
                b'[' => {
                    let open = base + i;
                    i += 1;
                    let negated = chunk.get(i) == Some(&b'^');
                    if negated {
                        i += 1;
                    }
                    let at = self.ranges.len() as u32;
                    let mut nrange = 0;
                    loop {
                        if chunk.get(i) == Some(&b']') && nrange > 0 {
                            i += 1;
                            break;
                        }
                        if chunk.get(i) == Some(&b']') {
                            return Err(BadPattern::new(BadPatternKind::EmptyClass, open));
                        }
                        let lo = self.class_char(chunk, &mut i, base, open, false)?;
                        let mut hi = lo;
                        if chunk[i] == b'-' {
                            let dash = i;
                            i += 1;
                            hi = match self.class_char(chunk, &mut i, base, open, true) {
                                Ok(hi) => hi,
                                Err(e) if e.kind == BadPatternKind::MisplacedDash => {
                                    return Err(BadPattern::new(
                                        BadPatternKind::RangeWithoutEnd,
                                        base + dash,
                                    ));
                                }
                                Err(e) => return Err(e),
                            };
                        }
                        self.ranges.push((lo, hi));
                        nrange += 1;
                    }
                    self.toks.push(Tok::Class {
                        negated,
                        at,
                        len: self.ranges.len() as u32 - at,
                    });
                }
                b'?' => {
                    self.toks.push(Tok::Any);
                    i += 1;
                }
                b'\\' => {
                    if i + 1 == chunk.len() {
                        return Err(BadPattern::new(BadPatternKind::TrailingBackslash, base + i));
                    }
                    self.push_lit(chunk[i + 1], chunk_start);
                    i += 2;
                }
                b => {
                    self.push_lit(b, chunk_start);
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// `getEsc`: one possibly escaped class character at `chunk[*i..]`;
    /// on success `*i` points at a byte that exists (Go requires one).
    fn class_char(
        &self,
        chunk: &[u8],
        i: &mut usize,
        base: usize,
        open: usize,
        after_dash: bool,
    ) -> Result<u32, BadPattern> {
        let unclosed = BadPattern::new(BadPatternKind::UnclosedClass, open);
        match chunk.get(*i) {
            None => return Err(unclosed),
            Some(b'-') => {
                return Err(BadPattern::new(BadPatternKind::MisplacedDash, base + *i));
            }
            Some(b']') => {
                // `]` right after `-`: the range has no end (`[a-]`).
                debug_assert!(after_dash);
                return Err(BadPattern::new(BadPatternKind::MisplacedDash, base + *i));
            }
            Some(b'\\') => {
                *i += 1;
                if *i == chunk.len() {
                    return Err(BadPattern::new(
                        BadPatternKind::TrailingBackslash,
                        base + *i - 1,
                    ));
                }
            }
            Some(_) => {}
        }
        // `chunk` comes from a &str, so the rune is valid (Go's RuneError
        // check cannot fire).
        let (r, n) = decode_rune(&chunk[*i..]);
        *i += n;
        if *i == chunk.len() {
            return Err(unclosed);
        }
        Ok(r)
    }

    /// Whether a single token can ever consume a `/` byte of the name.
    pub fn tok_can_match_slash(&self, t: Tok) -> bool {
        match t {
            Tok::Lit { at, len } => self.lits[at as usize..(at + len) as usize].contains(&b'/'),
            Tok::Any => false,
            Tok::Class { .. } => self.class_has(t, '/' as u32),
        }
    }

    #[inline]
    pub fn class_has(&self, t: Tok, r: u32) -> bool {
        let Tok::Class { negated, at, len } = t else {
            return false;
        };
        let inside = self.ranges[at as usize..(at + len) as usize]
            .iter()
            .any(|&(lo, hi)| lo <= r && r <= hi);
        inside != negated
    }

    /// The matcher: Go's `Match` loop over precompiled chunks.
    pub fn matches(&self, mut name: &[u8]) -> bool {
        let n = self.chunks.len();
        'chunks: for (ci, ch) in self.chunks.iter().enumerate() {
            let last = ci + 1 == n;
            if ch.star && ch.start == ch.end {
                // Trailing * matches rest of string unless it has a /.
                return !name.contains(&b'/');
            }
            let toks = &self.toks[ch.start as usize..ch.end as usize];
            if last
                && ch.star
                && let [Tok::Lit { at, len }] = toks
            {
                // `*` then literal bytes at the end (`*.txt`): Go tries each
                // start up to the first `/` and needs the literal to end the
                // name, which is a suffix test plus "no `/` skipped".
                let lit = &self.lits[*at as usize..(*at + *len) as usize];
                return name.ends_with(lit) && !name[..name.len() - lit.len()].contains(&b'/');
            }
            if let Some(t) = self.match_chunk(toks, name)
                && (t.is_empty() || !last)
            {
                name = t;
                continue;
            }
            if ch.star {
                let mut i = 0;
                while i < name.len() && name[i] != b'/' {
                    if let Some(t) = self.match_chunk(toks, &name[i + 1..])
                        && (!last || t.is_empty())
                    {
                        name = t;
                        continue 'chunks;
                    }
                    i += 1;
                }
            }
            return false;
        }
        name.is_empty()
    }

    #[inline]
    fn match_chunk<'s>(&self, toks: &[Tok], mut s: &'s [u8]) -> Option<&'s [u8]> {
        for &t in toks {
            match t {
                Tok::Lit { at, len } => {
                    let lit = &self.lits[at as usize..(at + len) as usize];
                    s = s.strip_prefix(lit)?;
                }
                Tok::Any => {
                    if s.is_empty() || s[0] == b'/' {
                        return None;
                    }
                    s = &s[decode_rune(s).1..];
                }
                Tok::Class { .. } => {
                    if s.is_empty() {
                        return None;
                    }
                    let (r, n) = decode_rune(s);
                    if !self.class_has(t, r) {
                        return None;
                    }
                    s = &s[n..];
                }
            }
        }
        Some(s)
    }
}

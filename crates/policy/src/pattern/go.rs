//! A faithful port of Go's `path/filepath.Match` on Unix (`Separator == '/'`,
//! backslash escapes enabled), kept line for line so it can be read next to
//! `src/path/filepath/match.go`.
//!
//! It works on bytes like Go does: a `*` skips single bytes, and `?` and
//! classes decode one rune with Go's `utf8.DecodeRuneInString` rules (an
//! invalid byte decodes as U+FFFD and is one byte wide). This matters for
//! exactness: Go reports `*[\u{FFFD}]` as matching `"é"` because the star
//! loop restarts inside the two-byte rune.
//!
//! Errors follow Go exactly, including where Go is lazy: `matchChunk` keeps
//! scanning a chunk after a mismatch (so the rest of *that* chunk is
//! validated), but `filepath.Match` returns `false` without looking at the
//! chunks after a failed one. So `is_match("a*[", "b")` is `Ok(false)` while
//! `is_match("a*[", "a")` is an error, exactly as in Go. (Go's `path.Match`
//! validates the remaining chunks too; `filepath.Match`, which Zerops names,
//! does not.) Use [`super::validate`] to check a whole pattern.

/// Go's `ErrBadPattern` (no detail: that is what Go returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GoBadPattern;

/// `filepath.Match(pattern, name)` on bytes.
pub(crate) fn go_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, GoBadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // Trailing * matches rest of string unless it has a /.
            return Ok(!name.contains(&b'/'));
        }
        // Look for match at current position.
        let (t, ok, err) = match_chunk(chunk, name);
        // if we're the last chunk, make sure we've exhausted the name
        // otherwise we'll give a false result even if we could still match
        // using the star
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if let Some(err) = err {
            return Err(err);
        }
        if star {
            // Look for match skipping i+1 bytes.
            // Cannot skip /.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..]);
                if ok {
                    // if we're the last chunk, make sure we exhausted the name
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                if let Some(err) = err {
                    return Err(err);
                }
                i += 1;
            }
        }
        // filepath.Match (unlike path.Match) does not validate the rest of
        // the pattern here.
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// `scanChunk`: the next segment of pattern, a non-star string possibly
/// preceded by a star. Returns (star, chunk, rest).
pub(crate) fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut inrange = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // error check handled in matchChunk: bad pattern.
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => inrange = true,
            b']' => inrange = false,
            b'*' if !inrange => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// `matchChunk`: whether chunk matches the beginning of s. Returns
/// (rest, ok, err) like Go; after a mismatch the chunk is still scanned for
/// syntax errors, without reading s.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> (&'s [u8], bool, Option<GoBadPattern>) {
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk[0] {
            b'[' => {
                // character class
                let mut r: u32 = 0;
                if !failed {
                    let (rr, n) = decode_rune(s);
                    r = rr;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                // possibly negated
                let mut negated = false;
                if let [b'^', rest @ ..] = chunk {
                    negated = true;
                    chunk = rest;
                }
                // parse all ranges
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if let [b']', rest @ ..] = chunk
                        && nrange > 0
                    {
                        chunk = rest;
                        break;
                    }
                    let lo;
                    (lo, chunk) = match get_esc(chunk) {
                        Ok(v) => v,
                        Err(e) => return (b"", false, Some(e)),
                    };
                    let mut hi = lo;
                    if chunk[0] == b'-' {
                        (hi, chunk) = match get_esc(&chunk[1..]) {
                            Ok(v) => v,
                            Err(e) => return (b"", false, Some(e)),
                        };
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            c => {
                let mut c = c;
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return (b"", false, Some(GoBadPattern));
                    }
                    c = chunk[0];
                }
                // default:
                if !failed {
                    if c != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed {
        return (b"", false, None);
    }
    (s, true, None)
}

/// `getEsc`: a possibly-escaped character from chunk, for a character class.
/// Go returns both the rest and the error when the rest is empty; callers
/// only use the rest on success, so this returns one or the other.
fn get_esc(mut chunk: &[u8]) -> Result<(u32, &[u8]), GoBadPattern> {
    if chunk.is_empty() || chunk[0] == b'-' || chunk[0] == b']' {
        return Err(GoBadPattern);
    }
    if chunk[0] == b'\\' {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(GoBadPattern);
        }
    }
    let (r, n) = decode_rune(chunk);
    if r == RUNE_ERROR && n == 1 {
        return Err(GoBadPattern);
    }
    let nchunk = &chunk[n..];
    if nchunk.is_empty() {
        return Err(GoBadPattern);
    }
    Ok((r, nchunk))
}

/// U+FFFD, Go's `utf8.RuneError`.
pub(crate) const RUNE_ERROR: u32 = 0xFFFD;

/// Go's `utf8.DecodeRune`: the first rune of `s` and its width in bytes.
/// Invalid or truncated encodings (including surrogates, overlong forms and
/// values above U+10FFFF) decode as `(U+FFFD, 1)`. `s` must not be empty.
#[inline]
pub(crate) fn decode_rune(s: &[u8]) -> (u32, usize) {
    let b0 = s[0];
    if b0 < 0x80 {
        return (b0 as u32, 1);
    }
    let n = match b0 {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (RUNE_ERROR, 1),
    };
    if s.len() < n {
        return (RUNE_ERROR, 1);
    }
    match std::str::from_utf8(&s[..n]) {
        Ok(c) => (c.chars().next().map_or(RUNE_ERROR, |c| c as u32), n),
        Err(_) => (RUNE_ERROR, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rune_follows_go() {
        assert_eq!(decode_rune(b"a"), ('a' as u32, 1));
        assert_eq!(decode_rune("é".as_bytes()), ('é' as u32, 2));
        assert_eq!(decode_rune("☺x".as_bytes()), ('☺' as u32, 3));
        assert_eq!(decode_rune("𝄞".as_bytes()), ('𝄞' as u32, 4));
        // continuation byte, truncated sequence, surrogate, overlong, > U+10FFFF
        assert_eq!(decode_rune(&[0xA9]), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(&[0xE2, 0x98]), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(&[0xED, 0xA0, 0x80]), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(&[0xC0, 0x80]), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(&[0xF4, 0x90, 0x80, 0x80]), (RUNE_ERROR, 1));
        // a real U+FFFD is three bytes wide
        assert_eq!(decode_rune("\u{FFFD}".as_bytes()), (RUNE_ERROR, 3));
    }
}

//! Just enough of the POSIX shell grammar to see which programs a build
//! command runs, where, and with which variables.
//!
//! A command item (one entry of `buildCommands`, run by Zerops in its own
//! shell) is split into simple commands at `&&`, `||`, `;`, `|`, `&`,
//! newlines and parentheses; words are unquoted (`'…'`, `"…"`, `\`);
//! comments are dropped. `cd DIR` changes the directory of the commands after
//! it in the same item; `export A=B` and `A=B cmd` set variables. Anything
//! this does not understand (`$(…)`, variables in paths, `cd -`) makes the
//! directory or the word unknown rather than guessed. No library fits: the
//! word splitters on crates.io (`shlex`, `shell-words`) do not know control
//! operators, and a full parser (`conch-parser`) is unmaintained.

/// One simple command: its variable assignments and its words, unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simple {
    pub assigns: Vec<(String, String)>,
    pub words: Vec<Word>,
}

/// A word, and whether it held an expansion (`$`, a backtick or a glob
/// character outside quotes) whose value is not known here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub dynamic: bool,
}

/// Splits one command item into simple commands, in order.
pub fn split(src: &str) -> Vec<Simple> {
    let mut out = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut cur: Option<Word> = None;
    let mut chars = src.chars().peekable();
    let flush_word = |cur: &mut Option<Word>, words: &mut Vec<Word>| {
        if let Some(w) = cur.take() {
            words.push(w);
        }
    };
    let flush_cmd = |words: &mut Vec<Word>, out: &mut Vec<Simple>| {
        if !words.is_empty() {
            out.push(simple(std::mem::take(words)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => flush_word(&mut cur, &mut words),
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                flush_word(&mut cur, &mut words);
                flush_cmd(&mut words, &mut out);
            }
            '#' if cur.is_none() => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                flush_cmd(&mut words, &mut out);
            }
            '\'' => {
                let w = cur.get_or_insert_with(Word::empty);
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    w.text.push(n);
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(Word::empty);
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                w.text.push(e);
                            }
                        }
                        '$' | '`' => {
                            w.dynamic = true;
                            w.text.push(n);
                        }
                        _ => w.text.push(n),
                    }
                }
            }
            '\\' => {
                let w = cur.get_or_insert_with(Word::empty);
                match chars.next() {
                    Some('\n') | None => {}
                    Some(e) => w.text.push(e),
                }
            }
            '$' | '`' | '*' | '?' | '[' | '{' | '!' => {
                let w = cur.get_or_insert_with(Word::empty);
                w.dynamic = true;
                w.text.push(c);
            }
            _ => cur.get_or_insert_with(Word::empty).text.push(c),
        }
    }
    flush_word(&mut cur, &mut words);
    flush_cmd(&mut words, &mut out);
    out
}

impl Word {
    fn empty() -> Word {
        Word {
            text: String::new(),
            dynamic: false,
        }
    }
}

/// Leading `NAME=value` words are assignments.
fn simple(words: Vec<Word>) -> Simple {
    let mut assigns = Vec::new();
    let mut rest = words.into_iter().peekable();
    while let Some(w) = rest.peek() {
        match assignment(w) {
            Some(a) => {
                assigns.push(a);
                rest.next();
            }
            None => break,
        }
    }
    Simple {
        assigns,
        words: rest.collect(),
    }
}

/// `NAME=value` as an assignment, if the name is a valid variable name.
pub fn assignment(w: &Word) -> Option<(String, String)> {
    let (name, value) = w.text.split_once('=')?;
    let mut cs = name.chars();
    let first = cs.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then(|| (name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &Simple) -> Vec<&str> {
        s.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn operators_quotes_and_assignments() {
        let cmds = split("cd frontend && A=1 B='x y' npm ci --foo \"a b\"; echo $X # hi\nls|wc");
        assert_eq!(cmds.len(), 5, "{cmds:#?}");
        assert_eq!(texts(&cmds[0]), ["cd", "frontend"]);
        assert_eq!(
            cmds[1].assigns,
            [("A".into(), "1".into()), ("B".into(), "x y".into())]
        );
        assert_eq!(texts(&cmds[1]), ["npm", "ci", "--foo", "a b"]);
        assert!(cmds[2].words[1].dynamic);
        assert_eq!(texts(&cmds[3]), ["ls"]);
        assert_eq!(texts(&cmds[4]), ["wc"]);
    }

    #[test]
    fn globs_and_subshells() {
        let cmds = split("(cd a; rm -rf apps/!(x)) || true");
        assert_eq!(texts(&cmds[0]), ["cd", "a"]);
        assert_eq!(texts(&cmds[1])[..2], ["rm", "-rf"]);
        assert!(cmds[1].words.iter().any(|w| w.dynamic));
        assert_eq!(texts(&cmds.last().unwrap().clone()), ["true"]);
    }

    #[test]
    fn not_an_assignment() {
        let cmds = split("npm run build -- --x=1 9A=2");
        assert!(cmds[0].assigns.is_empty());
        assert_eq!(cmds[0].words.len(), 6);
    }
}

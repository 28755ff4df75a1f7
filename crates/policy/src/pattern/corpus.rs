//! Deterministic test cases for differential testing of the matcher (against
//! Go itself, and native policy against the component), and for benches.
//! Not part of the API proper.

/// A small, seedable generator (SplitMix64), so runs are reproducible on
/// every platform without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Pattern atoms that are well formed on their own, each with strings that
/// (mostly) match it, `|`-separated, so generated paths hit and nearly hit.
const GOOD_ATOMS: &[(&str, &str)] = &[
    ("a", "a|b"),
    ("b", "b"),
    ("c", "c"),
    (".", ".|a"),
    ("-", "-"),
    ("^", "^"),
    ("]", "]"),
    ("/", "/|/|a"),
    ("/", "/"),
    ("é", "é|e"),
    ("☺", "☺"),
    ("𝄞", "𝄞"),
    ("\u{FFFD}", "\u{FFFD}|é"),
    ("~", "~"),
    (" ", " "),
    ("{a,b}", "{a,b}|a"),
    ("node_modules", "node_modules|node_module"),
    (".txt", ".txt|.tx"),
    ("*", "|a|ab|é|a.b|*|a/b|☺x"),
    ("*", "|abc|.|-"),
    ("**", "|a|a/b|ab"),
    ("?", "a|é|☺|𝄞|/||ab"),
    ("\\*", "*|a"),
    ("\\?", "?|a"),
    ("\\[", "["),
    ("\\]", "]"),
    ("\\\\", "\\"),
    ("\\-", "-"),
    ("\\/", "/"),
    ("\\a", "a"),
    ("\\é", "é"),
    ("[abc]", "a|b|d"),
    ("[a-c]", "a|b|c|d|-"),
    ("[^a]", "a|b|/|é|𝄞"),
    ("[^/]", "/|a"),
    ("[/]", "/|a"),
    ("[\\]]", "]|\\"),
    ("[\\-]", "-|a"),
    ("[a\\-z]", "a|-|z|b"),
    ("[\\a-\\c]", "b|d"),
    ("[é-☺]", "é|☺|ü|a"),
    ("[z-a]", "m|z"),
    ("[^\\]]", "]|a"),
    ("[a-\\]]", "]|a|\\"),
    ("[\u{FFFD}]", "é|\u{FFFD}"),
    ("[*]", "*|a"),
    ("[?]", "?|a"),
    ("[[]", "["),
    ("[^-]", "-|a"),
    ("[!a]", "!|a|b"),
    ("[a-a]", "a"),
    ("[\\^]", "^"),
];

/// Malformed (or malformed-making) atoms.
const BAD_ATOMS: &[(&str, &str)] = &[
    ("[", "[|a|"),
    ("[^", "^|a"),
    ("[]", "]|"),
    ("[^]", "a"),
    ("[]a]", "]|a"),
    ("[-a]", "-|a"),
    ("[a-]", "a|-"),
    ("[a--]", "a"),
    ("[a-b-c]", "a"),
    ("[a", "a"),
    ("[\\", "\\"),
    ("[a-\\", "a"),
    ("\\", "\\|"),
];

/// Characters for random paths: plain, meta, separators and multi-byte.
const NAME_CHARS: &[&str] = &[
    "a", "b", "c", "z", "A", ".", "-", "/", "/", "é", "☺", "𝄞", "\u{FFFD}", "]", "[", "*", "?",
    "\\", "^", "~", " ", "e\u{301}", "中",
];

/// Hand-picked patterns: the cases the issue names and the realistic ones.
pub const ADVERSARIAL_PATTERNS: &[&str] = &[
    "",
    "*",
    "**",
    "***",
    "?",
    "??",
    "a",
    "a[",
    "[",
    "[]",
    "[^",
    "[^]",
    "[\\]]",
    "[]a]",
    "[]]",
    "a\\",
    "\\",
    "\\\\",
    "[a-\\]]",
    "[\\a-\\z]",
    "[/]",
    "a[/]b",
    "[^/]",
    "[^a]",
    "**/x",
    "x/**",
    "a/*/b",
    "*/*",
    "*.txt",
    "subdir/*.txt",
    "package*",
    "node_modules",
    "./node_modules",
    "node_modules/",
    ".next/cache",
    "frontend/node_modules",
    "[a-z]*.lock",
    "*[",
    "a*[",
    "a*b[",
    "a*[b",
    "[*]",
    "[*",
    "*[a/]*b",
    "*[\u{FFFD}]",
    "*?",
    "[é]",
    "[!a]",
    "[^]a]",
    "[a-b-c]",
    "[x-]",
    "[-x]",
    "[-]",
    "\\/",
    "a\\/b",
    "~",
    "dist/~",
    "[\\",
    "[^\\]",
    "a/",
    "/a",
    "/",
    "\\*\\?\\[",
    "*?*",
    "?*?",
    "[[]",
    "[a]]",
    "[\\-a]",
    "[é-☺]",
    "[☺-é]",
    "a*b*c",
    "*a*",
    "a*/b",
    "a*b?c*x",
    "[a-ζ]*",
    "*[a-ζ]",
    "x[a]*[",
    "\\[a]",
    "[\\]",
    "[^\\]]",
    "[a\\]",
    "*\\",
    "a/b[",
    "{a,b}",
    "[.][.]",
    "..",
    "../x",
    ".",
    "./",
    "[\u{0}-\u{7f}]",
    "[^\u{0}-\u{10FFFF}]",
];

/// Hand-picked paths.
pub const ADVERSARIAL_PATHS: &[&str] = &[
    "",
    "a",
    "b",
    "abc",
    "a/b",
    "a/b/c",
    "/",
    "//",
    "é",
    "☺",
    "𝄞",
    "\u{FFFD}",
    "]",
    "[",
    "*",
    "-",
    "\\",
    "x",
    "a/x",
    "a/b/x",
    "x/y",
    "node_modules",
    "node_modules/x",
    ".next/cache",
    "subdir/file1.txt",
    "subdir/a/file.txt",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "a]",
    "aé",
    "éa",
    "ab/c",
    "~",
    "dist/~",
    "a*b",
    "e\u{301}",
    "α",
    "A",
    "..",
    ".",
    "a.txt",
    "frontend/node_modules",
    "{a,b}",
    "a/",
    "/a",
    "ab",
    "axbxcxdxe/f",
];

/// One random pattern, with a path built to (nearly) match it.
pub fn random_case(rng: &mut Rng) -> (String, String) {
    let n = rng.below(8);
    let mut pattern = String::new();
    let mut path = String::new();
    for _ in 0..n {
        let (atom, samples) = if rng.chance(12) {
            *rng.pick(BAD_ATOMS)
        } else {
            *rng.pick(GOOD_ATOMS)
        };
        pattern.push_str(atom);
        let options: Vec<&str> = samples.split('|').collect();
        path.push_str(options[rng.below(options.len())]);
    }
    if rng.chance(5) {
        pattern.push('\\');
    }
    let path = match rng.below(10) {
        // mostly the built path, sometimes mutated, sometimes unrelated
        0..=5 => path,
        6 | 7 => mutate(rng, &path),
        8 => random_path(rng),
        _ => rng.pick(ADVERSARIAL_PATHS).to_string(),
    };
    (pattern, path)
}

fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<String> = s.chars().map(String::from).collect();
    match rng.below(4) {
        0 if !chars.is_empty() => {
            let i = rng.below(chars.len());
            chars.remove(i);
        }
        1 => {
            let i = rng.below(chars.len() + 1);
            chars.insert(i, rng.pick(NAME_CHARS).to_string());
        }
        2 if !chars.is_empty() => {
            let i = rng.below(chars.len());
            chars[i] = rng.pick(NAME_CHARS).to_string();
        }
        _ => chars.push("/".into()),
    }
    chars.concat()
}

fn random_path(rng: &mut Rng) -> String {
    let n = rng.below(9);
    (0..n).map(|_| *rng.pick(NAME_CHARS)).collect()
}

/// Every adversarial pattern against every adversarial path, then `random`
/// seeded random cases.
pub fn cases(seed: u64, random: usize) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(ADVERSARIAL_PATTERNS.len() * ADVERSARIAL_PATHS.len() + random);
    for p in ADVERSARIAL_PATTERNS {
        for n in ADVERSARIAL_PATHS {
            out.push((p.to_string(), n.to_string()));
        }
    }
    let mut rng = Rng::new(seed);
    for _ in 0..random {
        out.push(random_case(&mut rng));
    }
    out
}

//! Property tests: hostile content never panics the parsers, the checker or
//! the renderer, and every problem found is located as `path:line`.
//!
//! Inputs are arbitrary bytes, text assembled from fragments that reach deep
//! into each grammar (fences, odd whitespace, nesting, demo blocks, quiz
//! fields), and the shipped lessons, quizzes and themes with random edits.
//! Each property has a fixed seed and a bounded number of cases, so a run is
//! repeatable and takes a few seconds in a debug build; a failure prints the
//! shrunk input. No failure file is written (it would land in `src/`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed};

use super::catalog::{Catalog, RawFile, Source, dir_files};
use super::check::check;
use super::model::Lang;
use super::parse::parse_lesson;
use crate::problem::Problem;
use crate::progress::{Progress, Store};
use crate::quiz::parse_quiz;
use crate::ui::markdown::render_blocks;
use crate::ui::theme::Theme;

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        // Shrinking a slow case must not make a failure take minutes.
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

/// Pieces of lesson syntax, chosen to reach the parser's corners: fences
/// with the whitespace that once panicked, nesting, demo blocks, tables.
const LESSON_BITS: &[&str] = &[
    "+++",
    "+++\u{3000}",
    "+++\u{a0}",
    "+++\u{85}",
    "+++ \r",
    "\n",
    "\r\n",
    "\r",
    "\u{3000}",
    "\u{a0}",
    "\u{2003}",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "id = \"x\"\n",
    "id = \"X Y\"\n",
    "title = \"T\"\n",
    "order = 1\n",
    "order = -1\n",
    "demos = [\"spinner\"]\n",
    "demos = [\"nope\"]\n",
    "bogus = 1\n",
    "# ",
    "## ",
    "### ",
    "---\n",
    "***\n",
    "> ",
    "- ",
    "* ",
    "1. ",
    "9999999999999999999. ",
    "  ",
    "    ",
    "```",
    "```demo spinner\n",
    "```demo\n",
    "```demo nope\n",
    "call_ms = 5\n",
    "call_ms = [\n",
    "```rust\n",
    "```python\n",
    "~~~\n",
    "| a | b |\n",
    "|---|--:|\n",
    "|:-:|\n",
    "*",
    "**",
    "_",
    "`",
    "[x](y)",
    "![i](j)",
    "<!-- c -->",
    "<b>",
    "~~",
    "\\",
    "text",
    "并发与并行",
    "é",
    "\t",
    "\0",
    "\u{1b}[31m",
    "- [ ] ",
    "- [x] ",
    "[^1]",
    "$x$",
];

const QUIZ_BITS: &[&str] = &[
    "[[question]]\n",
    "[[question]]",
    "[question]\n",
    "id = \"q\"\n",
    "id = \"\"\n",
    "kind = \"single\"\n",
    "kind = \"multiple\"\n",
    "kind = \"order\"\n",
    "kind = \"predict\"\n",
    "kind = \"essay\"\n",
    "step = 1\n",
    "step = 0\n",
    "step = -9223372036854775808\n",
    "step = 9223372036854775807\n",
    "prompt = \"p\"\n",
    "choices = [\"a\", \"b\"]\n",
    "choices = []\n",
    "answer = 1\n",
    "answer = [1, 2]\n",
    "answer = [2, 2]\n",
    "answer = 99\n",
    "answer = -1\n",
    "answer = \"a\"\n",
    "explanation = \"e\"\n",
    "demo = \"spinner\"\n",
    "demo = \"nope\"\n",
    "when = [\"thread.ticks < 1\", \"thread.ticks >= 1\"]\n",
    "when = [\"&&\", \"<\"]\n",
    "when = [\"2 * a.b <= c.d && 1 < 2\", \"x.y == -0\"]\n",
    "params = { call_ms = 5 }\n",
    "params = { call_ms = [1] }\n",
    "\n",
    "\r\n",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "=",
    "#",
    ",",
    "\u{3000}",
    "\u{85}",
    " ",
    "'",
    "'''",
    "\"\"\"",
    "并发",
    "\0",
];

fn assembled(bits: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(bits), 0..max).prop_map(|v| v.concat())
}

/// Text with a valid front matter first about half of the time, so the body
/// parser is reached and not only the front matter's.
fn lesson_text() -> impl Strategy<Value = String> {
    // Fences with whatever `trim_end` accepts after them (U+3000 once
    // panicked the parser), and deep nesting (~9,000 levels once overflowed
    // the stack; a test thread's 2 MiB stack overflows sooner).
    let fence = || {
        prop::sample::select(
            &[
                "+++",
                "+++ ",
                "+++\u{3000}",
                "+++\u{a0}",
                "+++\u{85}",
                "+++\r",
            ][..],
        )
    };
    let front = (fence(), fence()).prop_map(|(open, close)| {
        format!("{open}\nid = \"x\"\ntitle = \"X\"\norder = 1\n{close}\n")
    });
    let deep = (
        prop::sample::select(&["> ", "- ", "1. ", "> - ", "* > "][..]),
        0usize..60_000,
    )
        .prop_map(|(unit, n)| unit.repeat(n));
    prop_oneof![
        assembled(LESSON_BITS, 120),
        (front.clone(), assembled(LESSON_BITS, 120)).prop_map(|(f, body)| f + &body),
        (front, deep, assembled(LESSON_BITS, 20))
            .prop_map(|(f, deep, body)| format!("{f}{deep}x\n\n{body}")),
    ]
}

/// One random edit of a file's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, &'static str),
    /// At the end of a line (before its newline): where trailing
    /// whitespace goes, e.g. after a fence.
    LineEnd(Index, &'static str),
    Repeat(Index, &'static str, usize),
    InsertBytes(Index, Vec<u8>),
    Delete(Index, usize),
    Duplicate(Index, usize),
    Truncate(Index),
}

fn edits(bits: &'static [&'static str]) -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        3 => (any::<Index>(), prop::sample::select(bits)).prop_map(|(i, s)| Edit::Insert(i, s)),
        2 => (any::<Index>(), prop::sample::select(bits)).prop_map(|(i, s)| Edit::LineEnd(i, s)),
        1 => (any::<Index>(), prop::sample::select(bits), 1usize..3_000)
            .prop_map(|(i, s, n)| Edit::Repeat(i, s, n)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Edit::InsertBytes(i, b)),
        2 => (any::<Index>(), 1usize..200).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => (any::<Index>(), 1usize..400).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..6)
}

/// Applies the edits; the result is read as the built-in catalog reads its
/// files (invalid UTF-8 becomes U+FFFD).
fn mutate(text: &str, edits: &[Edit]) -> String {
    String::from_utf8_lossy(&mutate_bytes(text, edits)).into_owned()
}

fn mutate_bytes(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let at = |i: &Index, len: usize| i.index(len + 1);
        match e {
            Edit::Insert(i, s) => {
                let p = at(i, b.len());
                b.splice(p..p, s.bytes());
            }
            Edit::LineEnd(i, s) => {
                let ends: Vec<usize> = b
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c == b'\n')
                    .map(|(p, _)| p)
                    .chain([b.len()])
                    .collect();
                let p = ends[i.index(ends.len())];
                b.splice(p..p, s.bytes());
            }
            Edit::Repeat(i, s, n) => {
                let p = at(i, b.len());
                b.splice(p..p, s.repeat(*n).into_bytes());
            }
            Edit::InsertBytes(i, bytes) => {
                let p = at(i, b.len());
                b.splice(p..p, bytes.iter().copied());
            }
            Edit::Delete(i, n) => {
                let p = at(i, b.len());
                let end = (p + n).min(b.len());
                b.drain(p..end);
            }
            Edit::Duplicate(i, n) => {
                let p = at(i, b.len());
                let end = (p + n).min(b.len());
                let copy = b[p..end].to_vec();
                b.splice(end..end, copy);
            }
            Edit::Truncate(i) => {
                let p = at(i, b.len());
                b.truncate(p);
            }
        }
    }
    b
}

/// Lines of a text as `LineIndex` counts them (a problem may point at the
/// line just past a final newline, where an unclosed construct ends).
fn line_count(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// Each problem names a file and a line in it (or line 0: the file as a
/// whole, printed without a line).
fn assert_located(problems: &[Problem], files: &[(&str, &str)]) {
    for p in problems {
        assert!(!p.path.is_empty(), "no path: {p}");
        assert!(p.line >= 1 || !p.to_string().contains(":0:"), "{p:?}");
        if let Some((_, text)) = files.iter().find(|(path, _)| *path == p.path) {
            assert!(
                p.line <= line_count(text),
                "line {} is past the end ({} lines): {p}",
                p.line,
                line_count(text)
            );
        }
    }
}

/// Parses one lesson, renders every step at `width`, and checks the result.
fn lesson_holds(text: &str, width: usize) {
    const PATH: &str = "lessons/en/fuzz.md";
    match parse_lesson(PATH, text, Lang::En) {
        Ok(lesson) => {
            assert!(!lesson.steps.is_empty());
            for step in &lesson.steps {
                assert!(step.line >= 1 && step.line <= line_count(text));
                let lines = render_blocks(&step.blocks, width, &Theme::mono());
                drop(lines);
            }
        }
        Err(p) => assert_located(&[p], &[(PATH, text)]),
    }
}

fn quiz_holds(text: &str) {
    const PATH: &str = "lessons/en/fuzz.quiz.toml";
    let (quiz, problems) = parse_quiz(PATH, text);
    assert_located(&problems, &[(PATH, text)]);
    for q in &quiz.questions {
        assert!(q.line >= 1 && q.line <= line_count(text));
    }
}

/// The shipped lesson and quiz files, as the binary embeds them (the same
/// directory `include_dir!` reads at build time).
fn shipped() -> &'static [RawFile] {
    static FILES: OnceLock<Vec<RawFile>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
        let (files, problems) = dir_files(&dir);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(files.len() >= 4, "no shipped lessons in {}", dir.display());
        files
    })
}

/// A file's lesson stem: `01-x` for `.../en/01-x.md` and `.../zh/01-x.quiz.toml`.
fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.trim_end_matches(".quiz.toml").trim_end_matches(".md")
}

/// Replaces one shipped file with a mutated copy and runs the whole lesson
/// (both languages, both quizzes) through the catalog and `concur check`.
fn mutated_set_holds(which: &Index, edits: &[Edit], width: usize) {
    let files = shipped();
    let target = &files[which.index(files.len())];
    let mut set: Vec<RawFile> = files
        .iter()
        .filter(|f| stem(&f.path) == stem(&target.path))
        .cloned()
        .collect();
    for f in &mut set {
        // Owned text: parsed at once, as a folder of lessons would be.
        f.text = if f.path == target.path {
            mutate(&f.text, edits).into()
        } else {
            f.text.to_string().into()
        };
    }
    let texts: Vec<(&str, &str)> = set
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_ref()))
        .collect();
    let catalog = Catalog::from_files(Source::Builtin, set.clone());
    assert_located(&catalog.problems, &texts);
    assert_located(&check(&catalog), &texts);
    for lesson in catalog.lessons.iter().flat_map(|s| s.by_lang.values()) {
        for step in &lesson.steps {
            drop(render_blocks(&step.blocks, width, &Theme::mono()));
        }
    }
}

fn shipped_themes() -> &'static [String] {
    static THEMES: OnceLock<Vec<String>> = OnceLock::new();
    THEMES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/themes");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.sort();
        paths
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    })
}

/// The one call into the theme parser (the theme module is being rewritten;
/// keep this the only place that knows its signature).
fn theme_holds(text: &str) {
    const PATH: &str = "fuzz-theme.toml";
    match Theme::parse(PATH, text, &Theme::dark()) {
        Ok(_) => {}
        Err(crate::ui::theme::ThemeError::At(p)) => assert_located(&[p], &[(PATH, text)]),
        Err(other) => panic!("a theme text's problem has no line: {other}"),
    }
}

/// A progress file with everything in it, to mutate.
fn progress_json() -> String {
    let mut p = Progress::default();
    p.lesson_mut("event-loop").viewed = true;
    p.lesson_mut("event-loop").step = 3;
    let q = p.lesson_mut("io-models").quiz.get_or_insert_default();
    q.record(&crate::progress::Round {
        full: true,
        total: 5,
        right: 3,
        wrong: vec!["a".into(), "b".into()],
        asked: Vec::new(),
    });
    serde_json::to_string_pretty(&p).unwrap()
}

const JSON_BITS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "-1",
    "1e999",
    "\"version\"",
    "\"lessons\"",
    "\"viewed\"",
    "\"step\"",
    "\"quiz\"",
    "\\u0000",
    "\\ud800",
    "\0",
    "\u{feff}",
    " ",
    "\n",
];

/// Loads a progress file with arbitrary content: no panic; either it is
/// read as it is (and left untouched), or it is set aside and saving works.
fn progress_holds(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crate::progress::FILE_NAME);
    std::fs::write(&path, bytes).unwrap();
    let (_, peek_warnings) = Store::in_dir(dir.path()).peek();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "peek changed the file"
    );
    let mut store = Store::in_dir(dir.path());
    let (loaded, warnings) = store.load();
    assert_eq!(warnings.len(), peek_warnings.len(), "{warnings:?}");
    if warnings.is_empty() {
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a good file was changed"
        );
    } else {
        assert!(warnings[0].en.contains("corrupt"), "{warnings:?}");
        assert!(!path.exists(), "a corrupt file stayed in place");
        assert_eq!(loaded, Progress::default());
    }
    let mut next = loaded.clone();
    next.lesson_mut("saved").viewed = true;
    store.save(&next).unwrap();
    let (again, warnings) = Store::in_dir(dir.path()).load();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(again.is_viewed("saved"));
}

proptest! {
    #![proptest_config(config(400, 0x11_01))]
    #[test]
    fn lessons_from_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), width in 1usize..120) {
        lesson_holds(&String::from_utf8_lossy(&bytes), width);
    }
}

proptest! {
    #![proptest_config(config(600, 0x11_02))]
    #[test]
    fn lessons_from_syntax_fragments(text in lesson_text(), width in 1usize..120) {
        lesson_holds(&text, width);
    }
}

proptest! {
    #![proptest_config(config(300, 0x11_03))]
    #[test]
    fn shipped_lessons_and_quizzes_mutated(which in any::<Index>(), e in edits(LESSON_BITS), width in 1usize..120) {
        mutated_set_holds(&which, &e, width);
    }
}

proptest! {
    #![proptest_config(config(300, 0x11_04))]
    #[test]
    fn shipped_files_mutated_with_quiz_syntax(which in any::<Index>(), e in edits(QUIZ_BITS), width in 1usize..120) {
        mutated_set_holds(&which, &e, width);
    }
}

proptest! {
    #![proptest_config(config(400, 0x11_05))]
    #[test]
    fn quizzes_from_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        quiz_holds(&String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    #![proptest_config(config(600, 0x11_06))]
    #[test]
    fn quizzes_from_syntax_fragments(text in assembled(QUIZ_BITS, 100)) {
        quiz_holds(&text);
    }
}

proptest! {
    #![proptest_config(config(400, 0x11_07))]
    #[test]
    fn themes_arbitrary_and_mutated(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        which in any::<Index>(),
        e in edits(QUIZ_BITS),
    ) {
        theme_holds(&String::from_utf8_lossy(&bytes));
        let themes = shipped_themes();
        if !themes.is_empty() {
            theme_holds(&mutate(&themes[which.index(themes.len())], &e));
        }
    }
}

proptest! {
    #![proptest_config(config(150, 0x11_08))]
    #[test]
    fn progress_files_arbitrary_and_mutated(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        e in edits(JSON_BITS),
    ) {
        progress_holds(&bytes);
        progress_holds(&mutate_bytes(&progress_json(), &e));
    }
}

#[test]
fn the_fragments_reach_the_body_parser() {
    // Guards the generators: some assembled lessons must parse, or the
    // properties above would test only the front matter check.
    let mut runner = proptest::test_runner::TestRunner::new(config(200, 0x11_09));
    let mut parsed = 0;
    for _ in 0..200 {
        let text = lesson_text().new_tree(&mut runner).unwrap().current();
        parsed += usize::from(parse_lesson("x.md", &text, Lang::En).is_ok());
    }
    assert!(parsed >= 10, "only {parsed} of 200 parsed");
}

//! Syntax highlighting of code blocks (syntect), mapped to the theme's
//! meaning-named colours rather than to a syntect colour theme.
//!
//! Lessons show Python and Rust only, so concur carries two compact
//! grammars of its own (`assets/syntaxes/`) instead of syntect's hundred:
//! they load in ~5 ms (`cargo bench`: syntect checks every pattern by
//! compiling it), on a background thread, and keep the memory of a step
//! with code small, where syntect's defaults took tens of milliseconds and
//! ~15 MB.

use std::sync::OnceLock;

use syntect::parsing::{ParseState, ScopeStack, SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};

use super::theme::SyntaxKind;

static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();

/// The grammars, as shipped.
const GRAMMARS: [&str; 2] = [
    include_str!("../../assets/syntaxes/python.sublime-syntax"),
    include_str!("../../assets/syntaxes/rust.sublime-syntax"),
];

/// Reads and checks the two grammars (what `warm_up` does in the
/// background; public for the benchmark).
pub fn load_grammars() -> SyntaxSet {
    let mut builder = SyntaxSetBuilder::new();
    for text in GRAMMARS {
        // The grammars are ours and tested: one that does not load is a
        // bug, and its code is then drawn plain rather than not at all.
        if let Ok(def) = SyntaxDefinition::load_from_str(text, true, None) {
            builder.add(def);
        }
    }
    builder.build()
}

fn syntaxes() -> &'static SyntaxSet {
    SYNTAXES.get_or_init(load_grammars)
}

/// Loads the grammars on a background thread, then calls `done`; until
/// then code is drawn plain, so the first frame never waits for them.
pub fn warm_up(done: impl FnOnce() + Send + 'static) {
    let _ = std::thread::Builder::new()
        .name("concur-syntax".into())
        .spawn(move || {
            syntaxes();
            done();
        });
}

/// Whether highlighting is available without waiting.
pub fn is_ready() -> bool {
    SYNTAXES.get().is_some()
}

fn classify(stack: &ScopeStack) -> SyntaxKind {
    for scope in stack.as_slice().iter().rev() {
        let name = scope.build_string();
        let kind = if name.starts_with("comment") {
            SyntaxKind::Comment
        } else if name.starts_with("string") {
            SyntaxKind::String
        } else if name.starts_with("constant.numeric") {
            SyntaxKind::Number
        } else if name.starts_with("support.macro") || name.starts_with("entity.name.macro") {
            SyntaxKind::Macro
        } else if name.starts_with("keyword")
            || name.starts_with("storage")
            || name.starts_with("constant.language")
            || name.starts_with("variable.language")
        {
            SyntaxKind::Keyword
        } else if name.starts_with("entity.name.function")
            || name.starts_with("support.function")
            || name.starts_with("variable.function")
        {
            SyntaxKind::Function
        } else if name.starts_with("entity.name") || name.starts_with("support.type") {
            SyntaxKind::Type
        } else {
            continue;
        };
        return kind;
    }
    SyntaxKind::Plain
}

/// Like [`highlight`], but plain while the grammars are still loading.
pub fn highlight_if_ready(code: &str, lang: &str) -> Vec<Vec<(String, SyntaxKind)>> {
    if is_ready() {
        highlight(code, lang)
    } else {
        highlight(code, "")
    }
}

/// Splits `code` into lines of classified pieces. Unknown languages come back
/// plain. Loads the grammars first if nothing has yet.
pub fn highlight(code: &str, lang: &str) -> Vec<Vec<(String, SyntaxKind)>> {
    let plain = || {
        code.lines()
            .map(|l| vec![(l.to_string(), SyntaxKind::Plain)])
            .collect()
    };
    if lang.is_empty() {
        return plain();
    }
    let set = syntaxes();
    let Some(syntax) = set.find_syntax_by_token(lang) else {
        return plain();
    };
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Vec::new();
    for line in code.lines() {
        let with_nl = format!("{line}\n");
        let Ok(ops) = state.parse_line(&with_nl, set) else {
            return plain();
        };
        let mut pieces: Vec<(String, SyntaxKind)> = Vec::new();
        let mut pos = 0;
        for (at, op) in ops {
            let at = at.min(line.len());
            if at > pos {
                push_piece(&mut pieces, &line[pos..at], classify(&stack));
                pos = at;
            }
            let _ = stack.apply(&op);
        }
        if pos < line.len() {
            push_piece(&mut pieces, &line[pos..], classify(&stack));
        }
        out.push(pieces);
    }
    out
}

fn push_piece(pieces: &mut Vec<(String, SyntaxKind)>, text: &str, kind: SyntaxKind) {
    match pieces.last_mut() {
        Some((t, k)) if *k == kind => t.push_str(text),
        _ => pieces.push((text.to_string(), kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds_of(code: &str, lang: &str, word: &str) -> SyntaxKind {
        highlight(code, lang)
            .into_iter()
            .flatten()
            .find(|(t, _)| t.contains(word))
            .map(|(_, k)| k)
            .unwrap_or_else(|| panic!("`{word}` not in {code:?}"))
    }

    #[test]
    fn both_grammars_load() {
        for text in GRAMMARS {
            SyntaxDefinition::load_from_str(text, true, None).expect("a shipped grammar loads");
        }
        assert!(syntaxes().find_syntax_by_token("python").is_some());
        assert!(syntaxes().find_syntax_by_token("rust").is_some());
    }

    #[test]
    fn the_pieces_lessons_show_get_their_colours() {
        use SyntaxKind::*;
        let cases = [
            ("rust", "let x = 1; // note", "note", Comment),
            ("rust", "/* a\n b */ let", "b", Comment),
            ("rust", "let s = \"a\\n\";", "\"a", String),
            ("rust", "let r = r#\"raw \"q\" \"#;", "raw", String),
            ("rust", "fn job() {}", "job", Function),
            ("rust", "tokio::spawn(job());", "spawn", Function),
            ("rust", "let v: Vec<u8> = vec![];", "vec!", Macro),
            ("rust", "struct Report;", "Report", Type),
            ("rust", "let c: Arc<Mutex<u64>>;", "Mutex", Type),
            ("rust", "x.await?;", "await", Keyword),
            ("rust", "let n = 1_000u64;", "1_000u64", Number),
            ("rust", "fn f<'a>(s: &'a str) {}", "'a", Keyword),
            ("python", "x = 1  # note", "note", Comment),
            ("python", "s = f\"{x} ok\"", "ok", String),
            ("python", "t = '''one\ntwo'''", "two", String),
            ("python", "async def main():", "main", Function),
            ("python", "await asyncio.sleep(1)", "await", Keyword),
            ("python", "await asyncio.sleep(1)", "sleep", Function),
            ("python", "class Job:", "Job", Type),
            ("python", "return None", "None", Keyword),
            ("python", "n = 0x1F + 2.5e3", "2.5e3", Number),
            ("python", "print(len(xs))", "len", Function),
        ];
        for (lang, code, word, want) in cases {
            assert_eq!(
                kinds_of(code, lang, word),
                want,
                "{lang}: `{word}` in {code:?}"
            );
        }
    }

    /// Every Python and Rust block of the built-in lessons is coloured
    /// somewhere (a grammar that silently failed would leave them plain).
    #[test]
    fn every_lesson_block_is_highlighted() {
        let catalog = crate::lesson::Catalog::builtin();
        let mut blocks = 0;
        for set in &catalog.lessons {
            for lesson in set.by_lang.values() {
                for step in &lesson.steps {
                    for b in &step.blocks {
                        if let crate::lesson::Block::Code { lang, text, .. } = b
                            && (lang == "python" || lang == "rust")
                        {
                            blocks += 1;
                            let coloured = highlight(text, lang)
                                .iter()
                                .flatten()
                                .any(|(_, k)| *k != SyntaxKind::Plain);
                            assert!(
                                coloured,
                                "{lang} block in {} is plain:\n{text}",
                                lesson.path
                            );
                        }
                    }
                }
            }
        }
        assert!(blocks > 20, "only {blocks} code blocks seen");
    }

    #[test]
    fn unknown_languages_stay_plain() {
        let lines = highlight("a\nb", "nosuchlang");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], vec![("a".to_string(), SyntaxKind::Plain)]);
    }
}

//! Syntax highlighting of code blocks (syntect's grammars), mapped to the
//! theme's meaning-named colours rather than to a syntect colour theme.

use std::sync::OnceLock;

use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};

use super::theme::SyntaxKind;

static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();

fn syntaxes() -> &'static SyntaxSet {
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Loads the grammars on a background thread (they take tens of
/// milliseconds), then calls `done`; until then code is drawn plain, so the
/// first frame never waits for them.
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
            .unwrap()
    }

    #[test]
    fn rust_and_python_are_highlighted() {
        assert_eq!(
            kinds_of("async fn main() { let x = 1; }", "rust", "fn"),
            SyntaxKind::Keyword
        );
        assert_eq!(
            kinds_of("// hi\nfn f() {}", "rust", "hi"),
            SyntaxKind::Comment
        );
        assert_eq!(
            kinds_of("println!(\"x\");", "rust", "\"x\""),
            SyntaxKind::String
        );
        assert_eq!(
            kinds_of("async def main():\n    await x", "python", "await"),
            SyntaxKind::Keyword
        );
        assert_eq!(kinds_of("x = 42", "python", "42"), SyntaxKind::Number);
    }

    #[test]
    fn unknown_languages_stay_plain() {
        let lines = highlight("a\nb", "nosuchlang");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], vec![("a".to_string(), SyntaxKind::Plain)]);
    }
}

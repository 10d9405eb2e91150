//! What fits a class's terminal: the lesson screen's room for text and
//! demo, shared by the lesson view (which lays steps out by it) and
//! `concur check` (which warns about steps and code that would not fit).

use crate::demo;
use crate::lesson::model::Block;
use crate::lesson::{Catalog, Lesson};
use crate::problem::Problem;

use super::markdown::render_blocks;
use super::theme::Theme;

/// The size every lesson must read well at (the README's and the format's).
pub const CLASS_SIZE: (u16, u16) = (100, 30);
/// A quiz has at least this many questions (docs/lesson-format.md).
pub const MIN_QUESTIONS: usize = 6;

/// Rows of a lesson screen that are not its body: the header and the
/// status line.
const CHROME_ROWS: u16 = 2;

/// The width of a step's text on a lesson screen `screen_w` columns wide
/// (a margin each side, and the scrollbar's column).
pub fn text_width(screen_w: u16) -> u16 {
    screen_w.saturating_sub(3).max(1)
}

/// The rows a demo pane takes at least in a body `body` rows tall (more
/// when the text leaves it more): a table of many lanes or a zoomed lane
/// wants most of the screen.
pub fn demo_least(body: u16, big: bool) -> u16 {
    if big {
        body * 7 / 10
    } else {
        (body * 11 / 20).max(12)
    }
}

/// Rows a step's text can have at `CLASS_SIZE` without scrolling.
pub fn text_rows(has_demo: bool, many_lanes: bool) -> u16 {
    let body = CLASS_SIZE.1 - CHROME_ROWS;
    if has_demo {
        // (The blank row the view keeps under the text goes first.)
        body.saturating_sub(demo_least(body, many_lanes))
    } else {
        body
    }
}

/// The widest a code line may be at `CLASS_SIZE`: alone (a column of
/// padding each side) and in a python/rust pair (a column of padding each
/// and the ` │ ` between them).
pub fn code_limits() -> (usize, usize) {
    let w = text_width(CLASS_SIZE.0) as usize;
    (w - 2, (w - 5) / 2)
}

/// Warnings for lesson authors (not errors: the lesson still works): a
/// lesson without a quiz or with a short one, a step taller than a
/// `CLASS_SIZE` screen, code lines wider than the format allows.
pub fn warnings(catalog: &Catalog) -> Vec<Problem> {
    let mut out = Vec::new();
    for set in &catalog.lessons {
        for lesson in set.by_lang.values() {
            match set.quizzes.get(&lesson.lang) {
                None => out.push(Problem::whole(
                    &lesson.path,
                    format!("no quiz beside this lesson (at least {MIN_QUESTIONS} questions)"),
                )),
                Some(q) if q.questions.len() < MIN_QUESTIONS => out.push(Problem::whole(
                    &q.path,
                    format!(
                        "{} questions; a quiz has at least {MIN_QUESTIONS}",
                        q.questions.len()
                    ),
                )),
                Some(_) => {}
            }
            step_heights(lesson, &mut out);
            let width = text_width(CLASS_SIZE.0) as usize;
            for step in &lesson.steps {
                code_widths(&lesson.path, &step.blocks, width, &mut out);
            }
        }
    }
    out.sort();
    out
}

fn step_heights(lesson: &Lesson, out: &mut Vec<Problem>) {
    let width = text_width(CLASS_SIZE.0) as usize;
    for (i, step) in lesson.steps.iter().enumerate() {
        let many = step
            .demo
            .as_ref()
            .and_then(|d| demo::find(&d.id))
            .is_some_and(|d| d.info().lanes.len() > 2);
        let rows = render_blocks(&step.blocks, width, &Theme::mono()).len() as u16;
        let room = text_rows(step.demo.is_some(), many);
        if rows > room {
            let (w, h) = CLASS_SIZE;
            out.push(Problem::new(
                &lesson.path,
                step.line,
                format!(
                    "step {} (\"{}\") is {rows} rows of text; {room} fit at {w}x{h}{}",
                    i + 1,
                    step.title,
                    if step.demo.is_some() {
                        " above its demo"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
}

/// Code lines wider than `code_limits`, each at its own line in the file.
fn code_widths(path: &str, blocks: &[Block], width: usize, out: &mut Vec<Problem>) {
    let (alone, paired) = code_limits();
    // Limits shrink with the width a list or quote leaves.
    let less = (text_width(CLASS_SIZE.0) as usize).saturating_sub(width);
    let mut i = 0;
    while i < blocks.len() {
        let pair = matches!(
            (&blocks[i], blocks.get(i + 1)),
            (Block::Code { lang: a, .. }, Some(Block::Code { lang: b, .. }))
                if a == "python" && b == "rust"
        );
        let n = if pair { 2 } else { 1 };
        for block in &blocks[i..i + n] {
            match block {
                Block::Code { text, line, .. } => {
                    let limit = if pair { paired } else { alone }.saturating_sub(less);
                    for (k, l) in text.lines().enumerate() {
                        let cols =
                            unicode_width::UnicodeWidthStr::width(l.replace('\t', "    ").as_str());
                        if cols > limit {
                            out.push(Problem::new(
                                path,
                                line + 1 + k,
                                format!(
                                    "code line is {cols} columns; at most {limit}{} (it is cut with … at {}x{})",
                                    if pair { " in a python/rust pair" } else { "" },
                                    CLASS_SIZE.0,
                                    CLASS_SIZE.1
                                ),
                            ));
                        }
                    }
                }
                Block::Quote(inner) => code_widths(path, inner, width.saturating_sub(2), out),
                Block::List { items, .. } => {
                    for item in items {
                        code_widths(path, item, width.saturating_sub(3), out);
                    }
                }
                _ => {}
            }
        }
        i += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::catalog::{RawFile, Source};
    use crate::lesson::model::Lang;

    fn catalog(md: &str, quiz: Option<&str>) -> Catalog {
        let mut files = vec![RawFile {
            path: "en/01-x.md".into(),
            lang: Lang::En,
            text: format!("+++\nid = \"x\"\ntitle = \"X\"\norder = 1\n+++\n{md}").into(),
        }];
        if let Some(q) = quiz {
            files.push(RawFile {
                path: "en/01-x.quiz.toml".into(),
                lang: Lang::En,
                text: q.to_string().into(),
            });
        }
        Catalog::from_files(Source::Builtin, files)
    }

    #[test]
    fn the_limits_are_the_documented_ones() {
        assert_eq!(code_limits(), (95, 46));
        assert_eq!(text_rows(false, false), 28);
        assert_eq!(text_rows(true, false), 13);
        assert_eq!(text_rows(true, true), 9);
    }

    #[test]
    fn authors_are_warned_about_size_and_a_missing_quiz() {
        let long = "x".repeat(47);
        let md = format!(
            "# One\n\n```python\n{long}\n```\n```rust\nok\n```\n\n# Two\n\n{}",
            "line\n\n".repeat(30)
        );
        let w: Vec<String> = warnings(&catalog(&md, None))
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            w,
            [
                "en/01-x.md: no quiz beside this lesson (at least 6 questions)",
                "en/01-x.md:9: code line is 47 columns; at most 46 in a python/rust pair (it is cut with … at 100x30)",
                "en/01-x.md:15: step 2 (\"Two\") is 61 rows of text; 28 fit at 100x30",
            ],
            "{w:#?}"
        );
    }

    #[test]
    fn the_built_in_lessons_have_no_warnings() {
        let w: Vec<String> = warnings(&Catalog::builtin())
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert!(w.is_empty(), "{w:#?}");
    }
}

//! A lesson as the app uses it: steps of Markdown blocks, with demo slots.

use std::sync::OnceLock;

use crate::demo::Params;

pub use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub order: u32,
    pub demos: Vec<String>,
    pub lang: Lang,
    /// Where it was read from, as shown in problems.
    pub path: String,
    pub steps: Steps,
}

/// A lesson's steps. The built-in lessons (checked by the tests) are parsed
/// when first looked at, so start-up reads only their front matter; a
/// directory of lessons (an author's) is parsed at once, so every problem is
/// reported when it loads.
#[derive(Debug, Clone)]
pub struct Steps {
    parsed: OnceLock<Vec<Step>>,
    /// The body still to parse: (path, the file's text, where its body
    /// starts, the body's first line, the parser).
    deferred: Option<Deferred>,
}

type Deferred = (String, &'static str, usize, usize, ParseSteps);

/// Turns a lesson body into steps (the parser's, handed in so the model does
/// not depend on the parser).
pub type ParseSteps = fn(&str, &str, usize) -> Result<Vec<Step>, crate::problem::Problem>;

impl Steps {
    /// Whether the body has been parsed yet (a directory's always is).
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// The body of a built-in lesson (`text[start..]`), parsed on first use.
    /// The text is cut only then: even that reads a byte of the body, and
    /// start-up touches no lesson body.
    pub fn deferred(
        path: &str,
        text: &'static str,
        start: usize,
        first_line: usize,
        parse: ParseSteps,
    ) -> Steps {
        Steps {
            parsed: OnceLock::new(),
            deferred: Some((path.to_string(), text, start, first_line, parse)),
        }
    }

    fn get(&self) -> &Vec<Step> {
        self.parsed.get_or_init(|| match &self.deferred {
            Some((path, text, start, line, parse)) => {
                let body = text.get(*start..).unwrap_or("");
                match parse(path, body, *line) {
                    Ok(steps) if !steps.is_empty() => steps,
                    // The built-in lessons are checked by the tests; should one
                    // still fail, its step says so instead of the app failing.
                    Ok(_) => vec![Step::problem(format!("{path}: the lesson has no steps"))],
                    Err(p) => vec![Step::problem(p.to_string())],
                }
            }
            None => Vec::new(),
        })
    }
}

impl From<Vec<Step>> for Steps {
    fn from(steps: Vec<Step>) -> Steps {
        let parsed = OnceLock::new();
        let _ = parsed.set(steps);
        Steps {
            parsed,
            deferred: None,
        }
    }
}

impl std::ops::Deref for Steps {
    type Target = Vec<Step>;

    fn deref(&self) -> &Vec<Step> {
        self.get()
    }
}

impl<'a> IntoIterator for &'a Steps {
    type Item = &'a Step;
    type IntoIter = std::slice::Iter<'a, Step>;

    fn into_iter(self) -> Self::IntoIter {
        self.get().iter()
    }
}

impl PartialEq for Steps {
    fn eq(&self, other: &Steps) -> bool {
        self.get() == other.get()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub title: String,
    /// 1-based line in the file where the step starts.
    pub line: usize,
    pub blocks: Vec<Block>,
    pub demo: Option<DemoSlot>,
    /// Speaker notes (```notes blocks and `<!-- notes: … -->` comments):
    /// never shown in the lesson, only in the presenter's notes view.
    pub notes: Vec<String>,
}

impl Step {
    /// A step that only says what went wrong.
    fn problem(message: String) -> Step {
        Step {
            title: "⚠".into(),
            line: 1,
            blocks: vec![Block::Para(vec![Inline {
                text: message,
                style: InlineStyle::default(),
            }])],
            demo: None,
            notes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoSlot {
    pub id: String,
    pub params: Params,
    /// The block's body as written, so `check` can point at a bad value.
    pub text: String,
    /// The line of the block's opening fence.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading {
        level: u8,
        text: Vec<Inline>,
    },
    Para(Vec<Inline>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Quote(Vec<Block>),
    Code {
        lang: String,
        text: String,
        /// The line of its opening fence (its first line is the next).
        line: usize,
    },
    Table {
        align: Vec<Align>,
        head: Vec<Cell>,
        rows: Vec<Vec<Cell>>,
    },
    Rule,
}

pub type Cell = Vec<Inline>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Inline {
    pub text: String,
    pub style: InlineStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InlineStyle {
    pub strong: bool,
    pub emphasis: bool,
    pub code: bool,
    pub strike: bool,
    pub link: bool,
}

impl Block {
    /// All plain text of the block, for word counts and search.
    pub fn plain_text(&self, out: &mut String) {
        let inl = |out: &mut String, v: &[Inline]| {
            for i in v {
                out.push_str(&i.text);
            }
            out.push('\n');
        };
        match self {
            Block::Heading { text, .. } | Block::Para(text) => inl(out, text),
            Block::List { items, .. } => items.iter().flatten().for_each(|b| b.plain_text(out)),
            Block::Quote(blocks) => blocks.iter().for_each(|b| b.plain_text(out)),
            Block::Code { text, .. } => {
                out.push_str(text);
                out.push('\n');
            }
            Block::Table { head, rows, .. } => {
                for cell in head.iter().chain(rows.iter().flatten()) {
                    inl(out, cell)
                }
            }
            Block::Rule => {}
        }
    }
}

//! A lesson as the app uses it: steps of Markdown blocks, with demo slots.

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
    pub steps: Vec<Step>,
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

//! Lesson files: TOML front matter between `+++` lines, then Markdown split
//! into steps at `#`/`##` headings and `---` rules.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use super::model::{Align, Block, Cell, DemoSlot, Inline, InlineStyle, Lang, Lesson, Step, Steps};
use crate::demo::Params;
use crate::problem::{LineIndex, Problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    order: u32,
    #[serde(default)]
    demos: Vec<String>,
}

const FENCE: &str = "+++";

/// How many block quotes and lists may nest inside each other. Real lessons
/// use two or three; the bound exists because everything that walks blocks
/// (rendering, clone, drop) recurses once per level, and ~9,000 levels of
/// `> ` in one line overflowed the main thread's stack and aborted the TUI.
pub const MAX_NESTING: usize = 32;

/// Parses one lesson file. Every problem is located as `path:line`.
pub fn parse_lesson(path: &str, text: &str, lang: Lang) -> Result<Lesson, Problem> {
    let (front, body, first_line) = split_front_matter(path, text)?;
    let steps = parse_steps(path, body, first_line)?;
    if steps.is_empty() {
        return Err(Problem::new(path, first_line, "the lesson has no steps"));
    }
    Ok(lesson_of(front, lang, path, Steps::from(steps)))
}

/// Like [`parse_lesson`] for a built-in lesson: only its front matter now,
/// its steps when first looked at (the tests check that they parse).
pub fn parse_builtin_lesson(
    path: &str,
    text: &'static str,
    lang: Lang,
    built: Option<&BuiltFront>,
) -> Result<Lesson, Problem> {
    if let Some(b) = built {
        let front = FrontMatter {
            id: b.id.to_string(),
            title: b.title.to_string(),
            order: b.order,
            demos: b.demos.iter().map(|d| d.to_string()).collect(),
        };
        let steps = Steps::deferred(path, text, b.body_start, b.body_line, parse_steps);
        return Ok(lesson_of(front, lang, path, steps));
    }
    let (front, body, first_line) = split_front_matter(path, text)?;
    let start = text.len() - body.len();
    Ok(lesson_of(
        front,
        lang,
        path,
        Steps::deferred(path, text, start, first_line, parse_steps),
    ))
}

/// A built-in lesson's front matter as build.rs read it (`None` there when
/// anything is unusual, and the file is parsed here instead).
#[derive(Debug)]
pub struct BuiltFront {
    pub id: &'static str,
    pub title: &'static str,
    pub order: u32,
    pub demos: &'static [&'static str],
    /// Where the body starts (a byte offset) and its line number.
    pub body_start: usize,
    pub body_line: usize,
}

fn lesson_of(front: FrontMatter, lang: Lang, path: &str, steps: Steps) -> Lesson {
    Lesson {
        id: front.id,
        title: front.title,
        order: front.order,
        demos: front.demos,
        lang,
        path: path.to_string(),
        steps,
    }
}

/// The front matter, the body and the body's first line.
fn split_front_matter<'t>(
    path: &str,
    text: &'t str,
) -> Result<(FrontMatter, &'t str, usize), Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != FENCE {
        return Err(Problem::new(
            path,
            1,
            "a lesson starts with TOML front matter between `+++` lines",
        ));
    }
    // The front matter starts after the whole first line. Counting the fence
    // plus one or two bytes broke on any other whitespace `trim_end` accepts
    // (U+3000 is three bytes, U+00A0 two): the offset landed inside a char.
    let front_start = first.len();
    let mut offset = front_start;
    let mut front_end = None;
    for line in lines {
        if line.trim_end() == FENCE {
            front_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((front_end, body_start)) = front_end else {
        return Err(Problem::new(
            path,
            1,
            "front matter is not closed by a `+++` line",
        ));
    };
    let front_text = &text[front_start..front_end];
    let front: FrontMatter = toml::from_str(front_text).map_err(|e| {
        let line = e
            .span()
            .map(|s| LineIndex::new(front_text, 2).line(s.start))
            .unwrap_or(2);
        Problem::new(path, line, format!("front matter: {}", e.message()))
    })?;
    if !is_valid_id(&front.id) {
        return Err(Problem::new(
            path,
            2,
            format!("id `{}`: use lowercase letters, digits and '-'", front.id),
        ));
    }
    let body_first_line = LineIndex::new(text, 1).line(body_start.min(text.len()));
    Ok((front, &text[body_start.min(text.len())..], body_first_line))
}

fn strong_next_to_cjk(inlines: Vec<Inline>) -> Vec<Inline> {
    let marks: usize = inlines
        .iter()
        .filter(|i| !i.style.code)
        .map(|i| i.text.matches("**").count())
        .sum();
    if marks == 0 || marks % 2 == 1 {
        return inlines;
    }
    let mut out: Vec<Inline> = Vec::new();
    let mut strong = false;
    for inline in inlines {
        if inline.style.code {
            out.push(inline);
            continue;
        }
        for (k, piece) in inline.text.split("**").enumerate() {
            if k > 0 {
                strong = !strong;
            }
            if piece.is_empty() {
                continue;
            }
            let mut style = inline.style;
            style.strong |= strong;
            match out.last_mut() {
                Some(last) if last.style == style => last.text.push_str(piece),
                _ => out.push(Inline {
                    text: piece.to_string(),
                    style,
                }),
            }
        }
    }
    out
}

/// A character that takes two columns (CJK, full-width punctuation): no
/// space is wanted beside it where a line was broken.
fn is_wide(c: char) -> bool {
    unicode_width::UnicodeWidthChar::width(c) == Some(2)
}

pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A container being filled while walking Markdown events.
enum Frame {
    Root,
    Quote(Vec<Block>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Item(Vec<Block>),
}

struct TableBuilder {
    align: Vec<Align>,
    head: Vec<Cell>,
    rows: Vec<Vec<Cell>>,
    in_head: bool,
}

struct Builder<'a> {
    path: &'a str,
    lines: LineIndex,
    steps: Vec<Step>,
    frames: Vec<Frame>,
    inlines: Vec<Inline>,
    style: InlineStyle,
    code: Option<(String, String, usize)>,
    table: Option<TableBuilder>,
    heading: Option<(u8, usize)>,
    /// The pending step break: a `---` or heading seen at the root.
    break_pending: bool,
    /// A line break inside a paragraph, waiting for the next text to say
    /// whether it is a space (between Latin words) or nothing (next to CJK).
    soft_break: bool,
    /// Speaker notes seen before the step they belong to has started.
    notes: Vec<String>,
    /// The HTML block being read (a comment may hold notes).
    html: Option<String>,
}

pub(super) fn parse_steps(path: &str, body: &str, first_line: usize) -> Result<Vec<Step>, Problem> {
    let mut b = Builder {
        path,
        lines: LineIndex::new(body, first_line),
        steps: Vec::new(),
        frames: vec![Frame::Root],
        inlines: Vec::new(),
        style: InlineStyle::default(),
        code: None,
        table: None,
        heading: None,
        break_pending: true,
        soft_break: false,
        notes: Vec::new(),
        html: None,
    };
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(body, opts).into_offset_iter() {
        let line = b.lines.line(range.start);
        // Stops at the first problem: the rest of a too-deep document is
        // never turned into blocks.
        b.event(event, line)?;
    }
    // Notes after the last step's content belong to it.
    if let Some(last) = b.steps.last_mut() {
        last.notes.append(&mut b.notes);
    }
    // Drop empty steps made by a leading or trailing `---` (their notes go
    // to the step before).
    let mut kept: Vec<Step> = Vec::new();
    for mut step in b.steps {
        if step.blocks.is_empty() && step.demo.is_none() {
            if let Some(prev) = kept.last_mut() {
                prev.notes.append(&mut step.notes);
            }
            continue;
        }
        kept.push(step);
    }
    b.steps = kept;
    Ok(b.steps)
}

impl Builder<'_> {
    fn at_root(&self) -> bool {
        self.frames.len() == 1
    }

    fn start_step(&mut self, title: Option<String>, line: usize) {
        let title = title.unwrap_or_else(|| {
            self.steps
                .last()
                .map(|s| s.title.clone())
                .unwrap_or_default()
        });
        self.steps.push(Step {
            title,
            line,
            blocks: Vec::new(),
            demo: None,
            notes: std::mem::take(&mut self.notes),
        });
        self.break_pending = false;
    }

    fn push_block(&mut self, block: Block, line: usize) {
        if self.at_root() && (self.break_pending || self.steps.is_empty()) {
            self.start_step(None, line);
        }
        match self.frames.last_mut() {
            Some(Frame::Root) | None => {
                if let Some(step) = self.steps.last_mut() {
                    step.blocks.push(block)
                }
            }
            Some(Frame::Quote(v)) | Some(Frame::Item(v)) => v.push(block),
            Some(Frame::List { items, .. }) => items.push(vec![block]),
        }
    }

    fn flush_inlines(&mut self, line: usize) {
        self.soft_break = false;
        if !self.inlines.is_empty() {
            let inl = strong_next_to_cjk(std::mem::take(&mut self.inlines));
            self.push_block(Block::Para(inl), line);
        }
    }

    fn text(&mut self, text: &str, extra: impl FnOnce(&mut InlineStyle)) {
        if std::mem::take(&mut self.soft_break) {
            let before = self.inlines.last().and_then(|i| i.text.chars().last());
            let after = text.chars().next();
            // A line break in Chinese text joins the lines: a space there
            // shows as a stray gap ("线程。 每件"). Between Latin words it is
            // a space.
            if !before.is_some_and(is_wide) && !after.is_some_and(is_wide) {
                self.push_text(" ", self.style);
            }
        }
        let mut style = self.style;
        extra(&mut style);
        self.push_text(text, style);
    }

    fn push_text(&mut self, text: &str, style: InlineStyle) {
        match self.inlines.last_mut() {
            Some(last) if last.style == style => last.text.push_str(text),
            _ => self.inlines.push(Inline {
                text: text.to_string(),
                style,
            }),
        }
    }

    fn event(&mut self, event: Event<'_>, line: usize) -> Result<(), Problem> {
        if let Some((_, text, _)) = &mut self.code {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (lang, text, start) = self.code.take().unwrap_or_default();
                    self.end_code(lang, text, start)?;
                }
                _ => {}
            }
            return Ok(());
        }
        match event {
            Event::Start(tag) => self.start(tag, line)?,
            Event::End(tag) => self.end(tag, line),
            Event::Text(t) => self.text(&t, |_| {}),
            Event::Code(t) => self.text(&t, |s| s.code = true),
            Event::SoftBreak => self.soft_break = !self.inlines.is_empty(),
            Event::HardBreak => self.text("\n", |_| {}),
            Event::Rule => {
                if self.at_root() {
                    self.break_pending = true;
                } else {
                    self.push_block(Block::Rule, line);
                }
            }
            // HTML (comments, mostly) is for authors, not students; a
            // `<!-- notes: … -->` comment is for the presenter.
            Event::Html(t) => match &mut self.html {
                Some(block) => block.push_str(&t),
                None => self.html_notes(&t),
            },
            Event::InlineHtml(t) => self.html_notes(&t),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }, |_| {}),
            Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
        }
        Ok(())
    }

    /// Checks that one more quote or list may open: at most [`MAX_NESTING`].
    /// Items do not count, as each sits in a list that already did; the
    /// frames are counted, not tracked, so the count cannot drift.
    fn nest(&self, line: usize) -> Result<(), Problem> {
        let open = self
            .frames
            .iter()
            .filter(|f| matches!(f, Frame::Quote(_) | Frame::List { .. }))
            .count();
        if open >= MAX_NESTING {
            return Err(Problem::new(
                self.path,
                line,
                format!(
                    "nesting deeper than {MAX_NESTING} (block quotes and lists inside each other)"
                ),
            ));
        }
        Ok(())
    }

    fn start(&mut self, tag: Tag<'_>, line: usize) -> Result<(), Problem> {
        match tag {
            Tag::Heading { level, .. } => {
                let level = heading_level(level);
                if self.at_root() && level <= 2 {
                    self.break_pending = true;
                }
                self.heading = Some((level, line));
            }
            Tag::Paragraph => {}
            Tag::HtmlBlock => self.html = Some(String::new()),
            Tag::BlockQuote(_) => {
                self.nest(line)?;
                self.flush_inlines(line);
                self.frames.push(Frame::Quote(Vec::new()));
            }
            Tag::List(start) => {
                self.nest(line)?;
                self.flush_inlines(line);
                self.frames.push(Frame::List {
                    start,
                    items: Vec::new(),
                });
            }
            Tag::Item => self.frames.push(Frame::Item(Vec::new())),
            Tag::CodeBlock(kind) => {
                self.flush_inlines(line);
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((info, String::new(), line));
            }
            Tag::Table(align) => {
                self.table = Some(TableBuilder {
                    align: align.iter().map(|a| convert_align(*a)).collect(),
                    head: Vec::new(),
                    rows: Vec::new(),
                    in_head: false,
                })
            }
            Tag::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = true;
                }
            }
            Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.inlines.clear(),
            Tag::Emphasis => self.style.emphasis = true,
            Tag::Strong => self.style.strong = true,
            Tag::Strikethrough => self.style.strike = true,
            Tag::Link { .. } => self.style.link = true,
            Tag::Image { .. } => self.text("[image: ", |_| {}),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, tag: TagEnd, line: usize) {
        match tag {
            TagEnd::Heading(_) => {
                let (level, start) = self.heading.take().unwrap_or((3, line));
                let text = strong_next_to_cjk(std::mem::take(&mut self.inlines));
                if self.at_root() && level <= 2 {
                    let title: String = text.iter().map(|i| i.text.as_str()).collect();
                    self.start_step(Some(title), start);
                }
                self.push_block(Block::Heading { level, text }, start);
            }
            TagEnd::Paragraph => self.flush_inlines(line),
            TagEnd::HtmlBlock => {
                let block = self.html.take().unwrap_or_default();
                self.html_notes(&block);
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inlines(line);
                if let Some(Frame::Quote(blocks)) = self.frames.pop() {
                    self.push_block(Block::Quote(blocks), line);
                }
            }
            TagEnd::Item => {
                self.flush_inlines(line);
                if let Some(Frame::Item(blocks)) = self.frames.pop()
                    && let Some(Frame::List { items, .. }) = self.frames.last_mut()
                {
                    items.push(blocks);
                }
            }
            TagEnd::List(_) => {
                if let Some(Frame::List { start, items }) = self.frames.pop() {
                    self.push_block(Block::List { start, items }, line);
                }
            }
            TagEnd::TableCell => {
                let cell = strong_next_to_cjk(std::mem::take(&mut self.inlines));
                if let Some(t) = &mut self.table {
                    if t.in_head {
                        t.head.push(cell);
                    } else if let Some(row) = t.rows.last_mut() {
                        row.push(cell);
                    }
                }
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = false;
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.push_block(
                        Block::Table {
                            align: t.align,
                            head: t.head,
                            rows: t.rows,
                        },
                        line,
                    );
                }
            }
            TagEnd::Emphasis => self.style.emphasis = false,
            TagEnd::Strong => self.style.strong = false,
            TagEnd::Strikethrough => self.style.strike = false,
            TagEnd::Link => self.style.link = false,
            TagEnd::Image => self.text("]", |_| {}),
            _ => {}
        }
    }

    /// Speaker notes for the step being read, or for the next one when a
    /// step break is pending (notes right after `---` open the next step).
    fn add_notes(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        // Inside a list or quote the step is under way, whatever is pending.
        let current = !self.break_pending || !self.at_root();
        match self.steps.last_mut() {
            Some(step) if current => step.notes.push(text.into()),
            _ => self.notes.push(text.into()),
        }
    }

    /// An HTML comment `<!-- notes: … -->` holds speaker notes.
    fn html_notes(&mut self, html: &str) {
        let Some(body) = html
            .trim()
            .strip_prefix("<!--")
            .and_then(|b| b.strip_suffix("-->"))
        else {
            return;
        };
        if let Some(notes) = body.trim_start().strip_prefix("notes") {
            let notes = notes.strip_prefix(':').unwrap_or(notes);
            self.add_notes(notes);
        }
    }

    fn end_code(&mut self, info: String, text: String, line: usize) -> Result<(), Problem> {
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("").to_string();
        if lang == "notes" {
            self.add_notes(&text);
            return Ok(());
        }
        if lang != "demo" {
            self.push_block(Block::Code { lang, text, line }, line);
            return Ok(());
        }
        let Some(id) = words.next() else {
            return Err(Problem::new(
                self.path,
                line,
                "a demo block needs an id: ```demo ID",
            ));
        };
        let params = Params::from_toml(&text).map_err(|e| {
            let at = line + 1 + e.line.unwrap_or(0);
            Problem::new(self.path, at, format!("demo `{id}` parameters: {e}"))
        })?;
        if !self.at_root() {
            return Err(Problem::new(
                self.path,
                line,
                "a demo block must not be nested",
            ));
        }
        if self.break_pending || self.steps.is_empty() {
            self.start_step(None, line);
        }
        let step = self.steps.last_mut().expect("a step was just started");
        if let Some(other) = &step.demo {
            return Err(Problem::new(
                self.path,
                line,
                format!(
                    "step \"{}\" already has demo `{}` (line {}); one demo per step",
                    step.title, other.id, other.line
                ),
            ));
        }
        step.demo = Some(DemoSlot {
            id: id.to_string(),
            params,
            text,
            line,
        });
        Ok(())
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn convert_align(a: Alignment) -> Align {
    match a {
        Alignment::Center => Align::Center,
        Alignment::Right => Align::Right,
        Alignment::None | Alignment::Left => Align::Left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONT: &str = "id = \"x\"\ntitle = \"X\"\norder = 1\n";

    /// Every char `trim_end` removes, by the definition it uses.
    fn trailing_whitespace() -> Vec<char> {
        (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace() && *c != '\n')
            .collect()
    }

    #[test]
    fn any_whitespace_after_a_fence_is_accepted_without_a_panic() {
        let all = trailing_whitespace();
        // U+3000, U+00A0, U+2003 and U+0085 are the ones the fuzzer found.
        for c in ['\u{3000}', '\u{a0}', '\u{2003}', '\u{85}', '\r', '\t', ' '] {
            assert!(all.contains(&c), "{c:?}");
        }
        for c in all {
            for text in [
                format!("+++{c}\n{FRONT}+++\n\n# Step\n\nbody\n"),
                format!("+++{c}{c}\n{FRONT}+++{c}\n\n# Step\n\nbody\n"),
                format!("+++\n{FRONT}+++{c}\n# Step\n\nbody\n"),
            ] {
                let lesson = parse_lesson("x.md", &text, Lang::En)
                    .unwrap_or_else(|p| panic!("{:?} after a fence: {p}", c));
                assert_eq!(lesson.id, "x");
                assert_eq!(lesson.steps[0].title, "Step");
            }
            // A fence at the very end, with nothing after it.
            let p = parse_lesson("x.md", &format!("+++{c}"), Lang::En).unwrap_err();
            assert_eq!(
                p.to_string(),
                "x.md:1: front matter is not closed by a `+++` line"
            );
        }
    }

    #[test]
    fn front_matter_lines_are_counted_after_a_wide_fence() {
        let text = "+++\u{3000}\nid = \"x\"\ntitle = 3\norder = 1\n+++\n# S\n\nb\n";
        let p = parse_lesson("x.md", text, Lang::En).unwrap_err();
        assert_eq!(p.line, 3, "{p}");
    }

    fn lesson_with(body: &str) -> Result<Lesson, Problem> {
        parse_lesson(
            "deep.md",
            &format!("+++\n{FRONT}+++\n\n# Step\n\n{body}\n"),
            Lang::En,
        )
    }

    /// Depth of the deepest quote or list, walked without recursion.
    fn depth(blocks: &[Block]) -> usize {
        let mut deepest = 0;
        let mut todo: Vec<(&Block, usize)> = blocks.iter().map(|b| (b, 1)).collect();
        while let Some((b, d)) = todo.pop() {
            let inner: Vec<&Block> = match b {
                Block::Quote(v) => v.iter().collect(),
                Block::List { items, .. } => items.iter().flatten().collect(),
                _ => continue,
            };
            deepest = deepest.max(d);
            todo.extend(inner.into_iter().map(|b| (b, d + 1)));
        }
        deepest
    }

    #[test]
    fn nesting_up_to_the_bound_is_fine() {
        for unit in ["> ", "- ", "1. "] {
            let l = lesson_with(&format!("{}deep", unit.repeat(MAX_NESTING))).unwrap();
            assert_eq!(depth(&l.steps[0].blocks), MAX_NESTING, "{unit:?}");
        }
    }

    #[test]
    fn nesting_past_the_bound_is_a_located_problem_not_a_stack_overflow() {
        // One line each, as the fuzzer built them, and far past what
        // overflowed before (~9,000 in the TUI, ~37,000 in `concur check`).
        // Test threads have a 2 MiB stack, a quarter of the main thread's.
        for unit in ["> ", "- ", "1. ", "* ", "> - ", "- > 1. "] {
            let body = format!("text\n\n{}deep", unit.repeat(100_000));
            let p = lesson_with(&body).unwrap_err();
            assert_eq!(
                p.to_string(),
                format!(
                    "deep.md:11: nesting deeper than {MAX_NESTING} (block quotes and lists inside each other)"
                ),
                "{unit:?}"
            );
        }
        // Deep nesting spread over lines is found where it goes too deep.
        let mut body = String::new();
        for level in 0..=MAX_NESTING {
            body.push_str(&"> ".repeat(level + 1));
            body.push_str("line\n");
        }
        let p = lesson_with(&body).unwrap_err();
        assert_eq!(p.line, 9 + MAX_NESTING, "{p}");
    }

    #[test]
    fn speaker_notes_go_to_their_step_and_never_into_its_text() {
        let body = "intro\n\n```notes\nsay hello\n```\n\n---\n\n<!-- notes: ask a question -->\n\n\
                    # Two\n\ntext <!-- notes: inline aside --> more\n\n<!-- a comment for authors -->\n\n\
                    ```notes\nshow the demo\n```\n";
        let l = lesson_with(body).unwrap();
        let notes: Vec<Vec<String>> = l.steps.iter().map(|s| s.notes.clone()).collect();
        assert_eq!(
            notes,
            [
                vec!["say hello".to_string()],
                // Notes after a `---` belong to the step that follows.
                vec![
                    "ask a question".to_string(),
                    "inline aside".to_string(),
                    "show the demo".to_string()
                ],
            ],
            "{:#?}",
            l.steps
        );
        let mut text = String::new();
        for step in &l.steps {
            for b in &step.blocks {
                b.plain_text(&mut text);
            }
        }
        assert!(
            !text.contains("hello") && !text.contains("question"),
            "{text}"
        );
        assert!(
            !text.contains("aside") && !text.contains("authors"),
            "{text}"
        );
    }

    #[test]
    fn strong_chinese_labels_before_text_are_strong() {
        let l = lesson_with("- **线程。**每件工作一个线程。\n- **UDP：**有用，`a ** b` 不变。\n")
            .unwrap();
        let Block::List { items, .. } = &l.steps[0].blocks[1] else {
            panic!("{:?}", l.steps[0].blocks);
        };
        let Block::Para(first) = &items[0][0] else {
            panic!()
        };
        assert_eq!(first[0].text, "线程。");
        assert!(first[0].style.strong);
        assert_eq!(first[1].text, "每件工作一个线程。");
        assert!(!first[1].style.strong);
        let Block::Para(second) = &items[1][0] else {
            panic!()
        };
        let code = second.iter().find(|i| i.style.code).unwrap();
        assert_eq!(code.text, "a ** b");
        assert!(
            second
                .iter()
                .all(|i| !i.text.contains("**") || i.style.code)
        );
    }

    #[test]
    fn no_built_in_lesson_shows_markdown_stars() {
        fn walk(blocks: &[Block], out: &mut Vec<String>) {
            for b in blocks {
                let inls: Vec<&Inline> = match b {
                    Block::Para(v) | Block::Heading { text: v, .. } => v.iter().collect(),
                    Block::Table { head, rows, .. } => {
                        head.iter().chain(rows.iter().flatten()).flatten().collect()
                    }
                    Block::Quote(inner) => {
                        walk(inner, out);
                        continue;
                    }
                    Block::List { items, .. } => {
                        for item in items {
                            walk(item, out);
                        }
                        continue;
                    }
                    _ => continue,
                };
                for i in inls {
                    if !i.style.code && (i.text.contains("**") || i.text.contains("__")) {
                        out.push(i.text.clone());
                    }
                }
            }
        }
        let catalog = crate::lesson::Catalog::builtin();
        let mut stars = Vec::new();
        for set in &catalog.lessons {
            for lesson in set.by_lang.values() {
                for step in &lesson.steps {
                    walk(&step.blocks, &mut stars);
                }
            }
        }
        assert!(stars.is_empty(), "{stars:#?}");
    }

    /// build.rs reads every shipped lesson's front matter, and reads it as
    /// the app's own parser does: same fields, same body, same line numbers.
    #[test]
    fn front_matter_read_at_build_time_matches_the_parser() {
        let mut lessons = 0;
        let catalog = super::super::catalog::BUILTIN_FILES.iter();
        for ((rel, built, _), text) in catalog.zip(super::super::catalog::BUILTIN_TEXTS) {
            if !rel.ends_with(".md") {
                assert!(built.is_none(), "{rel}");
                continue;
            }
            lessons += 1;
            let built = built
                .as_ref()
                .unwrap_or_else(|| panic!("{rel}: build.rs did not read its front matter"));
            let (front, body, line) = split_front_matter(rel, text).unwrap();
            assert_eq!(front.id, built.id, "{rel}");
            assert_eq!(front.title, built.title, "{rel}");
            assert_eq!(front.order, built.order, "{rel}");
            assert_eq!(front.demos, built.demos, "{rel}");
            assert!(std::ptr::eq(body, &text[built.body_start..]), "{rel}");
            assert_eq!(line, built.body_line, "{rel}");
            // And the catalog takes that reading, not a second parse.
            let lesson = parse_builtin_lesson(rel, text, Lang::En, Some(built)).unwrap();
            assert_eq!(lesson.title, built.title);
        }
        assert!(lessons >= 20, "{lessons} built-in lessons");
    }

    /// Home shows how many questions a quiz has from build.rs's count; it
    /// is the parser's count, and reading it parses nothing.
    #[test]
    fn questions_counted_at_build_time_are_the_parsed_questions() {
        let mut quizzes = 0;
        let catalog = super::super::catalog::BUILTIN_FILES.iter();
        for ((rel, _, counted), text) in catalog.zip(super::super::catalog::BUILTIN_TEXTS) {
            if !rel.ends_with(".quiz.toml") {
                assert!(counted.is_none(), "{rel}");
                continue;
            }
            quizzes += 1;
            let parsed = crate::quiz::parse_quiz(rel, text).0.questions.len();
            assert_eq!(*counted, Some(parsed), "{rel}");
        }
        assert!(quizzes >= 20, "{quizzes} built-in quizzes");
        let catalog = super::super::Catalog::builtin();
        for set in &catalog.lessons {
            let totals = Lang::ALL.map(|lang| set.question_total(lang));
            assert!(set.quizzes.values().all(|q| !q.is_parsed()), "{}", set.id);
            for (lang, total) in Lang::ALL.into_iter().zip(totals) {
                let parsed = set.quiz(lang).map_or(0, |q| q.questions.len());
                assert_eq!(total, parsed, "{} {lang:?}", set.id);
                assert!(total > 0, "{} {lang:?}", set.id);
            }
        }
    }
}

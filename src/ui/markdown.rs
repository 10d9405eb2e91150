//! Lesson blocks to styled lines for a given width: the render model of a step.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::highlight::highlight_if_ready;
use super::theme::Theme;
use super::wrap::{Run, line_width, wrap_runs};
use crate::lesson::model::{Align, Block, Cell, Inline};
use crate::lesson::parse::MAX_NESTING;

const PAIR_GAP: &str = " │ ";

/// How a step is drawn besides its width.
#[derive(Debug, Clone, Copy)]
struct Opts<'a> {
    theme: &'a Theme,
    /// Columns code lines are scrolled sideways by.
    shift: usize,
}

/// Renders a step's blocks to lines of at most `width` columns.
pub fn render_blocks(blocks: &[Block], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    render_shifted(blocks, width, theme, 0)
}

/// `render_blocks` with code lines scrolled `shift` columns sideways, so the
/// end of a line cut with `…` can be read.
pub fn render_shifted(
    blocks: &[Block],
    width: usize,
    theme: &Theme,
    shift: usize,
) -> Vec<Line<'static>> {
    render_nested(blocks, width, Opts { theme, shift }, 0)
}

/// The widest code line of `blocks`, for how far code can scroll sideways.
pub fn widest_code(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::Code { text, .. } => text
                .lines()
                .map(|l| l.replace('\t', "    ").width())
                .max()
                .unwrap_or(0),
            Block::Quote(inner) => widest_code(inner),
            Block::List { items, .. } => items.iter().map(|i| widest_code(i)).max().unwrap_or(0),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// `render_blocks` at a nesting depth: quotes and lists recurse through
/// here, so the depth is bounded even for blocks the parser did not make
/// (it refuses more than `MAX_NESTING` levels); deeper content shows as `…`.
fn render_nested(blocks: &[Block], width: usize, o: Opts, depth: usize) -> Vec<Line<'static>> {
    let width = width.max(4);
    let mut out = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        if !out.is_empty() {
            out.push(Line::default());
        }
        if let (
            Block::Code {
                lang: a, text: ta, ..
            },
            Some(Block::Code {
                lang: b, text: tb, ..
            }),
        ) = (&blocks[i], blocks.get(i + 1))
            && a == "python"
            && b == "rust"
        {
            render_pair(&mut out, (a, ta), (b, tb), width, o);
            i += 2;
            continue;
        }
        render_block(&mut out, &blocks[i], width, o, depth);
        i += 1;
    }
    out
}

fn inline_runs(inlines: &[Inline], base: Style, theme: &Theme) -> Vec<Run> {
    inlines
        .iter()
        .map(|i| {
            let mut style = base;
            if i.style.code {
                style = theme.code_inline();
            }
            if i.style.strong {
                style = style.patch(theme.strong());
            }
            if i.style.emphasis {
                style = style.patch(theme.emphasis());
            }
            if i.style.link {
                style = style.patch(theme.link());
            }
            if i.style.strike {
                style = style.add_modifier(Modifier::CROSSED_OUT);
            }
            (i.text.clone(), style)
        })
        .collect()
}

fn render_block(out: &mut Vec<Line<'static>>, block: &Block, width: usize, o: Opts, depth: usize) {
    let theme = o.theme;
    if matches!(block, Block::Quote(_) | Block::List { .. }) && depth >= MAX_NESTING {
        out.push(Line::styled("…", theme.muted()));
        return;
    }
    match block {
        Block::Heading { level, text } => {
            let style = theme.heading(*level);
            let mut runs = inline_runs(text, style, theme);
            if *level >= 3 {
                runs.insert(0, ("▸ ".into(), style));
            }
            out.extend(wrap_runs(&runs, width));
        }
        Block::Para(inlines) => {
            out.extend(wrap_runs(&inline_runs(inlines, theme.text(), theme), width))
        }
        Block::List { start, items } => render_list(out, *start, items, width, o, depth + 1),
        Block::Quote(blocks) => {
            let inner = render_nested(blocks, width.saturating_sub(2), o, depth + 1);
            for line in inner {
                let mut spans = vec![Span::styled("▌ ", theme.quote())];
                spans.extend(line.spans.into_iter().map(|s| {
                    let style = s.style.patch(Style::new().add_modifier(Modifier::ITALIC));
                    Span::styled(s.content, style)
                }));
                out.push(Line::from(spans));
            }
        }
        Block::Code { lang, text, .. } => out.extend(render_code(lang, text, width, o)),
        Block::Table { align, head, rows } => render_table(out, align, head, rows, width, theme),
        Block::Rule => out.push(Line::styled("─".repeat(width), theme.muted())),
    }
}

fn render_list(
    out: &mut Vec<Line<'static>>,
    start: Option<u64>,
    items: &[Vec<Block>],
    width: usize,
    o: Opts,
    depth: usize,
) {
    let theme = o.theme;
    for (n, item) in items.iter().enumerate() {
        let marker = match start {
            Some(s) => format!("{}. ", s + n as u64),
            None => "• ".to_string(),
        };
        let indent = marker.width();
        let mut first = true;
        for (bi, block) in item.iter().enumerate() {
            let mut lines = Vec::new();
            render_block(
                &mut lines,
                block,
                width.saturating_sub(indent).max(1),
                o,
                depth,
            );
            if bi > 0 && !matches!(block, Block::List { .. }) {
                out.push(Line::default());
            }
            for line in lines {
                let lead = if first {
                    first = false;
                    Span::styled(marker.clone(), theme.accent())
                } else {
                    Span::raw(" ".repeat(indent))
                };
                let mut spans = vec![lead];
                spans.extend(line.spans);
                out.push(Line::from(spans));
            }
        }
    }
}

/// A code block: highlighted, on the code background. A line wider than
/// the block is cut with `…`, never wrapped (a wrapped line breaks a token
/// and looks like two lines of code); `shift` scrolls the lines sideways.
fn render_code(lang: &str, text: &str, width: usize, o: Opts) -> Vec<Line<'static>> {
    render_code_padded(lang, text, width, o, 1)
}

/// `render_code` with `right` columns of padding after the longest line
/// (none in a pair: the gap between the blocks is padding enough).
fn render_code_padded(
    lang: &str,
    text: &str,
    width: usize,
    o: Opts,
    right: usize,
) -> Vec<Line<'static>> {
    let theme = o.theme;
    let inner = width.saturating_sub(1 + right).max(1);
    let bg = theme.code_block();
    let highlighted = highlight_if_ready(text, lang);
    let natural = highlighted
        .iter()
        .map(|l| {
            l.iter()
                .map(|(t, _)| t.replace('\t', "    ").width())
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    // Scroll no further than the widest line needs.
    let shift = o.shift.min(natural.saturating_sub(inner));
    let natural = natural.min(inner);
    let code: Vec<Line> = highlighted
        .into_iter()
        .map(|pieces| {
            let runs: Vec<Run> = pieces
                .into_iter()
                .map(|(t, k)| (t.replace('\t', "    "), theme.syntax(k)))
                .collect();
            cut_code_line(&runs, shift, inner, theme.muted())
        })
        .collect();
    // The language, right-aligned: past the block on its first line when
    // there is room, else over the padding of the first line short enough,
    // so both blocks of a pair are labelled however tight.
    let label = format!(" {lang}");
    let labelled = (!lang.is_empty() && !theme.mono)
        .then(|| {
            code.iter()
                .position(|l| 1 + line_width(l) + label.width() <= width)
        })
        .flatten();
    let mut lines = Vec::new();
    for (i, line) in code.into_iter().enumerate() {
        let used = 1 + line_width(&line);
        let mut pad = (natural + 1 + right).saturating_sub(used);
        let mut spans = vec![Span::styled(" ", bg)];
        spans.extend(line.spans);
        let tag = (labelled == Some(i)).then(|| {
            // Shorten the padding if the label needs it.
            pad = pad.min(width - used - label.width());
            format!("{label:>w$}", w = width - used - pad)
        });
        spans.push(Span::styled(" ".repeat(pad), bg));
        if let Some(tag) = tag {
            spans.push(Span::styled(tag, theme.muted()));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// One line of code from column `shift`, at most `width` columns: `…`
/// where it is cut on either side.
fn cut_code_line(runs: &[Run], shift: usize, width: usize, mark: Style) -> Line<'static> {
    let total: usize = runs.iter().map(|(t, _)| t.width()).sum();
    let left_cut = shift > 0 && total > 0;
    let right_cut = total > shift + width;
    let from = shift + usize::from(left_cut);
    let room = width
        .saturating_sub(usize::from(left_cut))
        .saturating_sub(usize::from(right_cut));
    let mut spans = Vec::new();
    if left_cut {
        spans.push(Span::styled("…", mark));
    }
    let mut col = 0;
    for (text, style) in runs {
        let mut piece = String::new();
        for ch in text.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
            if col >= from && col + cw <= from + room {
                piece.push(ch);
            }
            col += cw;
        }
        if !piece.is_empty() {
            spans.push(Span::styled(piece, *style));
        }
    }
    if right_cut {
        spans.push(Span::styled("…", mark));
    }
    Line::from(spans)
}

/// asyncio on the left, tokio on the right when both fit whole; stacked
/// otherwise.
fn render_pair(
    out: &mut Vec<Line<'static>>,
    left: (&str, &str),
    right: (&str, &str),
    width: usize,
    o: Opts,
) {
    let theme = o.theme;
    let gap = PAIR_GAP.width();
    // Each block: a column of padding on its left, its longest line.
    let natural = |code: &str| {
        code.lines()
            .map(|l| l.replace('\t', "    ").width())
            .max()
            .unwrap_or(0)
            + 1
    };
    let (nl, nr) = (natural(left.1), natural(right.1));
    if nl + gap + nr > width {
        out.extend(render_code(left.0, left.1, width, o));
        out.push(Line::default());
        out.extend(render_code(right.0, right.1, width, o));
        return;
    }
    // Room to spare goes to the labels first, then to the left column.
    let spare = width - nl - gap - nr;
    let label = |lang: &str| if theme.mono { 0 } else { lang.width() + 1 };
    let rw = nr + label(right.0).min(spare / 2);
    let lw = width - gap - rw;
    let a = render_code_padded(left.0, left.1, lw, o, 0);
    let b = render_code_padded(right.0, right.1, rw, o, 0);
    for i in 0..a.len().max(b.len()) {
        let mut spans = Vec::new();
        match a.get(i) {
            Some(l) => {
                let w = line_width(l);
                spans.extend(l.spans.clone());
                spans.push(Span::raw(" ".repeat(lw.saturating_sub(w))));
            }
            None => spans.push(Span::raw(" ".repeat(lw))),
        }
        spans.push(Span::styled(PAIR_GAP, theme.border()));
        if let Some(l) = b.get(i) {
            spans.extend(l.spans.clone());
        }
        out.push(Line::from(spans));
    }
}

fn render_table(
    out: &mut Vec<Line<'static>>,
    align: &[Align],
    head: &[Cell],
    rows: &[Vec<Cell>],
    width: usize,
    theme: &Theme,
) {
    let ncols = rows
        .iter()
        .map(Vec::len)
        .chain([head.len()])
        .max()
        .unwrap_or(0);
    if ncols == 0 {
        return;
    }
    let widths = column_widths(head, rows, ncols, width);
    let render_row = |out: &mut Vec<Line<'static>>, row: &[Cell], base: Style| {
        let cells: Vec<Vec<Line<'static>>> = (0..ncols)
            .map(|i| match row.get(i) {
                Some(c) => wrap_runs(&inline_runs(c, base, theme), widths[i]),
                None => vec![Line::default()],
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1);
        for r in 0..height {
            let mut spans = Vec::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" │ ", theme.border()));
                }
                let line = cell.get(r).cloned().unwrap_or_default();
                let pad = widths[i].saturating_sub(line_width(&line));
                let (l, rpad) = match align.get(i).copied().unwrap_or(Align::Left) {
                    Align::Left => (0, pad),
                    Align::Right => (pad, 0),
                    Align::Center => (pad / 2, pad - pad / 2),
                };
                spans.push(Span::raw(" ".repeat(l)));
                spans.extend(line.spans);
                if i + 1 < ncols {
                    spans.push(Span::raw(" ".repeat(rpad)));
                }
            }
            out.push(Line::from(spans));
        }
    };
    render_row(out, head, theme.strong());
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    out.push(Line::styled(rule.join("─┼─"), theme.border()));
    for row in rows {
        render_row(out, row, theme.text());
    }
}

/// Each column's width: what its widest cell needs, narrowed (the widest
/// first) until the table fits `width`. A column never gets narrower than
/// its longest unbreakable piece (a word, a `code` span, one CJK character
/// with its punctuation), so cells wrap between words, as long as the table
/// can fit at all.
fn column_widths(head: &[Cell], rows: &[Vec<Cell>], ncols: usize, width: usize) -> Vec<usize> {
    let cell_text = |c: &Cell| c.iter().map(|i| i.text.as_str()).collect::<String>();
    let all_rows = || std::iter::once(head).chain(rows.iter().map(Vec::as_slice));
    let mut widths = vec![1usize; ncols];
    let mut least = vec![1usize; ncols];
    for row in all_rows() {
        for (i, cell) in row.iter().enumerate() {
            let text = cell_text(cell);
            widths[i] = widths[i].max(text.width());
            least[i] = least[i].max(longest_piece(&text));
        }
    }
    let sep = 3 * (ncols - 1);
    let avail = width.saturating_sub(sep).max(ncols);
    let fits = least.iter().sum::<usize>() <= avail;
    let floor = |i: usize| if fits { least[i] } else { 1 };
    while widths.iter().sum::<usize>() > avail {
        let pick = widths
            .iter()
            .enumerate()
            .filter(|(i, w)| **w > floor(*i))
            .max_by_key(|(_, w)| **w)
            .map(|(i, _)| i);
        let Some(i) = pick else {
            break;
        };
        widths[i] -= 1;
    }
    widths
}

/// The width of the longest piece of `text` that cannot be broken across
/// lines (UAX #14: between words, around CJK characters).
fn longest_piece(text: &str) -> usize {
    let mut start = 0;
    let mut widest = 0;
    for (brk, _) in unicode_linebreak::linebreaks(text) {
        let piece = text[start..brk].trim_end();
        widest = widest.max(piece.width());
        start = brk;
    }
    widest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::{Lang, parse_lesson};

    fn render(md: &str, width: usize) -> Vec<String> {
        let text = format!("+++\nid = \"t\"\ntitle = \"t\"\norder = 1\n+++\n{md}");
        let lesson = parse_lesson("t.md", &text, Lang::En).unwrap();
        render_blocks(&lesson.steps[0].blocks, width, &Theme::mono())
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn lists_hang_their_lines() {
        let lines = render("- a long item that wraps around\n- b\n  1. nested\n", 16);
        assert_eq!(
            lines,
            [
                "• a long item",
                "  that wraps",
                "  around",
                "• b",
                "  1. nested"
            ]
        );
    }

    #[test]
    fn tables_line_up() {
        let lines = render(
            "| model | calls |\n|---|--:|\n| epoll | 3 |\n| blocking | 120 |\n",
            40,
        );
        assert_eq!(
            lines,
            [
                "model    │ calls",
                "─────────┼──────",
                "epoll    │     3",
                "blocking │   120"
            ]
        );
    }

    #[test]
    fn code_pairs_sit_side_by_side_only_when_both_fit_whole() {
        let md = "```python\nawait x\n```\n```rust\nx.await\n```\n";
        let wide = render(md, 100);
        assert_eq!(wide.len(), 1);
        assert!(wide[0].contains("await x") && wide[0].contains("x.await"));
        // A column of padding and 7 columns each, and the gap: side by side
        // at 19, stacked at 18.
        assert_eq!(render(md, 19).len(), 1);
        let narrow = render(md, 18);
        assert_eq!(narrow, [" await x", "", " x.await"], "{narrow:?}");
    }

    #[test]
    fn long_code_lines_are_cut_not_wrapped_and_scroll_sideways() {
        let md = "```rust\nlet answer = compute(forty_two);\nok\n```\n";
        let lines = render(md, 20);
        assert_eq!(lines, [" let answer = comp…", " ok"], "{lines:?}");
        let text = "+++\nid = \"t\"\ntitle = \"t\"\norder = 1\n+++\n".to_string() + md;
        let lesson = parse_lesson("t.md", &text, Lang::En).unwrap();
        let blocks = &lesson.steps[0].blocks;
        let shifted: Vec<String> = render_shifted(blocks, 20, &Theme::mono(), 14)
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .map(|l| l.trim_end().to_string())
            .collect();
        assert_eq!(shifted, [" …mpute(forty_two);", " …"], "{shifted:?}");
        assert_eq!(widest_code(blocks), 32);
    }

    #[test]
    fn table_cells_break_between_words_not_inside_them() {
        let md =
            "| api | use |\n|---|---|\n| ProcessPoolExecutor() | high-throughput I/O and files |\n";
        let lines = render(md, 40);
        assert!(
            lines.iter().any(|l| l.contains("ProcessPoolExecutor()")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("high-throughput")),
            "{lines:?}"
        );
        for l in &lines {
            assert!(l.width() <= 40, "{l:?}");
        }
    }

    #[test]
    fn a_line_break_next_to_chinese_is_not_a_space() {
        let lines = render(
            "每个连接一个线程。\n每件工作都在等待。\nthen English\nwords\n",
            80,
        );
        assert_eq!(
            lines,
            ["每个连接一个线程。每件工作都在等待。then English words"]
        );
        let lines = render("阻塞：\n每个连接\n", 80);
        assert_eq!(lines, ["阻塞：每个连接"]);
    }

    /// Blocks nested `levels` deep, alternating quotes and lists, with a
    /// paragraph at the bottom.
    fn nested(levels: usize) -> Block {
        let mut b = Block::Para(vec![Inline {
            text: "bottom".into(),
            style: Default::default(),
        }]);
        for level in 0..levels {
            b = if level % 2 == 0 {
                Block::Quote(vec![b])
            } else {
                Block::List {
                    start: None,
                    items: vec![vec![b]],
                }
            };
        }
        b
    }

    /// Takes a deep block apart level by level: the derived drop recurses.
    fn dismantle(mut b: Block) {
        loop {
            b = match b {
                Block::Quote(mut v) if !v.is_empty() => v.remove(0),
                Block::List { mut items, .. } if !items.is_empty() && !items[0].is_empty() => {
                    items[0].remove(0)
                }
                _ => return,
            };
        }
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn rendering_stops_at_the_nesting_bound() {
        // As deep as the parser allows: everything shows.
        let ok = nested(MAX_NESTING);
        let lines = texts(&render_blocks(
            std::slice::from_ref(&ok),
            400,
            &Theme::mono(),
        ));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].ends_with("bottom"), "{lines:?}");
        // Deeper, as code could build by hand: the rest is an ellipsis, and
        // 100,000 levels do not overflow a test thread's 2 MiB stack.
        for levels in [MAX_NESTING + 1, 100_000] {
            let deep = nested(levels);
            let lines = texts(&render_blocks(
                std::slice::from_ref(&deep),
                400,
                &Theme::mono(),
            ));
            assert_eq!(lines.len(), 1, "{lines:?}");
            assert!(lines[0].ends_with('…'), "{lines:?}");
            assert!(!lines[0].contains("bottom"), "{lines:?}");
            dismantle(deep);
        }
    }

    #[test]
    fn quotes_and_headings() {
        let lines = render("> careful\n\n### detail\n", 30);
        assert_eq!(lines, ["▌ careful", "", "▸ detail"]);
    }

    #[test]
    fn nothing_is_wider_than_asked() {
        let md = "A paragraph with `code` and **bold** text that is long.\n\n\
                  ```rust\nfn main() { println!(\"a very long line of code that must wrap\"); }\n```\n\n\
                  | a | b |\n|---|---|\n| 并发是一段时间内 | 并行是同一时刻 |\n";
        // At 4 columns a table cannot fit; it must still not panic.
        render(md, 4);
        for w in [10, 25, 60] {
            for l in render(md, w) {
                assert!(l.width() <= w, "{w}: {l:?}");
            }
        }
    }
}

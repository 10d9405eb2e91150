//! Wrapping styled text to a width, breaking where Unicode allows (UAX #14),
//! so Chinese wraps between characters and never before 。or ，.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_linebreak::{BreakOpportunity, linebreaks};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A piece of text in one style.
pub type Run = (String, Style);

/// Wraps `runs` into lines no wider than `width` columns (at least one line).
pub fn wrap_runs(runs: &[Run], width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut text = String::new();
    let mut bounds = Vec::with_capacity(runs.len());
    for (t, style) in runs {
        let start = text.len();
        text.push_str(t);
        bounds.push((start, text.len(), *style));
    }
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let (mut line_start, mut line_end, mut line_w) = (0usize, 0usize, 0usize);
    let mut seg_start = 0;
    for (brk, kind) in linebreaks(&text) {
        let seg = &text[seg_start..brk];
        let trimmed = seg.trim_end_matches([' ', '\n', '\r', '\t']);
        let seg_w = trimmed.width();
        if line_end > line_start && line_w + seg_w > width {
            lines.push((line_start, line_end));
            line_start = seg_start;
            line_w = 0;
        }
        if seg_w > width {
            // A word longer than the line: cut it by characters.
            let mut w = line_w;
            let mut cut = seg_start;
            for (i, ch) in seg.char_indices() {
                let cw = ch.width().unwrap_or(0);
                if w + cw > width && seg_start + i > line_start {
                    lines.push((line_start, seg_start + i));
                    line_start = seg_start + i;
                    w = 0;
                }
                w += cw;
                cut = seg_start + i + ch.len_utf8();
            }
            line_end = cut;
            line_w = w;
        } else {
            line_end = brk;
            line_w += seg.trim_end_matches(['\n', '\r']).width();
        }
        seg_start = brk;
        if kind == BreakOpportunity::Mandatory {
            lines.push((line_start, line_end));
            line_start = brk;
            line_end = brk;
            line_w = 0;
        }
    }
    if lines.is_empty() {
        lines.push((0, text.len()));
    }
    lines
        .into_iter()
        .map(|(s, e)| {
            let e = s + text[s..e].trim_end_matches([' ', '\n', '\r', '\t']).len();
            let mut spans = Vec::new();
            for &(rs, re, style) in &bounds {
                let (a, b) = (rs.max(s), re.min(e));
                if a < b {
                    spans.push(Span::styled(text[a..b].replace('\n', ""), style));
                }
            }
            Line::from(spans)
        })
        .collect()
}

/// Display width of a line.
pub fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(|s| s.content.width()).sum()
}

/// Cuts a plain string to at most `width` columns, marking the cut with '…'.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = ch.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(ch);
        w += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn wrap(s: &str, w: usize) -> Vec<String> {
        plain(&wrap_runs(&[(s.to_string(), Style::new())], w))
    }

    #[test]
    fn english_wraps_at_spaces() {
        assert_eq!(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
        assert_eq!(wrap("a", 10), ["a"]);
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn long_words_are_cut() {
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn chinese_wraps_between_characters_and_keeps_punctuation() {
        let lines = wrap("协程只在明确的挂起点让出控制权，所以不需要锁。", 10);
        for l in &lines {
            assert!(l.width() <= 10, "{l:?} is wider than 10");
            assert!(!l.starts_with('，') && !l.starts_with('。'), "{lines:?}");
        }
        assert_eq!(
            lines.concat(),
            "协程只在明确的挂起点让出控制权，所以不需要锁。"
        );
    }

    #[test]
    fn hard_breaks_and_styles_survive() {
        let bold = Style::new().bold();
        let lines = wrap_runs(
            &[("one ".into(), Style::new()), ("two\nthree".into(), bold)],
            20,
        );
        assert_eq!(plain(&lines), ["one two", "three"]);
        assert_eq!(lines[0].spans[1].style, bold);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("hi", 6), "hi");
        assert_eq!(truncate("并发并行", 5), "并发…");
    }
}

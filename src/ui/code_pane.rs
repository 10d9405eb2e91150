//! A lane's source code with the line running now highlighted.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::highlight::{highlight_if_ready, is_ready};
use super::theme::{SyntaxKind, Theme};
use super::wrap::truncate;

type Highlighted = Vec<Vec<(String, SyntaxKind)>>;

/// Lane code is `'static` and never changes: highlight each once.
fn highlighted(code: &'static str, language: &str) -> Highlighted {
    static CACHE: OnceLock<Mutex<HashMap<usize, Highlighted>>> = OnceLock::new();
    let key = code.as_ptr() as usize;
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(h) = cache.get(&key) {
        return h.clone();
    }
    let h = highlight_if_ready(code, language);
    if is_ready() {
        cache.insert(key, h.clone());
    }
    h
}

pub struct CodePane<'a> {
    pub code: &'static str,
    /// A syntect language token: `rust`, `python`.
    pub language: &'static str,
    /// 0-based line running now.
    pub current: Option<usize>,
    pub theme: &'a Theme,
}

impl Widget for CodePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width < 8 {
            return;
        }
        let t = self.theme;
        let lines = highlighted(self.code, self.language);
        let height = area.height as usize;
        // Keep the current line in view, a third of the way down.
        let first = match self.current {
            Some(c) if c >= height / 3 => (c - height / 3).min(lines.len().saturating_sub(height)),
            _ => 0,
        };
        let num_w = lines.len().to_string().len();
        for (row, (i, pieces)) in lines
            .iter()
            .enumerate()
            .skip(first)
            .take(height)
            .enumerate()
        {
            let y = area.y + row as u16;
            let here = self.current == Some(i);
            let marker = if here { "▶" } else { " " };
            let mut spans = vec![Span::styled(
                format!("{marker}{:>num_w$} ", i + 1),
                if here { t.accent() } else { t.muted() },
            )];
            let room = (area.width as usize).saturating_sub(num_w + 2);
            let mut used = 0;
            for (text, kind) in pieces {
                if used >= room {
                    break;
                }
                let piece = truncate(text, room - used);
                used += unicode_width::UnicodeWidthStr::width(piece.as_str());
                let mut style = t.syntax(*kind);
                if here {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                spans.push(Span::styled(piece, style));
            }
            Line::from(spans).render(Rect::new(area.x, y, area.width, 1), buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "fn job() {\n    let config = fetch_config().await?;\n    let data = fetch(&config).await?;\n    save(data).await?;\n}\n";

    fn draw(current: Option<usize>, h: u16) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, h));
        CodePane {
            code: CODE,
            language: "rust",
            current,
            theme: &Theme::mono(),
        }
        .render(buf.area, &mut buf);
        crate::ui::test_util::buffer_text(&buf)
    }

    #[test]
    fn the_current_line_is_marked_and_kept_in_view() {
        insta::assert_snapshot!("code_pane_line_3", draw(Some(2), 5));
        let small = draw(Some(4), 2);
        assert!(small.contains("▶5 }"), "{small}");
        assert!(!draw(None, 5).contains('▶'));
    }
}

//! What a terminal below the minimum size shows instead of the app.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use super::theme::Theme;
use super::wrap::wrap_runs;
use crate::i18n::Lang;

pub fn render(
    lang: Lang,
    have: (u16, u16),
    need: (u16, u16),
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let s = lang.strings();
    let w = area.width as usize;
    // Our own wrapping: it never puts a wide character where only half of
    // it fits (a 1- or 2-column terminal is still a terminal).
    let mut lines: Vec<Line> = Vec::new();
    for (text, style) in [
        (s.too_small.to_string(), theme.warn()),
        (
            format!("{}x{} < {}x{}", have.0, have.1, need.0, need.1),
            theme.text(),
        ),
        (s.quit_hint.to_string(), theme.muted()),
    ] {
        lines.extend(wrap_runs(&[(text, style)], w));
    }
    for (row, line) in lines.into_iter().take(area.height as usize).enumerate() {
        line.render(Rect::new(area.x, area.y + row as u16, area.width, 1), buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_size_down_to_one_cell_draws() {
        for lang in [Lang::En, Lang::Zh] {
            for w in 1..12 {
                for h in 1..6 {
                    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
                    render(lang, (w, h), (40, 12), &Theme::mono(), buf.area, &mut buf);
                }
            }
        }
    }
}

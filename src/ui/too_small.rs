//! What a terminal below the minimum size shows instead of the app.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::theme::Theme;
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
    let lines = vec![
        Line::styled(s.too_small, theme.warn()),
        Line::styled(
            format!("{}x{} < {}x{}", have.0, have.1, need.0, need.1),
            theme.text(),
        ),
        Line::styled(s.quit_hint, theme.muted()),
    ];
    // Paragraph clips to the area, so even 1x1 is safe.
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

//! The help overlay: every key of the current screen, from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use super::keys::{Context, listed};
use crate::i18n::Lang;
use crate::ui::theme::Theme;

/// `with_failure`: the demo on screen can fail on purpose, so `f` is listed.
pub fn render(
    ctx: Context,
    with_failure: bool,
    lang: Lang,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let s = lang.strings();
    let bindings: Vec<_> = listed(ctx, with_failure).collect();
    let key_w = bindings.iter().map(|b| b.help.0.width()).max().unwrap_or(0);
    let mut lines: Vec<Line> = bindings
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<key_w$}  ", b.help.0), theme.key()),
                Span::styled(b.help.1.get(lang).to_string(), theme.text()),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(format!(" {}", s.help_close), theme.muted()));
    let width = lines
        .iter()
        .map(|l| l.width() as u16 + 3)
        .max()
        .unwrap_or(20)
        .min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    Clear.render(popup, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border_active())
        .title(Span::styled(format!(" {} ", s.help_title), theme.accent()))
        .style(theme.base());
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(popup, buf);
}

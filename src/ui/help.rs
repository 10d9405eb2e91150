//! The help overlay: every key of the current screen, from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::app::keys::{Context, listed};
use crate::app::strings::Strings;
use crate::lesson::Lang;

pub fn render(ctx: Context, lang: Lang, s: &Strings, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let bindings: Vec<_> = listed(ctx).collect();
    let key_w = bindings.iter().map(|b| b.label.width()).max().unwrap_or(0);
    let mut lines: Vec<Line> = bindings
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<key_w$}  ", b.label), theme.key()),
                Span::styled(b.describe(lang).to_string(), theme.text()),
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
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup);
    Clear.render(popup, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border_active())
        .title(Span::styled(format!(" {} ", s.help_title), theme.accent()))
        .style(theme.text().bg(theme.background));
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .render(popup, buf);
}

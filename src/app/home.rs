//! The home screen: the lessons in order, each marked viewed or new.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::keys::{Action, Context};
use super::{App, Effect};
use crate::ui::status::status_line;
use crate::ui::wrap::{truncate, wrap_runs};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HomeState {
    pub selected: usize,
}

/// First row of the list inside the screen (title row + border).
const LIST_TOP: u16 = 2;

impl HomeState {
    pub fn on_action(&mut self, action: Action, count: usize) -> Effect {
        let before = self.selected;
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            _ => return Effect::none(),
        }
        if before == self.selected {
            Effect::none()
        } else {
            Effect::redraw()
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent, count: usize) -> Effect {
        match m.kind {
            MouseEventKind::ScrollUp => self.on_action(Action::Up, count),
            MouseEventKind::ScrollDown => self.on_action(Action::Down, count),
            MouseEventKind::Down(MouseButton::Left) => {
                let row = m.row.saturating_sub(LIST_TOP) as usize;
                if m.row >= LIST_TOP && row < count && row != self.selected {
                    self.selected = row;
                    Effect::redraw()
                } else {
                    Effect::none()
                }
            }
            _ => Effect::none(),
        }
    }
}

pub fn render(app: &App, state: &HomeState, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let s = app.strings();
    let problems = app.catalog.problems.len();
    let mut notes = Vec::new();
    if problems > 0 {
        notes.push(format!("⚠ {problems} {}", s.problems_loading));
    }
    notes.extend(app.notices.iter().rev().take(3).map(|n| format!("⚠ {n}")));
    let note_lines: Vec<Line> = notes
        .into_iter()
        .flat_map(|n| wrap_runs(&[(n, t.warn())], area.width.saturating_sub(1) as usize))
        .collect();
    let notes_height = (note_lines.len() as u16).min(area.height / 3);
    let [title, list, notes_area, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(notes_height),
        Constraint::Length(1),
    ])
    .areas(area);

    let lang = format!("[{}] ", app.lang.code());
    Line::from(vec![
        Span::styled(" concur ", t.bar()),
        Span::styled(format!("  {}", s.app_tagline), t.muted()),
    ])
    .render(title, buf);
    buf.set_string(
        title.right().saturating_sub(lang.len() as u16),
        title.y,
        &lang,
        t.muted(),
    );

    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", s.lessons), t.accent()));
    let inner = block.inner(list);
    block.render(list, buf);
    if app.catalog.lessons.is_empty() {
        Paragraph::new(s.no_lessons)
            .style(t.warn())
            .render(inner, buf);
    }
    let rows = inner.height as usize;
    let first = state.selected.saturating_sub(rows.saturating_sub(1));
    for (row, (i, set)) in app
        .catalog
        .lessons
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .enumerate()
    {
        let lesson = set.get(app.lang);
        let viewed = app.progress.is_viewed(&set.id);
        let selected = i == state.selected;
        let mark = if viewed { "✓" } else { "·" };
        let mark_style = if viewed { t.ok() } else { t.muted() };
        let demos = if lesson.demos.is_empty() {
            String::new()
        } else {
            format!("{}: {}", s.demo, lesson.demos.join(", "))
        };
        let status = if viewed { s.viewed } else { s.not_viewed };
        let status = match app.progress.quiz(&set.id) {
            Some(r) if r.attempts > 0 => format!("{status} · {} {}/{}", s.quiz, r.best, r.total),
            _ => status.to_string(),
        };
        let y = inner.y + row as u16;
        let line_area = Rect::new(inner.x, y, inner.width, 1);
        let base = if selected { t.selected() } else { Style::new() };
        buf.set_style(line_area, base);
        let pointer = if selected { "▶ " } else { "  " };
        let right = format!("{demos}  {status} ");
        let right_w = unicode_width::UnicodeWidthStr::width(right.as_str()) as u16;
        let title_w = inner.width.saturating_sub(right_w + 8) as usize;
        let line = Line::from(vec![
            Span::styled(pointer, base),
            Span::styled(format!("{mark} "), if selected { base } else { mark_style }),
            Span::styled(
                format!("{:>2}  ", lesson.order),
                if selected { base } else { t.muted() },
            ),
            Span::styled(
                truncate(&lesson.title, title_w),
                if selected { base } else { t.text() },
            ),
        ]);
        line.render(line_area, buf);
        if inner.width > right_w + 20 {
            buf.set_string(
                inner.right().saturating_sub(right_w),
                y,
                &right,
                if selected { base } else { t.muted() },
            );
        }
    }

    Paragraph::new(note_lines).render(notes_area.inner(ratatui::layout::Margin::new(1, 0)), buf);
    status_line(Context::Home, app.lang, t, None).render(status, buf);
}

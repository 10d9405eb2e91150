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
/// From this width the selected lesson's outline shows beside the list.
const OUTLINE_MIN_WIDTH: u16 = 110;

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

    // Wide screens show the selected lesson's outline beside the list.
    let (list, outline) = if list.width >= OUTLINE_MIN_WIDTH && !app.catalog.lessons.is_empty() {
        let [a, b] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Fill(1)]).areas(list);
        (a, Some(b))
    } else {
        (list, None)
    };
    if let Some(outline) = outline {
        render_outline(app, state.selected, outline, buf);
    }
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

/// The selected lesson at a glance: its steps, demos and quiz.
fn render_outline(app: &App, selected: usize, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let zh = app.lang.is_zh();
    let Some(set) = app.catalog.lessons.get(selected) else {
        return;
    };
    let lesson = set.get(app.lang);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", lesson.title), t.accent()));
    let inner = block.inner(area);
    block.render(area, buf);
    let w = inner.width as usize;
    let questions = set.quiz(app.lang).map_or(0, |q| q.questions.len());
    let facts = if zh {
        format!("{} 步 · {} 道测验题", lesson.steps.len(), questions)
    } else {
        format!(
            "{} steps · {} quiz questions",
            lesson.steps.len(),
            questions
        )
    };
    let mut lines = vec![
        Line::styled(truncate(&facts, w), t.muted()),
        Line::default(),
    ];
    let current = app.progress.lessons.get(&set.id).map(|p| p.step);
    for (i, step) in lesson.steps.iter().enumerate() {
        if i > 0 && step.title == lesson.steps[i - 1].title && step.demo.is_none() {
            continue;
        }
        let demo = step
            .demo
            .as_ref()
            .map(|d| format!("  ▶ {}", d.id))
            .unwrap_or_default();
        let mark = if Some(i) == current { "›" } else { " " };
        let text = truncate(&format!("{mark}{:>2}. {}{demo}", i + 1, step.title), w);
        let style = if step.demo.is_some() {
            t.text()
        } else {
            t.muted()
        };
        lines.push(Line::styled(text, style));
    }
    Paragraph::new(lines).render(inner, buf);
}

//! The home screen: the lessons in order, each with how far the student got.

use std::cell::{Cell, RefCell};

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, List, ListItem, ListState, Paragraph, StatefulWidget, Widget,
};
use unicode_width::UnicodeWidthStr;

use super::keys::{Action, Context};
use super::status::status_line;
use super::{App, Effect, Transition};
use crate::lesson::{Catalog, LessonSet};
use crate::ui::wrap::{truncate, wrap_runs};

/// From this width the selected lesson's outline shows beside the list.
const OUTLINE_MIN_WIDTH: u16 = 110;
/// Notices shown at most, newest first.
const NOTICES_SHOWN: usize = 3;

#[derive(Debug, Default)]
pub struct HomeState {
    /// The selection and scroll offset, kept by ratatui's `List` as it draws.
    list: RefCell<ListState>,
    /// Where the list's rows were drawn, for mouse clicks.
    rows_area: Cell<Rect>,
}

impl HomeState {
    pub fn at(selected: usize) -> HomeState {
        HomeState {
            list: RefCell::new(ListState::default().with_selected(Some(selected))),
            rows_area: Cell::default(),
        }
    }

    /// Reads the lessons above and below the selected one, whose outlines
    /// the next arrow key shows. Called when the app is idle, after a frame
    /// is out: a built-in lesson is parsed the first time it is looked at.
    pub fn prepare_neighbours(&self, app: &super::App) {
        let i = self.selected();
        for j in [i + 1, i.wrapping_sub(1)] {
            if let Some(set) = app.catalog.lessons.get(j) {
                let _ = set.get(app.lang).steps.len();
            }
        }
    }

    pub fn selected(&self) -> usize {
        self.list.borrow().selected().unwrap_or(0)
    }

    fn select(&mut self, i: usize) -> Effect {
        if i == self.selected() {
            return Effect::none();
        }
        self.list.get_mut().select(Some(i));
        Effect::redraw()
    }

    pub fn clamp(&mut self, count: usize) {
        let i = self.selected().min(count.saturating_sub(1));
        self.list.get_mut().select(Some(i));
    }

    pub fn on_action(&mut self, action: Action, catalog: &Catalog) -> Transition {
        let count = catalog.lessons.len();
        let i = self.selected();
        match action {
            Action::Up => self.select(i.saturating_sub(1)).into(),
            Action::Down => self.select((i + 1).min(count.saturating_sub(1))).into(),
            Action::Open => match catalog.lessons.get(i) {
                Some(set) => Transition::OpenLesson {
                    id: set.id.clone(),
                    step: None,
                },
                None => Effect::none().into(),
            },
            _ => Effect::none().into(),
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent, catalog: &Catalog) -> Transition {
        match m.kind {
            MouseEventKind::ScrollUp => self.on_action(Action::Up, catalog),
            MouseEventKind::ScrollDown => self.on_action(Action::Down, catalog),
            MouseEventKind::Down(MouseButton::Left) => {
                let area = self.rows_area.get();
                if !area.contains(Position::new(m.column, m.row)) {
                    return Effect::none().into();
                }
                let row = (m.row - area.y) as usize + self.list.borrow().offset();
                if row < catalog.lessons.len() {
                    self.select(row).into()
                } else {
                    Effect::none().into()
                }
            }
            _ => Effect::none().into(),
        }
    }
}

pub fn render(app: &App, state: &HomeState, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let s = app.strings();
    let mut notes = Vec::new();
    let broken = broken_lessons(app);
    if !broken.is_empty() {
        // No space after full-width punctuation (`：`).
        let (sep, gap) = if app.lang.is_zh() {
            ("；", "")
        } else {
            ("; ", " ")
        };
        notes.push(format!(
            "⚠ {}{gap}{}{sep}{}{gap}{}",
            s.problems_loading,
            broken.join(", "),
            s.check_hint,
            check_command(&app.catalog.source)
        ));
    }
    notes.extend(
        app.notices
            .iter()
            .rev()
            .take(NOTICES_SHOWN)
            .map(|n| format!("⚠ {}", n.text(app.lang))),
    );
    let note_lines: Vec<Line> = notes
        .into_iter()
        .flat_map(|n| wrap_runs(&[(n, t.warn())], area.width.saturating_sub(2) as usize))
        .collect();
    let notes_height = (note_lines.len() as u16).min(area.height / 3);
    let [title, list, notes_area, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(notes_height),
        Constraint::Length(1),
    ])
    .areas(area);
    render_title(app, title, buf);

    // Wide screens show the selected lesson's outline beside the list.
    let (list, outline) = if list.width >= OUTLINE_MIN_WIDTH && !app.catalog.lessons.is_empty() {
        let [a, b] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Fill(1)]).areas(list);
        (a, Some(b))
    } else {
        (list, None)
    };
    if let Some(outline) = outline
        && let Some(set) = app.catalog.lessons.get(state.selected())
    {
        render_outline(app, set, outline, buf);
    }
    render_list(app, state, list, buf);
    Paragraph::new(note_lines).render(notes_area.inner(ratatui::layout::Margin::new(1, 0)), buf);
    status_line(
        Context::Home,
        app.lang,
        t,
        app.flash.as_ref().map(|f| f.get(app.lang)),
    )
    .render(status, buf);
}

/// The command that reports what is wrong with these lessons, ready to
/// paste: `concur check DIR` (quoted when the path needs it).
pub fn check_command(source: &crate::lesson::Source) -> String {
    match source {
        crate::lesson::Source::Dir(d) => {
            let dir = d.display().to_string();
            let plain = dir
                .chars()
                .all(|c| c.is_alphanumeric() || "/._-~+,:@".contains(c));
            if plain {
                format!("concur check {dir}")
            } else {
                format!("concur check '{}'", dir.replace('\'', "'\\''"))
            }
        }
        crate::lesson::Source::Builtin => "concur check".to_string(),
    }
}

/// The lessons some file of which could not be loaded (by file name).
fn broken_lessons(app: &App) -> Vec<String> {
    let mut names: Vec<String> = app
        .catalog
        .problems
        .iter()
        .map(|p| {
            std::path::Path::new(&p.path)
                .file_stem()
                .map_or(p.path.clone(), |s| s.to_string_lossy().into_owned())
                .trim_end_matches(".quiz")
                .to_string()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn render_title(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let lang = format!("[{}] ", app.lang.code());
    Line::from(vec![
        Span::styled(" concur ", t.bar()),
        Span::styled(format!("  {}", app.strings().app_tagline), t.muted()),
    ])
    .render(area, buf);
    buf.set_string(
        area.right().saturating_sub(lang.len() as u16),
        area.y,
        &lang,
        t.muted(),
    );
}

/// How far the student got with a lesson, for its row.
fn progress_text(app: &App, set: &LessonSet) -> (String, bool) {
    let s = app.strings();
    let has_quiz = set.has_quiz(app.lang);
    let finished = app.progress.is_finished(&set.id, has_quiz);
    let Some(p) = app.progress.lessons.get(&set.id).filter(|p| p.viewed) else {
        return (s.not_viewed.to_string(), false);
    };
    let steps = set.get(app.lang).steps.len();
    let mut text = format!("{} {}/{steps}", s.viewed, p.seen.len().min(steps));
    // Scores are the student's own: not on a projector.
    if !app.present
        && let Some(q) = p.quiz.as_ref().filter(|q| q.attempts > 0)
    {
        text.push_str(&format!(" · {} {}/{}", s.quiz, q.best, q.total));
    }
    (text, finished)
}

fn render_list(app: &App, state: &HomeState, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let s = app.strings();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", s.lessons), t.accent()));
    let inner = block.inner(area);
    block.render(area, buf);
    state.rows_area.set(inner);
    if app.catalog.lessons.is_empty() {
        Paragraph::new(s.no_lessons)
            .style(t.warn())
            .render(inner, buf);
        return;
    }
    // Room for the pointer ("▶ ") the list draws in front of each row.
    let width = inner.width.saturating_sub(2) as usize;
    let items: Vec<ListItem> = app
        .catalog
        .lessons
        .iter()
        .map(|set| {
            let lesson = set.get(app.lang);
            let (status, finished) = progress_text(app, set);
            let mark = if finished { "✓" } else { "·" };
            let right = format!("  {status} ");
            let right_w = right.width();
            // Narrow: the title gets the row, the progress goes.
            let right = if width >= right_w + 24 {
                right
            } else {
                String::new()
            };
            let title_w = width.saturating_sub(right.width() + 6);
            let title = truncate(&lesson.title, title_w);
            let pad = width.saturating_sub(6 + title.width() + right.width());
            ListItem::new(Line::from(vec![
                Span::styled(
                    format!("{mark} "),
                    if finished { t.ok() } else { t.muted() },
                ),
                Span::styled(format!("{:>2}  ", lesson.order), t.muted()),
                Span::styled(title, t.text()),
                Span::raw(" ".repeat(pad)),
                Span::styled(right, t.muted()),
            ]))
        })
        .collect();
    let list = List::new(items)
        .highlight_style(t.selected())
        .highlight_symbol("▶ ");
    StatefulWidget::render(list, inner, buf, &mut state.list.borrow_mut());
}

/// The selected lesson at a glance: its steps, demos and quiz.
fn render_outline(app: &App, set: &LessonSet, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let lesson = set.get(app.lang);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(format!(" {} ", lesson.title), t.accent()));
    let inner = block.inner(area);
    block.render(area, buf);
    let w = inner.width as usize;
    let questions = set.question_total(app.lang);
    let steps = lesson.steps.len();
    let facts = if app.lang.is_zh() {
        format!("{steps} 步 · {questions} 道测验题")
    } else {
        format!("{steps} steps · {questions} quiz questions")
    };
    let mut lines = vec![
        Line::styled(truncate(&facts, w), t.muted()),
        Line::default(),
    ];
    let p = app.progress.lessons.get(&set.id);
    for (i, step) in lesson.steps.iter().enumerate() {
        if i > 0 && step.title == lesson.steps[i - 1].title && step.demo.is_none() {
            continue;
        }
        let demo = step
            .demo
            .as_ref()
            .map(|d| format!("  ▶ {}", d.id))
            .unwrap_or_default();
        let seen = p.is_some_and(|p| p.seen.contains(&i));
        let mark = if seen { "✓" } else { " " };
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

//! Getting around a lesson: the go-to-step prompt (`g`) and the table of
//! contents (`o`). At most one is open; it takes every key while it is.

use std::cell::RefCell;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Clear, List, ListItem, ListState, Paragraph, StatefulWidget, Widget,
};
use unicode_width::UnicodeWidthStr;

use crate::i18n::Lang;
use crate::lesson::Lesson;
use crate::ui::theme::Theme;
use crate::ui::wrap::truncate;

#[derive(Debug)]
pub enum Overlay {
    /// `g`: the step number typed so far.
    GoTo(String),
    /// `o`: the steps, one selected (the list keeps its scroll offset).
    Contents(RefCell<ListState>),
}

/// What a key in an overlay asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Close,
    /// Close and go to this step (0-based).
    Jump(usize),
    /// Close, and let the key do what it does outside (`q` quits).
    PassOn,
}

impl Overlay {
    pub fn go_to() -> Overlay {
        Overlay::GoTo(String::new())
    }

    pub fn contents(step: usize) -> Overlay {
        Overlay::Contents(RefCell::new(ListState::default().with_selected(Some(step))))
    }

    pub fn on_key(&mut self, key: &KeyEvent, steps: usize) -> Outcome {
        match self {
            Overlay::GoTo(typed) => go_to_key(typed, key, steps),
            Overlay::Contents(list) => contents_key(list.get_mut(), key, steps),
        }
    }
}

/// Step `n` (1-based) if there is one.
fn jump(n: usize, steps: usize) -> Outcome {
    if (1..=steps).contains(&n) {
        Outcome::Jump(n - 1)
    } else {
        Outcome::Close
    }
}

fn go_to_key(typed: &mut String, key: &KeyEvent, steps: usize) -> Outcome {
    match key.code {
        KeyCode::Char(c) if c.is_ascii_digit() && typed.len() < 4 => {
            typed.push(c);
            let n: usize = typed.parse().unwrap_or(0);
            // Jump as soon as no longer number could be meant.
            if n * 10 > steps {
                jump(n, steps)
            } else {
                Outcome::Stay
            }
        }
        KeyCode::Char('g') if typed.is_empty() => Outcome::Jump(0),
        KeyCode::Backspace => {
            typed.pop();
            Outcome::Stay
        }
        KeyCode::Enter => jump(typed.parse().unwrap_or(0), steps),
        KeyCode::Char('q') => Outcome::PassOn,
        _ => Outcome::Close,
    }
}

fn contents_key(list: &mut ListState, key: &KeyEvent, steps: usize) -> Outcome {
    let selected = list.selected().unwrap_or(0);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => {
            list.select(Some(selected.saturating_sub(1)));
            Outcome::Stay
        }
        KeyCode::Down | KeyCode::Char('j') => {
            list.select(Some((selected + 1).min(steps.saturating_sub(1))));
            Outcome::Stay
        }
        KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => Outcome::Jump(selected),
        KeyCode::Char(c @ '1'..='9') => jump(c as usize - '0' as usize, steps),
        KeyCode::Char('q') => Outcome::PassOn,
        _ => Outcome::Close,
    }
}

/// Draws the open overlay over the screen.
pub fn render(
    overlay: &Overlay,
    lesson: &Lesson,
    current: usize,
    lang: Lang,
    t: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let s = lang.strings();
    match overlay {
        Overlay::GoTo(typed) => {
            let steps = lesson.steps.len();
            let text = format!(" {} (1-{steps}): {typed}▏ ", s.go_to_step);
            let w = (text.width() as u16 + 2).min(area.width);
            // Above the status line, so its hints stay readable.
            let rect = Rect::new(
                area.right().saturating_sub(w),
                area.bottom().saturating_sub(4),
                w,
                3.min(area.height),
            );
            Clear.render(rect, buf);
            Paragraph::new(Line::styled(text, t.accent()))
                .block(
                    Block::new()
                        .borders(Borders::ALL)
                        .border_style(t.border_active()),
                )
                .style(t.base())
                .render(rect, buf);
        }
        Overlay::Contents(list) => {
            let width = (area.width * 7 / 10).max(30).min(area.width);
            let height = (lesson.steps.len() as u16 + 2).min(area.height);
            let rect = area.centered(Constraint::Length(width), Constraint::Length(height));
            Clear.render(rect, buf);
            let block = Block::new()
                .borders(Borders::ALL)
                .border_style(t.border_active())
                .title(Span::styled(format!(" {} ", s.contents), t.accent()))
                .style(t.base());
            let inner = block.inner(rect);
            block.render(rect, buf);
            let w = inner.width.saturating_sub(2) as usize;
            let items: Vec<ListItem> = lesson
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    let demo = step
                        .demo
                        .as_ref()
                        .map(|d| format!("  ▶ {}", d.id))
                        .unwrap_or_default();
                    let here = if i == current { "›" } else { " " };
                    let text = format!("{here}{:>2}. {}{demo}", i + 1, step.title);
                    ListItem::new(Line::styled(truncate(&text, w), t.text()))
                })
                .collect();
            let widget = List::new(items)
                .highlight_style(t.selected())
                .highlight_symbol("▶ ");
            StatefulWidget::render(widget, inner, buf, &mut list.borrow_mut());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn go_to_jumps_as_soon_as_the_number_is_unambiguous() {
        let mut o = Overlay::go_to();
        assert_eq!(o.on_key(&key(KeyCode::Char('1')), 12), Outcome::Stay);
        assert_eq!(o.on_key(&key(KeyCode::Char('2')), 12), Outcome::Jump(11));
        let mut o = Overlay::go_to();
        assert_eq!(o.on_key(&key(KeyCode::Char('4')), 9), Outcome::Jump(3));
        let mut o = Overlay::go_to();
        assert_eq!(o.on_key(&key(KeyCode::Char('g')), 9), Outcome::Jump(0));
        let mut o = Overlay::go_to();
        assert_eq!(o.on_key(&key(KeyCode::Char('9')), 5), Outcome::Close);
    }

    #[test]
    fn contents_moves_and_opens() {
        let mut o = Overlay::contents(2);
        assert_eq!(o.on_key(&key(KeyCode::Down), 5), Outcome::Stay);
        assert_eq!(o.on_key(&key(KeyCode::Enter), 5), Outcome::Jump(3));
        assert_eq!(o.on_key(&key(KeyCode::Char('q')), 5), Outcome::PassOn);
    }
}

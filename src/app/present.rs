//! Presenter mode (the lesson screen for a projector) and the overlays both
//! modes share: the go-to-step prompt and the table of contents.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};
use tui_big_text::{BigText, PixelSize};
use unicode_width::UnicodeWidthStr;

use super::App;
use super::lesson::LessonState;
use crate::lesson::Lesson;
use crate::ui::demo_pane::DemoPane;
use crate::ui::wrap::{truncate, wrap_runs};

/// Columns and rows of one big letter (quadrant pixels of an 8x8 font).
const BIG_W: u16 = 4;
const BIG_H: u16 = 4;

/// The step title in big letters: its lines, or `None` when it cannot be
/// drawn big (not ASCII, or more than `max_lines` lines at this width).
pub fn big_title(title: &str, width: u16, max_lines: usize) -> Option<Vec<String>> {
    if !title.is_ascii() || title.is_empty() {
        return None;
    }
    let per_line = (width / BIG_W) as usize;
    let mut lines: Vec<String> = Vec::new();
    for word in title.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.len() + 1 + word.len() <= per_line => {
                l.push(' ');
                l.push_str(word);
            }
            _ if word.len() <= per_line => lines.push(word.to_string()),
            _ => return None,
        }
    }
    (lines.len() <= max_lines).then_some(lines)
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}", s / 60, s % 60)
}

pub fn render_lesson(
    app: &App,
    state: &LessonState,
    lesson: &Lesson,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = &app.theme;
    let step = &lesson.steps[state.step];
    let area = area.inner(Margin::new(2, 0));
    let has_demo = state.demo.is_some();
    // Leave the corner (step counter and clock) free.
    let big = big_title(
        &step.title,
        area.width.saturating_sub(14),
        if has_demo { 1 } else { 2 },
    );
    let title_h = big.as_ref().map_or(2, |l| l.len() as u16 * BIG_H);
    let [title_area, _, body] = Layout::vertical([
        Constraint::Length(title_h),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    match big {
        Some(lines) => BigText::builder()
            .pixel_size(PixelSize::Quadrant)
            .style(t.heading(2))
            .lines(lines.into_iter().map(Line::from).collect::<Vec<_>>())
            .build()
            .render(title_area, buf),
        None => Paragraph::new(Line::styled(
            step.title.clone(),
            t.heading(1).add_modifier(Modifier::BOLD),
        ))
        .render(title_area, buf),
    }
    // Step counter and clock in the top right corner.
    let elapsed = app
        .clock_override
        .unwrap_or_else(|| state.opened_at.elapsed());
    let corner = format!(" {}/{} · {} ", state.step + 1, state.steps, clock(elapsed));
    let cw = corner.width() as u16;
    buf.set_string(area.right().saturating_sub(cw), area.y, &corner, t.muted());

    let (text_area, demo_area) = if has_demo && body.height >= 14 {
        let demo_h = body.height * 7 / 10;
        let [a, b] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(demo_h)]).areas(body);
        (a, Some(b))
    } else {
        (body, None)
    };
    // The title is already on screen: drop the step's own heading.
    let blocks: Vec<_> = step
        .blocks
        .iter()
        .skip_while(|b| matches!(b, crate::lesson::Block::Heading { level: 1 | 2, .. }))
        .cloned()
        .collect();
    let lines = crate::ui::markdown::render_blocks(&blocks, text_area.width as usize, t);
    let max_scroll = lines.len().saturating_sub(text_area.height as usize);
    let scroll = state.scroll.min(max_scroll);
    let visible: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(text_area.height as usize)
        .map(|l| {
            // Heavier text reads better from the back of the room.
            Line::from(
                l.spans
                    .into_iter()
                    .map(|s| Span::styled(s.content, s.style.add_modifier(Modifier::BOLD)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    Paragraph::new(visible).render(text_area, buf);
    if scroll < max_scroll && text_area.height > 0 {
        let more = "↓";
        buf.set_string(
            text_area.right().saturating_sub(1),
            text_area.bottom() - 1,
            more,
            t.accent(),
        );
    }
    if let (Some(view), Some(area)) = (&state.demo, demo_area) {
        DemoPane {
            view,
            theme: t,
            strings: app.strings(),
            zh: app.lang.is_zh(),
            focused: view.is_running(),
        }
        .render(area, buf);
    }
}

/// The go-to prompt and the table of contents, over either mode's screen.
pub fn render_overlays(
    app: &App,
    state: &LessonState,
    lesson: &Lesson,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = &app.theme;
    let zh = app.lang.is_zh();
    if let Some(typed) = &state.goto {
        let label = if zh { "跳到步骤" } else { "go to step" };
        let text = format!(" {label} (1-{}): {typed}▏ ", state.steps);
        let w = (text.width() as u16 + 2).min(area.width);
        let rect = Rect::new(
            area.right().saturating_sub(w),
            area.bottom().saturating_sub(3),
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
            .style(t.text().bg(t.background))
            .render(rect, buf);
    }
    let Some(selected) = state.toc else {
        return;
    };
    let title = if zh { " 目录 " } else { " Contents " };
    let width = (area.width * 7 / 10).max(30).min(area.width);
    let height = (state.steps as u16 + 2).min(area.height);
    let [rect] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(rect);
    Clear.render(rect, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.border_active())
        .title(Span::styled(title, t.accent()))
        .style(t.text().bg(t.background));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let rows = inner.height as usize;
    let first = selected.saturating_sub(rows.saturating_sub(1));
    for (row, (i, step)) in lesson
        .steps
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .enumerate()
    {
        let here = i == state.step;
        let demo = step
            .demo
            .as_ref()
            .map(|d| format!("  ▶ {}", d.id))
            .unwrap_or_default();
        let text = format!(
            "{} {:>2}. {}{demo}",
            if here { "›" } else { " " },
            i + 1,
            step.title
        );
        let style = if i == selected {
            t.selected()
        } else {
            t.text()
        };
        let line_area = Rect::new(inner.x, inner.y + row as u16, inner.width, 1);
        buf.set_style(line_area, style);
        let line = wrap_runs(
            &[(truncate(&text, inner.width as usize), style)],
            inner.width as usize,
        );
        if let Some(l) = line.into_iter().next() {
            l.render(line_area, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::big_title;

    #[test]
    fn titles_go_big_only_when_they_fit() {
        assert_eq!(
            big_title("The spinner, twice", 100, 1),
            Some(vec!["The spinner, twice".into()])
        );
        assert_eq!(
            big_title("Where a thread can be interrupted", 100, 2),
            Some(vec!["Where a thread can be".into(), "interrupted".into()])
        );
        assert_eq!(big_title("Where a thread can be interrupted", 100, 1), None);
        assert_eq!(big_title("线程与协程", 100, 2), None);
        assert_eq!(big_title("Supercalifragilisticexpialidocious", 40, 2), None);
    }
}

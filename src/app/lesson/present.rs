//! Presenter mode: the lesson screen for a projector. Big titles, heavier
//! text, no chrome, and the demo gets the room.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use tui_big_text::{BigText, PixelSize};
use unicode_width::UnicodeWidthStr;

use super::LessonState;
use crate::app::App;
use crate::lesson::LessonSet;
use crate::ui::demo_pane::DemoPane;

/// Columns and rows of one big letter (quadrant pixels of an 8x8 font).
const BIG_W: u16 = 4;
const BIG_H: u16 = 4;
/// Columns the corner (step counter and clocks) keeps free of the title.
const CORNER_W: u16 = 22;
/// Below this body height the demo does not fit under the text.
const MIN_DEMO_BODY: u16 = 14;
/// From this demo pane size (columns, rows) spinners and figures are big.
const BIG_DEMO: (u16, u16) = (140, 24);

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

/// Heavier text reads better from the back of the room.
pub(super) fn heavier(l: Line<'static>) -> Line<'static> {
    Line::from(
        l.spans
            .into_iter()
            .map(|s| Span::styled(s.content, s.style.add_modifier(Modifier::BOLD)))
            .collect::<Vec<_>>(),
    )
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// Rows of the banner a title gets when it cannot be drawn in big letters.
const BANNER_H: u16 = 3;

/// The title: big letters where they fit; otherwise (and for CJK titles,
/// which the 8x8 font lacks) a banner three rows tall, the title bold and
/// spaced out on it, that still reads across a room.
fn render_title(title: &str, big: Option<Vec<String>>, app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    match big {
        Some(lines) => BigText::builder()
            .pixel_size(PixelSize::Quadrant)
            .style(t.heading(2))
            .lines(lines.into_iter().map(Line::from).collect::<Vec<_>>())
            .build()
            .render(area, buf),
        None => {
            let spaced: String = if title.is_ascii() {
                title.split(' ').collect::<Vec<_>>().join("  ")
            } else {
                // Wide characters with a gap read as a headline.
                title
                    .chars()
                    .map(|c| {
                        if c == ' ' {
                            "  ".to_string()
                        } else {
                            format!("{c} ")
                        }
                    })
                    .collect::<String>()
            };
            let band = t.bar().add_modifier(Modifier::BOLD);
            let rows = area.height.min(BANNER_H);
            let banner = Rect {
                height: rows,
                ..area
            };
            buf.set_style(banner, band);
            let text = format!("  {}  ", spaced.trim_end());
            let y = banner.y + rows / 2;
            buf.set_string(
                banner.x,
                y,
                crate::ui::wrap::truncate(&text, banner.width as usize),
                band,
            );
        }
    }
}

/// The step counter, the time on the lesson and the time of day in the top
/// right corner; the lesson's name at the foot (the room knows where it
/// is) and how a warm-up of the demos is doing at its other end.
fn render_corners(
    app: &App,
    state: &LessonState,
    set: &LessonSet,
    (area, foot): (Rect, Rect),
    buf: &mut Buffer,
) {
    let t = &app.theme;
    let lesson = set.get(app.lang);
    let elapsed = app
        .clock_override
        .unwrap_or_else(|| state.opened_at.elapsed());
    let wall = match app.clock_override {
        Some(_) => "14:05".to_string(),
        None => crate::app::presenter::wall_clock(),
    };
    let corner = format!(
        " {}/{} · {} · {wall} ",
        state.step + 1,
        lesson.steps.len(),
        clock(elapsed)
    );
    let cw = corner.width() as u16;
    buf.set_string(area.right().saturating_sub(cw), area.y, &corner, t.muted());
    let name = format!("{}. {}", lesson.order, lesson.title);
    buf.set_string(foot.x, foot.y, &name, t.muted());
    if let Some(text) = app.prerun_text() {
        let text = format!(" {} ", text.get(app.lang));
        let w = text.width() as u16;
        let style = if app.prerun.is_some_and(|p| p.finished) {
            t.ok()
        } else {
            t.warn()
        };
        buf.set_string(foot.right().saturating_sub(w), foot.y, &text, style);
    }
}

pub(super) fn render(
    app: &App,
    state: &LessonState,
    set: &LessonSet,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = &app.theme;
    let lesson = set.get(app.lang);
    let step = &lesson.steps[state.step];
    let area = area.inner(Margin::new(2, 0));
    let has_demo = state.demo.is_some();
    let big = big_title(
        &step.title,
        area.width.saturating_sub(CORNER_W),
        if has_demo { 1 } else { 2 },
    );
    let title_h = big.as_ref().map_or(BANNER_H, |l| l.len() as u16 * BIG_H);
    let [title_area, _, body, foot] = Layout::vertical([
        Constraint::Length(title_h),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_title(&step.title, big, app, title_area, buf);
    render_corners(app, state, set, (area, foot), buf);
    let (text_area, demo_area) = if has_demo && body.height >= MIN_DEMO_BODY {
        // The demo gets at least 7/10 of the body, and every row the text
        // does not need.
        let text_h = state.text_lines(set, body.width, app, true).len() as u16 + 1;
        let least = body.height * 7 / 10;
        let demo_h = body.height - text_h.min(body.height - least);
        let [a, b] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(demo_h)]).areas(body);
        (a, Some(b))
    } else {
        (body, None)
    };
    let lines = state.text_lines(set, text_area.width, app, true);
    let max_scroll = lines.len().saturating_sub(text_area.height as usize);
    let scroll = state.scroll.min(max_scroll);
    state.max_scroll.set(max_scroll);
    let visible: Vec<Line> = lines
        .iter()
        .skip(scroll)
        .take(text_area.height as usize)
        .cloned()
        .collect();
    Paragraph::new(visible).render(text_area, buf);
    if scroll < max_scroll && text_area.height > 0 {
        buf.set_string(
            text_area.right().saturating_sub(1),
            text_area.bottom() - 1,
            "↓",
            t.accent(),
        );
    }
    if let (Some(view), Some(area)) = (&state.demo, demo_area) {
        DemoPane {
            view,
            theme: t,
            lang: app.lang,
            focused: view.is_running(),
            big: area.width >= BIG_DEMO.0 && area.height >= BIG_DEMO.1,
        }
        .render(area, buf);
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

    #[test]
    fn a_chinese_title_is_a_bold_spaced_banner() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        let app = crate::app::fit_tests::app_at(crate::i18n::Lang::Zh, "threads-vs-coroutines", 0);
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 4));
        super::render_title("线程与协程", None, &app, Rect::new(0, 0, 40, 4), &mut buf);
        let band = app.theme.bar().add_modifier(ratatui::style::Modifier::BOLD);
        for y in 0..super::BANNER_H {
            assert_eq!(
                buf[(39, y)].style().add_modifier,
                band.add_modifier,
                "row {y}"
            );
        }
        assert_eq!(buf[(0, 3)].symbol(), " ", "three rows, no more");
        insta::assert_snapshot!(
            "presenter_cjk_banner",
            crate::ui::test_util::buffer_text(&buf)
        );
    }
}

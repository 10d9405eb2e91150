//! Drawing the lesson screen: header, the step's text (cached per width),
//! the demo pane below or beside it, the status line, and the overlays.

use std::rc::Rc;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget, Widget,
};

use super::painted::Visible;
use super::{LessonState, nav, present};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::status::status_line;
use crate::lesson::{Block, LessonSet};
use crate::ui::demo_pane::DemoPane;
use crate::ui::markdown::render_shifted;
use crate::ui::wrap::{truncate, wrap_runs};

/// Below this body height a demo has no room; the step shows text only.
pub(super) const MIN_DEMO_BODY: u16 = 16;
/// From this width the demo sits beside the text instead of below it.
const SIDE_BY_SIDE_WIDTH: u16 = 150;
/// Beside the text, the text keeps this share of the width.
const TEXT_SHARE_BESIDE: u16 = 40;

impl LessonState {
    /// The step's text as lines at `width`; `present` drops the step's own
    /// heading (the projector shows it big) and makes the text heavier.
    pub(super) fn text_lines(
        &self,
        set: &LessonSet,
        width: u16,
        app: &App,
        present: bool,
    ) -> Rc<Vec<Line<'static>>> {
        self.step_lines(self.step, set, width, app, present)
    }

    fn step_lines(
        &self,
        step: usize,
        set: &LessonSet,
        width: u16,
        app: &App,
        present: bool,
    ) -> Rc<Vec<Line<'static>>> {
        // Highlighting arrives once the grammars have loaded (off the UI
        // thread): until then code is plain, and the cache must not keep it.
        let highlighted = crate::ui::highlight::is_ready();
        let key = (
            step,
            width,
            app.lang,
            app.theme.name.clone(),
            highlighted,
            present,
            self.code_shift,
        );
        if let Some(lines) = self.cache.borrow().get(&key) {
            return lines;
        }
        let lines = Rc::new(self.render_step(step, set, width, app, present));
        self.cache.borrow_mut().put(key, lines.clone());
        self.last_width.set(Some((width, present)));
        lines
    }

    fn render_step(
        &self,
        step: usize,
        set: &LessonSet,
        width: u16,
        app: &App,
        present: bool,
    ) -> Vec<Line<'static>> {
        let lesson = set.get(app.lang);
        let Some(s) = lesson.steps.get(step) else {
            return Vec::new();
        };
        let blocks: &[Block] = if present {
            let heading = s
                .blocks
                .iter()
                .take_while(|b| matches!(b, Block::Heading { level: 1 | 2, .. }))
                .count();
            &s.blocks[heading..]
        } else {
            &s.blocks
        };
        let mut lines = render_shifted(blocks, width as usize, &app.theme, self.code_shift);
        if present {
            lines = lines.into_iter().map(present::heavier).collect();
        } else if step + 1 == lesson.steps.len() {
            lines.push(Line::default());
            lines.push(Line::styled(
                format!("— {} —", app.strings().end_of_lesson),
                app.theme.muted(),
            ));
        }
        lines
    }

    /// Renders the steps before and after this one at the width last
    /// drawn, so the next step change finds them ready. Called when the
    /// app is idle, after a frame is out.
    pub fn prepare_neighbours(&self, app: &App) {
        let (Some(set), Some((width, present))) =
            (app.catalog.find(&self.id), self.last_width.get())
        else {
            return;
        };
        let steps = &set.get(app.lang).steps;
        for step in [self.step + 1, self.step.wrapping_sub(1)] {
            let Some(s) = steps.get(step) else { continue };
            let lines = self.step_lines(step, set, width, app, present);
            // Its text painted too, at the size text had on the last step
            // of its kind (with a demo or without) drawn at this width.
            let Some((w, h)) = self.body_sizes.get()[usize::from(s.demo.is_some())] else {
                continue;
            };
            if present || w != width {
                continue;
            }
            let text = Visible {
                lines: &lines,
                scroll: 0,
                rows: text_rows(lines.len(), h).0,
            };
            self.painted.prepare(&text, app.theme.base(), (w, h));
        }
    }
}

/// The rows `lines` lines of text get in `height` rows, and whether they
/// overflow: then the last row says there is more.
fn text_rows(lines: usize, height: u16) -> (usize, bool) {
    let overflow = lines > height as usize && height > 2;
    (height as usize - usize::from(overflow), overflow)
}

pub fn render(app: &App, state: &LessonState, area: Rect, buf: &mut Buffer) {
    let Some(set) = app.catalog.find(&state.id) else {
        return;
    };
    if app.present {
        present::render(app, state, set, area, buf);
    } else {
        render_normal(app, state, set, area, buf);
    }
    if let Some(overlay) = &state.overlay {
        let lesson = set.get(app.lang);
        nav::render(overlay, lesson, state.step, app.lang, &app.theme, area, buf);
    }
}

fn render_header(app: &App, state: &LessonState, set: &LessonSet, area: Rect, buf: &mut Buffer) {
    let (t, s) = (&app.theme, app.strings());
    let lesson = set.get(app.lang);
    let counter = format!(" {} {}/{} ", s.step, state.step + 1, lesson.steps.len());
    let mut left = vec![
        Span::styled(" concur ", t.bar()),
        Span::styled(format!(" {}. {}", lesson.order, lesson.title), t.accent()),
    ];
    if lesson.lang != app.lang {
        left.push(Span::styled(
            format!("  ({})", s.translation_missing),
            t.warn(),
        ));
    }
    Line::from(left).render(area, buf);
    let cw = unicode_width::UnicodeWidthStr::width(counter.as_str()) as u16;
    buf.set_string(area.right().saturating_sub(cw), area.y, &counter, t.bar());
    // A warm-up under way (`P`) says how far it got, beside the counter.
    if let Some(text) = app
        .prerun_text()
        .filter(|_| app.prerun.is_some_and(|p| !p.finished))
    {
        let text = format!("{} ", text.get(app.lang));
        let w = unicode_width::UnicodeWidthStr::width(text.as_str()) as u16;
        let x = area.right().saturating_sub(cw + w);
        buf.set_string(x, area.y, &text, t.warn());
    }
}

/// Where the text and the demo go: the demo beside the text on wide
/// screens, below it otherwise (with every row the text does not need),
/// nowhere when the body is too short.
fn split_body(
    app: &App,
    state: &LessonState,
    set: &LessonSet,
    has_demo: bool,
    area: Rect,
    body: Rect,
) -> (Rect, Option<Rect>) {
    if !has_demo || body.height < MIN_DEMO_BODY {
        return (body, None);
    }
    if area.width >= SIDE_BY_SIDE_WIDTH {
        let [a, b] = Layout::horizontal([
            Constraint::Percentage(TEXT_SHARE_BESIDE),
            Constraint::Fill(1),
        ])
        .areas(body);
        return (a, Some(b));
    }
    // A table of many lanes, or a zoomed lane, needs more of the screen.
    let big = state
        .demo
        .as_ref()
        .is_some_and(|d| d.lanes.len() > 2 || d.zoom.is_some());
    let least = crate::ui::fit::demo_least(body.height, big);
    // The text keeps all its lines (and a blank row) when it can.
    let text_w = text_width(body.inner(Margin::new(1, 0)));
    let text_h = state.text_lines(set, text_w, app, false).len() as u16 + 1;
    let demo_h = body.height - text_h.min(body.height.saturating_sub(least));
    let [a, b] = Layout::vertical([Constraint::Fill(1), Constraint::Length(demo_h)]).areas(body);
    (a, Some(b))
}

/// The text's width in `inner` (the scrollbar keeps the last column; see
/// `fit::text_width`, which the warnings of `concur check` use).
fn text_width(inner: Rect) -> u16 {
    inner.width.saturating_sub(1).max(1)
}

/// A broken edit of this lesson: say where, above the last good text.
fn problems_banner(app: &App, set: &LessonSet, area: Rect, buf: &mut Buffer) -> Rect {
    let t = &app.theme;
    let problems: Vec<String> = app
        .catalog
        .problems
        .iter()
        .filter(|p| set.by_lang.values().any(|l| l.path == p.path))
        .map(|p| format!("⚠ {p} ({})", app.strings().last_good))
        .collect();
    if problems.is_empty() {
        return area;
    }
    let lines: Vec<Line> = problems
        .iter()
        .flat_map(|p| wrap_runs(&[(p.clone(), t.bad())], area.width as usize))
        .collect();
    let h = (lines.len() as u16).min(area.height / 2);
    let [banner, rest] = Layout::vertical([Constraint::Length(h), Constraint::Fill(1)]).areas(area);
    Paragraph::new(lines).render(banner, buf);
    rest
}

fn render_normal(app: &App, state: &LessonState, set: &LessonSet, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(app, state, set, header, buf);
    let has_demo = state.demo.is_some() || state.missing_demo.is_some();
    let (text_area, demo_area) = split_body(app, state, set, has_demo, area, body);
    let text_area = problems_banner(app, set, text_area, buf);
    // A demo step on a screen too short for the demo: say so on the last row.
    let text_area = if has_demo && demo_area.is_none() && text_area.height > 2 {
        let [rest, note] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(text_area);
        let msg = app.strings().demo_needs_room;
        Line::styled(truncate(msg, note.width as usize), t.warn()).render(note, buf);
        rest
    } else {
        text_area
    };
    render_text(app, state, set, text_area, buf);
    if let Some(demo_area) = demo_area {
        if let Some(view) = &state.demo {
            DemoPane {
                view,
                theme: t,
                lang: app.lang,
                focused: view.is_running(),
                big: false,
            }
            .render(demo_area, buf);
        } else if let Some(id) = &state.missing_demo {
            Paragraph::new(Line::styled(
                format!("{}: `{id}`", app.strings().unknown_demo),
                t.bad(),
            ))
            .render(demo_area, buf);
        }
    }
    let flash = app.flash.as_ref().map(|f| f.get(app.lang));
    status_line(Context::Lesson, app.lang, t, flash).render(status, buf);
}

fn render_text(app: &App, state: &LessonState, set: &LessonSet, area: Rect, buf: &mut Buffer) {
    if area.height == 0 || area.width < 4 {
        return;
    }
    let inner = area.inner(Margin::new(1, 0));
    let width = text_width(inner);
    let lines = state.text_lines(set, width, app, false);
    let (rows, overflow) = text_rows(lines.len(), inner.height);
    let max_scroll = lines.len().saturating_sub(rows);
    state.max_scroll.set(max_scroll);
    let scroll = state.scroll.min(max_scroll);
    let text = Visible {
        lines: &lines,
        scroll,
        rows,
    };
    let body = Rect { width, ..inner };
    state.painted.draw(&text, app.theme.base(), body, buf);
    let mut sizes = state.body_sizes.get();
    sizes[usize::from(state.has_demo())] = Some((width, inner.height));
    state.body_sizes.set(sizes);
    if overflow && scroll < max_scroll {
        let more = truncate(app.strings().more_below, width as usize);
        let mw = unicode_width::UnicodeWidthStr::width(more.as_str()) as u16;
        let x = inner.x + width.saturating_sub(mw);
        buf.set_string(x, inner.bottom() - 1, &more, app.theme.muted());
    }
    if max_scroll > 0 {
        let mut sb = ScrollbarState::new(max_scroll).position(scroll);
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .track_style(app.theme.border())
            .thumb_style(app.theme.accent())
            .render(inner, buf, &mut sb);
    }
}

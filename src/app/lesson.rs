//! The lesson screen: a step's text, and its live demo when it has one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget, Widget,
};

use super::keys::{Action, Context};
use super::{App, DemoCommand, Effect};
use crate::demo::{self, DemoEvent, DemoView};
use crate::lesson::{Lang, Lesson};
use crate::ui::demo_pane::DemoPane;
use crate::ui::markdown::render_blocks;
use crate::ui::status::status_line;
use crate::ui::wrap::truncate;

/// Below this body height a demo has no room; the step shows text only.
const MIN_DEMO_BODY: u16 = 16;
/// From this width the demo sits beside the text instead of below it.
const SIDE_BY_SIDE_WIDTH: u16 = 150;
const WHEEL_LINES: usize = 3;

/// Rendered lines of the current step, kept until the width or step changes.
#[derive(Debug, Default)]
struct TextCache {
    key: Option<(usize, u16, Lang, String, bool)>,
    lines: Rc<Vec<Line<'static>>>,
}

#[derive(Debug)]
pub struct LessonState {
    /// Index in the catalog.
    pub index: usize,
    pub step: usize,
    pub steps: usize,
    pub scroll: usize,
    /// The current step's demo (idle until started).
    pub demo: Option<DemoView>,
    /// Set when the step's demo id does not exist.
    pub missing_demo: Option<String>,
    /// `g` typed: the step number being typed.
    pub goto: Option<String>,
    /// `o`: the table of contents is open, this step selected.
    pub toc: Option<usize>,
    /// When the lesson was opened (the presenter's clock).
    pub opened_at: std::time::Instant,
    cache: RefCell<TextCache>,
    /// How far the text can scroll at the last drawn size.
    max_scroll: Cell<usize>,
}

impl LessonState {
    pub fn new(index: usize, step: usize, lesson: &Lesson, lang: Lang) -> Self {
        let mut s = LessonState {
            index,
            step,
            steps: lesson.steps.len(),
            scroll: 0,
            demo: None,
            missing_demo: None,
            goto: None,
            toc: None,
            opened_at: std::time::Instant::now(),
            cache: RefCell::default(),
            max_scroll: Cell::new(0),
        };
        s.load_demo(lesson, lang);
        s
    }

    fn load_demo(&mut self, lesson: &Lesson, lang: Lang) {
        self.demo = None;
        self.missing_demo = None;
        let Some(slot) = lesson.steps.get(self.step).and_then(|s| s.demo.as_ref()) else {
            return;
        };
        match demo::find(&slot.id) {
            Some(d) => self.demo = Some(DemoView::new(d.info(), slot.params.clone(), lang.is_zh())),
            None => self.missing_demo = Some(slot.id.clone()),
        }
    }

    /// The lesson was read again: same step, new text, demo kept.
    pub fn refresh(&mut self, index: usize, step: usize, lesson: &Lesson) {
        self.index = index;
        self.steps = lesson.steps.len();
        self.step = step;
        *self.cache.borrow_mut() = TextCache::default();
    }

    /// The language changed: new text, and lane titles in that language.
    pub fn relocalize(&mut self, lesson: &Lesson, lang: Lang) {
        self.steps = lesson.steps.len();
        self.step = self.step.min(self.steps.saturating_sub(1));
        *self.cache.borrow_mut() = TextCache::default();
        match &mut self.demo {
            Some(view) if view.run != 0 => {
                for (lane, info) in view.lanes.iter_mut().zip(view.info.lanes) {
                    lane.title = if lang.is_zh() {
                        info.title_zh
                    } else {
                        info.title
                    };
                }
            }
            _ => self.load_demo(lesson, lang),
        }
    }

    fn go_to(&mut self, step: usize, lesson: &Lesson, lang: Lang) -> Effect {
        if step == self.step || step >= self.steps {
            return Effect::none();
        }
        let was_running = self.demo.as_ref().is_some_and(|d| d.is_running());
        self.step = step;
        self.scroll = 0;
        self.load_demo(lesson, lang);
        let mut e = Effect::redraw();
        e.save_progress = true;
        if was_running {
            e.demo = Some(DemoCommand::Stop);
        }
        e
    }

    fn scroll_by(&mut self, delta: isize) -> Effect {
        let max = self.max_scroll.get();
        let next = self.scroll.saturating_add_signed(delta).min(max);
        if next == self.scroll {
            return Effect::none();
        }
        self.scroll = next;
        Effect::redraw()
    }

    pub fn on_action(&mut self, action: Action, lesson: &Lesson, lang: Lang) -> Effect {
        match action {
            Action::NextStep => self.go_to(self.step + 1, lesson, lang),
            Action::PrevStep => self.go_to(self.step.saturating_sub(1), lesson, lang),
            Action::FirstStep => self.go_to(0, lesson, lang),
            Action::LastStep => self.go_to(self.steps.saturating_sub(1), lesson, lang),
            Action::ScrollDown => self.scroll_by(1),
            Action::ScrollUp => self.scroll_by(-1),
            Action::ToggleDemo => match &mut self.demo {
                Some(view) if view.is_running() => {
                    view.mark_stopped();
                    Effect {
                        redraw: true,
                        demo: Some(DemoCommand::Stop),
                        ..Default::default()
                    }
                }
                Some(view) => start(view),
                None => Effect::none(),
            },
            Action::RestartDemo => match &mut self.demo {
                Some(view) => start(view),
                None => Effect::none(),
            },
            Action::Slower | Action::Faster => match &mut self.demo {
                Some(view) => {
                    let scale =
                        crate::demo::clock::next_scale(view.scale, action == Action::Faster);
                    if scale == view.scale {
                        return Effect::none();
                    }
                    view.scale = scale;
                    Effect {
                        redraw: true,
                        demo: view.is_running().then_some(DemoCommand::SetScale(scale)),
                        ..Default::default()
                    }
                }
                None => Effect::none(),
            },
            Action::Pause => match &mut self.demo {
                Some(view) if view.is_running() => {
                    view.paused = !view.paused;
                    Effect {
                        redraw: true,
                        demo: Some(DemoCommand::Pause(view.paused)),
                        ..Default::default()
                    }
                }
                _ => Effect::none(),
            },
            Action::StepOnce => match &self.demo {
                Some(view) if view.is_running() && view.paused => Effect {
                    redraw: true,
                    demo: Some(DemoCommand::Step),
                    ..Default::default()
                },
                _ => Effect::none(),
            },
            Action::Choose(n) => {
                let shown = self
                    .demo
                    .as_mut()
                    .is_some_and(|v| v.show_lane(n as usize - 1));
                if shown {
                    Effect::redraw()
                } else {
                    Effect::none()
                }
            }
            Action::GoTo => {
                self.goto = Some(String::new());
                Effect::redraw()
            }
            Action::Contents => {
                self.toc = Some(self.step);
                Effect::redraw()
            }
            Action::InjectFailure => match &mut self.demo {
                Some(view) => {
                    let info = view.info;
                    if cycle_failure(&mut view.params, info) {
                        start(view)
                    } else {
                        Effect::none()
                    }
                }
                None => Effect::none(),
            },
            _ => Effect::none(),
        }
    }

    /// Keys for the go-to prompt and the table of contents, while open.
    pub fn on_overlay_key(
        &mut self,
        key: &KeyEvent,
        lesson: &Lesson,
        lang: Lang,
    ) -> Option<Effect> {
        if let Some(typed) = &mut self.goto {
            let effect = match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    typed.push(c);
                    let n: usize = typed.parse().unwrap_or(0);
                    // Jump as soon as no longer number could be meant.
                    if n * 10 > self.steps {
                        self.goto = None;
                        self.jump(n, lesson, lang)
                    } else {
                        Effect::redraw()
                    }
                }
                KeyCode::Char('g') if typed.is_empty() => {
                    self.goto = None;
                    let mut e = self.go_to(0, lesson, lang);
                    e.redraw = true;
                    e
                }
                KeyCode::Backspace => {
                    typed.pop();
                    Effect::redraw()
                }
                KeyCode::Enter => {
                    let n: usize = typed.parse().unwrap_or(0);
                    self.goto = None;
                    self.jump(n, lesson, lang)
                }
                _ => {
                    self.goto = None;
                    Effect::redraw()
                }
            };
            return Some(effect);
        }
        let selected = self.toc?;
        let effect = match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.toc = Some(selected.saturating_sub(1));
                Effect::redraw()
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.toc = Some((selected + 1).min(self.steps.saturating_sub(1)));
                Effect::redraw()
            }
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => {
                self.toc = None;
                let mut e = self.go_to(selected, lesson, lang);
                e.redraw = true;
                e
            }
            KeyCode::Char(c @ '1'..='9') => {
                self.toc = None;
                self.jump(c as usize - '0' as usize, lesson, lang)
            }
            KeyCode::Char('q') => return None,
            _ => {
                self.toc = None;
                Effect::redraw()
            }
        };
        Some(effect)
    }

    /// Goes to step `n` (1-based) if there is one.
    fn jump(&mut self, n: usize, lesson: &Lesson, lang: Lang) -> Effect {
        let mut e = if (1..=self.steps).contains(&n) {
            self.go_to(n - 1, lesson, lang)
        } else {
            Effect::none()
        };
        e.redraw = true;
        e
    }

    pub fn on_mouse(&mut self, m: MouseEvent) -> Effect {
        match m.kind {
            MouseEventKind::ScrollDown => self.scroll_by(WHEEL_LINES as isize),
            MouseEventKind::ScrollUp => self.scroll_by(-(WHEEL_LINES as isize)),
            _ => Effect::none(),
        }
    }

    pub fn on_demo_event(&mut self, ev: DemoEvent) -> Effect {
        let changed = self.demo.as_mut().is_some_and(|view| view.apply(ev));
        if changed {
            Effect::redraw()
        } else {
            Effect::none()
        }
    }

    fn text_lines(&self, lesson: &Lesson, width: u16, app: &App) -> Rc<Vec<Line<'static>>> {
        let highlighted = crate::ui::highlight::is_ready();
        let key = (
            self.step,
            width,
            app.lang,
            app.theme.name.clone(),
            highlighted,
        );
        let mut cache = self.cache.borrow_mut();
        if cache.key.as_ref() != Some(&key) {
            let step = &lesson.steps[self.step];
            let mut lines = render_blocks(&step.blocks, width as usize, &app.theme);
            if self.step + 1 == self.steps {
                lines.push(Line::default());
                lines.push(Line::styled(
                    format!("— {} —", app.strings().end_of_lesson),
                    app.theme.muted(),
                ));
            }
            cache.lines = Rc::new(lines);
            cache.key = Some(key);
        }
        cache.lines.clone()
    }
}

/// For demos that can fail on purpose: none → step 2 → step 2 with the
/// check forgotten → none. Returns whether the demo has the knob.
fn cycle_failure(params: &mut crate::demo::Params, info: &crate::demo::DemoInfo) -> bool {
    let has = |name: &str| info.params.iter().any(|p| p.name == name);
    if !has("fail_step") {
        return false;
    }
    let failing = params.u64_or("fail_step", 0) != 0;
    let forgetting = params.bool_or("forget_check", false);
    let (step, forget) = match (failing, forgetting) {
        (false, _) => ("2", false),
        (true, false) if has("forget_check") => ("2", true),
        _ => ("0", false),
    };
    params.set("fail_step", step);
    if has("forget_check") {
        params.set("forget_check", if forget { "true" } else { "false" });
    }
    true
}

fn start(view: &mut DemoView) -> Effect {
    Effect {
        redraw: true,
        demo: Some(DemoCommand::Start {
            id: view.info.id.to_string(),
            params: view.params.clone(),
            scale: view.scale,
            interactive: true,
        }),
        ..Default::default()
    }
}

pub fn render(app: &App, state: &LessonState, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let s = app.strings();
    let set = &app.catalog.lessons[state.index];
    let lesson = set.get(app.lang);
    if app.present {
        super::present::render_lesson(app, state, lesson, area, buf);
        return;
    }
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);

    // Header: lesson on the left, step counter on the right.
    let counter = format!(" {} {}/{} ", s.step, state.step + 1, state.steps);
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
    Line::from(left).render(header, buf);
    let cw = unicode_width::UnicodeWidthStr::width(counter.as_str()) as u16;
    buf.set_string(
        header.right().saturating_sub(cw),
        header.y,
        &counter,
        t.bar(),
    );

    let has_demo = state.demo.is_some() || state.missing_demo.is_some();
    let (text_area, demo_area) = if has_demo && body.height >= MIN_DEMO_BODY {
        if area.width >= SIDE_BY_SIDE_WIDTH {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(body);
            (a, Some(b))
        } else {
            // A table of many lanes needs more of the screen.
            let many = state.demo.as_ref().is_some_and(|d| d.lanes.len() > 2);
            let demo_h = if many {
                body.height * 7 / 10
            } else {
                (body.height * 11 / 20).max(12)
            };
            let [a, b] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(demo_h)]).areas(body);
            (a, Some(b))
        }
    } else {
        (body, None)
    };

    // A broken edit: say where, and keep showing the last good version.
    let problems: Vec<String> = app
        .catalog
        .problems
        .iter()
        .filter(|p| set.by_lang.values().any(|l| l.path == p.path))
        .map(|p| format!("⚠ {p} ({})", s.last_good))
        .collect();
    let text_area = if problems.is_empty() {
        text_area
    } else {
        let lines: Vec<Line> = problems
            .iter()
            .flat_map(|p| {
                crate::ui::wrap::wrap_runs(&[(p.clone(), t.bad())], text_area.width as usize)
            })
            .collect();
        let h = (lines.len() as u16).min(text_area.height / 2);
        let [banner, rest] =
            Layout::vertical([Constraint::Length(h), Constraint::Fill(1)]).areas(text_area);
        Paragraph::new(lines).render(banner, buf);
        rest
    };
    // A demo step on a screen too short for the demo: say so on the last row.
    let text_area = if has_demo && demo_area.is_none() && text_area.height > 2 {
        let [rest, note] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(text_area);
        let msg = if app.lang.is_zh() {
            "▶ 这一步有演示：把终端拉高一些才能运行它"
        } else {
            "▶ this step has a live demo: make the terminal taller to run it"
        };
        Line::styled(truncate(msg, note.width as usize), t.warn()).render(note, buf);
        rest
    } else {
        text_area
    };
    render_text(app, state, lesson, text_area, buf);

    if let Some(demo_area) = demo_area {
        if let Some(view) = &state.demo {
            DemoPane {
                view,
                theme: t,
                strings: s,
                zh: app.lang.is_zh(),
                focused: view.is_running(),
            }
            .render(demo_area, buf);
        } else if let Some(id) = &state.missing_demo {
            Paragraph::new(Line::styled(format!("{}: `{id}`", s.unknown_demo), t.bad()))
                .render(demo_area, buf);
        }
    }
    status_line(Context::Lesson, app.lang, t, None).render(status, buf);
}

fn render_text(app: &App, state: &LessonState, lesson: &Lesson, area: Rect, buf: &mut Buffer) {
    if area.height == 0 || area.width < 4 {
        return;
    }
    let inner = area.inner(Margin::new(1, 0));
    let width = inner.width.saturating_sub(1).max(1);
    let lines = state.text_lines(lesson, width, app);
    // When the text does not fit, the last row says there is more.
    let overflow = lines.len() > inner.height as usize && inner.height > 2;
    let rows = inner.height as usize - usize::from(overflow);
    let max_scroll = lines.len().saturating_sub(rows);
    state.max_scroll.set(max_scroll);
    let scroll = state.scroll.min(max_scroll);
    let visible: Vec<Line> = lines.iter().skip(scroll).take(rows).cloned().collect();
    Paragraph::new(visible).render(Rect { width, ..inner }, buf);
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

#[cfg(test)]
mod tests {
    use super::cycle_failure;
    use crate::demo::{self, Params};

    #[test]
    fn f_cycles_through_the_failures_a_demo_has() {
        let info = demo::find("callbacks").unwrap().info();
        let mut p = Params::new();
        let mut seen = Vec::new();
        for _ in 0..4 {
            assert!(cycle_failure(&mut p, info));
            seen.push((p.u64_or("fail_step", 9), p.bool_or("forget_check", false)));
        }
        assert_eq!(seen, [(2, false), (2, true), (0, false), (2, false)]);
        let spinner = demo::find("spinner").unwrap().info();
        assert!(!cycle_failure(&mut Params::new(), spinner));
    }
}

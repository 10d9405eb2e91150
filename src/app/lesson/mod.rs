//! The lesson screen: a step's text, and its live demo when it has one.
//! State and its update here; drawing in `view` (and `present` for the
//! projector); the go-to prompt and the table of contents in `nav`.

mod nav;
mod painted;
mod present;
#[cfg(test)]
mod screen_tests;
mod view;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use ratatui::text::Line;

use super::demo_controls;
use super::keys::Action;
use super::{Effect, Transition};
use crate::demo::{self, DemoEvent, DemoView};
use crate::i18n::Lang;
use crate::lesson::{Lesson, LessonSet};
pub use nav::Overlay;
pub use view::render;

const WHEEL_LINES: usize = 3;
/// Columns one `>` or `<` moves code sideways.
const CODE_STEP: isize = 8;

/// What a step's rendered lines depend on: the step, the width, the
/// language, the theme, whether code is highlighted yet, the mode (the
/// projector drops the heading) and how far code is scrolled sideways.
type TextKey = (usize, u16, Lang, String, bool, bool, usize);

/// Steps rendered recently, so paging back and forth (and the neighbours
/// rendered while the app is idle) never renders twice.
#[derive(Debug, Default)]
struct TextCache {
    entries: Vec<(TextKey, Rc<Vec<Line<'static>>>)>,
}

/// Steps kept: this one, its neighbours, and a few visited.
const CACHED_STEPS: usize = 6;

impl TextCache {
    fn get(&self, key: &TextKey) -> Option<Rc<Vec<Line<'static>>>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, l)| l.clone())
    }

    fn put(&mut self, key: TextKey, lines: Rc<Vec<Line<'static>>>) {
        if self.entries.len() >= CACHED_STEPS {
            self.entries.remove(0);
        }
        self.entries.push((key, lines));
    }
}

#[derive(Debug)]
pub struct LessonState {
    pub id: String,
    pub step: usize,
    pub scroll: usize,
    /// Columns the step's code lines are scrolled sideways (`>` / `<`).
    pub code_shift: usize,
    /// The current step's demo (idle until started).
    pub demo: Option<DemoView>,
    /// Set when the step's demo id does not exist.
    pub missing_demo: Option<String>,
    /// The go-to prompt or the table of contents, while open.
    pub overlay: Option<Overlay>,
    /// When the lesson was opened (the presenter's clock).
    pub opened_at: Instant,
    /// The last run of each step's demo, kept when the student pages away,
    /// shown (marked as earlier results) when they come back.
    past: HashMap<usize, DemoView>,
    cache: RefCell<TextCache>,
    /// How far the text can scroll at the last drawn size.
    max_scroll: Cell<usize>,
    /// The width (and mode) the text was last drawn at: the neighbours are
    /// rendered ahead at it.
    last_width: Cell<Option<(u16, bool)>>,
    /// The visible text as cells, kept (see `painted`).
    painted: painted::Painted,
    /// The text's size when last drawn, on a step without and with a demo:
    /// the neighbours are painted ahead at it.
    body_sizes: Cell<[Option<(u16, u16)>; 2]>,
}

impl LessonState {
    pub fn new(id: &str, step: usize, lesson: &Lesson) -> Self {
        let mut s = LessonState {
            id: id.to_string(),
            step,
            scroll: 0,
            code_shift: 0,
            demo: None,
            missing_demo: None,
            overlay: None,
            opened_at: Instant::now(),
            past: HashMap::new(),
            cache: RefCell::default(),
            max_scroll: Cell::new(0),
            last_width: Cell::new(None),
            painted: painted::Painted::default(),
            body_sizes: Cell::new([None; 2]),
        };
        s.load_demo(lesson);
        s
    }

    /// Whether the step on screen has a demo (one that exists or not).
    fn has_demo(&self) -> bool {
        self.demo.is_some() || self.missing_demo.is_some()
    }

    /// The demo of the step on screen: its view as last left, or a new one.
    fn load_demo(&mut self, lesson: &Lesson) {
        self.demo = None;
        self.missing_demo = None;
        let Some(slot) = lesson.steps.get(self.step).and_then(|s| s.demo.as_ref()) else {
            return;
        };
        match demo::find(&slot.id) {
            Some(d) => {
                let fresh = DemoView::new(d.info(), slot.params.clone());
                let kept = self
                    .past
                    .remove(&self.step)
                    .filter(|v| v.info.id == fresh.info.id);
                self.demo = Some(kept.unwrap_or(fresh));
            }
            None => self.missing_demo = Some(slot.id.clone()),
        }
    }

    /// Leaves the step: a running demo stops (and says so), and its results
    /// are kept for a return.
    fn leave_step(&mut self) {
        if let Some(mut view) = self.demo.take()
            && view.run.is_some()
        {
            view.mark_stopped();
            view.stale = true;
            view.zoom = None;
            self.past.insert(self.step, view);
        }
    }

    /// The lesson was read again (a reload, another language): same step
    /// where it still exists, new text; the demo stays unless the step's
    /// demo block changed.
    pub fn refresh(&mut self, lesson: &Lesson) {
        self.step = self.step.min(lesson.steps.len().saturating_sub(1));
        *self.cache.borrow_mut() = TextCache::default();
        self.past.clear();
        let slot = lesson.steps.get(self.step).and_then(|s| s.demo.as_ref());
        let same = match (&self.demo, slot) {
            (Some(v), Some(s)) => v.info.id == s.id && v.params == s.params,
            (None, None) => self.missing_demo.is_none(),
            _ => false,
        };
        if !same {
            self.load_demo(lesson);
        }
    }

    fn go_to(&mut self, step: usize, lesson: &Lesson) -> Effect {
        if step == self.step || step >= lesson.steps.len() {
            return Effect::none();
        }
        self.leave_step();
        self.step = step;
        self.scroll = 0;
        self.code_shift = 0;
        self.load_demo(lesson);
        Effect::redraw()
    }

    /// Scrolls the step's code sideways by `delta` columns, as far as its
    /// widest line needs.
    fn shift_code(&mut self, delta: isize, lesson: &Lesson) -> Effect {
        let widest = lesson
            .steps
            .get(self.step)
            .map_or(0, |s| crate::ui::markdown::widest_code(&s.blocks));
        let next = self.code_shift.saturating_add_signed(delta).min(widest);
        if next == self.code_shift {
            return Effect::none();
        }
        self.code_shift = next;
        Effect::redraw()
    }

    /// How far the text could scroll when last drawn (0: all of it shows).
    pub fn max_scroll(&self) -> usize {
        self.max_scroll.get()
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

    pub fn on_action(&mut self, action: Action, set: &LessonSet, lang: Lang) -> Transition {
        let lesson = set.get(lang);
        let last = lesson.steps.len().saturating_sub(1);
        let has_quiz = set.quiz(lang).is_some_and(|q| !q.questions.is_empty());
        let effect = match action {
            Action::OpenQuiz if has_quiz => {
                self.leave_step();
                return Transition::OpenQuiz;
            }
            Action::NextStep if has_quiz && self.step == last => {
                self.leave_step();
                return Transition::OpenQuiz;
            }
            Action::OpenQuiz => Effect::none(),
            Action::Back => {
                self.leave_step();
                return Transition::Home;
            }
            Action::NextStep => self.go_to(self.step + 1, lesson),
            Action::PrevStep => self.go_to(self.step.saturating_sub(1), lesson),
            Action::FirstStep => self.go_to(0, lesson),
            Action::LastStep => self.go_to(last, lesson),
            Action::ScrollDown => self.scroll_by(1),
            Action::ScrollUp => self.scroll_by(-1),
            Action::CodeRight => self.shift_code(CODE_STEP, lesson),
            Action::CodeLeft => self.shift_code(-CODE_STEP, lesson),
            Action::GoTo => {
                self.overlay = Some(Overlay::go_to());
                Effect::redraw()
            }
            Action::Contents => {
                self.overlay = Some(Overlay::contents(self.step));
                Effect::redraw()
            }
            other => match &mut self.demo {
                Some(view) => demo_controls::on_action(view, other).unwrap_or_default(),
                None => demo_controls::no_demo(other).unwrap_or_default(),
            },
        };
        effect.into()
    }

    /// Keys that do not go through the keymap: the open overlay takes
    /// every key, and a zoomed lane takes PgUp/PgDn for its log.
    pub fn on_raw_key(&mut self, key: &KeyEvent, lesson: &Lesson) -> Option<Transition> {
        if let Some(overlay) = &mut self.overlay {
            let outcome = overlay.on_key(key, lesson.steps.len());
            return Some(match outcome {
                nav::Outcome::Stay => Effect::redraw().into(),
                nav::Outcome::Close => {
                    self.overlay = None;
                    Effect::redraw().into()
                }
                nav::Outcome::Jump(step) => {
                    self.overlay = None;
                    let mut e = self.go_to(step, lesson);
                    e.redraw = true;
                    e.into()
                }
                // `q` in the contents quits, as everywhere.
                nav::Outcome::PassOn => {
                    self.overlay = None;
                    return None;
                }
            });
        }
        let view = self.demo.as_mut().filter(|v| v.zoom.is_some())?;
        let action = match key.code {
            KeyCode::PageUp => Action::PageUp,
            KeyCode::PageDown => Action::PageDown,
            _ => return None,
        };
        demo_controls::on_action(view, action).map(Transition::Stay)
    }

    pub fn on_mouse(&mut self, m: MouseEvent) -> Effect {
        let zoomed = self.demo.as_ref().is_some_and(|v| v.zoom.is_some());
        let lines = WHEEL_LINES as isize;
        match (m.kind, zoomed, &mut self.demo) {
            (MouseEventKind::ScrollDown, true, Some(view)) => {
                if view.scroll_log(-lines) {
                    Effect::redraw()
                } else {
                    Effect::none()
                }
            }
            (MouseEventKind::ScrollUp, true, Some(view)) => {
                if view.scroll_log(lines) {
                    Effect::redraw()
                } else {
                    Effect::none()
                }
            }
            (MouseEventKind::ScrollDown, ..) => self.scroll_by(lines),
            (MouseEventKind::ScrollUp, ..) => self.scroll_by(-lines),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoEvent, EventKind, RunId};
    use crate::lesson::Catalog;

    fn lesson_with_demo() -> (LessonSet, usize) {
        let catalog = Catalog::builtin();
        let set = catalog
            .lessons
            .iter()
            .find(|s| s.get(Lang::En).steps.iter().any(|st| st.demo.is_some()))
            .unwrap()
            .clone();
        let step = set
            .get(Lang::En)
            .steps
            .iter()
            .position(|s| s.demo.is_some())
            .unwrap();
        (set, step)
    }

    #[test]
    fn results_survive_paging_and_are_marked_as_earlier() {
        let (set, step) = lesson_with_demo();
        let lesson = set.get(Lang::En);
        let mut s = LessonState::new(&set.id, step, lesson);
        let view = s.demo.as_mut().unwrap();
        view.reset(RunId(7));
        view.apply(DemoEvent {
            run: RunId(7),
            lane: 0,
            at: Default::default(),
            demo_at: Default::default(),
            kind: EventKind::Done,
        });
        let away = if step + 1 < lesson.steps.len() {
            step + 1
        } else {
            step - 1
        };
        s.go_to(away, lesson);
        s.go_to(step, lesson);
        let view = s.demo.as_ref().unwrap();
        assert_eq!(view.run, Some(RunId(7)), "the old results are back");
        assert!(view.stale);
    }

    #[test]
    fn leaving_a_running_demo_stops_it() {
        let (set, step) = lesson_with_demo();
        let lesson = set.get(Lang::En);
        let mut s = LessonState::new(&set.id, step, lesson);
        s.demo.as_mut().unwrap().reset(RunId(3));
        assert!(s.demo.as_ref().unwrap().is_running());
        s.leave_step();
        assert!(
            s.demo.is_none(),
            "no demo view on screen: the run is dropped"
        );
        let kept = &s.past[&step];
        assert!(!kept.is_running());
    }
}

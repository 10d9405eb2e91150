//! The interactive app: state, `update` (keys and demo events in, effects
//! out) and the view, drawn from `&App`. No terminal or thread in here, so
//! all of it is testable with ratatui's `TestBackend`.

pub mod home;
pub mod keys;
pub mod lesson;
pub mod present;
pub mod quiz;
pub mod run;
pub mod strings;
pub mod watch;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::demo::{DemoEvent, Params};
use crate::lesson::{Catalog, Lang};
use crate::progress::Progress;
use crate::ui::theme::Theme;
use home::HomeState;
use keys::{Action, Context};
use lesson::LessonState;
use quiz::QuizState;
use strings::{Strings, strings};

/// Smaller than this, the app shows only a "too small" note.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Everything that can happen to the app.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize,
    Demo(DemoEvent),
    /// A warning to show (from a background writer, say).
    Notice(String),
    /// SIGTERM, SIGHUP or SIGINT.
    Terminate,
    /// The lessons directory changed and was read again.
    Reloaded(Box<Catalog>),
}

/// What the event loop must do after an update.
#[derive(Debug, Default, PartialEq)]
pub struct Effect {
    pub redraw: bool,
    pub quit: bool,
    pub save_progress: bool,
    /// The settings (theme) changed: write the config file.
    pub save_config: bool,
    pub demo: Option<DemoCommand>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DemoCommand {
    Start {
        id: String,
        params: Params,
        scale: f64,
        /// Watched in the lesson (not a quiz's predict run).
        interactive: bool,
    },
    Stop,
    /// Slow motion: demo time runs at `scale` x wall time.
    SetScale(f64),
    Pause(bool),
    /// While paused: run until the next visible event.
    Step,
}

impl Effect {
    pub fn redraw() -> Self {
        Effect {
            redraw: true,
            ..Default::default()
        }
    }

    pub fn quit() -> Self {
        Effect {
            quit: true,
            ..Default::default()
        }
    }

    pub fn none() -> Self {
        Effect::default()
    }
}

#[derive(Debug)]
pub enum Screen {
    Home(HomeState),
    Lesson(Box<LessonState>),
    Quiz(Box<QuizState>),
}

pub struct App {
    pub catalog: Catalog,
    pub lang: Lang,
    pub theme: Theme,
    /// Every theme `T` cycles through (loaded at start-up).
    pub themes: Vec<Theme>,
    pub screen: Screen,
    pub help: bool,
    pub progress: Progress,
    /// Warnings for the user (progress file, catalog problems), newest last.
    pub notices: Vec<String>,
    /// Presenter mode: big titles, no chrome, the demo gets the room.
    pub present: bool,
    /// `b`: the screen is blank until any key.
    pub blank: bool,
    /// Fixes the presenter's clock, for reproducible snapshots.
    pub clock_override: Option<std::time::Duration>,
}

impl App {
    pub fn new(catalog: Catalog, lang: Lang, theme: Theme, progress: Progress) -> App {
        App {
            catalog,
            lang,
            themes: vec![theme.clone()],
            theme,
            screen: Screen::Home(HomeState::default()),
            help: false,
            progress,
            notices: Vec::new(),
            present: false,
            blank: false,
            clock_override: None,
        }
    }

    /// The presenter's clock shows seconds: the loop must wake once a second.
    pub fn wants_tick(&self) -> bool {
        self.present && !self.blank && matches!(self.screen, Screen::Lesson(_))
    }

    pub fn strings(&self) -> &'static Strings {
        strings(self.lang)
    }

    fn context(&self) -> Context {
        match self.screen {
            Screen::Home(_) => Context::Home,
            Screen::Lesson(_) => Context::Lesson,
            Screen::Quiz(_) => Context::Quiz,
        }
    }

    /// Opens lesson `id` at its first step; `false` if there is no such lesson.
    pub fn open_lesson(&mut self, id: &str) -> Option<Effect> {
        let index = self.catalog.index_of(id)?;
        Some(self.open_index(index, 0))
    }

    fn open_index(&mut self, index: usize, step: usize) -> Effect {
        let set = &self.catalog.lessons[index];
        let lesson = set.get(self.lang);
        let step = step.min(lesson.steps.len().saturating_sub(1));
        let state = LessonState::new(index, step, lesson, self.lang);
        let id = set.id.clone();
        self.screen = Screen::Lesson(Box::new(state));
        let p = self.progress.lesson_mut(&id);
        p.viewed = true;
        p.step = step;
        Effect {
            redraw: true,
            save_progress: true,
            ..Default::default()
        }
    }

    /// The demo view of the current screen, if it has one.
    fn demo_view_mut(&mut self) -> Option<&mut crate::demo::DemoView> {
        match &mut self.screen {
            Screen::Lesson(l) => l.demo.as_mut(),
            Screen::Quiz(q) => q.demo.as_mut(),
            Screen::Home(_) => None,
        }
    }

    pub fn demo_running(&self) -> bool {
        match &self.screen {
            Screen::Lesson(l) => l.demo.as_ref().is_some_and(|d| d.is_running()),
            Screen::Quiz(q) => q.demo_running(),
            Screen::Home(_) => false,
        }
    }

    /// The event loop started a run for the current screen's demo.
    pub fn demo_started(&mut self, run: u64, scale: f64) {
        let in_lesson = matches!(self.screen, Screen::Lesson(_));
        if let Some(view) = self.demo_view_mut() {
            view.reset(run);
            view.scale = scale;
            view.paused = in_lesson && view.info.starts_paused;
        }
    }

    /// Opens the quiz of the current lesson (if it has one).
    fn open_quiz(&mut self) -> Effect {
        let Screen::Lesson(l) = &self.screen else {
            return Effect::none();
        };
        let set = &self.catalog.lessons[l.index];
        let Some(quiz) = set.quiz(self.lang).filter(|q| !q.questions.is_empty()) else {
            return Effect::none();
        };
        let stop = l.demo.as_ref().is_some_and(|d| d.is_running());
        let state = QuizState::new(l.index, l.step, quiz);
        self.screen = Screen::Quiz(Box::new(state));
        let mut e = Effect::redraw();
        if stop {
            e.demo = Some(DemoCommand::Stop);
        }
        e
    }

    /// How many events the running demo could not deliver.
    pub fn note_dropped(&mut self, dropped: u64) {
        if let Some(view) = self.demo_view_mut() {
            view.dropped = dropped;
        }
    }

    pub fn update(&mut self, msg: Msg) -> Effect {
        match msg {
            Msg::Terminate => Effect::quit(),
            Msg::Reloaded(catalog) => self.reload(*catalog),
            Msg::Resize => Effect::redraw(),
            Msg::Notice(n) => {
                self.notices.push(n);
                Effect::redraw()
            }
            Msg::Demo(ev) => match &mut self.screen {
                Screen::Lesson(l) => l.on_demo_event(ev),
                Screen::Quiz(q) => match self.catalog.lessons[q.lesson].quiz(self.lang) {
                    Some(quiz) => q.on_demo_event(ev, quiz),
                    None => Effect::none(),
                },
                Screen::Home(_) => Effect::none(),
            },
            Msg::Mouse(m) => match &mut self.screen {
                Screen::Home(h) => h.on_mouse(m, self.catalog.lessons.len()),
                Screen::Lesson(l) => l.on_mouse(m),
                Screen::Quiz(_) => Effect::none(),
            },
            Msg::Key(key) => self.on_key(key),
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Effect {
        if self.blank {
            self.blank = false;
            return Effect::redraw();
        }
        if !self.help
            && let Screen::Lesson(l) = &mut self.screen
        {
            let lesson = self.catalog.lessons[l.index].get(self.lang);
            if let Some(effect) = l.on_overlay_key(&key, lesson, self.lang) {
                if l.goto.is_none() && l.toc.is_none() {
                    let id = self.catalog.lessons[l.index].id.clone();
                    self.progress.lesson_mut(&id).step = l.step;
                }
                return effect;
            }
        }
        let action = keys::action_for(&key, self.context());
        if self.help {
            // Any key closes help; quitting still quits.
            self.help = false;
            return if action == Some(Action::Quit) {
                Effect::quit()
            } else {
                Effect::redraw()
            };
        }
        let Some(action) = action else {
            return Effect::none();
        };
        match action {
            Action::Quit => return self.leave(Effect::quit()),
            Action::Help => {
                self.help = true;
                return Effect::redraw();
            }
            Action::SwitchLang => return self.switch_lang(),
            Action::NextTheme => return self.next_theme(),
            Action::TogglePresent => {
                self.present = !self.present;
                return Effect::redraw();
            }
            Action::Blank => {
                self.blank = true;
                return Effect::redraw();
            }
            _ => {}
        }
        match &mut self.screen {
            Screen::Home(h) => match action {
                Action::Open => {
                    if self.catalog.lessons.is_empty() {
                        return Effect::none();
                    }
                    let index = h.selected.min(self.catalog.lessons.len() - 1);
                    let step = self
                        .progress
                        .lessons
                        .get(&self.catalog.lessons[index].id)
                        .map_or(0, |p| p.step);
                    self.open_index(index, step)
                }
                Action::Back => Effect::quit(),
                other => h.on_action(other, self.catalog.lessons.len()),
            },
            Screen::Quiz(q) => {
                if action == Action::Back {
                    let (index, step) = (q.lesson, q.return_step);
                    let stop = q.demo_running();
                    let mut e = self.open_index(index, step);
                    if stop {
                        e.demo = Some(DemoCommand::Stop);
                    }
                    return e;
                }
                let set = &self.catalog.lessons[q.lesson];
                let Some(quiz) = set.quiz(self.lang) else {
                    return Effect::none();
                };
                let lesson = set.get(self.lang);
                let (effect, done) = q.on_action(action, quiz, lesson, self.lang.is_zh());
                if let Some(done) = done {
                    let id = set.id.clone();
                    self.progress
                        .lesson_mut(&id)
                        .quiz
                        .get_or_insert_default()
                        .record(done.full, done.total, done.right, done.wrong, &done.asked);
                }
                effect
            }
            Screen::Lesson(l) => {
                let at_end = l.step + 1 == l.steps;
                if action == Action::OpenQuiz || (action == Action::NextStep && at_end) {
                    return self.open_quiz();
                }
                if action == Action::Back {
                    let selected = l.index;
                    let stop = l.demo.as_ref().is_some_and(|d| d.is_running());
                    self.screen = Screen::Home(HomeState { selected });
                    let mut e = Effect::redraw();
                    if stop {
                        e.demo = Some(DemoCommand::Stop);
                    }
                    return e;
                }
                let lesson = self.catalog.lessons[l.index].get(self.lang);
                let before = l.step;
                let effect = l.on_action(action, lesson, self.lang);
                if l.step != before {
                    let id = self.catalog.lessons[l.index].id.clone();
                    self.progress.lesson_mut(&id).step = l.step;
                }
                effect
            }
        }
    }

    /// Stops a running demo on the way out.
    fn leave(&mut self, mut effect: Effect) -> Effect {
        if self.demo_running() {
            effect.demo = Some(DemoCommand::Stop);
        }
        effect.save_progress = true;
        effect
    }

    /// Takes a freshly read catalog. A lesson whose file is now broken keeps
    /// its last good version (and the problem is shown); the screen stays on
    /// the same lesson and step where they still exist.
    fn reload(&mut self, mut fresh: Catalog) -> Effect {
        let broken: Vec<&str> = fresh.problems.iter().map(|p| p.path.as_str()).collect();
        for old in &self.catalog.lessons {
            for (lang, lesson) in &old.by_lang {
                if !broken.contains(&lesson.path.as_str()) {
                    continue;
                }
                match fresh.lessons.iter_mut().find(|s| s.id == old.id) {
                    Some(set) => {
                        set.by_lang.entry(*lang).or_insert_with(|| lesson.clone());
                    }
                    None => {
                        let mut kept = old.clone();
                        kept.by_lang.retain(|l, _| l == lang);
                        fresh.lessons.push(kept);
                    }
                }
            }
        }
        fresh
            .lessons
            .sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
        let current = match &self.screen {
            Screen::Lesson(l) => Some((self.catalog.lessons[l.index].id.clone(), l.step)),
            Screen::Quiz(q) => Some((self.catalog.lessons[q.lesson].id.clone(), q.return_step)),
            Screen::Home(_) => None,
        };
        let running = self.demo_running();
        let old_slot = match &self.screen {
            Screen::Lesson(l) => self.catalog.lessons[l.index]
                .get(self.lang)
                .steps
                .get(l.step)
                .and_then(|s| s.demo.clone()),
            _ => None,
        };
        self.catalog = fresh;
        let mut effect = Effect::redraw();
        match current.and_then(|(id, step)| Some((self.catalog.index_of(&id)?, step))) {
            Some((index, step)) => {
                let lesson = self.catalog.lessons[index].get(self.lang);
                let step = step.min(lesson.steps.len().saturating_sub(1));
                let same_demo = lesson.steps[step].demo == old_slot;
                match &mut self.screen {
                    Screen::Lesson(l) if same_demo => l.refresh(index, step, lesson),
                    _ => {
                        let scroll = match &self.screen {
                            Screen::Lesson(l) => l.scroll,
                            _ => 0,
                        };
                        let mut state = LessonState::new(index, step, lesson, self.lang);
                        state.scroll = scroll;
                        self.screen = Screen::Lesson(Box::new(state));
                        if running {
                            effect.demo = Some(DemoCommand::Stop);
                        }
                    }
                }
            }
            None => {
                if running {
                    effect.demo = Some(DemoCommand::Stop);
                }
                let selected = match &self.screen {
                    Screen::Home(h) => h.selected,
                    _ => 0,
                };
                self.screen = Screen::Home(HomeState {
                    selected: selected.min(self.catalog.lessons.len().saturating_sub(1)),
                });
            }
        }
        effect
    }

    fn next_theme(&mut self) -> Effect {
        if self.themes.len() < 2 {
            return Effect::none();
        }
        let at = self.themes.iter().position(|t| t.name == self.theme.name);
        let next = at.map_or(0, |i| (i + 1) % self.themes.len());
        self.theme = self.themes[next].clone();
        Effect {
            redraw: true,
            save_config: true,
            ..Default::default()
        }
    }

    fn switch_lang(&mut self) -> Effect {
        self.lang = match self.lang {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        };
        match &mut self.screen {
            Screen::Home(_) => Effect::redraw(),
            Screen::Lesson(l) => {
                let lesson = self.catalog.lessons[l.index].get(self.lang);
                l.relocalize(lesson, self.lang);
                Effect::redraw()
            }
            Screen::Quiz(_) => Effect::redraw(),
        }
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        buf.set_style(area, self.theme.text().bg(self.theme.background));
        if self.blank {
            return;
        }
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            crate::ui::too_small::render(
                self.strings().too_small,
                (area.width, area.height),
                (MIN_WIDTH, MIN_HEIGHT),
                &self.theme,
                area,
                buf,
            );
            return;
        }
        match &self.screen {
            Screen::Home(h) => home::render(self, h, area, buf),
            Screen::Lesson(l) => lesson::render(self, l, area, buf),
            Screen::Quiz(q) => {
                let set = &self.catalog.lessons[q.lesson];
                if let Some(quiz) = set.quiz(self.lang) {
                    quiz::render(self, q, quiz, set.get(self.lang), area, buf);
                }
            }
        }
        if let Screen::Lesson(l) = &self.screen {
            let lesson = self.catalog.lessons[l.index].get(self.lang);
            present::render_overlays(self, l, lesson, area, buf);
        }
        if self.help {
            crate::ui::help::render(
                self.context(),
                self.lang,
                self.strings(),
                &self.theme,
                area,
                buf,
            );
        }
    }
}

//! The interactive app: state, `update` (keys and demo events in, effects
//! out) and the view, drawn from `&App`. No terminal or thread in here, so
//! all of it is testable with ratatui's `TestBackend`.
//!
//! Two rules hold the shape together:
//! - Screens never swap themselves: they return a [`Transition`], and
//!   [`App::apply`] performs it, the one place that also records the step
//!   the student is on.
//! - A demo runs only while the visible screen's demo view says it runs
//!   ([`App::active_run`]); the event loop drops any other run. Leaving a
//!   screen or stopping a view is all it takes to stop a demo.

pub mod demo_controls;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod fuzz_tests;
pub mod help;
pub mod home;
pub mod keys;
pub mod lesson;
pub mod notes_view;
pub mod prerun;
pub mod presenter;
pub mod quiz;
pub mod run;
pub mod status;
pub mod watch;

#[cfg(test)]
mod fit_tests;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::demo::{DemoEvent, DemoView, Params, RunId, Watched};
use crate::i18n::{Lang, LocalText, Notice, Strings};
use crate::lesson::Catalog;
use crate::progress::Progress;
pub use crate::progress::Round as RoundDone;
use crate::ui::theme::Theme;
use home::HomeState;
use keys::{Action, Context};
use lesson::LessonState;
use quiz::QuizState;

/// Smaller than this, the app shows only a "too small" note.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// Everything that can happen to the app.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// The terminal has this size now.
    Resize(u16, u16),
    /// Something drawn looks different now (the syntax grammars loaded).
    Redraw,
    Demo(DemoEvent),
    /// A warning to show (from a background writer, say).
    Notice(Notice),
    /// SIGTERM, SIGHUP or SIGINT (its number).
    Terminate(i32),
    /// The lessons directory changed and was read again.
    Reloaded(Box<Catalog>),
    /// How far the warm-up of the demos got.
    Prerun(prerun::PrerunStatus),
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
    /// A short word in the status line: what the last key did, or why it
    /// did nothing here.
    pub flash: Option<LocalText>,
    /// Warm up these demos (id, parameters), one run each, in the
    /// background.
    pub prerun: Option<Vec<(String, Params)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DemoCommand {
    Start {
        id: String,
        params: Params,
        scale: f64,
        watched: Watched,
    },
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

    /// A redraw that tells the user something in the status line.
    pub fn flash(text: impl Into<LocalText>) -> Self {
        Effect {
            redraw: true,
            flash: Some(text.into()),
            ..Default::default()
        }
    }

    pub fn with_demo(mut self, command: DemoCommand) -> Self {
        self.demo = Some(command);
        self
    }

    pub fn saving_progress(mut self) -> Self {
        self.save_progress = true;
        self
    }
}

/// What a screen asks the app to do after a key.
#[derive(Debug, PartialEq)]
pub enum Transition {
    Stay(Effect),
    /// Open a lesson; `step: None` resumes where the student was.
    OpenLesson {
        id: String,
        step: Option<usize>,
    },
    OpenQuiz,
    Home,
    RecordQuiz(RoundDone, Effect),
}

impl From<Effect> for Transition {
    fn from(e: Effect) -> Self {
        Transition::Stay(e)
    }
}

#[derive(Debug)]
pub enum Screen {
    Home(HomeState),
    Lesson(Box<LessonState>),
    Quiz(Box<QuizState>),
}

impl Screen {
    pub fn context(&self) -> Context {
        match self {
            Screen::Home(_) => Context::Home,
            Screen::Lesson(_) => Context::Lesson,
            Screen::Quiz(_) => Context::Quiz,
        }
    }

    /// The demo view this screen shows, if any.
    pub fn demo(&self) -> Option<&DemoView> {
        match self {
            Screen::Home(_) => None,
            Screen::Lesson(l) => l.demo.as_ref(),
            Screen::Quiz(q) => q.demo.as_ref(),
        }
    }

    pub fn demo_mut(&mut self) -> Option<&mut DemoView> {
        match self {
            Screen::Home(_) => None,
            Screen::Lesson(l) => l.demo.as_mut(),
            Screen::Quiz(q) => q.demo.as_mut(),
        }
    }

    /// The lesson this screen belongs to.
    pub fn lesson_id(&self) -> Option<&str> {
        match self {
            Screen::Home(_) => None,
            Screen::Lesson(l) => Some(&l.id),
            Screen::Quiz(q) => Some(&q.lesson),
        }
    }
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
    pub notices: Vec<Notice>,
    /// Presenter mode: big titles, no chrome, the demo gets the room.
    pub present: bool,
    /// `b`: the screen is blank until any key.
    pub blank: bool,
    /// Fixes the presenter's clock, for reproducible snapshots.
    pub clock_override: Option<std::time::Duration>,
    /// The status line's note about the last key, until the next one.
    pub flash: Option<LocalText>,
    /// The terminal's size, so keys do nothing while "too small" shows.
    pub size: (u16, u16),
    /// The warm-up of the demos (`P`), while it runs and after.
    pub prerun: Option<prerun::PrerunStatus>,
    /// Quiz attempts left half done (by lesson id): `t` resumes them.
    attempts: std::collections::HashMap<String, Box<QuizState>>,
}

impl App {
    pub fn new(catalog: Catalog, lang: Lang, theme: Theme, progress: Progress) -> App {
        let mut app = App {
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
            flash: None,
            size: (u16::MAX, u16::MAX),
            prerun: None,
            attempts: Default::default(),
        };
        app.screen = Screen::Home(HomeState::at(app.next_unfinished()));
        app
    }

    /// The presenter's clock shows seconds: the loop must wake once a second.
    pub fn wants_tick(&self) -> bool {
        self.present && !self.blank && matches!(self.screen, Screen::Lesson(_))
    }

    pub fn strings(&self) -> &'static Strings {
        self.lang.strings()
    }

    /// The run the visible demo pane shows, while it runs. The event loop
    /// keeps a demo alive only while this names it.
    pub fn active_run(&self) -> Option<RunId> {
        self.screen
            .demo()
            .filter(|v| v.is_running())
            .and_then(|v| v.run)
    }

    /// The lesson to start on: the first one not yet finished.
    fn next_unfinished(&self) -> usize {
        self.catalog
            .lessons
            .iter()
            .position(|set| {
                let has_quiz = set.has_quiz(self.lang);
                !self.progress.is_finished(&set.id, has_quiz)
            })
            .unwrap_or(0)
    }

    /// Opens lesson `id` at its first step; `None` if there is no such lesson.
    pub fn open_lesson(&mut self, id: &str) -> Option<Effect> {
        self.catalog.find(id)?;
        Some(self.apply(Transition::OpenLesson {
            id: id.to_string(),
            step: Some(0),
        }))
    }

    /// The event loop started a run for the current screen's demo.
    pub fn demo_started(&mut self, run: RunId, scale: f64, paused: bool) {
        if let Some(view) = self.screen.demo_mut() {
            view.reset(run);
            view.scale = scale;
            view.paused = paused;
        }
    }

    /// The event loop could not start the demo: the view says why.
    pub fn demo_refused(&mut self, why: String) {
        if let Some(view) = self.screen.demo_mut() {
            view.refused(why);
        }
    }

    /// How many events the running demo could not deliver.
    pub fn set_dropped(&mut self, dropped: u64) {
        if let Some(view) = self.screen.demo_mut() {
            view.dropped = dropped;
        }
    }

    fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    pub fn update(&mut self, msg: Msg) -> Effect {
        match msg {
            Msg::Terminate(_) => Effect::quit().saving_progress(),
            Msg::Reloaded(catalog) => self.reload(*catalog),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                Effect::redraw()
            }
            Msg::Redraw => Effect::redraw(),
            Msg::Notice(n) => {
                self.notices.push(n);
                Effect::redraw()
            }
            Msg::Demo(ev) => self.on_demo_event(ev),
            Msg::Prerun(status) => self.on_prerun(status),
            Msg::Mouse(m) => {
                let t = match &mut self.screen {
                    Screen::Home(h) => h.on_mouse(m, &self.catalog),
                    Screen::Lesson(l) => l.on_mouse(m).into(),
                    Screen::Quiz(q) => q.on_mouse(m).into(),
                };
                self.apply(t)
            }
            Msg::Key(key) => {
                let had_flash = self.flash.take().is_some();
                let mut effect = self.on_key(key);
                if let Some(f) = effect.flash.take() {
                    self.flash = Some(f);
                    effect.redraw = true;
                }
                effect.redraw |= had_flash;
                effect
            }
        }
    }

    fn on_demo_event(&mut self, ev: DemoEvent) -> Effect {
        match &mut self.screen {
            Screen::Home(_) => Effect::none(),
            Screen::Lesson(l) => l.on_demo_event(ev),
            Screen::Quiz(q) => {
                let quiz = self
                    .catalog
                    .find(&q.lesson)
                    .and_then(|set| set.quiz(self.lang));
                match quiz {
                    Some(quiz) => q.on_demo_event(ev, quiz),
                    None => Effect::none(),
                }
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Effect {
        let action = keys::action_for(&key, self.screen.context());
        if self.blank {
            // Any key brings the screen back; q still quits.
            self.blank = false;
            return if action == Some(Action::Quit) {
                self.apply_quit()
            } else {
                Effect::redraw()
            };
        }
        if self.too_small() {
            // Nothing on screen to act on: only quitting works.
            return match action {
                Some(Action::Quit) => self.apply_quit(),
                _ => Effect::none(),
            };
        }
        if !self.help
            && let Screen::Lesson(l) = &mut self.screen
            && let Some(lesson) = self.catalog.find(&l.id).map(|s| s.get(self.lang))
            && let Some(t) = l.on_raw_key(&key, lesson)
        {
            return self.apply(t);
        }
        if self.help {
            // Any key closes help; quitting still quits.
            self.help = false;
            return if action == Some(Action::Quit) {
                self.apply_quit()
            } else {
                Effect::redraw()
            };
        }
        let Some(action) = action else {
            return Effect::none();
        };
        match action {
            Action::Quit => return self.apply_quit(),
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
            Action::Prerun => return self.start_prerun(),
            _ => {}
        }
        let t = match &mut self.screen {
            Screen::Home(h) => h.on_action(action, &self.catalog),
            Screen::Lesson(l) => match self.catalog.find(&l.id) {
                Some(set) => l.on_action(action, set, self.lang),
                None => Transition::Home,
            },
            Screen::Quiz(q) => match self.catalog.find(&q.lesson) {
                Some(set) => q.on_action(action, set, self.lang),
                None => Transition::Home,
            },
        };
        self.apply(t)
    }

    fn apply_quit(&mut self) -> Effect {
        Effect::quit().saving_progress()
    }

    /// Performs a screen's transition: the only place screens change and
    /// the only place the step the student is on is recorded.
    pub fn apply(&mut self, t: Transition) -> Effect {
        let kept = self.keep_attempt(&t);
        let mut effect = match t {
            Transition::Stay(e) => e,
            Transition::OpenLesson { id, step } => self.enter_lesson(&id, step),
            Transition::OpenQuiz => self.enter_quiz(),
            Transition::Home => {
                if let Some(selected) = self
                    .screen
                    .lesson_id()
                    .and_then(|id| self.catalog.index_of(id))
                {
                    self.screen = Screen::Home(HomeState::at(selected));
                }
                Effect::redraw()
            }
            Transition::RecordQuiz(done, e) => {
                if let Some(id) = self.screen.lesson_id().map(str::to_string) {
                    let steps = self
                        .catalog
                        .find(&id)
                        .map_or(0, |s| s.get(self.lang).steps.len());
                    let p = self.progress.lesson_mut(&id);
                    p.steps = p.steps.max(steps);
                    p.quiz.get_or_insert_default().record(&done);
                }
                e.saving_progress()
            }
        };
        if self.record_step() {
            effect.save_progress = true;
        }
        if kept {
            effect.flash = Some(LocalText::from(crate::i18n::Text::new(
                "your answers are kept: t resumes the quiz",
                "答案已保留：按 t 继续测验",
            )));
        }
        effect
    }

    /// Leaving a quiz with answers given keeps the attempt, so nothing is
    /// thrown away by Esc; whether one was kept.
    fn keep_attempt(&mut self, t: &Transition) -> bool {
        if !matches!(t, Transition::OpenLesson { .. } | Transition::Home) {
            return false;
        }
        let Screen::Quiz(q) = &mut self.screen else {
            return false;
        };
        if q.answered() == 0 || q.phase == quiz::Phase::Summary {
            return false;
        }
        // A predict run in flight stops with the screen; its question is
        // asked again on return.
        if q.phase == quiz::Phase::Running {
            q.phase = quiz::Phase::Answering;
            q.demo = None;
        }
        let at = self.catalog.index_of(&q.lesson).unwrap_or(0);
        let placeholder = Screen::Home(HomeState::at(at));
        let Screen::Quiz(q) = std::mem::replace(&mut self.screen, placeholder) else {
            return false;
        };
        self.attempts.insert(q.lesson.clone(), q);
        true
    }

    /// Writes the lesson step on screen into the progress record; whether
    /// anything changed.
    fn record_step(&mut self) -> bool {
        let Screen::Lesson(l) = &self.screen else {
            return false;
        };
        let steps = self
            .catalog
            .find(&l.id)
            .map_or(0, |s| s.get(self.lang).steps.len());
        self.progress.lesson_mut(&l.id).saw(l.step, steps)
    }

    fn enter_lesson(&mut self, id: &str, step: Option<usize>) -> Effect {
        let Some(set) = self.catalog.find(id) else {
            return Effect::none();
        };
        let lesson = set.get(self.lang);
        let last = lesson.steps.len().saturating_sub(1);
        // Resuming a finished lesson starts it over: its summary is no place
        // to land, least of all in front of a class.
        let resume = match self.progress.lessons.get(id) {
            Some(p) if p.step < last => p.step,
            _ => 0,
        };
        let step = step.unwrap_or(resume).min(last);
        self.screen = Screen::Lesson(Box::new(LessonState::new(id, step, lesson)));
        Effect::redraw().saving_progress()
    }

    /// Opens the quiz of the lesson on screen (if it has one).
    fn enter_quiz(&mut self) -> Effect {
        let Screen::Lesson(l) = &self.screen else {
            return Effect::none();
        };
        let Some(set) = self.catalog.find(&l.id) else {
            return Effect::none();
        };
        let Some(quiz) = set.quiz(self.lang).filter(|q| !q.questions.is_empty()) else {
            return Effect::none();
        };
        let state = match self.attempts.remove(&l.id) {
            Some(mut kept) => {
                kept.return_step = l.step;
                kept
            }
            None => Box::new(QuizState::new(&l.id, l.step, quiz)),
        };
        self.screen = Screen::Quiz(state);
        Effect::redraw()
    }

    /// Takes a freshly read catalog. A lesson whose file is now broken keeps
    /// its last good version (and the problem is shown); the screen stays on
    /// the same lesson and step where they still exist. Screens hold lesson
    /// ids, so nothing can end up pointing at another lesson.
    fn reload(&mut self, mut fresh: Catalog) -> Effect {
        fresh.keep_last_good(&self.catalog);
        self.catalog = fresh;
        let lang = self.lang;
        let gone = match &mut self.screen {
            Screen::Home(h) => {
                h.clamp(self.catalog.lessons.len());
                false
            }
            Screen::Lesson(l) => match self.catalog.find(&l.id) {
                Some(set) => {
                    l.refresh(set.get(lang));
                    false
                }
                None => true,
            },
            Screen::Quiz(q) => self.catalog.find(&q.lesson).is_none(),
        };
        if gone {
            return self.apply(Transition::Home);
        }
        Effect::redraw()
    }

    fn next_theme(&mut self) -> Effect {
        if self.themes.len() < 2 {
            return Effect::none();
        }
        let at = self.themes.iter().position(|t| t.name == self.theme.name);
        let next = at.map_or(0, |i| (i + 1) % self.themes.len());
        self.theme = self.themes[next].clone();
        let name = self.theme.name.clone();
        let s = (crate::i18n::EN.theme_now, crate::i18n::ZH.theme_now);
        let mut e = Effect::flash(LocalText {
            en: format!("{}: {name}", s.0),
            zh: format!("{}：{name}", s.1),
        });
        e.save_config = true;
        e
    }

    fn switch_lang(&mut self) -> Effect {
        self.lang = self.lang.other();
        if let Screen::Lesson(l) = &mut self.screen
            && let Some(set) = self.catalog.find(&l.id)
        {
            l.refresh(set.get(self.lang));
        }
        Effect::redraw()
    }

    /// `P`: warm up every demo of the lesson on screen (every demo of every
    /// lesson from the home screen).
    pub fn start_prerun(&mut self) -> Effect {
        let lessons: Vec<&crate::lesson::LessonSet> = match self.screen.lesson_id() {
            Some(id) => self.catalog.find(id).into_iter().collect(),
            None => self.catalog.lessons.iter().collect(),
        };
        let mut demos: Vec<(String, Params)> = Vec::new();
        for set in lessons {
            for slot in set
                .get(self.lang)
                .steps
                .iter()
                .filter_map(|s| s.demo.as_ref())
            {
                let d = (slot.id.clone(), slot.params.clone());
                if !demos.contains(&d) {
                    demos.push(d);
                }
            }
        }
        if demos.is_empty() {
            return Effect::flash(LocalText::from(crate::i18n::Text::new(
                crate::i18n::EN.prerun_nothing,
                crate::i18n::ZH.prerun_nothing,
            )));
        }
        self.prerun = Some(prerun::PrerunStatus {
            total: demos.len(),
            ..Default::default()
        });
        Effect {
            prerun: Some(demos),
            ..Effect::redraw()
        }
    }

    fn on_prerun(&mut self, status: prerun::PrerunStatus) -> Effect {
        self.prerun = Some(status);
        if status.finished && !status.stopped {
            self.flash = Some(self.prerun_text().unwrap_or_default());
        }
        Effect::redraw()
    }

    /// What the warm-up is doing, in words, for the status line and the
    /// presenter's corner.
    pub fn prerun_text(&self) -> Option<LocalText> {
        let p = self.prerun?;
        let (done, total) = (p.done, p.total);
        Some(if p.stopped {
            crate::tr!(
                "warm-up stopped at {done}/{total}",
                "预热在 {done}/{total} 处停止"
            )
        } else if p.finished && p.failed > 0 {
            let failed = p.failed;
            crate::tr!(
                "demos warmed up, {failed} with a failed lane: ready",
                "演示已预热，{failed} 个有泳道失败：就绪"
            )
        } else if p.finished {
            crate::tr!("demos warmed up: ready ✓", "演示已预热：就绪 ✓")
        } else {
            crate::tr!(
                "warming up the demos {done}/{total}…",
                "正在预热演示 {done}/{total}…"
            )
        })
    }

    /// Work for an idle moment, after a frame is out: the lesson renders the
    /// steps around the one on screen, so paging finds them ready.
    pub fn prepare(&self) {
        match &self.screen {
            Screen::Lesson(l) => l.prepare_neighbours(self),
            Screen::Home(h) => h.prepare_neighbours(self),
            Screen::Quiz(_) => {}
        }
    }

    /// Whether the demo on screen can fail on purpose (help lists `f`).
    fn demo_can_fail(&self) -> bool {
        self.screen.demo().is_some_and(|v| v.info.failure.is_some())
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        buf.set_style(area, self.theme.base());
        if self.blank {
            return;
        }
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            crate::ui::too_small::render(
                self.lang,
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
            Screen::Quiz(q) => quiz::render(self, q, area, buf),
        }
        if self.help {
            help::render(
                self.screen.context(),
                self.demo_can_fail(),
                self.lang,
                &self.theme,
                area,
                buf,
            );
        }
    }
}

//! The quiz screen: one question at a time, every answer explained, a
//! summary with a retry of the wrong ones. Predict-then-run questions run
//! the lesson's demo and are graded on what it measured. Drawing is in
//! `view`.

mod view;

use crossterm::event::{MouseEvent, MouseEventKind};

use super::keys::Action;
use super::{DemoCommand, Effect, RoundDone, Transition, demo_controls};
use crate::demo::{self, DemoEvent, DemoView, Params, Watched};
use crate::i18n::{Lang, LocalText, Text};
use crate::lesson::{Lesson, LessonSet};
use crate::quiz::grade::shuffled;
use crate::quiz::{Grade, Kind, Question, Quiz, Response, grade};
pub use view::render;

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Answering,
    /// A predict question's demo is running.
    Running,
    Graded(Grade),
    Summary,
}

#[derive(Debug)]
pub struct QuizState {
    /// The lesson whose quiz this is.
    pub lesson: String,
    /// The lesson step to go back to.
    pub return_step: usize,
    /// Question indices asked in this round, in order.
    pub round: Vec<usize>,
    /// A full round (not a retry of the wrong ones).
    pub full: bool,
    /// Rounds started so far: retries shuffle their choices anew.
    pub rounds: u32,
    pub pos: usize,
    pub phase: Phase,
    pub cursor: usize,
    /// Picked choices (indices into `choices`); for order questions in the
    /// order picked.
    pub picked: Vec<usize>,
    /// The order the choices are shown in.
    pub shown: Vec<usize>,
    /// (question index, right?) for each answered question of the round.
    pub results: Vec<(usize, bool)>,
    pub demo: Option<DemoView>,
    /// Lines scrolled down in the question (PgDn), for long feedback.
    pub scroll: usize,
}

impl QuizState {
    pub fn new(lesson: &str, return_step: usize, quiz: &Quiz) -> Self {
        let mut s = QuizState {
            lesson: lesson.to_string(),
            return_step,
            round: (0..quiz.questions.len()).collect(),
            full: true,
            rounds: 1,
            pos: 0,
            phase: Phase::Answering,
            cursor: 0,
            picked: Vec::new(),
            shown: Vec::new(),
            results: Vec::new(),
            demo: None,
            scroll: 0,
        };
        s.reset_question(quiz);
        s
    }

    pub fn question<'a>(&self, quiz: &'a Quiz) -> Option<&'a Question> {
        self.round
            .get(self.pos)
            .and_then(|i| quiz.questions.get(*i))
    }

    fn reset_question(&mut self, quiz: &Quiz) {
        self.phase = if self.pos < self.round.len() {
            Phase::Answering
        } else {
            Phase::Summary
        };
        self.cursor = 0;
        self.scroll = 0;
        self.picked.clear();
        self.demo = None;
        let rounds = self.rounds;
        self.shown = match self.question(quiz) {
            // Order questions are always shuffled (the file lists the right
            // order); on a retry every question is, so it is not passed
            // from memory of where the answer was.
            Some(q) if q.kind == Kind::Order => shuffled(q.choices.len(), &q.id),
            Some(q) if rounds > 1 => shuffled(q.choices.len(), &format!("{}#{rounds}", q.id)),
            Some(q) => (0..q.choices.len()).collect(),
            None => Vec::new(),
        };
    }

    pub fn right_count(&self) -> usize {
        self.results.iter().filter(|(_, ok)| *ok).count()
    }

    /// Answers given in this round (to know whether leaving loses any).
    pub fn answered(&self) -> usize {
        self.results.len()
    }

    fn round_done(&self, quiz: &Quiz) -> RoundDone {
        let ids = |ok: Option<bool>| {
            self.results
                .iter()
                .filter(|(_, r)| ok.is_none_or(|want| *r == want))
                .map(|(i, _)| quiz.questions[*i].id.clone())
                .collect::<Vec<_>>()
        };
        RoundDone {
            full: self.full,
            total: self.round.len(),
            right: self.right_count(),
            wrong: ids(Some(false)),
            asked: ids(None),
        }
    }

    fn response(&self, q: &Question) -> Option<Response> {
        let first = self.picked.first().copied();
        match &q.kind {
            Kind::Single { .. } => first.map(Response::Single),
            Kind::Predict { .. } => first.map(Response::Predict),
            Kind::Multiple { .. } => {
                (!self.picked.is_empty()).then(|| Response::Multiple(self.picked.clone()))
            }
            Kind::Order => {
                (self.picked.len() == q.choices.len()).then(|| Response::Order(self.picked.clone()))
            }
        }
    }

    fn pick(&mut self, q: &Question, shown_index: usize) -> Effect {
        let Some(&choice) = self.shown.get(shown_index) else {
            return Effect::none();
        };
        self.cursor = shown_index;
        match q.kind {
            Kind::Single { .. } | Kind::Predict { .. } => self.picked = vec![choice],
            Kind::Multiple { .. } => {
                if let Some(at) = self.picked.iter().position(|c| *c == choice) {
                    self.picked.remove(at);
                } else {
                    self.picked.push(choice);
                }
            }
            Kind::Order => {
                if !self.picked.contains(&choice) {
                    self.picked.push(choice);
                }
            }
        }
        Effect::redraw()
    }

    pub fn on_action(&mut self, action: Action, set: &LessonSet, lang: Lang) -> Transition {
        if action == Action::Back {
            return Transition::OpenLesson {
                id: self.lesson.clone(),
                step: Some(self.return_step),
            };
        }
        let Some(quiz) = set.quiz(lang) else {
            return Effect::none().into();
        };
        let lesson = set.get(lang);
        match action {
            Action::PageDown => return self.scroll_by(5).into(),
            Action::PageUp => return self.scroll_by(-5).into(),
            _ => {}
        }
        if let Some(view) = &mut self.demo
            && matches!(action, Action::Zoom)
        {
            return demo_controls::on_action(view, action)
                .unwrap_or_default()
                .into();
        }
        let Some(q) = self.question(quiz) else {
            return self.on_summary_action(action, quiz).into();
        };
        self.on_question_action(action, q, quiz, lesson)
    }

    fn scroll_by(&mut self, delta: isize) -> Effect {
        let next = self.scroll.saturating_add_signed(delta);
        if next == self.scroll {
            return Effect::none();
        }
        self.scroll = next;
        Effect::redraw()
    }

    fn on_question_action(
        &mut self,
        action: Action,
        q: &Question,
        quiz: &Quiz,
        lesson: &Lesson,
    ) -> Transition {
        let n = q.choices.len();
        let effect = match (&self.phase, action) {
            (Phase::Answering, Action::Choose(d)) => self.pick(q, d as usize - 1),
            (Phase::Answering, Action::Select) => self.pick(q, self.cursor),
            (Phase::Answering, Action::Up) => {
                self.cursor = self.cursor.saturating_sub(1);
                Effect::redraw()
            }
            (Phase::Answering, Action::Down) => {
                self.cursor = (self.cursor + 1).min(n.saturating_sub(1));
                Effect::redraw()
            }
            (Phase::Answering, Action::Undo) => {
                self.picked.pop();
                Effect::redraw()
            }
            (Phase::Answering, Action::Submit) => match self.response(q) {
                None => Effect::flash(LocalText::from(Text::new(
                    crate::i18n::EN.incomplete_answer,
                    crate::i18n::ZH.incomplete_answer,
                ))),
                Some(response) => match &q.kind {
                    Kind::Predict { demo: id, .. } => self.run_predict(q, id, lesson),
                    _ => {
                        let g = grade(q, &response, None);
                        self.results.push((self.round[self.pos], g.correct));
                        self.phase = Phase::Graded(g);
                        Effect::redraw()
                    }
                },
            },
            (Phase::Graded(_), Action::Submit) => {
                self.pos += 1;
                self.reset_question(quiz);
                if self.phase == Phase::Summary {
                    return Transition::RecordQuiz(self.round_done(quiz), Effect::redraw());
                }
                Effect::redraw()
            }
            _ => Effect::none(),
        };
        effect.into()
    }

    fn on_summary_action(&mut self, action: Action, quiz: &Quiz) -> Effect {
        if action != Action::Retry {
            return Effect::none();
        }
        let wrong: Vec<usize> = self
            .results
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(i, _)| *i)
            .collect();
        if wrong.is_empty() {
            return Effect::none();
        }
        self.round = wrong;
        self.full = false;
        self.rounds += 1;
        self.pos = 0;
        self.results.clear();
        self.reset_question(quiz);
        Effect::redraw()
    }

    fn run_predict(&mut self, q: &Question, id: &str, lesson: &Lesson) -> Effect {
        let Some(d) = demo::find(id) else {
            return Effect::none();
        };
        let params = predict_params(q, id, lesson);
        self.demo = Some(DemoView::new(d.info(), params.clone()));
        self.phase = Phase::Running;
        // The prompt stays put; the demo takes the room below it.
        self.scroll = 0;
        Effect::redraw().with_demo(DemoCommand::Start {
            id: id.to_string(),
            params,
            scale: 1.0,
            watched: Watched::Headless,
        })
    }

    pub fn on_mouse(&mut self, m: MouseEvent) -> Effect {
        match m.kind {
            MouseEventKind::ScrollDown => self.scroll_by(3),
            MouseEventKind::ScrollUp => self.scroll_by(-3),
            _ => Effect::none(),
        }
    }

    pub fn on_demo_event(&mut self, ev: DemoEvent, quiz: &Quiz) -> Effect {
        let Some(view) = self.demo.as_mut() else {
            return Effect::none();
        };
        if !view.apply(ev) {
            return Effect::none();
        }
        let finished = view.run.is_some() && view.all_finished();
        if self.phase == Phase::Running
            && finished
            && let Some(q) = self
                .round
                .get(self.pos)
                .and_then(|i| quiz.questions.get(*i))
            && let Some(response) = self.response(q)
            && let Some(view) = &self.demo
        {
            let g = grade(q, &response, Some(view));
            self.results.push((self.round[self.pos], g.correct));
            self.phase = Phase::Graded(g);
        }
        Effect::redraw()
    }
}

/// The demo as the lesson embeds it at the question's step (or anywhere),
/// with the question's own parameters on top.
fn predict_params(q: &Question, id: &str, lesson: &Lesson) -> Params {
    let at_step = lesson
        .steps
        .get(q.step.saturating_sub(1))
        .and_then(|s| s.demo.as_ref())
        .filter(|d| d.id == id);
    let anywhere = || {
        lesson
            .steps
            .iter()
            .filter_map(|s| s.demo.as_ref())
            .find(|d| d.id == id)
    };
    let base = at_step
        .or_else(anywhere)
        .map(|d| d.params.clone())
        .unwrap_or_default();
    match &q.kind {
        Kind::Predict { params: own, .. } => base.merged(own),
        _ => base,
    }
}

//! The quiz screen: one question at a time, every answer explained, a
//! summary with a retry of the wrong ones. Predict-then-run questions run
//! the lesson's demo and are graded on what it measured.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::keys::{Action, Context};
use super::{App, DemoCommand, Effect};
use crate::demo::{self, DemoEvent, DemoView, Params};
use crate::lesson::{Lang, Lesson};
use crate::quiz::grade::{right_answer, shuffled};
use crate::quiz::{Grade, Kind, Question, Quiz, Response, grade};
use crate::ui::demo_pane::DemoPane;
use crate::ui::status::status_line;
use crate::ui::wrap::wrap_runs;

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Answering,
    /// A predict question's demo is running.
    Running,
    Graded(Grade),
    Summary,
}

/// A finished round, for the progress record.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundDone {
    pub full: bool,
    pub total: usize,
    pub right: usize,
    pub wrong: Vec<String>,
    pub asked: Vec<String>,
}

#[derive(Debug)]
pub struct QuizState {
    /// Index of the lesson in the catalog.
    pub lesson: usize,
    /// The lesson step to go back to.
    pub return_step: usize,
    /// Question indices asked in this round, in order.
    pub round: Vec<usize>,
    /// A full round (not a retry of the wrong ones).
    pub full: bool,
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
}

impl QuizState {
    pub fn new(lesson: usize, return_step: usize, quiz: &Quiz) -> Self {
        let mut s = QuizState {
            lesson,
            return_step,
            round: (0..quiz.questions.len()).collect(),
            full: true,
            pos: 0,
            phase: Phase::Answering,
            cursor: 0,
            picked: Vec::new(),
            shown: Vec::new(),
            results: Vec::new(),
            demo: None,
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
        self.picked.clear();
        self.demo = None;
        self.shown = match self.question(quiz) {
            Some(q) if q.kind == Kind::Order => shuffled(q.choices.len(), &q.id),
            Some(q) => (0..q.choices.len()).collect(),
            None => Vec::new(),
        };
    }

    pub fn right_count(&self) -> usize {
        self.results.iter().filter(|(_, ok)| *ok).count()
    }

    fn wrong_ids(&self, quiz: &Quiz) -> Vec<String> {
        self.results
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(i, _)| quiz.questions[*i].id.clone())
            .collect()
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

    /// Handles a key; a finished round comes back for the progress record.
    pub fn on_action(
        &mut self,
        action: Action,
        quiz: &Quiz,
        lesson: &Lesson,
        zh: bool,
    ) -> (Effect, Option<RoundDone>) {
        let Some(q) = self.question(quiz) else {
            return (self.on_summary_action(action, quiz), None);
        };
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
            (Phase::Answering, Action::Submit) => {
                let Some(response) = self.response(q) else {
                    return (Effect::none(), None);
                };
                match &q.kind {
                    Kind::Predict { demo: id, .. } => {
                        return (self.run_predict(q, id, lesson, zh), None);
                    }
                    _ => {
                        let g = grade(q, &response, None);
                        self.results.push((self.round[self.pos], g.correct));
                        self.phase = Phase::Graded(g);
                        Effect::redraw()
                    }
                }
            }
            (Phase::Graded(_), Action::Submit) => {
                self.pos += 1;
                self.reset_question(quiz);
                if self.phase == Phase::Summary {
                    let done = RoundDone {
                        full: self.full,
                        total: self.round.len(),
                        right: self.right_count(),
                        wrong: self.wrong_ids(quiz),
                        asked: self
                            .round
                            .iter()
                            .map(|i| quiz.questions[*i].id.clone())
                            .collect(),
                    };
                    let mut e = Effect::redraw();
                    e.save_progress = true;
                    return (e, Some(done));
                }
                Effect::redraw()
            }
            _ => Effect::none(),
        };
        (effect, None)
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
        self.pos = 0;
        self.results.clear();
        self.reset_question(quiz);
        Effect::redraw()
    }

    fn run_predict(&mut self, q: &Question, id: &str, lesson: &Lesson, zh: bool) -> Effect {
        let Some(d) = demo::find(id) else {
            return Effect::none();
        };
        let params = predict_params(q, id, lesson);
        self.demo = Some(DemoView::new(d.info(), params.clone(), zh));
        self.phase = Phase::Running;
        Effect {
            redraw: true,
            demo: Some(DemoCommand::Start {
                id: id.to_string(),
                params,
                scale: 1.0,
                interactive: false,
            }),
            ..Default::default()
        }
    }

    pub fn demo_running(&self) -> bool {
        self.demo.as_ref().is_some_and(|d| d.is_running())
    }

    pub fn on_demo_event(&mut self, ev: DemoEvent, quiz: &Quiz) -> Effect {
        let Some(view) = self.demo.as_mut() else {
            return Effect::none();
        };
        if !view.apply(ev) {
            return Effect::none();
        }
        let finished = view.run != 0 && view.all_finished();
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
    let mut params = at_step
        .or_else(anywhere)
        .map(|d| d.params.clone())
        .unwrap_or_default();
    if let Kind::Predict { params: own, .. } = &q.kind {
        for name in own.names() {
            if let Some(v) = own.get(name) {
                params.set(name, v);
            }
        }
    }
    params
}

pub fn render(
    app: &App,
    state: &QuizState,
    quiz: &Quiz,
    lesson: &Lesson,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = &app.theme;
    let zh = app.lang == Lang::Zh;
    let tr = |en: &'static str, cn: &'static str| if zh { cn } else { en };
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let counter = match state.question(quiz) {
        Some(_) => format!(
            " {} {}/{} · {} {} ",
            tr("question", "题目"),
            state.pos + 1,
            state.round.len(),
            tr("right", "答对"),
            state.right_count()
        ),
        None => format!(" {} ", tr("summary", "总结")),
    };
    Line::from(vec![
        Span::styled(" concur ", t.bar()),
        Span::styled(
            format!(
                " {}. {} · {}",
                lesson.order,
                lesson.title,
                tr("Quiz", "测验")
            ),
            t.accent(),
        ),
    ])
    .render(header, buf);
    let cw = unicode_width::UnicodeWidthStr::width(counter.as_str()) as u16;
    buf.set_string(
        header.right().saturating_sub(cw),
        header.y,
        &counter,
        t.bar(),
    );
    status_line(Context::Quiz, app.lang, t, None).render(status, buf);

    let inner = body.inner(Margin::new(1, 1));
    let Some(q) = state.question(quiz) else {
        render_summary(app, state, quiz, inner, buf);
        return;
    };
    let (text_area, demo_area) = match &state.demo {
        Some(_) if inner.height >= 24 => {
            let [a, b] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(inner.height / 2)])
                    .areas(inner);
            (a, Some(b))
        }
        _ => (inner, None),
    };
    let w = text_area.width as usize;
    let mut lines: Vec<Line> = wrap_runs(&[(q.prompt.clone(), t.strong())], w);
    let how = match (&q.kind, zh) {
        (Kind::Single { .. }, false) => "Pick one, then Enter.",
        (Kind::Single { .. }, true) => "选一个，然后按 Enter。",
        (Kind::Multiple { .. }, false) => "Pick every right one (press again to drop), then Enter.",
        (Kind::Multiple { .. }, true) => "选出所有正确的（再按一次取消），然后按 Enter。",
        (Kind::Order, false) => {
            "Press the choices in the right order (Backspace takes one back), then Enter."
        }
        (Kind::Order, true) => "按正确的顺序依次选择（Backspace 撤回），然后按 Enter。",
        (Kind::Predict { .. }, false) => {
            "Predict, then Enter runs the demo and grades you on what it measures."
        }
        (Kind::Predict { .. }, true) => "先预测，然后按 Enter 运行演示，按它测到的数据评分。",
    };
    lines.push(Line::styled(how, t.muted()));
    lines.push(Line::default());
    let graded = matches!(state.phase, Phase::Graded(_));
    let right = right_answer(q);
    for (d, &choice) in state.shown.iter().enumerate() {
        let picked_at = state.picked.iter().position(|c| *c == choice);
        let mark = match (&q.kind, picked_at) {
            (Kind::Order, Some(at)) => format!("[{}]", at + 1),
            (Kind::Order, None) => "[ ]".into(),
            (Kind::Multiple { .. }, Some(_)) => "[x]".into(),
            (Kind::Multiple { .. }, None) => "[ ]".into(),
            (_, Some(_)) => "(•)".into(),
            (_, None) => "( )".into(),
        };
        let pointer = if d == state.cursor && state.phase == Phase::Answering {
            "▶"
        } else {
            " "
        };
        let is_right = match (&q.kind, &state.phase) {
            (Kind::Predict { .. }, Phase::Graded(g)) => g.holding.contains(&choice),
            (Kind::Order, _) => false,
            _ => right.contains(&(choice + 1)),
        };
        let style = if graded && is_right {
            t.ok()
        } else if picked_at.is_some() {
            t.accent()
        } else {
            t.text()
        };
        let tick = if graded && is_right { " ✓" } else { "" };
        let runs = vec![
            (format!("{pointer} {} {mark} ", d + 1), style),
            (format!("{}{tick}", q.choices[choice]), style),
        ];
        lines.extend(wrap_runs(&runs, w));
    }
    match &state.phase {
        Phase::Running => {
            lines.push(Line::default());
            lines.push(Line::styled(
                tr("Running the demo…", "正在运行演示…"),
                t.warn(),
            ));
        }
        Phase::Graded(g) => {
            lines.push(Line::default());
            let verdict = if g.correct {
                Line::styled(tr("✓ Right.", "✓ 正确。"), t.ok())
            } else if q.kind == Kind::Order {
                let order: Vec<String> = q.choices.iter().map(|c| c.to_string()).collect();
                Line::styled(
                    format!(
                        "{} {}",
                        tr("✗ Not quite. The right order:", "✗ 不对。正确顺序："),
                        order.join(" → ")
                    ),
                    t.bad(),
                )
            } else if let Kind::Predict { .. } = q.kind {
                let holding: Vec<String> = g.holding.iter().map(|i| (i + 1).to_string()).collect();
                let held = if holding.is_empty() {
                    tr(
                        "none (the demo did not report every figure)",
                        "无（演示没有报告全部数据）",
                    )
                    .to_string()
                } else {
                    holding.join(", ")
                };
                Line::styled(
                    format!(
                        "{} {held}",
                        tr("✗ Not this time. What held:", "✗ 这次不对。成立的是：")
                    ),
                    t.bad(),
                )
            } else {
                let r: Vec<String> = right.iter().map(|i| i.to_string()).collect();
                Line::styled(
                    format!(
                        "{} {}",
                        tr("✗ Not quite. Right:", "✗ 不对。正确答案："),
                        r.join(", ")
                    ),
                    t.bad(),
                )
            };
            lines.push(verdict);
            if !g.measured.is_empty() {
                let m: Vec<String> = g
                    .measured
                    .iter()
                    .map(|(n, v)| format!("{n} = {v:.1}"))
                    .collect();
                lines.push(Line::styled(
                    format!("{} {}", tr("Measured:", "测量值："), m.join(" · ")),
                    t.accent(),
                ));
            }
            lines.extend(wrap_runs(&[(q.explanation.clone(), t.text())], w));
            let step_title = lesson
                .steps
                .get(q.step - 1)
                .map(|s| s.title.as_str())
                .unwrap_or("");
            lines.push(Line::styled(
                format!("— {} {}: {step_title}", tr("from step", "出自步骤"), q.step),
                t.muted(),
            ));
            lines.push(Line::styled(tr("Enter: next", "Enter：下一题"), t.muted()));
        }
        _ => {}
    }
    // Keep the end (the verdict) in view on short screens.
    let skip = lines.len().saturating_sub(text_area.height as usize);
    Paragraph::new(lines.split_off(skip.min(lines.len()))).render(text_area, buf);
    if let (Some(view), Some(area)) = (&state.demo, demo_area) {
        DemoPane {
            view,
            theme: t,
            strings: app.strings(),
            zh,
            focused: view.is_running(),
        }
        .render(area, buf);
    }
}

fn render_summary(app: &App, state: &QuizState, quiz: &Quiz, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let zh = app.lang == Lang::Zh;
    let right = state.right_count();
    let total = state.round.len();
    let mut lines = vec![
        Line::styled(
            if zh {
                format!("得分 {right}/{total}")
            } else {
                format!("Score {right}/{total}")
            },
            t.heading(1),
        ),
        Line::default(),
    ];
    for (i, ok) in &state.results {
        let q = &quiz.questions[*i];
        let (mark, style) = if *ok {
            ("✓", t.ok())
        } else {
            ("✗", t.bad())
        };
        lines.extend(wrap_runs(
            &[(format!("{mark} "), style), (q.prompt.clone(), t.text())],
            area.width as usize,
        ));
    }
    lines.push(Line::default());
    let wrong = total - right;
    let hint = match (wrong, zh) {
        (0, false) => "All right. Esc: back to the lesson.".to_string(),
        (0, true) => "全部正确。Esc：返回课程。".to_string(),
        (n, false) => format!("r: retry the {n} you got wrong · Esc: back to the lesson"),
        (n, true) => format!("r：重做答错的 {n} 题 · Esc：返回课程"),
    };
    lines.push(Line::styled(hint, t.muted()));
    Paragraph::new(lines).render(area, buf);
}

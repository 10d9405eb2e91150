//! Drawing the quiz: the question (its prompt always in view), the choices
//! with a hanging indent, the verdict and its explanation wrapped, and the
//! predict question's demo below.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{Phase, QuizState};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::status::status_line;
use crate::demo::{self, Unit};
use crate::i18n::{Lang, Text};
use crate::lesson::{Lesson, LessonSet};
use crate::quiz::grade::right_answer;
use crate::quiz::{Grade, Kind, Question, Quiz};
use crate::ui::demo_pane::DemoPane;
use crate::ui::theme::Theme;
use crate::ui::wrap::wrap_runs;

/// Below this height the predict demo is not drawn under the question.
const MIN_HEIGHT_WITH_DEMO: u16 = 24;

const fn t(en: &'static str, zh: &'static str) -> Text {
    Text::new(en, zh)
}

pub fn render(app: &App, state: &QuizState, area: Rect, buf: &mut Buffer) {
    let Some(set) = app.catalog.find(&state.lesson) else {
        return;
    };
    let Some(quiz) = set.quiz(app.lang) else {
        return;
    };
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(app, state, set, quiz, header, buf);
    let flash = app.flash.as_ref().map(|f| f.get(app.lang));
    status_line(Context::Quiz, app.lang, &app.theme, flash).render(status, buf);
    let inner = body.inner(Margin::new(1, 1));
    match state.question(quiz) {
        Some(q) => render_question(app, state, q, set.get(app.lang), inner, buf),
        None => render_summary(app, state, quiz, inner, buf),
    }
}

fn render_header(
    app: &App,
    state: &QuizState,
    set: &LessonSet,
    quiz: &Quiz,
    area: Rect,
    buf: &mut Buffer,
) {
    let (th, lang) = (&app.theme, app.lang);
    let lesson = set.get(lang);
    let counter = match state.question(quiz) {
        Some(_) => format!(
            " {} {}/{} · {} {} ",
            t("question", "题目").get(lang),
            state.pos + 1,
            state.round.len(),
            t("right", "答对").get(lang),
            state.right_count()
        ),
        None => format!(" {} ", t("summary", "总结").get(lang)),
    };
    Line::from(vec![
        Span::styled(" concur ", th.bar()),
        Span::styled(
            format!(
                " {}. {} · {}",
                lesson.order,
                lesson.title,
                t("Quiz", "测验").get(lang)
            ),
            th.accent(),
        ),
    ])
    .render(area, buf);
    let cw = unicode_width::UnicodeWidthStr::width(counter.as_str()) as u16;
    buf.set_string(area.right().saturating_sub(cw), area.y, &counter, th.bar());
}

/// Text with `code` spans styled as code (quiz files are written with
/// Markdown backticks).
fn marked(text: &str, base: Style, th: &Theme) -> Vec<(String, Style)> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| {
            let style = if i % 2 == 1 { th.code_inline() } else { base };
            (part.to_string(), style)
        })
        .collect()
}

/// Wraps `runs` with every line after the first indented by `indent`
/// columns, so a long choice lines up under its own text.
fn hanging(lead: (String, Style), runs: Vec<(String, Style)>, w: usize) -> Vec<Line<'static>> {
    let indent = unicode_width::UnicodeWidthStr::width(lead.0.as_str());
    let body = wrap_runs(&runs, w.saturating_sub(indent).max(8));
    body.into_iter()
        .enumerate()
        .map(|(i, line)| {
            let head = if i == 0 {
                Span::styled(lead.0.clone(), lead.1)
            } else {
                Span::raw(" ".repeat(indent))
            };
            let mut spans = vec![head];
            spans.extend(line.spans);
            Line::from(spans)
        })
        .collect()
}

fn how_to_answer(kind: &Kind, lang: Lang) -> &'static str {
    match kind {
        Kind::Single { .. } => t("Pick one, then Enter.", "选一个，然后按 Enter。"),
        Kind::Multiple { .. } => t(
            "Pick every right one (press again to drop), then Enter.",
            "选出所有正确的（再按一次取消），然后按 Enter。",
        ),
        Kind::Order => t(
            "Press the choices in the right order (Backspace takes one back), then Enter.",
            "按正确的顺序依次选择（Backspace 撤回），然后按 Enter。",
        ),
        Kind::Predict { .. } => t(
            "Predict, then Enter runs the demo and grades you on what it measures.",
            "先预测，然后按 Enter 运行演示，按它测到的数据评分。",
        ),
    }
    .get(lang)
}

fn choice_lines(state: &QuizState, q: &Question, th: &Theme, w: usize) -> Vec<Line<'static>> {
    let graded = matches!(state.phase, Phase::Graded(_));
    let right = right_answer(q);
    let mut lines = Vec::new();
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
            th.ok()
        } else if picked_at.is_some() {
            th.accent()
        } else {
            th.text()
        };
        let mut runs = marked(&q.choices[choice], style, th);
        if graded && is_right {
            runs.push((" ✓".into(), style));
        }
        lines.extend(hanging(
            (format!("{pointer} {} {mark} ", d + 1), style),
            runs,
            w,
        ));
    }
    lines
}

/// A measured figure as its unit says: counts whole, flags yes/no.
fn figure(q: &Question, name: &str, value: f64, lang: Lang) -> String {
    let Kind::Predict { demo: id, .. } = &q.kind else {
        return format!("{value}");
    };
    let unit = name.split_once('.').and_then(|(lane, metric)| {
        demo::find(id)?
            .info()
            .lane(lane)?
            .metric(metric)
            .map(|m| m.unit)
    });
    match unit {
        Some(u) => u.format(value, lang),
        None => Unit::Ratio.format(value, lang),
    }
}

fn verdict_lines(
    q: &Question,
    g: &Grade,
    lesson: &Lesson,
    lang: Lang,
    th: &Theme,
    w: usize,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::default()];
    let wrap = |text: String, style: Style| wrap_runs(&[(text, style)], w);
    if g.correct {
        lines.push(Line::styled(t("✓ Right.", "✓ 正确。").get(lang), th.ok()));
    } else if q.kind == Kind::Order {
        lines.push(Line::styled(
            t("✗ Not quite. The right order:", "✗ 不对。正确顺序：").get(lang),
            th.bad(),
        ));
        for (i, c) in q.choices.iter().enumerate() {
            lines.extend(hanging(
                (format!("  {}. ", i + 1), th.text()),
                marked(c, th.text(), th),
                w,
            ));
        }
    } else if let Kind::Predict { .. } = q.kind {
        let holding: Vec<String> = g.holding.iter().map(|i| (i + 1).to_string()).collect();
        let held = if holding.is_empty() {
            t(
                "none (the demo did not report every figure)",
                "无（演示没有报告全部数据）",
            )
            .get(lang)
            .to_string()
        } else {
            holding.join(", ")
        };
        let head = t("✗ Not this time. What held:", "✗ 这次不对。成立的是：").get(lang);
        lines.extend(wrap(format!("{head} {held}"), th.bad()));
    } else {
        let r: Vec<String> = right_answer(q).iter().map(|i| i.to_string()).collect();
        let head = t("✗ Not quite. Right:", "✗ 不对。正确答案：").get(lang);
        lines.extend(wrap(format!("{head} {}", r.join(", ")), th.bad()));
    }
    if !g.measured.is_empty() {
        let m: Vec<String> = g
            .measured
            .iter()
            .map(|(n, v)| format!("{n} = {}", figure(q, n, *v, lang)))
            .collect();
        let head = t("Measured:", "测量值：").get(lang);
        lines.extend(wrap(format!("{head} {}", m.join(" · ")), th.accent()));
    }
    lines.extend(wrap_runs(&marked(&q.explanation, th.text(), th), w));
    let step_title = lesson
        .steps
        .get(q.step.saturating_sub(1))
        .map(|s| s.title.as_str())
        .unwrap_or("");
    let from = t("from step", "出自步骤").get(lang);
    let sep = if lang.is_zh() { "：" } else { ": " };
    lines.extend(wrap(
        format!("— {from} {}{sep}{step_title}", q.step),
        th.muted(),
    ));
    lines.push(Line::styled(
        t("Enter: next", "Enter：下一题").get(lang),
        th.muted(),
    ));
    lines
}

fn render_question(
    app: &App,
    state: &QuizState,
    q: &Question,
    lesson: &Lesson,
    area: Rect,
    buf: &mut Buffer,
) {
    let (th, lang) = (&app.theme, app.lang);
    let (text_area, demo_area) = match &state.demo {
        Some(_) if area.height >= MIN_HEIGHT_WITH_DEMO => {
            let [a, b] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(area.height / 2)])
                    .areas(area);
            (a, Some(b))
        }
        _ => (area, None),
    };
    let w = text_area.width as usize;
    // The prompt is pinned: what follows it scrolls under it.
    let mut prompt: Vec<Line> = wrap_runs(&marked(&q.prompt, th.strong(), th), w);
    prompt.push(Line::styled(how_to_answer(&q.kind, lang), th.muted()));
    prompt.push(Line::default());
    let mut rest = choice_lines(state, q, th, w);
    match &state.phase {
        Phase::Running => {
            rest.push(Line::default());
            rest.push(Line::styled(
                t("Running the demo…", "正在运行演示…").get(lang),
                th.warn(),
            ));
        }
        Phase::Graded(g) => rest.extend(verdict_lines(q, g, lesson, lang, th, w)),
        _ => {}
    }
    let pinned = (prompt.len() as u16).min(text_area.height / 2);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(pinned), Constraint::Fill(1)]).areas(text_area);
    Paragraph::new(prompt).render(top, buf);
    // A fresh verdict shows its end (the explanation); PgUp/PgDn move it.
    let max = rest.len().saturating_sub(bottom.height as usize);
    let from_end = matches!(state.phase, Phase::Graded(_)) && state.scroll == 0;
    let skip = if from_end { max } else { state.scroll.min(max) };
    Paragraph::new(rest.split_off(skip.min(rest.len()))).render(bottom, buf);
    if let (Some(view), Some(area)) = (&state.demo, demo_area) {
        DemoPane {
            view,
            theme: th,
            lang,
            focused: view.is_running(),
            big: false,
        }
        .render(area, buf);
    }
}

fn render_summary(app: &App, state: &QuizState, quiz: &Quiz, area: Rect, buf: &mut Buffer) {
    let (th, lang) = (&app.theme, app.lang);
    let right = state.right_count();
    let total = state.round.len();
    let score = t("Score", "得分").get(lang);
    let mut lines = vec![
        Line::styled(format!("{score} {right}/{total}"), th.heading(1)),
        Line::default(),
    ];
    for (i, ok) in &state.results {
        let q = &quiz.questions[*i];
        let (mark, style) = if *ok {
            ("✓ ", th.ok())
        } else {
            ("✗ ", th.bad())
        };
        lines.extend(hanging(
            (mark.to_string(), style),
            marked(&q.prompt, th.text(), th),
            area.width as usize,
        ));
    }
    lines.push(Line::default());
    let wrong = total - right;
    let hint = match (wrong, lang) {
        (0, Lang::En) => "All right. Esc: back to the lesson.".to_string(),
        (0, Lang::Zh) => "全部正确。Esc：返回课程。".to_string(),
        (n, Lang::En) => format!("r: retry the {n} you got wrong · Esc: back to the lesson"),
        (n, Lang::Zh) => format!("r：重做答错的 {n} 题 · Esc：返回课程"),
    };
    lines.push(Line::styled(hint, th.muted()));
    Paragraph::new(lines).render(area, buf);
}

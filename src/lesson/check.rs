//! `concur check`: everything wrong with a catalog, as `path:line: message`.

use std::collections::BTreeMap;

use super::catalog::Catalog;
use super::model::{Lang, Lesson};
use crate::demo;
use crate::problem::Problem;
use crate::quiz::{Kind, Quiz};

/// Every problem of the catalog: unreadable files, unknown demos, bad
/// parameters, and translations that do not match the English lesson.
pub fn check(catalog: &Catalog) -> Vec<Problem> {
    let mut problems = catalog.problems.clone();
    let mut orders: BTreeMap<u32, &str> = BTreeMap::new();
    for set in &catalog.lessons {
        for lesson in set.by_lang.values() {
            check_demos(lesson, &mut problems);
        }
        let Some(en) = set.by_lang.get(&Lang::En) else {
            let any = set.get(Lang::En);
            problems.push(Problem::new(
                &any.path,
                1,
                format!("lesson `{}` has no English version", set.id),
            ));
            continue;
        };
        if let Some(other) = orders.insert(en.order, &en.id) {
            problems.push(Problem::new(
                &en.path,
                2,
                format!("order {} is also used by lesson `{other}`", en.order),
            ));
        }
        for lesson in set.by_lang.values().filter(|l| l.lang != Lang::En) {
            check_translation(en, lesson, &mut problems);
        }
        for (lang, quiz) in &set.quizzes {
            let lesson = set.by_lang.get(lang).unwrap_or(en);
            check_quiz(lesson, quiz, &mut problems);
        }
        if let Some(en_quiz) = set.quizzes.get(&Lang::En) {
            for quiz in set
                .quizzes
                .iter()
                .filter(|(l, _)| **l != Lang::En)
                .map(|(_, q)| q)
            {
                check_quiz_translation(en_quiz, quiz, &mut problems);
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

fn check_demos(lesson: &Lesson, problems: &mut Vec<Problem>) {
    for id in &lesson.demos {
        if demo::find(id).is_none() {
            problems.push(Problem::new(
                &lesson.path,
                2,
                format!("front matter names demo `{id}`, which does not exist (see `concur demo --list`)"),
            ));
        } else if !lesson
            .steps
            .iter()
            .any(|s| s.demo.as_ref().is_some_and(|d| &d.id == id))
        {
            problems.push(Problem::new(
                &lesson.path,
                2,
                format!("demo `{id}` is listed but no step places it"),
            ));
        }
    }
    for slot in lesson.steps.iter().filter_map(|s| s.demo.as_ref()) {
        let Some(d) = demo::find(&slot.id) else {
            problems.push(Problem::new(
                &lesson.path,
                slot.line,
                format!("unknown demo `{}` (see `concur demo --list`)", slot.id),
            ));
            continue;
        };
        if !lesson.demos.contains(&slot.id) {
            problems.push(Problem::new(
                &lesson.path,
                slot.line,
                format!(
                    "demo `{}` is not listed in the front matter's `demos`",
                    slot.id
                ),
            ));
        }
        if let Err(e) = d.check_text(&slot.text) {
            let known: Vec<&str> = d.params().iter().map(|p| p.name).collect();
            problems.push(Problem::new(
                &lesson.path,
                slot.line + 1 + e.line.unwrap_or(0),
                format!(
                    "demo `{}` parameters: {e} (its parameters: {})",
                    slot.id,
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
    }
}

fn check_translation(en: &Lesson, tr: &Lesson, problems: &mut Vec<Problem>) {
    if en.steps.len() != tr.steps.len() {
        problems.push(Problem::new(
            &tr.path,
            1,
            format!(
                "{} steps, but the English lesson ({}) has {}",
                tr.steps.len(),
                en.path,
                en.steps.len()
            ),
        ));
    }
    if en.demos != tr.demos {
        problems.push(Problem::new(
            &tr.path,
            2,
            format!(
                "demos {:?} differ from the English lesson's {:?}",
                tr.demos, en.demos
            ),
        ));
    }
    if en.order != tr.order {
        problems.push(Problem::new(
            &tr.path,
            2,
            format!(
                "order {} differs from the English lesson's {}",
                tr.order, en.order
            ),
        ));
    }
    for (i, (a, b)) in en.steps.iter().zip(&tr.steps).enumerate() {
        let (da, db) = (a.demo.as_ref(), b.demo.as_ref());
        if da.map(|d| (&d.id, &d.params)) != db.map(|d| (&d.id, &d.params)) {
            problems.push(Problem::new(
                &tr.path,
                b.line,
                format!(
                    "step {} has demo {}, but the English step has {}",
                    i + 1,
                    db.map_or("none".into(), |d| format!("`{}`", d.id)),
                    da.map_or("none".into(), |d| format!("`{}`", d.id)),
                ),
            ));
        }
    }
}

fn check_quiz(lesson: &Lesson, quiz: &Quiz, problems: &mut Vec<Problem>) {
    for q in &quiz.questions {
        if q.step > lesson.steps.len() {
            problems.push(Problem::new(
                &quiz.path,
                q.line,
                format!(
                    "question `{}`: step {} does not exist ({} has {} steps)",
                    q.id,
                    q.step,
                    lesson.path,
                    lesson.steps.len()
                ),
            ));
        }
        let Kind::Predict {
            demo: id,
            when,
            params,
        } = &q.kind
        else {
            continue;
        };
        let Some(d) = demo::find(id) else {
            problems.push(Problem::new(
                &quiz.path,
                q.line,
                format!("question `{}`: demo `{id}` does not exist", q.id),
            ));
            continue;
        };
        if !lesson.demos.contains(id) {
            problems.push(Problem::new(
                &quiz.path,
                q.line,
                format!(
                    "question `{}`: demo `{id}` is not one the lesson embeds",
                    q.id
                ),
            ));
        }
        if let Err(e) = d.check(params) {
            problems.push(Problem::new(
                &quiz.path,
                q.line,
                format!("question `{}`: demo `{id}` parameters: {e}", q.id),
            ));
        }
        for (lane, metric) in when.iter().flat_map(|c| c.figures()) {
            match d.info().lane(lane) {
                None => problems.push(Problem::new(
                    &quiz.path,
                    q.line,
                    format!("question `{}`: demo `{id}` has no lane `{lane}`", q.id),
                )),
                Some(l) if l.metric(metric).is_none() => problems.push(Problem::new(
                    &quiz.path,
                    q.line,
                    format!(
                        "question `{}`: lane `{lane}` of `{id}` reports no `{metric}` (it reports: {})",
                        q.id,
                        l.metrics.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
                    ),
                )),
                Some(_) => {}
            }
        }
    }
}

fn check_quiz_translation(en: &Quiz, tr: &Quiz, problems: &mut Vec<Problem>) {
    if en.questions.len() != tr.questions.len() {
        problems.push(Problem::new(
            &tr.path,
            1,
            format!(
                "{} questions, but the English quiz ({}) has {}",
                tr.questions.len(),
                en.path,
                en.questions.len()
            ),
        ));
    }
    for (a, b) in en.questions.iter().zip(&tr.questions) {
        let same = a.id == b.id
            && a.step == b.step
            && a.choices.len() == b.choices.len()
            && match (&a.kind, &b.kind) {
                (
                    Kind::Predict {
                        demo: da,
                        when: wa,
                        params: pa,
                    },
                    Kind::Predict {
                        demo: db,
                        when: wb,
                        params: pb,
                    },
                ) => {
                    da == db && pa == pb && wa.iter().map(|c| &c.all).eq(wb.iter().map(|c| &c.all))
                }
                (x, y) => x == y,
            };
        if !same {
            problems.push(Problem::new(
                &tr.path,
                b.line,
                format!(
                    "question `{}` does not match the English question `{}` (id, kind, step, choices and answer must be the same)",
                    b.id, a.id
                ),
            ));
        }
    }
}

//! `concur check`: everything wrong with a catalog, as `path:line: message`.

use std::collections::BTreeMap;

use super::catalog::{Catalog, Source};
use super::model::{Lang, Lesson};
use crate::demo;
use crate::problem::Problem;
use crate::quiz::{Kind, Quiz};

/// Every problem of the catalog: unreadable files, unknown demos, bad
/// parameters, and translations that do not match the English lesson.
pub fn check(catalog: &Catalog) -> Vec<Problem> {
    let mut problems = catalog.problems.clone();
    if catalog.lessons.is_empty() && problems.is_empty() {
        let place = match &catalog.source {
            Source::Dir(d) => d.display().to_string(),
            Source::Builtin => "lessons".to_string(),
        };
        problems.push(Problem::whole(
            place,
            "no lessons here (expected en/NN-id.md and zh/NN-id.md, or NN-id.md)",
        ));
    }
    // A file with a problem of its own (it did not parse): what depends on
    // it is not reported again, so one mistake is one error.
    let broken: Vec<&str> = catalog.problems.iter().map(|p| p.path.as_str()).collect();
    let mut orders: BTreeMap<u32, &str> = BTreeMap::new();
    for set in &catalog.lessons {
        for lesson in set.by_lang.values() {
            check_demos(lesson, &mut problems);
        }
        let Some(en) = set.by_lang.get(&Lang::En) else {
            let any = set.get(Lang::En);
            if !broken.iter().any(|b| same_name(b, &any.path)) {
                problems.push(Problem::whole(
                    &any.path,
                    format!("lesson `{}` has no English version", set.id),
                ));
            }
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
            let en_broken = broken.contains(&en_quiz.path.as_str());
            for quiz in set
                .quizzes
                .iter()
                .filter(|(l, _)| **l != Lang::En)
                .map(|(_, q)| q)
            {
                let tr_broken = broken.contains(&quiz.path.as_str());
                check_quiz_translation(en_quiz, quiz, (en_broken, tr_broken), &mut problems);
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
        problems.push(Problem::whole(
            &tr.path,
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
    for (i, (a, b)) in en.steps.iter().zip(tr.steps.iter()).enumerate() {
        let (da, db) = (a.demo.as_ref(), b.demo.as_ref());
        if da.map(|d| (&d.id, &d.params)) != db.map(|d| (&d.id, &d.params)) {
            problems.push(Problem::new(
                &tr.path,
                b.line,
                format!(
                    "step {} has demo {}, but the English step has {}",
                    i + 1,
                    shown(db),
                    shown(da),
                ),
            ));
        }
    }
}

/// A step's demo as the parity message shows it: the id, and the
/// parameters when there are any (the same id with other values differs too).
fn shown(demo: Option<&crate::lesson::model::DemoSlot>) -> String {
    let Some(d) = demo else {
        return "none".into();
    };
    let pairs: Vec<String> = d
        .params
        .pairs()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    if pairs.is_empty() {
        format!("`{}`", d.id)
    } else {
        format!("`{}` ({})", d.id, pairs.join(", "))
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

/// Whether two paths name the same file in different folders (the English
/// and a translated lesson).
fn same_name(a: &str, b: &str) -> bool {
    let name = |p: &str| {
        std::path::Path::new(p)
            .file_name()
            .map(|n| n.to_os_string())
    };
    name(a).is_some() && name(a) == name(b)
}

/// The translated quiz against the English one, question by question `id`:
/// the same kind, step, number of choices, answer and conditions, in the same
/// order. A quiz with a problem of its own (`broken`: English, translation)
/// may have lost questions to it; those are not reported again.
fn check_quiz_translation(en: &Quiz, tr: &Quiz, broken: (bool, bool), problems: &mut Vec<Problem>) {
    for b in &tr.questions {
        let Some(a) = en.questions.iter().find(|a| a.id == b.id) else {
            if !broken.0 {
                problems.push(Problem::new(
                    &tr.path,
                    b.line,
                    format!(
                        "question `{}` is not in the English quiz ({})",
                        b.id, en.path
                    ),
                ));
            }
            continue;
        };
        let differs = question_differences(a, b);
        if !differs.is_empty() {
            problems.push(Problem::new(
                &tr.path,
                b.line,
                format!(
                    "question `{}`: {} {} from the English question ({}:{})",
                    b.id,
                    differs.join(", "),
                    if differs.len() == 1 {
                        "differs"
                    } else {
                        "differ"
                    },
                    en.path,
                    a.line
                ),
            ));
        }
    }
    if !broken.1 {
        for a in &en.questions {
            if !tr.questions.iter().any(|b| b.id == a.id) {
                problems.push(Problem::whole(
                    &tr.path,
                    format!(
                        "question `{}` of the English quiz ({}:{}) is missing",
                        a.id, en.path, a.line
                    ),
                ));
            }
        }
    }
    // Same questions in another order: one problem, where it starts.
    let common = |q: &Quiz, other: &Quiz| -> Vec<String> {
        q.questions
            .iter()
            .filter(|x| other.questions.iter().any(|y| y.id == x.id))
            .map(|x| x.id.clone())
            .collect()
    };
    let (ours, theirs) = (common(tr, en), common(en, tr));
    if let Some(at) = ours.iter().zip(&theirs).position(|(x, y)| x != y)
        && let Some(q) = tr.questions.iter().find(|q| q.id == ours[at])
    {
        problems.push(Problem::new(
            &tr.path,
            q.line,
            format!(
                "question `{}` is number {} here but `{}` is number {} in the English quiz: keep the same order",
                ours[at],
                at + 1,
                theirs[at],
                at + 1
            ),
        ));
    }
}

/// What differs between an English question and its translation (the
/// fields a translation must keep).
fn question_differences(a: &crate::quiz::Question, b: &crate::quiz::Question) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.step != b.step {
        out.push("step");
    }
    if a.choices.len() != b.choices.len() {
        out.push("the number of choices");
    }
    match (&a.kind, &b.kind) {
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
            if da != db {
                out.push("demo");
            }
            if pa != pb {
                out.push("params");
            }
            if !wa.iter().map(|c| &c.all).eq(wb.iter().map(|c| &c.all)) {
                out.push("conditions (when)");
            }
        }
        (x, y) if x.name() != y.name() => out.push("kind"),
        (x, y) if x != y => out.push("answer"),
        _ => {}
    }
    out
}

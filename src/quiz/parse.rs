//! Quiz files: `[[question]]` tables in TOML, checked into [`Quiz`] with
//! every problem located as `path:line`.

use serde::Deserialize;

use super::cond::Condition;
use super::model::{Kind, Question, Quiz};
use crate::demo::Params;
use crate::problem::{LineIndex, Problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiz {
    #[serde(default)]
    question: Vec<toml::Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Option<String>,
    kind: Option<String>,
    step: Option<i64>,
    prompt: Option<String>,
    choices: Option<Vec<String>>,
    answer: Option<toml::Value>,
    explanation: Option<String>,
    demo: Option<String>,
    when: Option<Vec<String>>,
    params: Option<toml::Table>,
}

pub const KINDS: [&str; 4] = ["single", "multiple", "order", "predict"];

/// Parses a quiz file; returns what could be read and every problem found.
pub fn parse_quiz(path: &str, text: &str) -> (Quiz, Vec<Problem>) {
    let mut quiz = Quiz {
        path: path.to_string(),
        questions: Vec::new(),
    };
    let lines = LineIndex::new(text, 1);
    let raw: RawQuiz = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| lines.line(s.start)).unwrap_or(1);
            return (
                quiz,
                vec![Problem::new(path, line, e.message().to_string())],
            );
        }
    };
    let mut problems = Vec::new();
    let text_lines: Vec<&str> = text.lines().collect();
    for spanned in raw.question {
        let start = lines.line(spanned.span().start);
        // The span starts inside the table; its header is the line above.
        let header = (1..=start)
            .rev()
            .find(|l| {
                text_lines
                    .get(l - 1)
                    .is_some_and(|t| t.trim() == "[[question]]")
            })
            .unwrap_or(start);
        let end = (header + 1..=text_lines.len())
            .find(|l| text_lines[l - 1].trim() == "[[question]]")
            .unwrap_or(text_lines.len() + 1);
        let field_line = |field: &str| {
            (header..end)
                .find(|l| {
                    text_lines.get(l - 1).is_some_and(|t| {
                        let t = t.trim_start();
                        t.starts_with(field) && t[field.len()..].trim_start().starts_with('=')
                    })
                })
                .unwrap_or(header)
        };
        let mut report =
            |field: &str, msg: String| problems.push(Problem::new(path, field_line(field), msg));
        if let Some(q) = check_question(spanned.into_inner(), header, &mut report) {
            if quiz.questions.iter().any(|o| o.id == q.id) {
                report("id", format!("question id `{}` is used twice", q.id));
            }
            quiz.questions.push(q);
        }
    }
    (quiz, problems)
}

/// Reports a problem with one field of the question being checked.
type Fail<'a> = dyn FnMut(&str, String) + 'a;

fn check_question(
    raw: RawQuestion,
    line: usize,
    report: &mut dyn FnMut(&str, String),
) -> Option<Question> {
    let before = std::cell::Cell::new(0usize);
    let mut fail = |field: &str, msg: String| {
        before.set(before.get() + 1);
        report(field, msg);
    };
    let id = raw.id.clone().unwrap_or_default();
    if id.is_empty() {
        fail("id", "a question needs an `id`".into());
    }
    let step = check_step(raw.step, &mut fail);
    let prompt = required(
        raw.prompt.clone(),
        "prompt",
        "a question needs a `prompt`",
        &mut fail,
    );
    let explanation = required(
        raw.explanation.clone(),
        "explanation",
        "missing explanation: every answer shows one",
        &mut fail,
    );
    let choices = raw.choices.clone().unwrap_or_default();
    if choices.len() < 2 {
        fail("choices", "a question needs at least 2 `choices`".into());
    }
    let kind = check_kind(raw, choices.len(), &mut fail);
    if before.get() > 0 {
        return None;
    }
    Some(Question {
        id,
        line,
        step,
        prompt,
        choices,
        explanation,
        kind: kind?,
    })
}

fn check_step(step: Option<i64>, fail: &mut Fail) -> usize {
    match step {
        Some(s) if s >= 1 => s as usize,
        Some(s) => {
            fail("step", format!("step {s}: steps count from 1"));
            1
        }
        None => {
            fail(
                "step",
                "a question needs the `step` its explanation comes from".into(),
            );
            1
        }
    }
}

fn required(value: Option<String>, field: &str, missing: &str, fail: &mut Fail) -> String {
    let value = value.unwrap_or_default();
    if value.trim().is_empty() {
        fail(field, missing.into());
    }
    value
}

fn check_kind(raw: RawQuestion, n: usize, fail: &mut Fail) -> Option<Kind> {
    let kind_name = raw.kind.clone().unwrap_or_default();
    match kind_name.as_str() {
        "single" => single(raw.answer, n, fail),
        "multiple" => multiple(raw.answer, n, fail),
        "order" => {
            if raw.answer.is_some() {
                fail(
                    "answer",
                    "an order question takes its answer from the order of `choices`".into(),
                );
            }
            Some(Kind::Order)
        }
        "predict" => predict(raw, n, fail),
        _ => {
            fail(
                "kind",
                format!(
                    "unknown kind `{kind_name}` (use one of: {})",
                    KINDS.join(", ")
                ),
            );
            None
        }
    }
}

fn in_range(a: i64, n: usize) -> bool {
    a >= 1 && (a as usize) <= n
}

fn single(answer: Option<toml::Value>, n: usize, fail: &mut Fail) -> Option<Kind> {
    match answer {
        Some(toml::Value::Integer(a)) if in_range(a, n) => Some(Kind::Single {
            answer: a as usize - 1,
        }),
        Some(toml::Value::Integer(a)) => {
            fail(
                "answer",
                format!("answer {a} is out of range (choices 1 to {n})"),
            );
            None
        }
        _ => {
            fail(
                "answer",
                "a single-choice question needs `answer = N` (1-based)".into(),
            );
            None
        }
    }
}

fn multiple(answer: Option<toml::Value>, n: usize, fail: &mut Fail) -> Option<Kind> {
    let Some(toml::Value::Array(items)) =
        answer.filter(|a| a.as_array().is_some_and(|v| !v.is_empty()))
    else {
        fail(
            "answer",
            "a multiple-choice question needs `answer = [N, ...]`".into(),
        );
        return None;
    };
    let mut answers = Vec::new();
    for item in items {
        match item.as_integer() {
            Some(a) if in_range(a, n) && !answers.contains(&(a as usize - 1)) => {
                answers.push(a as usize - 1)
            }
            Some(a) if in_range(a, n) => fail("answer", format!("answer {a} is listed twice")),
            Some(a) => fail(
                "answer",
                format!("answer {a} is out of range (choices 1 to {n})"),
            ),
            None => fail("answer", "answers are choice numbers".into()),
        }
    }
    answers.sort_unstable();
    Some(Kind::Multiple { answers })
}

fn predict(raw: RawQuestion, n: usize, fail: &mut Fail) -> Option<Kind> {
    let demo = raw.demo.unwrap_or_default();
    if demo.is_empty() {
        fail("demo", "a predict question needs the `demo` it runs".into());
    }
    if raw.answer.is_some() {
        fail(
            "answer",
            "a predict question is graded by `when`, not `answer`".into(),
        );
    }
    let when = raw.when.unwrap_or_default();
    if when.len() != n {
        fail(
            "when",
            format!(
                "{} conditions for {n} choices: give one per choice",
                when.len()
            ),
        );
    }
    let mut conds = Vec::new();
    for w in &when {
        match Condition::parse(w) {
            Ok(c) => conds.push(c),
            Err(e) => fail("when", format!("condition `{w}`: {e}")),
        }
    }
    let params = match raw.params.map(Params::from_table) {
        None => Params::new(),
        Some(p) => p,
    };
    Some(Kind::Predict {
        demo,
        when: conds,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[question]]
id = "a"
kind = "single"
step = 1
prompt = "p"
choices = ["x", "y"]
answer = 2
explanation = "because"

[[question]]
id = "b"
kind = "predict"
step = 2
demo = "spinner"
prompt = "p"
choices = ["few", "many"]
when = ["thread.ticks < 10", "thread.ticks >= 10"]
explanation = "e"
"#;

    #[test]
    fn good_quiz_parses_with_zero_based_answers() {
        let (q, problems) = parse_quiz("q.toml", GOOD);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(q.questions.len(), 2);
        assert_eq!(q.questions[0].kind, Kind::Single { answer: 1 });
        assert_eq!(q.questions[0].line, 2);
        assert_eq!(q.questions[1].line, 11);
        assert!(
            matches!(&q.questions[1].kind, Kind::Predict { demo, when, .. } if demo == "spinner" && when.len() == 2)
        );
        let with = GOOD.replace(
            "demo = \"spinner\"",
            "demo = \"spinner\"\nparams = { call_ms = 500 }",
        );
        let (q, problems) = parse_quiz("q.toml", &with);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            matches!(&q.questions[1].kind, Kind::Predict { params, .. } if params.get("call_ms").as_deref() == Some("500"))
        );
    }

    fn problems_of(text: &str) -> Vec<String> {
        parse_quiz("q.toml", text)
            .1
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn problems_point_at_the_field() {
        let p = problems_of(&GOOD.replace("kind = \"single\"", "kind = \"essay\""));
        assert_eq!(
            p,
            ["q.toml:4: unknown kind `essay` (use one of: single, multiple, order, predict)"]
        );
        let p = problems_of(&GOOD.replace("answer = 2", "answer = 3"));
        assert_eq!(p, ["q.toml:8: answer 3 is out of range (choices 1 to 2)"]);
        let p = problems_of(&GOOD.replace("explanation = \"because\"\n", ""));
        assert_eq!(p, ["q.toml:2: missing explanation: every answer shows one"]);
        let p = problems_of(&GOOD.replace("\"thread.ticks >= 10\"", "\"thread.ticks >>= 10\""));
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("q.toml:18: condition"), "{p:?}");
        let p = problems_of(&GOOD.replace("id = \"b\"", "id = \"a\""));
        assert_eq!(p, ["q.toml:12: question id `a` is used twice"]);
        let p = problems_of("[[question]]\nbogus = 1\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("q.toml:2:"), "{p:?}");
        let p = problems_of(&GOOD.replace("step = 1", "step = 0"));
        assert_eq!(p, ["q.toml:5: step 0: steps count from 1"]);
    }

    #[test]
    fn multiple_and_order() {
        let text = r#"
[[question]]
id = "m"
kind = "multiple"
step = 1
prompt = "p"
choices = ["a", "b", "c"]
answer = [3, 1]
explanation = "e"

[[question]]
id = "o"
kind = "order"
step = 1
prompt = "p"
choices = ["first", "second", "third"]
explanation = "e"
"#;
        let (q, problems) = parse_quiz("q.toml", text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            q.questions[0].kind,
            Kind::Multiple {
                answers: vec![0, 2]
            }
        );
        assert_eq!(q.questions[1].kind, Kind::Order);
        let p = problems_of(&text.replace("answer = [3, 1]", "answer = [1, 1]"));
        assert_eq!(p, ["q.toml:8: answer 1 is listed twice"]);
    }
}

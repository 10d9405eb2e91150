//! Grading answers; predict-then-run answers against a demo's figures.

use super::cond::Figures;
use super::model::{Kind, Question, Response};

#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub correct: bool,
    /// For predict questions: which choices' conditions held on the figures.
    pub holding: Vec<usize>,
    /// For predict questions: `lane.metric = value` of every figure read.
    pub measured: Vec<(String, f64)>,
}

/// Grades a response. Predict questions need the figures the demo measured;
/// without them (or when a figure is missing) they are graded wrong.
pub fn grade(q: &Question, r: &Response, figures: Option<&dyn Figures>) -> Grade {
    let plain = |correct| Grade {
        correct,
        holding: Vec::new(),
        measured: Vec::new(),
    };
    match (&q.kind, r) {
        (Kind::Single { answer }, Response::Single(pick)) => plain(pick == answer),
        (Kind::Multiple { answers }, Response::Multiple(picks)) => {
            let mut picks = picks.clone();
            picks.sort_unstable();
            picks.dedup();
            plain(&picks == answers)
        }
        (Kind::Order, Response::Order(arranged)) => plain(
            arranged.len() == q.choices.len() && arranged.iter().enumerate().all(|(i, c)| i == *c),
        ),
        (Kind::Predict { when, .. }, Response::Predict(pick)) => {
            let Some(figures) = figures else {
                return plain(false);
            };
            let holding: Vec<usize> = when
                .iter()
                .enumerate()
                .filter(|(_, c)| c.eval(figures) == Some(true))
                .map(|(i, _)| i)
                .collect();
            let mut measured: Vec<(String, f64)> = Vec::new();
            for (lane, metric) in when.iter().flat_map(|c| c.figures()) {
                let name = format!("{lane}.{metric}");
                if measured.iter().all(|(n, _)| *n != name)
                    && let Some(v) = figures.figure(lane, metric)
                {
                    measured.push((name, v));
                }
            }
            Grade {
                correct: holding.contains(pick),
                holding,
                measured,
            }
        }
        _ => plain(false),
    }
}

/// The right answer as choice numbers (1-based) for showing; empty for predict.
pub fn right_answer(q: &Question) -> Vec<usize> {
    match &q.kind {
        Kind::Single { answer } => vec![answer + 1],
        Kind::Multiple { answers } => answers.iter().map(|a| a + 1).collect(),
        Kind::Order => (1..=q.choices.len()).collect(),
        Kind::Predict { .. } => Vec::new(),
    }
}

/// A fixed shuffle of `n` items (never the right order when n > 1), so an
/// order question looks the same each time and can be snapshot-tested.
pub fn shuffled(n: usize, seed: &str) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    if n > 1 && order.iter().enumerate().all(|(i, c)| i == *c) {
        order.rotate_left(1);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::cond::Condition;

    fn q(kind: Kind, n: usize) -> Question {
        Question {
            id: "q".into(),
            line: 1,
            step: 1,
            prompt: "p".into(),
            choices: (0..n).map(|i| format!("c{i}")).collect(),
            explanation: "e".into(),
            kind,
        }
    }

    struct One(f64);
    impl Figures for One {
        fn figure(&self, lane: &str, metric: &str) -> Option<f64> {
            (lane == "thread" && metric == "ticks").then_some(self.0)
        }
    }

    #[test]
    fn every_kind_grades() {
        let single = q(Kind::Single { answer: 1 }, 3);
        assert!(grade(&single, &Response::Single(1), None).correct);
        assert!(!grade(&single, &Response::Single(0), None).correct);
        let multi = q(
            Kind::Multiple {
                answers: vec![0, 2],
            },
            3,
        );
        assert!(grade(&multi, &Response::Multiple(vec![2, 0]), None).correct);
        assert!(!grade(&multi, &Response::Multiple(vec![0]), None).correct);
        assert!(!grade(&multi, &Response::Multiple(vec![0, 1, 2]), None).correct);
        let order = q(Kind::Order, 3);
        assert!(grade(&order, &Response::Order(vec![0, 1, 2]), None).correct);
        assert!(!grade(&order, &Response::Order(vec![1, 0, 2]), None).correct);
        assert!(!grade(&order, &Response::Order(vec![0, 1]), None).correct);
        // A response of the wrong kind is wrong, not a crash.
        assert!(!grade(&single, &Response::Order(vec![1]), None).correct);
    }

    #[test]
    fn predict_is_graded_by_the_figures() {
        let when = [
            "thread.ticks < 10",
            "thread.ticks >= 10 && thread.ticks < 100",
            "thread.ticks >= 100",
        ]
        .iter()
        .map(|s| Condition::parse(s).unwrap())
        .collect();
        let p = q(
            Kind::Predict {
                demo: "spinner".into(),
                when,
                params: Default::default(),
            },
            3,
        );
        let g = grade(&p, &Response::Predict(1), Some(&One(31.0)));
        assert!(g.correct);
        assert_eq!(g.holding, vec![1]);
        assert_eq!(g.measured, vec![("thread.ticks".to_string(), 31.0)]);
        assert!(!grade(&p, &Response::Predict(1), Some(&One(3.0))).correct);
        assert!(grade(&p, &Response::Predict(0), Some(&One(3.0))).correct);
        assert!(!grade(&p, &Response::Predict(1), None).correct);
    }

    #[test]
    fn shuffles_are_fixed_and_never_the_answer() {
        for n in 2..8 {
            for seed in ["a", "b", "loop-turn"] {
                let s = shuffled(n, seed);
                assert_eq!(s, shuffled(n, seed));
                let mut sorted = s.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n).collect::<Vec<_>>());
                assert_ne!(s, (0..n).collect::<Vec<_>>());
            }
        }
    }
}

//! A quiz as the app uses it: checked questions with 0-based answers.

use super::cond::Condition;

#[derive(Debug, Clone, PartialEq)]
pub struct Quiz {
    pub path: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    /// Line of its `[[question]]` header.
    pub line: usize,
    /// The lesson step (1-based) the explanation comes from.
    pub step: usize,
    pub prompt: String,
    pub choices: Vec<String>,
    pub explanation: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Single {
        answer: usize,
    },
    Multiple {
        answers: Vec<usize>,
    },
    /// `choices` are written in the right order; the app shuffles them.
    Order,
    /// Graded by running `demo` (with `params` over the lesson's): choice i
    /// is right when `when[i]` holds.
    Predict {
        demo: String,
        when: Vec<Condition>,
        params: crate::demo::Params,
    },
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Single { .. } => "single",
            Kind::Multiple { .. } => "multiple",
            Kind::Order => "order",
            Kind::Predict { .. } => "predict",
        }
    }
}

/// A student's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Single(usize),
    Multiple(Vec<usize>),
    /// Indices into `choices` (the right order is 0, 1, 2, ...), as arranged.
    Order(Vec<usize>),
    Predict(usize),
}

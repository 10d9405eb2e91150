//! Self-check quizzes: files, conditions for predict-then-run, grading.

pub mod cond;
pub mod grade;
pub mod model;
pub mod parse;

pub use grade::{Grade, grade};
pub use model::{Kind, Question, Quiz, Response};
pub use parse::parse_quiz;

use crate::lesson::{Lang, LessonSet};

/// How many questions the English quiz of a lesson has.
pub fn question_count(set: &LessonSet) -> usize {
    set.quizzes.get(&Lang::En).map_or(0, |q| q.questions.len())
}

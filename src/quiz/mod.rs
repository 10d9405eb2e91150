//! Self-check quizzes: files, conditions for predict-then-run, grading.

pub mod cond;
pub mod grade;
pub mod model;
pub mod parse;

pub use grade::{Grade, grade};
pub use model::{Kind, Question, Quiz, Response};
pub use parse::parse_quiz;

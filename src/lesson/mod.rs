//! Lessons: the model, the file parser, the catalog and its validation.

pub mod catalog;
pub mod check;
pub mod model;
pub mod parse;

pub use catalog::{Catalog, LessonSet, Source};
pub use model::{Block, DemoSlot, Inline, InlineStyle, Lang, Lesson, Step, Steps};
pub use parse::parse_lesson;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

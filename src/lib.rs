//! concur: a terminal app that teaches concurrency with live, measured demos.

pub mod demo;
pub mod lesson;
pub mod problem;

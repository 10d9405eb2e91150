//! concur: a terminal app that teaches concurrency with live, measured demos.

pub mod app;
pub mod config;
pub mod demo;
pub mod fsutil;
pub mod i18n;
pub mod lesson;
pub mod plain;
pub mod problem;
pub mod progress;
pub mod quiz;
pub mod record;
pub mod tempfiles;
pub mod terminal;
pub mod ui;

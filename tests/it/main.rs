//! concur's integration tests, in one binary.
//!
//! One binary, not one per file: each test binary links syntect, tokio,
//! rayon, io-uring and ratatui, and on a 2-core machine linking sixteen of
//! them cost far more than running the tests. `tests/demo_cleanup.rs` stays
//! its own binary because it counts its own process's threads and file
//! descriptors, which other tests running beside it would disturb.
//!
//! `support` holds every shared helper; the end-to-end tests take its PTY
//! lock so that only one copy of the real binary runs at a time.
//!
//! Benchmarks (figures that depend on free cores, not on what the code
//! does) are `#[ignore]`d tests named `bench_*`: `cargo test -- --ignored`.

mod support;

mod cli;
mod demos;
mod e2e;
mod layout;
mod lessons;
mod presenter;
mod quiz;
mod record;
mod ui_screens;

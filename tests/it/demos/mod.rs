//! Each demo, run headless: it measures what its lesson says it does.

mod callbacks;
mod declared;
mod executor;
mod file_io;
mod futures;
mod io_models;
mod parallel;
mod spinner;
mod time_scale;

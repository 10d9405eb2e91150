//! Widgets and the pieces they are built from.

pub mod demo_pane;
pub mod help;
pub mod highlight;
pub mod markdown;
pub mod status;
pub mod theme;
pub mod too_small;
pub mod wrap;

//! Widgets and the pieces they are built from.

pub mod highlight;
pub mod markdown;
pub mod theme;
pub mod wrap;
pub mod demo_pane;
pub mod help;
pub mod status;
pub mod too_small;

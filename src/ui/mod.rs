//! Widgets and the pieces they are built from.

pub mod code_pane;
pub mod demo_pane;
pub mod help;
pub mod highlight;
pub mod lag_meter;
pub mod lane_table;
pub mod markdown;
pub mod status;
pub mod theme;
pub mod timeline;
pub mod too_small;
pub mod wrap;

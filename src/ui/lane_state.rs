//! How a lane's state looks: its mark, its word and its colour, shared by
//! the lane panes and the lane table.

use ratatui::style::Style;

use super::theme::Theme;
use crate::demo::LaneState;
use crate::i18n::Lang;

pub fn mark(state: LaneState) -> &'static str {
    match state {
        LaneState::Idle | LaneState::Waiting => "○",
        LaneState::Running => "●",
        LaneState::Done => "✓",
        LaneState::Failed => "✗",
        LaneState::Stopped => "■",
    }
}

pub fn label(state: LaneState, lang: Lang) -> &'static str {
    let s = lang.strings();
    match state {
        LaneState::Idle => s.idle,
        LaneState::Waiting => s.waiting,
        LaneState::Running => s.running,
        LaneState::Done => s.done,
        LaneState::Failed => s.failed,
        LaneState::Stopped => s.stopped,
    }
}

pub fn style(state: LaneState, t: &Theme) -> Style {
    match state {
        LaneState::Idle | LaneState::Waiting | LaneState::Stopped => t.muted(),
        LaneState::Running => t.ok(),
        LaneState::Done => t.accent(),
        LaneState::Failed => t.bad(),
    }
}

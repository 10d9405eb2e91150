//! The keys that drive a demo pane, the same on every screen that shows
//! one: start and stop, restart, slow motion, pause and single step, which
//! lanes stand side by side, zoom, and the demo's own deliberate failure.
//!
//! Stopping needs no command: a view that no longer runs is enough, the
//! event loop drops the run (see `App::active_run`).

use super::keys::Action;
use super::{DemoCommand, Effect};
use crate::demo::{self, DemoView, Watched};
use crate::i18n::{LocalText, Text};

/// Starts (or restarts) the view's demo with its parameters.
pub fn start(view: &DemoView, watched: Watched) -> Effect {
    Effect::redraw().with_demo(DemoCommand::Start {
        id: view.info.id.to_string(),
        params: view.params.clone(),
        scale: view.scale,
        watched,
    })
}

fn say(text: Text) -> Effect {
    Effect::flash(LocalText::from(text))
}

/// Handles `action` for the demo in `view`; `None` if it is not a demo key.
pub fn on_action(view: &mut DemoView, action: Action) -> Option<Effect> {
    let effect = match action {
        Action::ToggleDemo if view.is_running() => {
            view.mark_stopped();
            Effect::redraw()
        }
        Action::ToggleDemo | Action::RestartDemo => start(view, Watched::InApp),
        Action::Slower | Action::Faster => {
            let scale = demo::clock::next_scale(view.scale, action == Action::Faster);
            if scale == view.scale {
                return Some(Effect::none());
            }
            view.scale = scale;
            let e = Effect::redraw();
            if view.is_running() {
                e.with_demo(DemoCommand::SetScale(scale))
            } else {
                e
            }
        }
        Action::Pause if view.is_running() => {
            view.paused = !view.paused;
            Effect::redraw().with_demo(DemoCommand::Pause(view.paused))
        }
        Action::StepOnce if view.is_running() && view.paused => {
            Effect::redraw().with_demo(DemoCommand::Step)
        }
        Action::Pause | Action::StepOnce => Effect::none(),
        Action::Choose(n) => {
            if view.show_lane(n as usize - 1) {
                view.zoom = None;
                Effect::redraw()
            } else {
                Effect::none()
            }
        }
        Action::Zoom => {
            view.cycle_zoom();
            Effect::redraw()
        }
        Action::PageUp | Action::ScrollUp if view.zoom.is_some() => redraw_if(view.scroll_log(10)),
        Action::PageDown | Action::ScrollDown if view.zoom.is_some() => {
            redraw_if(view.scroll_log(-10))
        }
        Action::InjectFailure => {
            let next = demo::find(view.info.id).and_then(|d| d.next_failure(&view.params));
            match next {
                Some(params) => {
                    view.params = params;
                    start(view, Watched::InApp)
                }
                None => say(Text::new(
                    crate::i18n::EN.no_failure_here,
                    crate::i18n::ZH.no_failure_here,
                )),
            }
        }
        _ => return None,
    };
    Some(effect)
}

fn redraw_if(changed: bool) -> Effect {
    if changed {
        Effect::redraw()
    } else {
        Effect::none()
    }
}

/// What a demo key says on a step without a demo.
pub fn no_demo(action: Action) -> Option<Effect> {
    matches!(
        action,
        Action::ToggleDemo
            | Action::RestartDemo
            | Action::InjectFailure
            | Action::Slower
            | Action::Faster
            | Action::Pause
            | Action::StepOnce
            | Action::Zoom
    )
    .then(|| {
        say(Text::new(
            crate::i18n::EN.no_demo_here,
            crate::i18n::ZH.no_demo_here,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::Params;

    #[test]
    fn f_cycles_through_the_failures_a_demo_has() {
        let info = demo::find("callbacks").unwrap().info();
        let mut view = DemoView::new(info, Params::new());
        let mut seen = Vec::new();
        for _ in 0..4 {
            let e = on_action(&mut view, Action::InjectFailure).unwrap();
            assert!(matches!(e.demo, Some(DemoCommand::Start { .. })));
            seen.push((
                view.params.get("fail_step").unwrap_or_default(),
                view.params.get("forget_check").unwrap_or_default(),
            ));
        }
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            seen,
            [
                s("2", "no"),
                s("2", "crash"),
                s("2", "silent"),
                s("0", "no")
            ]
        );
        let spinner = demo::find("spinner").unwrap().info();
        let mut view = DemoView::new(spinner, Params::new());
        let e = on_action(&mut view, Action::InjectFailure).unwrap();
        assert!(e.demo.is_none() && e.flash.is_some(), "says it cannot");
    }
}

//! The loop-lag meter: how late an event loop wakes a task that asked to
//! wake every few milliseconds. Healthy loops show a flat line; a blocked
//! loop shows a red banner while it is blocked and its worst lag after.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use crate::demo::{LaneState, LaneView};
use crate::i18n::Lang;

/// Lag at or above this is trouble, drawn in the "bad" style.
pub const LAG_BAD_MS: f64 = 50.0;
/// Lag at or above this is a warning.
pub const LAG_WARN_MS: f64 = 10.0;
/// A running loop that sent no sample for this long is shown as blocked now.
pub const SILENCE: Duration = Duration::from_millis(250);
/// The scale of the gauge and sparkline never drops below this.
const SCALE_FLOOR_MS: f64 = 100.0;

pub struct LagMeter<'a> {
    pub lane: &'a LaneView,
    /// The demo's current time (the newest event of any lane).
    pub now: Duration,
    pub theme: &'a Theme,
    pub lang: Lang,
}

impl LagMeter<'_> {
    /// How long the loop has been silent, if it looks blocked right now.
    pub fn silent_for(&self) -> Option<Duration> {
        let last = self.lane.last_lag_at?;
        let silent = self.now.saturating_sub(last);
        (self.lane.state == LaneState::Running && silent >= SILENCE).then_some(silent)
    }

    /// Rows it would like: a gauge line and a sparkline.
    pub const HEIGHT: u16 = 2;
}

fn fmt_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

impl Widget for LagMeter<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width < 10 {
            return;
        }
        self.gauge(Rect { height: 1, ..area }, buf);
        if area.height >= 2 {
            self.spark(Rect::new(area.x, area.y + 1, area.width, 1), buf);
        }
    }
}

impl LagMeter<'_> {
    fn level_style(&self, ms: f64) -> ratatui::style::Style {
        let t = self.theme;
        if ms >= LAG_BAD_MS {
            t.bad()
        } else if ms >= LAG_WARN_MS {
            t.warn()
        } else {
            t.ok()
        }
    }

    /// The lag's history, one character per sample, newest on the right.
    pub fn spark(&self, area: Rect, buf: &mut Buffer) {
        let w = area.width as usize;
        let samples: Vec<f64> = self.lane.lag.iter().rev().take(w).rev().copied().collect();
        let spark = sparkline(&samples, SCALE_FLOOR_MS);
        buf.set_string(
            area.x,
            area.y,
            spark,
            self.level_style(self.lane.max_lag_ms),
        );
    }

    /// The row with the lag now, a gauge and the worst lag (or the banner
    /// of a loop that is blocked right now).
    pub fn gauge(&self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width < 10 {
            return;
        }
        let (t, lane) = (self.theme, self.lane);
        let worst = lane.max_lag_ms;
        let level_style = |ms: f64| self.level_style(ms);
        let s = self.lang.strings();
        let worst_text = format!(" {} {}", s.lag_worst, fmt_ms(worst));
        let label = format!("{} ", s.loop_lag);
        let first = Rect { height: 1, ..area };
        if let Some(silent) = self.silent_for() {
            let ms = silent.as_secs_f64() * 1000.0;
            let banner = format!(" ⚠ {} {} ", s.loop_blocked, fmt_ms(ms));
            let style = t.bad().add_modifier(Modifier::REVERSED | Modifier::BOLD);
            buf.set_style(first, style);
            buf.set_string(
                first.x,
                first.y,
                super::wrap::truncate(&banner, first.width as usize),
                style,
            );
        } else {
            let current = lane.lag.back().copied().unwrap_or(0.0);
            let now_text = format!(" {}", fmt_ms(current));
            let fixed = label.width() + now_text.width() + worst_text.width();
            let bar_w = (area.width as usize).saturating_sub(fixed);
            let top = worst.max(SCALE_FLOOR_MS);
            let filled = ((current / top) * bar_w as f64).round() as usize;
            let filled = filled.max(usize::from(current > 0.0)).min(bar_w);
            let line = Line::from(vec![
                Span::styled(label.clone(), t.muted()),
                Span::styled("■".repeat(filled), level_style(current)),
                Span::styled("·".repeat(bar_w - filled), t.muted()),
                Span::styled(now_text, level_style(current)),
                Span::styled(
                    worst_text,
                    if worst >= LAG_BAD_MS {
                        t.bad().add_modifier(Modifier::REVERSED)
                    } else {
                        level_style(worst)
                    },
                ),
            ]);
            line.render(first, buf);
        }
    }
}

/// One character per sample, scaled to the larger of `floor` and the peak;
/// every sample shows at least the lowest bar, so a quiet loop is a flat line.
pub fn sparkline(samples: &[f64], floor: f64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = samples
        .iter()
        .copied()
        .fold(floor, f64::max)
        .max(f64::MIN_POSITIVE);
    samples
        .iter()
        .map(|v| {
            let level = ((v / top) * 8.0).ceil() as usize;
            BARS[level.clamp(1, 8) - 1]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoEvent, DemoView, EventKind};

    fn lane_with(lags: &[(u64, f64)], done: bool) -> DemoView {
        let info = crate::demo::find("spinner").unwrap().info();
        let mut v = DemoView::new(info, Default::default());
        v.reset(crate::demo::RunId(1));
        for (at, ms) in lags {
            v.apply(DemoEvent {
                run: crate::demo::RunId(1),
                lane: 1,
                at: Duration::from_millis(*at),
                demo_at: Duration::from_millis(*at),
                kind: EventKind::Lag(*ms),
            });
        }
        if done {
            v.apply(DemoEvent {
                run: crate::demo::RunId(1),
                lane: 1,
                at: Duration::ZERO,
                demo_at: Duration::ZERO,
                kind: EventKind::Done,
            });
        }
        v
    }

    fn draw(v: &DemoView, now_ms: u64, w: u16) -> Vec<String> {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, 2));
        LagMeter {
            lane: &v.lanes[1],
            now: Duration::from_millis(now_ms),
            theme: &Theme::mono(),
            lang: Lang::En,
        }
        .render(buf.area, &mut buf);
        (0..2)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect()
    }

    #[test]
    fn a_healthy_loop_is_a_flat_line() {
        let v = lane_with(&[(50, 0.3), (100, 0.5), (150, 0.4)], false);
        insta::assert_snapshot!("lag_meter_healthy", draw(&v, 150, 50).join("\n"));
    }

    #[test]
    fn a_loop_that_went_silent_is_shown_blocked_now() {
        let v = lane_with(&[(50, 0.3), (100, 0.5)], false);
        let rows = draw(&v, 950, 50);
        assert!(
            rows[0].contains("LOOP BLOCKED · no wake-up for 850 ms"),
            "{rows:?}"
        );
        // Once it is finished, silence is not blocking.
        let v = lane_with(&[(50, 0.3)], true);
        assert!(!draw(&v, 950, 50)[0].contains("BLOCKED"));
    }

    #[test]
    fn a_blocked_loop_leaves_its_worst_lag_in_view() {
        let v = lane_with(&[(50, 0.3), (1300, 1204.0), (1350, 0.4)], false);
        insta::assert_snapshot!("lag_meter_after_a_block", draw(&v, 1350, 50).join("\n"));
    }

    #[test]
    fn sparkline_scales_to_a_floor() {
        assert_eq!(sparkline(&[0.0, 1.0, 50.0, 100.0], 100.0), "▁▁▄█");
        assert_eq!(sparkline(&[1000.0, 10.0], 100.0), "█▁");
    }
}

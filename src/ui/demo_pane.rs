//! A running demo: its lanes side by side, each with its live drawing, its
//! measured figures and its log.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use super::wrap::truncate;
use crate::app::strings::Strings;
use crate::demo::{DemoView, LaneState, LaneView};

/// The ring a spinner draws: eight cells clockwise around a 3x3 square.
const RING: [(u16, u16); 8] = [
    (0, 0),
    (0, 1),
    (0, 2),
    (1, 2),
    (2, 2),
    (2, 1),
    (2, 0),
    (1, 0),
];
const RING_W: u16 = 6;
/// Loop lag at or above this is drawn as trouble.
pub const LAG_BAD_MS: f64 = 50.0;
/// The lag sparkline's scale never drops below this.
const LAG_SCALE_FLOOR_MS: f64 = 100.0;

pub struct DemoPane<'a> {
    pub view: &'a DemoView,
    pub theme: &'a Theme,
    pub strings: &'a Strings,
    pub zh: bool,
    pub focused: bool,
}

pub fn state_mark(state: LaneState) -> &'static str {
    match state {
        LaneState::Idle => "○",
        LaneState::Running => "●",
        LaneState::Done => "✓",
        LaneState::Failed => "✗",
        LaneState::Stopped => "■",
    }
}

fn state_text(state: LaneState, s: &Strings) -> &'static str {
    match state {
        LaneState::Idle => s.idle,
        LaneState::Running => s.running,
        LaneState::Done => s.done,
        LaneState::Failed => s.failed,
        LaneState::Stopped => s.stopped,
    }
}

fn state_style(state: LaneState, t: &Theme) -> Style {
    match state {
        LaneState::Idle | LaneState::Stopped => t.muted(),
        LaneState::Running => t.ok(),
        LaneState::Done => t.accent(),
        LaneState::Failed => t.bad(),
    }
}

impl Widget for DemoPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, s, v) = (self.theme, self.strings, self.view);
        let title = format!(
            " {}: {} · {} ",
            s.demo,
            v.info.id,
            v.info.title_for(self.zh)
        );
        let overall = if v.run == 0 {
            format!(" {} ", s.press_space)
        } else {
            let state = if v.is_running() {
                LaneState::Running
            } else if v.lanes.iter().any(|l| l.state == LaneState::Failed) {
                LaneState::Failed
            } else if v.lanes.iter().any(|l| l.state == LaneState::Stopped) {
                LaneState::Stopped
            } else {
                LaneState::Done
            };
            format!(
                " {} {} {:.1} s · {}x ",
                state_mark(state),
                state_text(state, s),
                v.demo_time.as_secs_f64(),
                v.scale
            )
        };
        let mut block = Block::new()
            .borders(Borders::TOP)
            .border_style(if self.focused {
                t.border_active()
            } else {
                t.border()
            })
            .title(Span::styled(
                truncate(&title, area.width.saturating_sub(2) as usize),
                t.accent(),
            ))
            .title_top(Line::styled(overall, t.muted()).right_aligned());
        if v.dropped > 0 {
            block = block.title_bottom(
                Line::styled(format!(" {} {} ", v.dropped, s.dropped), t.bad()).right_aligned(),
            );
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if v.lanes.is_empty() || inner.height == 0 {
            return;
        }
        let lanes = Layout::horizontal(vec![Constraint::Fill(1); v.lanes.len()]).split(inner);
        for (lane, rect) in v.lanes.iter().zip(lanes.iter()) {
            LanePane {
                lane,
                view: v,
                theme: t,
                strings: s,
            }
            .render(*rect, buf);
        }
    }
}

struct LanePane<'a> {
    lane: &'a LaneView,
    view: &'a DemoView,
    theme: &'a Theme,
    strings: &'a Strings,
}

impl Widget for LanePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, s, lane) = (self.theme, self.strings, self.lane);
        let mark = format!(" {} {} ", state_mark(lane.state), state_text(lane.state, s));
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.border())
            .title(Span::styled(
                truncate(
                    &format!(" {} ", lane.title),
                    area.width.saturating_sub(mark.width() as u16 + 2) as usize,
                ),
                t.strong(),
            ))
            .title_top(Line::styled(mark, state_style(lane.state, t)).right_aligned());
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width < 4 {
            return;
        }
        let has_lag = !lane.lag.is_empty();
        let metric_rows = metric_rows(lane, inner.width, t);
        let [top, lag, metrics, log] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(u16::from(has_lag)),
            Constraint::Length(metric_rows.len() as u16),
            Constraint::Fill(1),
        ])
        .areas(inner);
        self.render_drawing(top, buf);
        if has_lag {
            self.render_lag(lag, buf);
        }
        Paragraph::new(metric_rows).render(metrics, buf);
        self.render_log(log, buf);
    }
}

impl LanePane<'_> {
    fn render_drawing(&self, area: Rect, buf: &mut Buffer) {
        let (t, lane) = (self.theme, self.lane);
        if let Some(frame) = lane.frame {
            let lit = (frame % RING.len() as u64) as usize;
            for (i, (row, col)) in RING.iter().enumerate() {
                let age = (lit + RING.len() - i) % RING.len();
                let (glyph, style) = match age {
                    0 => ("██", t.ok()),
                    1 => ("▓▓", t.ok()),
                    2 => ("▒▒", t.muted()),
                    _ => ("··", t.muted()),
                };
                let x = area.x + col * 2;
                let y = area.y + row;
                if x + 2 <= area.right() && y < area.bottom() {
                    buf.set_string(x, y, glyph, style);
                }
            }
        }
        let text_x = area.x + RING_W + 2;
        if text_x >= area.right() {
            return;
        }
        let w = (area.right() - text_x) as usize;
        let status = match (&lane.status, &lane.error) {
            (_, Some(err)) => Line::styled(truncate(&format!("✗ {}", err.message), w), t.bad()),
            (Some(st), None) => Line::styled(truncate(st, w), t.strong()),
            (None, None) if self.view.run == 0 => {
                Line::styled(truncate(self.strings.press_space, w), t.muted())
            }
            (None, None) => Line::styled("…", t.muted()),
        };
        status.render(Rect::new(text_x, area.y, w as u16, 1), buf);
        if let Some(frame) = lane.frame
            && area.height > 1
        {
            let line = format!(
                "frame {} · {:.1} s",
                frame + 1,
                lane.last_demo_at.as_secs_f64()
            );
            buf.set_string(text_x, area.y + 1, truncate(&line, w), t.muted());
        }
        if let Some(err) = &lane.error
            && area.height > 2
            && let Some(cause) = err.chain.first()
        {
            buf.set_string(
                text_x,
                area.y + 2,
                truncate(&format!("  ← {cause}"), w),
                t.bad(),
            );
        }
    }

    fn render_lag(&self, area: Rect, buf: &mut Buffer) {
        let (t, s, lane) = (self.theme, self.strings, self.lane);
        let label = format!("{} ", s.loop_lag);
        let max = format!(" max {:.1} ms", lane.max_lag_ms);
        let lw = label.width() as u16;
        let mw = max.width() as u16;
        buf.set_string(area.x, area.y, &label, t.muted());
        let spark_w = area.width.saturating_sub(lw + mw);
        let style = if lane.max_lag_ms >= LAG_BAD_MS {
            t.bad()
        } else {
            t.ok()
        };
        let samples: Vec<f64> = lane
            .lag
            .iter()
            .rev()
            .take(spark_w as usize)
            .rev()
            .copied()
            .collect();
        buf.set_string(
            area.x + lw,
            area.y,
            sparkline(&samples, LAG_SCALE_FLOOR_MS),
            style,
        );
        buf.set_string(area.x + lw + spark_w, area.y, &max, style);
    }

    fn render_log(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let w = area.width as usize;
        let lines: Vec<Line> = self
            .lane
            .log
            .iter()
            .rev()
            .take(area.height as usize)
            .rev()
            .map(|l| Line::styled(truncate(l, w), t.text()))
            .collect();
        Paragraph::new(lines).render(area, buf);
    }
}

/// Measured figures, two to a row when the lane is wide enough.
fn metric_rows<'a>(lane: &LaneView, width: u16, t: &Theme) -> Vec<Line<'a>> {
    let per_row = if width >= 44 { 2 } else { 1 };
    let col = (width as usize / per_row).max(1);
    lane.metrics
        .chunks(per_row)
        .map(|chunk| {
            let mut spans = Vec::new();
            for m in chunk {
                let value = m.unit.format(m.value);
                let pad = col.saturating_sub(m.name.width() + value.width() + 1);
                spans.push(Span::styled(format!("{} ", m.name), t.muted()));
                spans.push(Span::styled(value, t.strong()));
                spans.push(Span::raw(" ".repeat(pad)));
            }
            Line::from(spans)
        })
        .collect()
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

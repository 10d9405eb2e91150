//! A running demo: its lanes side by side (a table of all of them when
//! there are many), a timeline across the lanes when they report spans of
//! work, or one lane zoomed over the whole pane with its whole log.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use unicode_width::UnicodeWidthStr;

use super::lane_pane::{LanePane, title_line};
use super::lane_state::{label as state_text, mark as state_mark, style as state_style};
use super::lane_table::LaneTable;
use super::theme::Theme;
use super::timeline::Timeline;
use super::wrap::truncate;
use crate::demo::{self, DemoView, LaneState};
use crate::i18n::Lang;

/// A third lane is drawn beside the other two when each gets this width.
const THIRD_LANE_MIN_W: u16 = 48;
/// Lanes keep at least this many rows (their title and three more) when
/// the timeline takes its rows.
const LANES_MIN_H: u16 = 4;

pub struct DemoPane<'a> {
    pub view: &'a DemoView,
    pub theme: &'a Theme,
    pub lang: Lang,
    pub focused: bool,
    /// On a projector with room: bigger spinners and figures.
    pub big: bool,
}

/// The state of the whole run, for the pane's title.
fn overall(v: &DemoView) -> LaneState {
    if v.run.is_none() {
        LaneState::Idle
    } else if v.is_running() {
        LaneState::Running
    } else if v.lanes.iter().any(|l| l.state == LaneState::Failed) {
        LaneState::Failed
    } else if v.lanes.iter().any(|l| l.state == LaneState::Stopped) {
        LaneState::Stopped
    } else {
        LaneState::Done
    }
}

/// The parameters that differ from the demo's defaults, as `name=value`.
fn changed_params(v: &DemoView) -> Vec<String> {
    let defaults = demo::find(v.info.id)
        .map(|d| d.params())
        .unwrap_or_default();
    v.params
        .pairs()
        .filter(|(n, val)| !defaults.iter().any(|p| p.name == *n && p.default == *val))
        .map(|(n, val)| format!("{n}={val}"))
        .collect()
}

/// The right end of the title: the state, the times, the speed; or how to
/// start; or that these are an earlier run's results.
fn status_text(v: &DemoView, lang: Lang) -> String {
    let s = lang.strings();
    let state = overall(v);
    let speed = if v.paused {
        format!("⏸ {} · {}x", s.paused, v.scale)
    } else {
        format!("{}x", v.scale)
    };
    if v.run.is_none() {
        return if v.scale == 1.0 {
            format!(" {} ", s.press_space)
        } else {
            format!(" {} · {speed} ", s.press_space)
        };
    }
    let head = format!(
        "{} {} {:.1} s",
        state_mark(state),
        state_text(state, lang),
        v.demo_time.as_secs_f64()
    );
    if v.stale {
        return format!(" ↺ {} · {head} ", s.from_before);
    }
    // A finished run is not paused, whatever the clock was left at.
    let speed = if state == LaneState::Running {
        speed
    } else {
        format!("{}x", v.scale)
    };
    if (v.scale - 1.0).abs() < 1e-9 && !(v.paused && state == LaneState::Running) {
        format!(" {head} · {speed} ")
    } else {
        // Slowed down: demo time (what the figures use) and wall time.
        format!(
            " {head} {} · {:.1} s {} · {speed} ",
            s.demo_time,
            v.wall_time.as_secs_f64(),
            s.wall_time,
        )
    }
}

impl Widget for DemoPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, v, lang) = (self.theme, self.view, self.lang);
        let s = lang.strings();
        let colon = if lang.is_zh() { "：" } else { ": " };
        let mut title = format!(
            " {}{colon}{} · {} ",
            s.demo,
            v.info.id,
            v.info.title.get(lang)
        );
        let params = changed_params(v);
        if !params.is_empty() {
            title.push_str(&format!("[{}] ", params.join(" ")));
        }
        let status = status_text(v, lang);
        let title_room = area.width.saturating_sub(status.width() as u16 + 2) as usize;
        let status_style = if v.stale {
            t.warn()
        } else {
            state_style(overall(v), t)
        };
        let mut block = Block::new()
            .borders(Borders::TOP)
            .border_style(if self.focused {
                t.border_active()
            } else {
                t.border()
            })
            .title(Span::styled(truncate(&title, title_room), t.accent()))
            .title_top(Line::styled(status, status_style).right_aligned());
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
        if let Some(lane) = v.zoom.and_then(|z| v.lanes.get(z)) {
            self.render_zoomed(lane, inner, buf);
            return;
        }
        self.render_lanes(inner, buf);
    }
}

impl DemoPane<'_> {
    fn lane_pane<'b>(&'b self, lane: &'b crate::demo::LaneView, zoomed: bool) -> LanePane<'b> {
        LanePane {
            lane,
            view: self.view,
            theme: self.theme,
            lang: self.lang,
            zoomed,
            big: self.big,
            big_figures: false,
        }
    }

    /// One lane over the whole pane, its log scrollable; the last row says
    /// how to scroll and how to go back.
    fn render_zoomed(&self, lane: &crate::demo::LaneView, area: Rect, buf: &mut Buffer) {
        let (t, lang) = (self.theme, self.lang);
        let [head, body, hint] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        title_line(lane, head.width as usize, t, lang).render(head, buf);
        self.lane_pane(lane, true).render(body, buf);
        let note = truncate(lang.strings().zoomed, hint.width as usize);
        Line::styled(note, t.muted()).render(hint, buf);
    }

    /// The lanes side by side (under the table of all of them when there
    /// are many), and the timeline below them.
    fn render_lanes(&self, inner: Rect, buf: &mut Buffer) {
        let (t, v, lang) = (self.theme, self.view, self.lang);
        let many = v.lanes.len() > 2;
        let n = if many && inner.width >= 3 * THIRD_LANE_MIN_W + 2 {
            3
        } else {
            2
        };
        let drawn = v.shown(n);
        let table_h = if many {
            (v.lanes.len() as u16 + 1).min(inner.height / 2)
        } else {
            0
        };
        let timeline = Timeline {
            view: v,
            theme: t,
            lang,
            first: &drawn,
        };
        let tl_h = self.timeline_rows(&drawn, &timeline, inner, table_h);
        let [table, lanes_area, tl_area] = Layout::vertical([
            Constraint::Length(table_h),
            Constraint::Fill(1),
            Constraint::Length(tl_h),
        ])
        .areas(inner);
        if many {
            LaneTable {
                view: v,
                theme: t,
                lang,
                shown: &drawn,
            }
            .render(table, buf);
        }
        self.draw_lanes(&drawn, lanes_area, buf);
        if tl_area.height >= 2 {
            let [rule, plot] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(tl_area);
            let label = format!("─ {} ", lang.strings().timeline_title);
            let fill = (rule.width as usize).saturating_sub(label.width());
            Line::from(vec![
                Span::styled(label, t.muted()),
                Span::styled("─".repeat(fill), t.border()),
            ])
            .render(rule, buf);
            timeline.render(plot, buf);
        }
    }

    /// Rows for the timeline: a rule, every thread row, and the axis when
    /// the lanes keep what they want; never fewer than the rows of the lanes
    /// on screen while the lanes keep `LANES_MIN_H` (other lanes' rows only
    /// where the lanes have room to spare).
    fn timeline_rows(&self, drawn: &[usize], tl: &Timeline, inner: Rect, table_h: u16) -> u16 {
        let threads = tl.threads();
        if threads == 0 {
            return 0;
        }
        let avail = inner.height.saturating_sub(table_h);
        let lane_w = inner.width / drawn.len().max(1) as u16;
        let lanes_want = drawn
            .iter()
            .filter_map(|i| self.view.lanes.get(*i))
            .map(|l| self.lane_pane(l, false).wanted(lane_w.saturating_sub(1)) + 1)
            .max()
            .unwrap_or(LANES_MIN_H);
        let spare = avail.saturating_sub(lanes_want);
        (threads + 2)
            .min(spare.max(tl.threads_on_screen() + 1))
            .min(avail.saturating_sub(LANES_MIN_H))
    }

    /// The lanes in `drawn`, side by side with a rule between them.
    fn draw_lanes(&self, drawn: &[usize], area: Rect, buf: &mut Buffer) {
        let (t, v, lang) = (self.theme, self.view, self.lang);
        let mut cols = Vec::new();
        for i in 0..drawn.len() {
            if i > 0 {
                cols.push(Constraint::Length(1));
            }
            cols.push(Constraint::Fill(1));
        }
        let rects = Layout::horizontal(cols).split(area);
        let body = |r: &Rect| Rect::new(r.x, r.y + 1, r.width, r.height.saturating_sub(1));
        // Big figures on a projector only if every lane drawn has room for
        // them: lanes side by side should read alike.
        let big_figures = self.big
            && drawn
                .iter()
                .enumerate()
                .all(|(k, i)| match (v.lanes.get(*i), rects.get(2 * k)) {
                    (Some(lane), Some(r)) => self.lane_pane(lane, false).big_fit(body(r)).is_some(),
                    _ => false,
                });
        for (k, &i) in drawn.iter().enumerate() {
            let (Some(lane), Some(rect)) = (v.lanes.get(i), rects.get(2 * k)) else {
                continue;
            };
            if k > 0
                && let Some(sep) = rects.get(2 * k - 1)
            {
                for y in sep.y..sep.bottom() {
                    let glyph = if y == sep.y { "┬" } else { "│" };
                    buf.set_string(sep.x, y, glyph, t.border());
                }
            }
            let head = Rect { height: 1, ..*rect };
            title_line(lane, head.width as usize, t, lang).render(head, buf);
            let mut pane = self.lane_pane(lane, false);
            pane.big_figures = big_figures;
            pane.render(body(rect), buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoEvent, EventKind, Params, RunId};
    use crate::i18n::LocalText;
    use std::time::Duration;

    #[test]
    fn syscall_trace_beside_the_five_model_table() {
        let info = crate::demo::find("io-models").unwrap().info();
        let mut v = DemoView::new(info, Params::new());
        v.reset(RunId(1));
        let mut ev = |lane, kind| {
            v.apply(DemoEvent {
                run: RunId(1),
                lane,
                at: Duration::from_millis(10),
                demo_at: Duration::from_millis(10),
                kind,
            });
        };
        for line in [
            "accept(3) = -1 EAGAIN",
            "read(5) = -1 EAGAIN",
            "read(6) = 32",
            "write(6) = 32",
        ] {
            ev(1, EventKind::Log(LocalText::same(line)));
        }
        for line in [
            "epoll_ctl(ADD, 3) = 0",
            "epoll_wait(4) = 2",
            "read(5) = 32",
            "write(5) = 32",
        ] {
            ev(2, EventKind::Log(LocalText::same(line)));
        }
        ev(0, EventKind::Done);
        v.show_lane(2);
        let mut buf = Buffer::empty(Rect::new(0, 0, 100, 16));
        DemoPane {
            view: &v,
            theme: &Theme::mono(),
            lang: Lang::En,
            focused: true,
            big: false,
        }
        .render(buf.area, &mut buf);
        let text = crate::ui::test_util::buffer_text(&buf);
        assert!(
            text.contains("nonblocking: one thread polling") && text.contains("epoll: one thread")
        );
        assert!(text.contains("read(5) = -1 EAGAIN") && text.contains("epoll_wait(4) = 2"));
        insta::assert_snapshot!("syscall_trace", text);
    }
}

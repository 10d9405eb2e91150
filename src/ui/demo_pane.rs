//! A running demo: its lanes side by side, each with its live drawing, its
//! measured figures and its log; a timeline across the lanes when they
//! report spans of work.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::code_pane::CodePane;
use super::lag_meter::LagMeter;
use super::lane_state::{label as state_text, mark as state_mark, style as state_style};
use super::lane_table::LaneTable;
use super::theme::Theme;
use super::timeline::Timeline;
use super::wrap::truncate;
use crate::demo::{DemoView, LaneState, LaneView};
use crate::i18n::Lang;

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

pub struct DemoPane<'a> {
    pub view: &'a DemoView,
    pub theme: &'a Theme,
    pub lang: Lang,
    pub focused: bool,
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

impl Widget for DemoPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, v, lang) = (self.theme, self.view, self.lang);
        let s = lang.strings();
        let mut title = format!(" {}: {} · {} ", s.demo, v.info.id, v.info.title.get(lang));
        let params: Vec<String> = v
            .params
            .pairs()
            .map(|(n, val)| format!("{n}={val}"))
            .collect();
        if !params.is_empty() {
            title.push_str(&format!("[{}] ", params.join(" ")));
        }
        let state = overall(v);
        let speed = if v.paused {
            format!("⏸ {} · {}x", s.paused, v.scale)
        } else {
            format!("{}x", v.scale)
        };
        let status = if v.run.is_none() {
            if v.scale == 1.0 {
                format!(" {} ", s.press_space)
            } else {
                format!(" {} · {speed} ", s.press_space)
            }
        } else if (v.scale - 1.0).abs() < 1e-9 && !v.paused {
            format!(
                " {} {} {:.1} s · {speed} ",
                state_mark(state),
                state_text(state, lang),
                v.demo_time.as_secs_f64(),
            )
        } else {
            // Slowed down: demo time (what the figures use) and wall time.
            format!(
                " {} {} {:.1} s {} · {:.1} s {} · {speed} ",
                state_mark(state),
                state_text(state, lang),
                v.demo_time.as_secs_f64(),
                s.demo_time,
                v.wall_time.as_secs_f64(),
                s.wall_time,
            )
        };
        let title_room = area.width.saturating_sub(status.width() as u16 + 2) as usize;
        let mut block = Block::new()
            .borders(Borders::TOP)
            .border_style(if self.focused {
                t.border_active()
            } else {
                t.border()
            })
            .title(Span::styled(truncate(&title, title_room), t.accent()))
            .title_top(Line::styled(status, state_style(state, t)).right_aligned());
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
        let timeline = Timeline {
            view: v,
            theme: t,
            lang,
        };
        let wanted = timeline.height();
        // The timeline gets its rows (plus a border) if the lanes keep at least 6.
        let tl_height = if wanted > 0 {
            (wanted + 2).min(inner.height.saturating_sub(6))
        } else {
            0
        };
        let [lanes_area, tl_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(tl_height)]).areas(inner);
        // Many lanes: a table of all of them, and two side by side (keys 1-9).
        let (shown, lanes_area): (Vec<usize>, Rect) = if v.lanes.len() > 2 {
            let table_h = (v.lanes.len() as u16 + 1).min(lanes_area.height / 2);
            let [table, rest] =
                Layout::vertical([Constraint::Length(table_h), Constraint::Fill(1)])
                    .areas(lanes_area);
            LaneTable {
                view: v,
                theme: t,
                lang,
            }
            .render(table, buf);
            (v.shown.to_vec(), rest)
        } else {
            ((0..v.lanes.len()).collect(), lanes_area)
        };
        let rects = Layout::horizontal(vec![Constraint::Fill(1); shown.len()]).split(lanes_area);
        for (&i, rect) in shown.iter().zip(rects.iter()) {
            let Some(lane) = v.lanes.get(i) else { continue };
            LanePane {
                lane,
                view: v,
                theme: t,
                lang,
            }
            .render(*rect, buf);
        }
        if tl_height >= 3 {
            let block = Block::new()
                .borders(Borders::ALL)
                .border_style(t.border())
                .title(Span::styled(format!(" {} ", s.timeline_title), t.muted()));
            let inner = block.inner(tl_area);
            block.render(tl_area, buf);
            timeline.render(inner, buf);
        }
    }
}

struct LanePane<'a> {
    lane: &'a LaneView,
    view: &'a DemoView,
    theme: &'a Theme,
    lang: Lang,
}

impl Widget for LanePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, lane, lang) = (self.theme, self.lane, self.lang);
        let code = lane.info.code;
        let mark = format!(
            " {} {} ",
            state_mark(lane.state),
            state_text(lane.state, lang)
        );
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.border())
            .title(Span::styled(
                truncate(
                    &format!(" {} ", lane.info.title.get(lang)),
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
        // Only the sections this lane has data for; the log takes the rest.
        // A budget of rows, handed out in order of importance; the log
        // takes what is left.
        let mut budget = inner.height;
        let mut take = |want: u16| take_rows(&mut budget, want);
        let with_ring = lane.frame.is_some();
        let drawing = take(if with_ring { 3 } else { 1 });
        // Beside a spinner the progress bar shares the drawing's last row.
        let progress = take(u16::from(lane.progress.is_some() && !with_ring));
        let lag = take(if lane.lag.is_empty() {
            0
        } else {
            LagMeter::HEIGHT
        });
        let metrics = metric_rows(lane, inner.width, t, lang);
        let knows = knows_rows(lane, inner.width, t, lang);
        let code_h = if code.is_empty() {
            0
        } else {
            let lines = code.lines().count() as u16;
            let rest = (metrics.len() + knows.len()) as u16 + 1;
            let room = inner.height.saturating_sub(drawing + progress + lag + rest);
            take(lines.min(room).max(3))
        };
        let knows_h = take(knows.len() as u16);
        let metrics_h = take(metrics.len() as u16);
        let [
            top,
            progress_area,
            lag_area,
            code_area,
            knows_area,
            metrics_area,
            log,
        ] = Layout::vertical([
            Constraint::Length(drawing),
            Constraint::Length(progress),
            Constraint::Length(lag),
            Constraint::Length(code_h),
            Constraint::Length(knows_h),
            Constraint::Length(metrics_h),
            Constraint::Fill(1),
        ])
        .areas(inner);
        self.render_drawing(top, buf);
        if let Some((done, total)) = lane.progress {
            let area = if with_ring && top.height == 3 {
                let x = top.x + RING_W + 2;
                Rect::new(x, top.y + 2, top.right().saturating_sub(x), 1)
            } else {
                progress_area
            };
            render_progress(done, total, t, area, buf);
        }
        if lag > 0 {
            LagMeter {
                lane,
                now: self.view.demo_time,
                theme: t,
                lang,
            }
            .render(lag_area, buf);
        }
        if code_h > 0 {
            CodePane {
                code,
                current: lane.code_line,
                theme: t,
            }
            .render(code_area, buf);
        }
        Paragraph::new(knows).render(knows_area, buf);
        Paragraph::new(metrics).render(metrics_area, buf);
        self.render_log(log, buf);
    }
}

impl LanePane<'_> {
    fn render_drawing(&self, area: Rect, buf: &mut Buffer) {
        let (t, lane, lang) = (self.theme, self.lane, self.lang);
        let text_x = if let Some(frame) = lane.frame {
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
            area.x + RING_W + 2
        } else {
            area.x
        };
        if text_x >= area.right() {
            return;
        }
        let w = (area.right() - text_x) as usize;
        let status = match (&lane.status, &lane.error) {
            (_, Some(err)) => Line::styled(truncate(&format!("✗ {}", err.message), w), t.bad()),
            (Some(st), None) => Line::styled(truncate(st.get(lang), w), t.strong()),
            (None, None) if self.view.run.is_none() => {
                Line::styled(truncate(lang.strings().press_space, w), t.muted())
            }
            (None, None) => Line::styled("…", t.muted()),
        };
        status.render(Rect::new(text_x, area.y, w as u16, 1), buf);
        if let Some(frame) = lane.frame
            && area.height > 1
        {
            let line = format!(
                "{} {} · {:.1} s",
                lang.strings().frame,
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
            .map(|l| Line::styled(truncate(l.get(self.lang), w), t.text()))
            .collect();
        Paragraph::new(lines).render(area, buf);
    }
}

/// Takes up to `want` rows from what is left.
fn take_rows(budget: &mut u16, want: u16) -> u16 {
    let got = want.min(*budget);
    *budget -= got;
    got
}

/// A progress bar: `done` of `total`, with the count at the end.
fn render_progress(done: u64, total: u64, t: &Theme, area: Rect, buf: &mut Buffer) {
    let label = format!(" {done}/{total}");
    let bar_w = (area.width as usize).saturating_sub(label.width());
    let filled = (bar_w as u64 * done.min(total))
        .checked_div(total)
        .unwrap_or(0) as usize;
    let line = Line::from(vec![
        Span::styled("━".repeat(filled), t.accent()),
        Span::styled("─".repeat(bar_w - filled), t.border()),
        Span::styled(label, t.muted()),
    ]);
    line.render(area, buf);
}

/// Measured figures, two to a row when the lane is wide enough.
fn metric_rows<'a>(lane: &LaneView, width: u16, t: &Theme, lang: Lang) -> Vec<Line<'a>> {
    let per_row = if width >= 44 { 2 } else { 1 };
    let col = (width as usize / per_row).max(1);
    lane.metrics
        .chunks(per_row)
        .map(|chunk| {
            let mut spans = Vec::new();
            for m in chunk {
                let value = m.unit.format(m.value, lang);
                // At least one space, so a long name never runs into the next figure.
                let pad = col
                    .saturating_sub(m.name.width() + value.width() + 1)
                    .max(1);
                spans.push(Span::styled(format!("{} ", m.name), t.muted()));
                spans.push(Span::styled(value, t.strong()));
                spans.push(Span::raw(" ".repeat(pad)));
            }
            Line::from(spans)
        })
        .collect()
}

/// What the lane still knows: name = value, one per row.
fn knows_rows<'a>(lane: &LaneView, width: u16, t: &Theme, lang: Lang) -> Vec<Line<'a>> {
    let w = width as usize;
    lane.knows
        .iter()
        .map(|(k, v)| {
            let name = format!("{} = ", k.get(lang));
            let value = truncate(v.get(lang), w.saturating_sub(name.width()));
            Line::from(vec![
                Span::styled(name, t.emphasis()),
                Span::styled(value, t.text()),
            ])
        })
        .collect()
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

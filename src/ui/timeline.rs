//! The timeline: one row per OS thread a demo used, time left to right, a
//! span per piece of work coloured by job and marked running, waiting or
//! blocked. Interleaved spans on one row are concurrency; spans stacked on
//! several rows at the same moment are parallelism.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::theme::Theme;
use super::wrap::truncate;
use crate::demo::lane::THREAD_PREFIX;
use crate::demo::{DemoView, Span, SpanState};

const MAX_LABEL: usize = 16;

pub struct Timeline<'a> {
    pub view: &'a DemoView,
    pub theme: &'a Theme,
    pub lang: crate::i18n::Lang,
    /// The lanes on screen: their rows come first, the other lanes' rows
    /// after them (and are the ones cut when rows run out).
    pub first: &'a [usize],
}

/// One timeline row: a thread of one lane.
struct Row<'a> {
    lane: usize,
    label: String,
    spans: Vec<&'a Span>,
}

/// The span that covers most of the time from `a` to `b` (seconds), or an
/// instant one inside it.
fn best_span<'a>(spans: &[&'a Span], a: f64, b: f64) -> Option<&'a Span> {
    spans
        .iter()
        .map(|s| {
            let overlap = s.end.as_secs_f64().min(b) - s.start.as_secs_f64().max(a);
            (overlap, *s)
        })
        .filter(|(o, s)| {
            *o > 0.0
                || (s.start == s.end && s.start.as_secs_f64() >= a && s.start.as_secs_f64() < b)
        })
        .max_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(_, s)| s)
}

/// `1`..`9`, then `A`..: which job a span belongs to.
pub fn job_mark(job: usize) -> String {
    const MARKS: &[u8] = b"123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char::from(MARKS[job % MARKS.len()]).to_string()
}

pub fn glyph(state: SpanState) -> &'static str {
    match state {
        SpanState::Running => "█",
        SpanState::Blocked => "▒",
        SpanState::Waiting => "·",
    }
}

impl Timeline<'_> {
    fn rows(&self) -> Vec<Row<'_>> {
        // Each row with its thread's full name (the label is the short one).
        let mut rows: Vec<(&str, Row)> = Vec::new();
        for (lane_idx, lane) in self.view.lanes.iter().enumerate() {
            for span in &lane.spans {
                match rows
                    .iter_mut()
                    .find(|(t, r)| r.lane == lane_idx && *t == span.thread)
                {
                    Some((_, row)) => row.spans.push(span),
                    None => {
                        let short = span
                            .thread
                            .strip_prefix(THREAD_PREFIX)
                            .unwrap_or(&span.thread);
                        let short = short.split_once('/').map_or(short, |(_, rest)| rest);
                        let row = Row {
                            lane: lane_idx,
                            label: short.to_string(),
                            spans: vec![span],
                        };
                        rows.push((&span.thread, row))
                    }
                }
            }
        }
        let later = |lane: usize| !self.first.contains(&lane);
        rows.sort_by(|(_, a), (_, b)| {
            (later(a.lane), a.lane)
                .cmp(&(later(b.lane), b.lane))
                .then_with(|| a.label.cmp(&b.label))
        });
        rows.into_iter().map(|(_, r)| r).collect()
    }

    /// How many thread rows it draws.
    pub fn threads(&self) -> u16 {
        self.rows().len() as u16
    }

    /// How many of its rows are the threads of the lanes on screen.
    pub fn threads_on_screen(&self) -> u16 {
        let rows = self.rows();
        rows.iter().filter(|r| self.first.contains(&r.lane)).count() as u16
    }

    fn style(&self, span: &Span) -> Style {
        let t = self.theme;
        if t.mono {
            return match span.state {
                SpanState::Blocked => Style::new().add_modifier(Modifier::BOLD),
                _ => Style::new(),
            };
        }
        let color = t.job(span.job);
        match span.state {
            SpanState::Running => Style::new().fg(color),
            SpanState::Waiting => Style::new().fg(color).add_modifier(Modifier::DIM),
            SpanState::Blocked => Style::new()
                .fg(t.palette.blocked)
                .add_modifier(Modifier::BOLD),
        }
    }
}

impl Widget for Timeline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let rows = self.rows();
        if rows.is_empty() || area.height == 0 || area.width < 12 {
            return;
        }
        let t = self.theme;
        let label_w = rows
            .iter()
            .map(|r| r.label.width())
            .max()
            .unwrap_or(0)
            .min(MAX_LABEL) as u16;
        let plot_x = area.x + label_w + 1;
        let plot_w = area.width.saturating_sub(label_w + 1).max(1);
        let end = rows
            .iter()
            .flat_map(|r| r.spans.iter().map(|s| s.end))
            .max()
            .unwrap_or_default()
            .max(self.view.demo_time)
            .max(Duration::from_millis(1));
        let cell = end.as_secs_f64() / plot_w as f64;
        // Every thread keeps its row; the axis below goes first.
        let plot_rows = area.height.min(rows.len() as u16);
        for (i, row) in rows.iter().take(plot_rows as usize).enumerate() {
            let y = area.y + i as u16;
            buf.set_string(area.x, y, truncate(&row.label, label_w as usize), t.muted());
            let cells: Vec<Option<&Span>> = (0..plot_w)
                .map(|c| best_span(&row.spans, c as f64 * cell, (c + 1) as f64 * cell))
                .collect();
            for (c, here) in cells.iter().enumerate() {
                let Some(s) = here else {
                    continue;
                };
                // Where the job changes, its mark: however narrow the pieces
                // get as the run grows, interleaved work reads `1234…`.
                let starts = match c.checked_sub(1).and_then(|p| cells[p]) {
                    Some(prev) => prev.job != s.job || prev.state != s.state,
                    None => true,
                };
                let run = cells[c..]
                    .iter()
                    .take_while(|x| x.is_some_and(|x| x.job == s.job && x.state == s.state))
                    .count();
                let (sym, style) = if starts && (run >= 2 || s.state != SpanState::Waiting) {
                    (
                        job_mark(s.job),
                        self.style(s).add_modifier(Modifier::REVERSED),
                    )
                } else {
                    (glyph(s.state).to_string(), self.style(s))
                };
                buf.set_string(plot_x + c as u16, y, sym, style);
            }
        }
        // The axis: time at both ends, the legend between.
        let y = area.y + plot_rows;
        if y < area.bottom() {
            let st = self.lang.strings();
            let right = format!("{:.0} ms", end.as_secs_f64() * 1000.0);
            let legend = format!(
                "█ {}  ▒ {}  · {}",
                st.timeline_running, st.timeline_blocked, st.timeline_waiting
            );
            let legend = legend.as_str();
            buf.set_string(plot_x, y, "0", t.muted());
            let rx = (plot_x + plot_w).saturating_sub(right.width() as u16);
            buf.set_string(rx, y, &right, t.muted());
            // The legend only where it keeps a gap from both ends.
            if (plot_w as usize) >= legend.width() + 2 * right.width() + 6 {
                let lx = plot_x + (plot_w - legend.width() as u16) / 2;
                buf.set_string(lx, y, legend, t.muted());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoEvent, EventKind, Params};

    fn span(thread: &str, job: usize, from: u64, to: u64, state: SpanState) -> EventKind {
        EventKind::Span(Span {
            thread: format!("demo:x/{thread}"),
            label: format!("job {job}"),
            job,
            start: Duration::from_millis(from),
            end: Duration::from_millis(to),
            state,
        })
    }

    fn view(events: Vec<(usize, EventKind)>) -> DemoView {
        let info = crate::demo::find("spinner").unwrap().info();
        let mut v = DemoView::new(info, Params::new());
        v.reset(crate::demo::RunId(1));
        for (lane, kind) in events {
            v.apply(DemoEvent {
                run: crate::demo::RunId(1),
                lane,
                at: Duration::ZERO,
                demo_at: Duration::ZERO,
                kind,
            });
        }
        v
    }

    fn draw(v: &DemoView, w: u16, h: u16) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        Timeline {
            view: v,
            theme: &Theme::mono(),
            lang: crate::i18n::Lang::En,
            first: &[],
        }
        .render(buf.area, &mut buf);
        crate::ui::test_util::buffer_text(&buf)
    }

    #[test]
    fn interleaved_on_one_thread_vs_stacked_on_two() {
        let mut events = Vec::new();
        // Lane 0: four jobs take turns on one thread (concurrency).
        for i in 0..8u64 {
            events.push((
                0,
                span(
                    "loop",
                    (i % 4) as usize,
                    i * 100,
                    i * 100 + 100,
                    SpanState::Running,
                ),
            ));
        }
        // Lane 1: the same jobs, two threads at once (parallelism).
        for i in 0..4u64 {
            let thread = if i % 2 == 0 { "worker-0" } else { "worker-1" };
            let from = (i / 2) * 200;
            events.push((
                1,
                span(thread, i as usize, from, from + 200, SpanState::Running),
            ));
        }
        events.push((1, span("worker-1", 9, 400, 800, SpanState::Waiting)));
        let v = view(events);
        let text = draw(&v, 60, 4);
        let rows: Vec<&str> = text.lines().collect();
        assert!(rows[0].starts_with("loop"));
        assert!(rows[1].starts_with("worker-0") && rows[2].starts_with("worker-1"));
        // Both workers are busy during the first half at the same moment.
        let col = 20;
        for r in &rows[1..3] {
            assert_eq!(r.chars().nth(col), Some('█'), "{text}");
        }
        insta::assert_snapshot!("timeline_concurrency_vs_parallelism", text);
    }

    #[test]
    fn the_lanes_on_screen_keep_their_rows_first() {
        let v = view(vec![
            (0, span("loop", 0, 0, 100, SpanState::Running)),
            (1, span("worker-0", 1, 0, 100, SpanState::Running)),
            (1, span("worker-1", 2, 0, 100, SpanState::Running)),
        ]);
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 2));
        let tl = Timeline {
            view: &v,
            theme: &Theme::mono(),
            lang: crate::i18n::Lang::En,
            first: &[1],
        };
        assert_eq!((tl.threads(), tl.threads_on_screen()), (3, 2));
        tl.render(buf.area, &mut buf);
        // Two rows: lane 1's threads; lane 0's row is the one cut.
        let text = crate::ui::test_util::buffer_text(&buf);
        let rows: Vec<&str> = text.lines().collect();
        assert!(
            rows[0].starts_with("worker-0") && rows[1].starts_with("worker-1"),
            "{text}"
        );
    }

    #[test]
    fn blocked_spans_show_by_glyph() {
        let v = view(vec![
            (0, span("loop", 0, 0, 300, SpanState::Blocked)),
            (0, span("loop", 1, 300, 400, SpanState::Running)),
        ]);
        let text = draw(&v, 30, 2);
        assert!(text.contains('▒') && text.contains('█'), "{text}");
    }

    #[test]
    fn interleaving_stays_readable_when_pieces_shrink_below_a_cell() {
        // 20 pieces of 100 ms, four jobs taking turns, drawn 30 cells wide:
        // each piece is under a cell, and every change of job still shows
        // its mark.
        let events = (0..20u64)
            .map(|i| {
                let job = (i % 4) as usize;
                (
                    0,
                    span("loop", job, i * 100, i * 100 + 100, SpanState::Running),
                )
            })
            .collect();
        let text = draw(&view(events), 40, 2);
        let row = text.lines().next().unwrap();
        let marks = row.chars().filter(|c| "1234".contains(*c)).count();
        assert!(marks >= 12, "{row}");
        assert!(
            row.contains("12") || row.contains("23") || row.contains("34"),
            "{row}"
        );
    }

    #[test]
    fn every_thread_keeps_its_row_before_the_axis() {
        let v = view(vec![
            (0, span("loop", 0, 0, 300, SpanState::Running)),
            (1, span("worker-0", 1, 0, 300, SpanState::Running)),
            (1, span("worker-1", 2, 0, 300, SpanState::Running)),
        ]);
        let text = draw(&v, 40, 3);
        for label in ["loop", "worker-0", "worker-1"] {
            assert!(text.contains(label), "{text}");
        }
        assert!(!text.contains("ms"), "no room for the axis: {text}");
    }
}

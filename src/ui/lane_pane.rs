//! One lane of a demo: its live drawing or status, its progress and loop
//! lag, the code it runs, what it still knows, its measured figures and its
//! log. Rows are handed out by importance, so what a step asks the student
//! to read (a status, an error chain, what a lane knows, the figures) is
//! drawn whole before the code and the log share what is left; a long text
//! wraps instead of being cut.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use tui_big_text::{BigText, PixelSize};
use unicode_width::UnicodeWidthStr;

use super::code_pane::CodePane;
use super::lag_meter::LagMeter;
use super::lane_state::{label as state_text, mark as state_mark, style as state_style};
use super::theme::Theme;
use super::wrap::{truncate, wrap_runs};
use crate::demo::{DemoView, LaneView};
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
/// A status wraps to at most this many rows; an entry of what a lane knows
/// to at most `KNOWS_ROWS`.
const STATUS_ROWS: usize = 3;
const KNOWS_ROWS: usize = 3;
/// Log rows the code pane leaves free when it could take them.
const LOG_KEEPS: u16 = 3;
/// Columns between two figures on a row.
const GAP: usize = 2;
/// Rows and columns of one big figure (a quadrant-pixel 8x8 font).
const BIG_CHAR_W: usize = 4;
const BIG_ROWS: u16 = 4;

pub struct LanePane<'a> {
    pub lane: &'a LaneView,
    pub view: &'a DemoView,
    pub theme: &'a Theme,
    pub lang: Lang,
    /// Drawn alone over the whole pane: the log gets the room, and scrolls.
    pub zoomed: bool,
    /// A projector with room: a bigger spinner and headline.
    pub big: bool,
    /// Figures in big letters (when they fit: see `big_fit`).
    pub big_figures: bool,
}

/// What goes where, in rows.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Plan {
    top: u16,
    progress: u16,
    lag: u16,
    code: u16,
    knows: u16,
    metrics: u16,
    log: u16,
}

impl LanePane<'_> {
    /// A spinner without a progress bar has a free row beside its ring,
    /// where the lag gauge goes.
    fn gauge_beside_ring(&self) -> bool {
        self.lane.frame.is_some()
            && self.lane.progress.is_none()
            && !self.lane.lag.is_empty()
            && !self.big
    }

    /// The columns beside the ring, in a lane `w` wide.
    fn beside_w(&self, w: usize) -> usize {
        w.saturating_sub(self.ring_size().0 as usize + 2)
    }

    /// Beside a ring: the status rows, whether the headline goes big, and
    /// the row (from the top) of the progress bar or lag gauge, if any.
    fn beside(&self, w: usize) -> (Vec<Line<'static>>, bool, Option<u16>) {
        let bw = self.beside_w(w);
        let status = self.status_lines(bw);
        let plain: String = status
            .first()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .unwrap_or_default();
        let big =
            self.big && status.len() == 1 && plain.is_ascii() && plain.len() * BIG_CHAR_W <= bw;
        let text_rows = if big { BIG_ROWS } else { status.len() as u16 };
        // Then the frame line; then the bar or gauge.
        let extra =
            (self.lane.progress.is_some() || self.gauge_beside_ring()).then_some(text_rows + 1);
        (status, big, extra)
    }

    /// Spinner cells are this many columns and rows.
    fn cell(&self) -> (u16, u16) {
        if self.big { (4, 2) } else { (2, 1) }
    }

    fn ring_size(&self) -> (u16, u16) {
        let (cw, ch) = self.cell();
        (3 * cw, 3 * ch)
    }

    /// The status (or the error and its causes), wrapped to `w`.
    fn status_lines(&self, w: usize) -> Vec<Line<'static>> {
        let (t, lane, lang) = (self.theme, self.lane, self.lang);
        if let Some(err) = &lane.error {
            let mut lines = clip(
                wrap_runs(&[(format!("✗ {}", err.message), t.bad())], w),
                STATUS_ROWS,
                w,
            );
            for cause in &err.chain {
                lines.push(Line::styled(truncate(&format!("  ← {cause}"), w), t.bad()));
            }
            return lines;
        }
        let text = match &lane.status {
            Some(st) => st.get(lang).to_string(),
            None if self.view.run.is_none() => lang.strings().press_space.to_string(),
            None => "…".to_string(),
        };
        let style = if lane.status.is_some() {
            t.strong()
        } else {
            t.muted()
        };
        clip(wrap_runs(&[(text, style)], w), STATUS_ROWS, w)
    }

    /// What the lane knows, `name = value`, each wrapped under its value.
    fn knows_lines(&self, w: usize, rows_each: usize) -> Vec<Line<'static>> {
        let t = self.theme;
        let mut out = Vec::new();
        for (k, v) in &self.lane.knows {
            let name = format!("{} = ", k.get(self.lang));
            let nw = name.width();
            let indent = if nw <= w / 2 { nw } else { 2 };
            let body = clip(
                wrap_runs(&[(v.get(self.lang).to_string(), t.text())], w - indent),
                rows_each,
                w - indent,
            );
            for (i, line) in body.into_iter().enumerate() {
                let lead = if i == 0 {
                    Span::styled(truncate(&name, w), t.emphasis())
                } else {
                    Span::raw(" ".repeat(indent))
                };
                let mut spans = vec![lead];
                if i > 0 || nw <= w / 2 {
                    spans.extend(line.spans);
                    out.push(Line::from(spans));
                } else {
                    // A long name: the value starts on the next row.
                    out.push(Line::from(spans));
                    let mut next = vec![Span::raw(" ".repeat(indent))];
                    next.extend(line.spans);
                    out.push(Line::from(next));
                }
            }
        }
        out
    }

    fn figures(&self) -> Vec<(String, String)> {
        self.lane
            .metrics
            .iter()
            .map(|m| (m.name.to_string(), m.unit.format(m.value, self.lang)))
            .collect()
    }

    /// Rows for each part at `w` x `h`: the drawing, status, progress, lag,
    /// knows and figures first; then the code, leaving the log a few rows;
    /// the log takes the rest. When even the first ones do not fit, long
    /// texts give up their wrapped rows before anything is cut.
    fn plan(&self, w: usize, h: u16, metrics: u16) -> (Plan, Vec<Line<'static>>) {
        let lane = self.lane;
        let ring = lane.frame.is_some();
        let (_, ring_h) = self.ring_size();
        let mut knows = self.knows_lines(w, KNOWS_ROWS);
        let status = if ring {
            0
        } else {
            self.status_lines(w).len() as u16
        };
        let lag = match (lane.lag.is_empty(), self.gauge_beside_ring()) {
            (true, _) => 0,
            // The gauge sits beside the ring; the history gets a row.
            (false, true) => 1,
            (false, false) => LagMeter::HEIGHT,
        };
        let ring_top = if ring {
            let (status, big, extra) = self.beside(w);
            let rows = if big { BIG_ROWS } else { status.len() as u16 } + 1;
            ring_h.max(rows + u16::from(extra.is_some()))
        } else {
            0
        };
        let mut p = Plan {
            top: if ring { ring_top } else { status },
            progress: u16::from(lane.progress.is_some() && !ring),
            lag,
            knows: knows.len() as u16,
            metrics,
            ..Plan::default()
        };
        let essential = |p: &Plan| p.top + p.progress + p.lag + p.knows + p.metrics;
        if essential(&p) > h && p.knows > lane.knows.len() as u16 {
            knows = self.knows_lines(w, 1);
            p.knows = knows.len() as u16;
        }
        if essential(&p) > h && !ring {
            p.top = p.top.min(1);
        }
        if essential(&p) > h {
            p.lag = p.lag.min(1);
        }
        let rest = h.saturating_sub(essential(&p));
        let code_lines = lane.info.code.lines().count() as u16;
        let log_wants = if self.zoomed {
            rest / 2
        } else {
            (lane.log.len() as u16).min(LOG_KEEPS)
        };
        p.code = if code_lines == 0 {
            0
        } else {
            code_lines.min(rest.saturating_sub(log_wants).max(rest.min(3)))
        };
        p.log = rest - p.code;
        (p, knows)
    }
}

impl LanePane<'_> {
    /// How big figures would be laid out in `area` (per row, rows), if
    /// everything else still fits around them.
    pub fn big_fit(&self, area: Rect) -> Option<(usize, u16)> {
        let w = area.width as usize;
        let (p, _) = self.plan(w, area.height, 0);
        let others = p.top + p.progress + p.lag + p.knows + LOG_KEEPS;
        big_figures(&self.figures(), w, area.height.saturating_sub(others))
    }

    /// Rows this lane would like at width `w`: everything it must show,
    /// a few code lines and a few log lines.
    pub fn wanted(&self, w: u16) -> u16 {
        let w = w.max(4) as usize;
        let metrics = metric_lines(&self.figures(), w, self.theme).len() as u16;
        let (p, _) = self.plan(w, u16::MAX / 2, metrics);
        let code = (self.lane.info.code.lines().count() as u16).min(3);
        let log = (self.lane.log.len() as u16).min(LOG_KEEPS);
        p.top + p.progress + p.lag + p.knows + p.metrics + code + log
    }
}

/// At most `rows` lines; the last one kept ends in `…` when some were cut.
fn clip(mut lines: Vec<Line<'static>>, rows: usize, w: usize) -> Vec<Line<'static>> {
    if lines.len() > rows {
        lines.truncate(rows);
        if let Some(last) = lines.last_mut() {
            let text: String = last.spans.iter().map(|s| s.content.as_ref()).collect();
            let style = last.spans.first().map_or(Style::new(), |s| s.style);
            let cut = truncate(&text, w.saturating_sub(1));
            *last = Line::styled(format!("{}…", cut.trim_end_matches('…')), style);
        }
    }
    lines
}

/// Figures laid out in as many aligned columns as fit, else packed along
/// the row; a name and its value never part, and two figures never touch.
pub fn metric_lines(figs: &[(String, String)], w: usize, t: &Theme) -> Vec<Line<'static>> {
    let cell_w = |(n, v): &(String, String)| n.width() + 1 + v.width();
    let cell = |(n, v): &(String, String), pad: usize| {
        vec![
            Span::styled(format!("{n} "), t.muted()),
            Span::styled(v.clone(), t.strong()),
            Span::raw(" ".repeat(pad)),
        ]
    };
    for cols in (2..=figs.len().min(8)).rev() {
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                figs.iter()
                    .skip(c)
                    .step_by(cols)
                    .map(cell_w)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        if widths.iter().sum::<usize>() + GAP * (cols - 1) <= w {
            return figs
                .chunks(cols)
                .map(|row| {
                    let spans = row
                        .iter()
                        .zip(&widths)
                        .flat_map(|(f, cw)| cell(f, cw - cell_w(f) + GAP))
                        .collect::<Vec<_>>();
                    Line::from(spans)
                })
                .collect();
        }
    }
    // Packed: as many as fit on each row, in order.
    let mut lines: Vec<Line> = Vec::new();
    let mut row: Vec<Span> = Vec::new();
    let mut used = 0;
    for f in figs {
        let fw = cell_w(f);
        if used > 0 && used + GAP + fw > w {
            lines.push(Line::from(std::mem::take(&mut row)));
            used = 0;
        }
        if used > 0 {
            row.push(Span::raw(" ".repeat(GAP)));
            used += GAP;
        }
        if fw > w {
            row.push(Span::styled(
                truncate(&format!("{} {}", f.0, f.1), w),
                t.muted(),
            ));
            used = w;
        } else {
            row.extend(cell(f, 0));
            used += fw;
        }
    }
    if !row.is_empty() {
        lines.push(Line::from(row));
    }
    lines
}

/// Big figures: a grid of cells, each the name above its value in big
/// letters; `None` when a value is not ASCII or the grid does not fit.
fn big_figures(figs: &[(String, String)], w: usize, h: u16) -> Option<(usize, u16)> {
    if figs.is_empty() || figs.iter().any(|(_, v)| !v.is_ascii()) {
        return None;
    }
    let cell_w = figs
        .iter()
        .map(|(n, v)| (v.chars().count() * BIG_CHAR_W).max(n.width()) + GAP)
        .max()?;
    let per_row = (w / cell_w).max(1);
    let rows = figs.len().div_ceil(per_row) as u16 * (BIG_ROWS + 1);
    (cell_w <= w && rows <= h).then_some((per_row, rows))
}

impl Widget for LanePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width < 4 {
            return;
        }
        let w = area.width as usize;
        let figs = self.figures();
        let small = metric_lines(&figs, w, self.theme);
        let big = if self.big_figures {
            self.big_fit(area)
        } else {
            None
        };
        let metric_rows = big.map_or(small.len() as u16, |(_, rows)| rows);
        let (p, knows) = self.plan(w, area.height, metric_rows);
        let [top, progress, lag, code, knows_area, metrics, log] = Layout::vertical([
            Constraint::Length(p.top),
            Constraint::Length(p.progress),
            Constraint::Length(p.lag),
            Constraint::Length(p.code),
            Constraint::Length(p.knows),
            Constraint::Length(p.metrics),
            Constraint::Fill(1),
        ])
        .areas(area);
        self.render_top(top, buf);
        // Beside a ring, the bar (or the lag gauge) goes under its text.
        let (ring_w, _) = self.ring_size();
        let beside_row = self.beside(w).2.map(|row| {
            let x = top.x + ring_w + 2;
            Rect::new(x, top.y + row, top.right().saturating_sub(x), 1)
        });
        if let Some((done, total)) = self.lane.progress {
            let area = match (self.lane.frame, beside_row) {
                (Some(_), Some(r)) => r,
                _ => progress,
            };
            if area.bottom() <= top.bottom() || self.lane.frame.is_none() {
                render_progress(done, total, self.theme, area, buf);
            }
        }
        let meter = LagMeter {
            lane: self.lane,
            now: self.view.demo_time,
            theme: self.theme,
            lang: self.lang,
        };
        if lag.height > 0 && self.gauge_beside_ring() {
            if let Some(r) = beside_row.filter(|r| r.bottom() <= top.bottom()) {
                meter.gauge(r, buf);
            }
            meter.spark(lag, buf);
        } else if lag.height > 0 {
            meter.render(lag, buf);
        }
        if code.height > 0 {
            CodePane {
                code: self.lane.info.code,
                language: self.lane.info.code_language(),
                current: self.lane.code_line,
                theme: self.theme,
            }
            .render(code, buf);
        }
        Paragraph::new(knows).render(knows_area, buf);
        match big {
            Some((per_row, _)) => self.render_big_figures(&figs, per_row, metrics, buf),
            None => Paragraph::new(small).render(metrics, buf),
        }
        self.render_log(log, buf);
    }
}

impl LanePane<'_> {
    fn render_top(&self, area: Rect, buf: &mut Buffer) {
        let (t, lane) = (self.theme, self.lane);
        let Some(frame) = lane.frame else {
            Paragraph::new(self.status_lines(area.width as usize)).render(area, buf);
            return;
        };
        let (cw, ch) = self.cell();
        let lit = (frame % RING.len() as u64) as usize;
        for (i, (row, col)) in RING.iter().enumerate() {
            let age = (lit + RING.len() - i) % RING.len();
            let (glyph, style) = match age {
                0 => ("█", t.ok()),
                1 => ("▓", t.ok()),
                2 => ("▒", t.muted()),
                _ => ("·", t.muted()),
            };
            for dy in 0..ch {
                let (x, y) = (area.x + col * cw, area.y + row * ch + dy);
                if x + cw <= area.right() && y < area.bottom() {
                    buf.set_string(x, y, glyph.repeat(cw as usize), style);
                }
            }
        }
        let (ring_w, _) = self.ring_size();
        let text_x = area.x + ring_w + 2;
        if text_x >= area.right() {
            return;
        }
        let text = Rect::new(text_x, area.y, area.right() - text_x, area.height);
        let (status, big, _) = self.beside(area.width as usize);
        let mut y = text.y;
        // On a projector, a short headline ("Answer: 42") in big letters.
        if big {
            let plain: String = status[0].spans.iter().map(|s| s.content.as_ref()).collect();
            BigText::builder()
                .pixel_size(PixelSize::Quadrant)
                .style(t.strong())
                .lines(vec![Line::from(plain)])
                .build()
                .render(Rect::new(text.x, y, text.width, BIG_ROWS), buf);
            y += BIG_ROWS;
        } else {
            for line in status {
                if y >= text.bottom() {
                    break;
                }
                line.render(Rect::new(text.x, y, text.width, 1), buf);
                y += 1;
            }
        }
        let w = text.width as usize;
        if y < text.bottom() {
            let line = format!(
                "{} {} · {:.1} s",
                self.lang.strings().frame,
                frame + 1,
                lane.last_demo_at.as_secs_f64()
            );
            buf.set_string(text.x, y, truncate(&line, w), t.muted());
        }
    }

    fn render_big_figures(
        &self,
        figs: &[(String, String)],
        per_row: usize,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let t = self.theme;
        let cell_w = area.width / per_row as u16;
        for (i, (name, value)) in figs.iter().enumerate() {
            let (col, row) = ((i % per_row) as u16, (i / per_row) as u16);
            let (x, y) = (area.x + col * cell_w, area.y + row * (BIG_ROWS + 1));
            if y + BIG_ROWS + 1 > area.bottom() {
                break;
            }
            buf.set_string(x, y, truncate(name, cell_w as usize), t.muted());
            BigText::builder()
                .pixel_size(PixelSize::Quadrant)
                .style(t.strong())
                .lines(vec![Line::from(value.clone())])
                .build()
                .render(Rect::new(x, y + 1, cell_w, BIG_ROWS), buf);
        }
    }

    /// The log's last lines; zoomed, scrolled back `log_scroll` lines with
    /// where it is. Lines that do not fit are counted at the top right.
    fn render_log(&self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 {
            return;
        }
        let (t, log) = (self.theme, &self.lane.log);
        let w = area.width as usize;
        let rows = area.height as usize;
        let back = if self.zoomed {
            self.view.log_rows.set(rows);
            self.view.log_scroll.min(log.len().saturating_sub(rows))
        } else {
            0
        };
        let end = log.len() - back;
        let start = end.saturating_sub(rows);
        for (row, line) in log.range(start..end).enumerate() {
            let y = area.y + row as u16;
            buf.set_string(area.x, y, truncate(line.get(self.lang), w), t.text());
        }
        // How much is out of view, and the key that shows it.
        let hidden = start + back;
        if hidden > 0 || back > 0 {
            let note = if self.zoomed {
                format!(" {}–{}/{} ", start + 1, end, log.len())
            } else {
                format!(" ↑{start} · z ")
            };
            let nw = note.width() as u16;
            if nw < area.width {
                let x = area.right() - nw;
                buf.set_string(x, area.y, &note, t.muted());
            }
        }
    }
}

/// A progress bar: `done` of `total`, with the count at the end.
fn render_progress(done: u64, total: u64, t: &Theme, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
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

/// The lane's title row: its name on the left, its state on the right.
pub fn title_line(lane: &LaneView, w: usize, t: &Theme, lang: Lang) -> Line<'static> {
    let mark = format!(
        " {} {} ",
        state_mark(lane.state),
        state_text(lane.state, lang)
    );
    let room = w.saturating_sub(mark.width() + 1);
    let name = lane.info.title.get(lang);
    // The detail (a Python lane's interpreter) keeps its place; the static
    // title gives way first.
    let title = match &lane.detail {
        Some(d) if room > d.get(lang).width() + 12 => {
            let d = format!(" · {} ", d.get(lang));
            format!(" {}{d}", truncate(name, room - d.width() - 1))
        }
        _ => format!(" {name} "),
    };
    let title = truncate(&title, room);
    let fill = w.saturating_sub(title.width() + mark.width() + 1);
    Line::from(vec![
        Span::styled("─", t.border()),
        Span::styled(title, t.strong()),
        Span::styled("─".repeat(fill), t.border()),
        Span::styled(mark, state_style(lane.state, t)),
    ])
}

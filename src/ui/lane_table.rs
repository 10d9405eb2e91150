//! All lanes of a many-lane demo in one table: a row per lane, a column per
//! measured figure, filled in as the figures arrive.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::lane_state::mark as state_mark;
use super::theme::Theme;
use super::wrap::truncate;
use crate::demo::{DemoView, MetricInfo, Unit};
use crate::i18n::Lang;

/// The lanes as rows, the metrics each lane declares as a column as
/// columns; a row starts with the number key that shows its lane.
pub struct LaneTable<'a> {
    pub view: &'a DemoView,
    pub theme: &'a Theme,
    pub lang: Lang,
    /// The lanes drawn below the table (their rows are highlighted).
    pub shown: &'a [usize],
}

/// A figure in a table cell: no units, as short as it can be.
fn cell(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Flag => if value != 0.0 { "✓" } else { "✗" }.into(),
        Unit::Ms if value < 100.0 => format!("{value:.1}"),
        Unit::Bytes => format!("{:.0}K", value / 1024.0),
        Unit::KiB => format!("{value:.1}"),
        Unit::Ratio => format!("{value:.2}"),
        _ => format!("{value:.0}"),
    }
}

impl Widget for LaneTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (v, t) = (self.view, self.theme);
        // Every column some lane declares, in the order first declared.
        let mut columns: Vec<(&'static str, &'static str)> = Vec::new();
        for m in v.info.lanes.iter().flat_map(|l| l.metrics) {
            if let MetricInfo {
                name,
                column: Some(label),
                ..
            } = m
                && !columns.iter().any(|(n, _)| n == name)
            {
                columns.push((name, label));
            }
        }
        let name_w = v.lanes.iter().map(|l| l.name().width()).max().unwrap_or(4) + 6;
        let widths: Vec<usize> = columns
            .iter()
            .map(|(name, label)| {
                let widest = v
                    .lanes
                    .iter()
                    .filter_map(|l| l.metrics.iter().find(|m| m.name == *name))
                    .map(|m| cell(m.value, m.unit).width())
                    .max()
                    .unwrap_or(1);
                label.width().max(widest)
            })
            .collect();
        let mut rows: Vec<Line> = Vec::new();
        let mut head = vec![Span::styled(
            format!("{:<name_w$}", lang_lane(self.lang)),
            t.muted(),
        )];
        for ((_, label), w) in columns.iter().zip(&widths) {
            head.push(Span::styled(format!(" {label:>w$}"), t.strong()));
        }
        rows.push(Line::from(head));
        for (i, lane) in v.lanes.iter().enumerate() {
            let shown = self.shown.contains(&i);
            let mark = format!("{} {} {}", i + 1, state_mark(lane.state), lane.name());
            let mut spans = vec![Span::styled(
                format!("{:<name_w$}", truncate(&mark, name_w)),
                if shown { t.accent() } else { t.text() },
            )];
            for ((name, _), w) in columns.iter().zip(&widths) {
                let text = lane
                    .metrics
                    .iter()
                    .find(|m| m.name == *name)
                    .map(|m| cell(m.value, m.unit))
                    .unwrap_or_else(|| "·".into());
                let style = if text == "✗" { t.bad() } else { t.text() };
                spans.push(Span::styled(format!(" {text:>w$}"), style));
            }
            rows.push(Line::from(spans));
        }
        for (row, line) in rows.into_iter().enumerate().take(area.height as usize) {
            line.render(Rect::new(area.x, area.y + row as u16, area.width, 1), buf);
        }
    }
}

fn lang_lane(lang: Lang) -> &'static str {
    lang.strings().lane
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoEvent, EventKind, Metric, Params, RunId};
    use std::time::Duration;

    #[test]
    fn five_models_in_one_table() {
        let info = crate::demo::find("io-models").unwrap().info();
        let mut v = DemoView::new(info, Params::new());
        v.reset(RunId(1));
        let figures: [(&str, [f64; 4]); 5] = [
            ("blocking", [816.0, 0.0, 9.0, 3.9]),
            ("nonblocking", [371555.0, 370739.0, 1.0, 107.7]),
            ("epoll", [990.0, 0.0, 1.0, 4.0]),
            ("signal", [933.0, 54.0, 1.0, 2.5]),
            ("io-uring", [1213.0, 0.0, 1.0, 5.7]),
        ];
        for (lane, (_, [calls, wasted, threads, cpu])) in figures.iter().enumerate() {
            for (name, value, unit) in [
                ("syscalls", *calls, Unit::Count),
                ("wasted_calls", *wasted, Unit::Count),
                ("threads", *threads, Unit::Count),
                ("cpu_ms", *cpu, Unit::Ms),
                ("checksum_ok", 1.0, Unit::Flag),
            ] {
                v.apply(DemoEvent {
                    run: RunId(1),
                    lane,
                    at: Duration::ZERO,
                    demo_at: Duration::ZERO,
                    kind: EventKind::Metric(Metric { name, value, unit }),
                });
            }
        }
        let mut buf = Buffer::empty(Rect::new(0, 0, 90, 6));
        LaneTable {
            view: &v,
            theme: &Theme::mono(),
            lang: Lang::En,
            shown: &[0, 1],
        }
        .render(buf.area, &mut buf);
        insta::assert_snapshot!("five_model_table", crate::ui::test_util::buffer_text(&buf));
    }
}

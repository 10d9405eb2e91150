//! Widgets and the pieces they are built from.

pub mod code_pane;
pub mod demo_pane;
pub mod fit;
pub mod highlight;
pub mod lag_meter;
pub mod lane_pane;
pub mod lane_state;
pub mod lane_table;
pub mod markdown;
pub mod theme;
pub mod timeline;
pub mod too_small;
pub mod wrap;

/// Helpers for widget tests.
#[cfg(test)]
pub mod test_util {
    use ratatui::buffer::Buffer;

    /// The buffer's text, one string per row, trailing spaces removed.
    pub fn buffer_text(buf: &Buffer) -> String {
        let a = buf.area;
        (a.y..a.bottom())
            .map(|y| {
                (a.x..a.right())
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

//! Recording what `--plain` draws as an asciinema v2 cast: a JSON header
//! line, then one `[seconds, "o", text]` line per write, so a run can be
//! replayed (`asciinema play`) or embedded.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::TermLike;
use serde_json::json;

pub const WIDTH: u16 = 100;
pub const HEIGHT: u16 = 30;

struct Inner {
    out: BufWriter<File>,
    start: Instant,
    /// Also draw on this terminal (stderr), when it is one.
    echo: bool,
}

/// A terminal for indicatif that records every byte it is given.
#[derive(Clone)]
pub struct CastTerm {
    inner: Arc<Mutex<Inner>>,
}

impl CastTerm {
    pub fn create(path: &Path, title: &str) -> io::Result<CastTerm> {
        let mut out = BufWriter::new(File::create(path)?);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let header = json!({
            "version": 2,
            "width": WIDTH,
            "height": HEIGHT,
            "timestamp": stamp,
            "title": title,
            "env": { "TERM": "xterm-256color" },
        });
        writeln!(out, "{header}")?;
        Ok(CastTerm {
            inner: Arc::new(Mutex::new(Inner {
                out,
                start: Instant::now(),
                echo: io::stderr().is_terminal(),
            })),
        })
    }

    /// Records (and echoes) `text` exactly as written.
    pub fn emit(&self, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let t = inner.start.elapsed().as_secs_f64();
        let line = json!([(t * 1e6).round() / 1e6, "o", text]);
        writeln!(inner.out, "{line}")?;
        if inner.echo {
            let mut err = io::stderr();
            err.write_all(text.as_bytes())?;
            err.flush()?;
        }
        Ok(())
    }

    pub fn finish(&self) -> io::Result<()> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .out
            .flush()
    }
}

impl std::fmt::Debug for CastTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CastTerm")
    }
}

impl TermLike for CastTerm {
    fn width(&self) -> u16 {
        WIDTH
    }

    fn height(&self) -> u16 {
        HEIGHT
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.emit(&format!("\x1b[{n}A"))
        } else {
            Ok(())
        }
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.emit(&format!("\x1b[{n}B"))
        } else {
            Ok(())
        }
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.emit(&format!("\x1b[{n}C"))
        } else {
            Ok(())
        }
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        if n > 0 {
            self.emit(&format!("\x1b[{n}D"))
        } else {
            Ok(())
        }
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.emit(&format!("{s}\r\n"))
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.emit(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.emit("\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

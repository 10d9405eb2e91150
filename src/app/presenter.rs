//! Presenter mode's second screen: the presenting app publishes where it is
//! (the slide) on a Unix socket it owns; `concur --notes`, in another
//! terminal, follows it and shows the step's speaker notes, the next
//! step's title and the clocks. The socket lives in `$XDG_RUNTIME_DIR`
//! (else the temp dir), is only the presenter's user's, and goes when the
//! presenting app exits.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{App, Screen};

/// What the notes view needs to know about the presenting screen.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Slide {
    pub lesson: String,
    pub lesson_title: String,
    /// 1-based.
    pub step: usize,
    pub steps: usize,
    pub title: String,
    pub notes: Vec<String>,
    pub next_title: Option<String>,
    /// The presenter's language (`en`, `zh`).
    pub lang: String,
    /// Time on this lesson so far, when the slide was sent.
    pub elapsed_ms: u64,
}

impl App {
    /// The slide on screen, when presenting a lesson.
    pub fn slide(&self) -> Option<Slide> {
        let Screen::Lesson(l) = &self.screen else {
            return None;
        };
        if !self.present {
            return None;
        }
        let lesson = self.catalog.find(&l.id)?.get(self.lang);
        let step = lesson.steps.get(l.step)?;
        Some(Slide {
            lesson: lesson.id.clone(),
            lesson_title: format!("{}. {}", lesson.order, lesson.title),
            step: l.step + 1,
            steps: lesson.steps.len(),
            title: step.title.clone(),
            notes: step.notes.clone(),
            next_title: lesson.steps.get(l.step + 1).map(|s| s.title.clone()),
            lang: self.lang.code().to_string(),
            elapsed_ms: self
                .clock_override
                .unwrap_or_else(|| l.opened_at.elapsed())
                .as_millis() as u64,
        })
    }
}

impl App {
    /// The notes socket could not be made: presenting goes on without it.
    pub fn present_notes_failed(&mut self, error: String) {
        let dir = socket_dir().display().to_string();
        self.notices.push(crate::i18n::Notice::Text(crate::tr!(
            "speaker notes are off (concur --notes cannot follow): no socket in {dir}: {error}",
            "演讲者备注不可用（concur --notes 无法跟随）：无法在 {dir} 创建套接字：{error}"
        )));
    }
}

impl Slide {
    /// The same slide, whatever the time.
    pub fn same_place(&self, other: &Slide) -> bool {
        Slide {
            elapsed_ms: 0,
            ..self.clone()
        } == Slide {
            elapsed_ms: 0,
            ..other.clone()
        }
    }
}

/// The folder the socket goes in: the user's runtime dir, else the temp dir.
pub fn socket_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

const PREFIX: &str = "concur-notes-";
const SUFFIX: &str = ".sock";

/// The socket of the presenting app with process id `pid`.
pub fn socket_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("{PREFIX}{pid}{SUFFIX}"))
}

/// The process id in a socket's name, if it is one of ours.
fn socket_pid(path: &Path) -> Option<i32> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix(PREFIX)?
        .strip_suffix(SUFFIX)?
        .parse()
        .ok()
}

fn alive(pid: i32) -> bool {
    // Signal 0 checks that the process exists without touching it.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}

/// The newest socket of a presenting app that is still running.
pub fn find_presenter(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| socket_pid(p).is_some_and(alive))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

/// The presenting side: a listener thread that takes notes views as they
/// connect, and the slide sent to each of them whenever it changes.
pub struct NotesServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    clients: Arc<Mutex<Clients>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Clients {
    streams: Vec<UnixStream>,
    /// The last slide, for a view that connects later.
    last: Option<String>,
}

/// How long a write to a notes view may take before that view is dropped
/// (the presenting screen never waits on it).
const WRITE_WAIT: Duration = Duration::from_millis(20);

impl NotesServer {
    /// Binds `socket_path(dir, our pid)`; a stale socket of ours (a reused
    /// pid) is replaced.
    pub fn start(dir: &Path) -> std::io::Result<NotesServer> {
        let path = socket_path(dir, std::process::id());
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let stop = Arc::new(AtomicBool::new(false));
        let clients = Arc::new(Mutex::new(Clients::default()));
        let (s, c) = (stop.clone(), clients.clone());
        let thread = std::thread::Builder::new()
            .name("concur-notes".into())
            .spawn(move || accept_loop(listener, s, c))?;
        Ok(NotesServer {
            path,
            stop,
            clients,
            thread: Some(thread),
        })
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends `slide` to every notes view; a view that cannot take it is
    /// dropped.
    pub fn publish(&self, slide: &Slide) {
        let Ok(mut line) = serde_json::to_string(slide) else {
            return;
        };
        line.push('\n');
        let Ok(mut c) = self.clients.lock() else {
            return;
        };
        c.streams
            .retain_mut(|s| s.write_all(line.as_bytes()).and_then(|_| s.flush()).is_ok());
        c.last = Some(line);
    }
}

fn accept_loop(listener: UnixListener, stop: Arc<AtomicBool>, clients: Arc<Mutex<Clients>>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_write_timeout(Some(WRITE_WAIT));
        let Ok(mut c) = clients.lock() else { break };
        if let Some(last) = &c.last
            && stream.write_all(last.as_bytes()).is_err()
        {
            continue;
        }
        c.streams.push(stream);
    }
}

impl Drop for NotesServer {
    /// Stops the listener (a connection of our own wakes its accept) and
    /// removes the socket.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // If the socket file was removed behind our back, nothing can wake
        // the accept: the thread is left to end with the process.
        let woke = UnixStream::connect(&self.path).is_ok();
        if let Some(t) = self.thread.take()
            && woke
        {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The notes view's side: slides as they arrive, one JSON object per line
/// (a line it cannot read is skipped: a newer concur may send more).
pub fn slides(stream: UnixStream) -> impl Iterator<Item = Slide> {
    BufReader::new(stream)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
}

/// The local time of day, `HH:MM`.
pub fn wall_clock() -> String {
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    // localtime_r reads the time zone ($TZ, /etc/localtime) itself.
    let ok = !unsafe { libc::localtime_r(&now, &mut tm) }.is_null();
    if ok {
        format!("{:02}:{:02}", tm.tm_hour, tm.tm_min)
    } else {
        "--:--".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notes_view_gets_the_slide_and_the_socket_goes_with_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let server = NotesServer::start(dir.path()).unwrap();
        let path = server.path().to_path_buf();
        assert_eq!(find_presenter(dir.path()), Some(path.clone()));
        let first = Slide {
            lesson: "x".into(),
            title: "One".into(),
            step: 1,
            steps: 2,
            notes: vec!["say hello".into()],
            next_title: Some("Two".into()),
            ..Slide::default()
        };
        // Published before the view connects: it gets the last slide first.
        server.publish(&first);
        let mut slides = slides(UnixStream::connect(&path).unwrap());
        assert_eq!(slides.next(), Some(first.clone()));
        let second = Slide {
            step: 2,
            title: "Two".into(),
            next_title: None,
            ..first
        };
        server.publish(&second);
        assert_eq!(slides.next(), Some(second));
        drop(server);
        assert!(!path.exists(), "the socket is removed");
        assert_eq!(slides.next(), None, "the view sees the end");
        assert_eq!(find_presenter(dir.path()), None);
    }

    #[test]
    fn the_wall_clock_reads_hours_and_minutes() {
        let t = wall_clock();
        assert_eq!(t.len(), 5, "{t}");
        assert_eq!(&t[2..3], ":");
    }
}

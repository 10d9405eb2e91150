//! What both servers share: the index, the deliberate blocking handler, the
//! log of queries, and the count of the OS threads that ran server code.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::ThreadId;
use std::time::Duration;

use super::index::Index;
use super::proto::{self, Line};
use crate::demo::{Cancel, Clock, LaneSink};
use crate::i18n::LocalText;
use crate::tr;

/// Pending connections the kernel keeps for a listener: the load generator
/// connects hundreds at once.
const BACKLOG: i32 = 1024;

pub struct Service {
    pub index: &'static Index,
    /// The handler of the load's first client sleeps this long, blocking
    /// its thread, before every answer (`f`); zero: never.
    pub block: Duration,
    /// That connection's number (none until the load starts).
    blocked: AtomicU64,
    pub clock: Clock,
    pub cancel: Cancel,
    pub sink: LaneSink,
    /// The line connections the load made: from the first one's number
    /// (`blocked`) to this one, not included. Their queries (a thousand a
    /// second) are not logged.
    load_end: AtomicU64,
    next_conn: AtomicU64,
    /// Threads serving right now (thread per connection).
    pub live_threads: AtomicUsize,
    /// Threads that ever ran a handler (the event loop).
    pub ran_on: Mutex<HashSet<ThreadId>>,
    /// Connections the server could not serve (no thread could be started...).
    pub refused: AtomicU64,
}

impl Service {
    pub fn new(
        index: &'static Index,
        block: Duration,
        clock: Clock,
        cancel: Cancel,
        sink: LaneSink,
    ) -> Self {
        Service {
            index,
            block,
            clock,
            cancel,
            sink,
            load_end: AtomicU64::new(u64::MAX),
            blocked: AtomicU64::new(u64::MAX),
            next_conn: AtomicU64::new(0),
            live_threads: AtomicUsize::new(0),
            ran_on: Mutex::default(),
            refused: AtomicU64::new(0),
        }
    }

    /// A new line connection's number.
    pub fn next_conn(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::SeqCst)
    }

    /// The load begins: its first client (it connects alone, before the
    /// others) gets the next number, and with `block` the slow handler.
    /// Queries are not logged while it runs.
    pub fn load_starts(&self) {
        let first = self.next_conn.load(Ordering::SeqCst);
        self.blocked.store(first, Ordering::SeqCst);
    }

    /// The load has closed its connections; later ones are people's.
    pub fn load_ends(&self) {
        let end = self.next_conn.load(Ordering::SeqCst);
        self.load_end.store(end, Ordering::SeqCst);
    }

    fn is_load_conn(&self, conn: u64) -> bool {
        let start = self.blocked.load(Ordering::SeqCst);
        start <= conn && conn < self.load_end.load(Ordering::SeqCst)
    }

    /// Notes that this OS thread runs server code.
    pub fn ran_here(&self) {
        let id = std::thread::current().id();
        self.ran_on
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id);
    }

    pub fn threads_ran(&self) -> usize {
        self.ran_on.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The answer to one line; `None` ends the session. The load's first
    /// client's handler first sleeps, blocking its thread, when `block` is set.
    pub fn answer_line(&self, conn: u64, peer: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
        let Line::Query(query) = proto::parse_line(bytes) else {
            return None;
        };
        if conn == self.blocked.load(Ordering::SeqCst) && !self.block.is_zero() {
            // A blocking call, on purpose: time.sleep() in a coroutine.
            let _ = self.clock.sleep_blocking(self.block, &self.cancel);
        }
        let (reply, found) = proto::line_reply(self.index, &query);
        if !self.is_load_conn(conn) && !query.is_empty() {
            self.sink.log(tr!(
                "{peer} ?> {query} → {found} found",
                "{peer} ?> {query} → 找到 {found} 个"
            ));
        }
        Some(reply)
    }

    pub fn answer_http(&self, peer: SocketAddr, head: &[u8]) -> Vec<u8> {
        let (reply, query) = proto::http_reply(self.index, head);
        {
            let line = head.split(|b| *b == b'\r').next().unwrap_or(b"");
            let line = String::from_utf8_lossy(line);
            self.sink.log(LocalText::same(format!(
                "{peer} HTTP {line}{}",
                query.map(|q| format!(" ({q})")).unwrap_or_default()
            )));
        }
        reply
    }
}

/// Binds 127.0.0.1 on a port the OS picks, with room for a crowd of
/// pending connections.
pub fn listen() -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    // SAFETY: listen() again on a listening socket we own only changes its
    // backlog.
    unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) };
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

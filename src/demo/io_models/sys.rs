//! The system calls the servers make, through wrappers that count them,
//! count the ones that found nothing to do, and trace them for the log.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::demo::LaneSink;

/// What a model's server threads did, summed.
#[derive(Default)]
pub struct Counters {
    pub syscalls: AtomicU64,
    pub wasted: AtomicU64,
    pub wakeups: AtomicU64,
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
    pub cpu_ns: AtomicU64,
    pub threads: AtomicU64,
    pub sigio: AtomicU64,
    pub submissions: AtomicU64,
    pub completions: AtomicU64,
}

impl Counters {
    pub fn get(&self, c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    pub fn add(&self, c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// At most this many trace lines per window of demo time; the rest are
/// counted and summarised, so a spinning server cannot flood the log.
const TRACE_LINES: u32 = 8;
const TRACE_WINDOW: Duration = Duration::from_millis(250);

struct TraceState {
    window_start: Duration,
    shown: u32,
    hidden: u64,
}

pub struct Sys<'a> {
    pub c: &'a Counters,
    sink: LaneSink,
    clock: crate::demo::Clock,
    trace: &'a Mutex<TraceState>,
}

pub struct Tracer(Mutex<TraceState>);

impl Default for Tracer {
    fn default() -> Self {
        Tracer(Mutex::new(TraceState {
            window_start: Duration::ZERO,
            shown: 0,
            hidden: 0,
        }))
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub fn errno_name(e: i32) -> &'static str {
    match e {
        libc::EAGAIN => "EAGAIN",
        libc::EINTR => "EINTR",
        libc::ECONNRESET => "ECONNRESET",
        libc::EPIPE => "EPIPE",
        libc::EBADF => "EBADF",
        libc::ETIME => "ETIME",
        _ => "error",
    }
}

pub use crate::demo::cpu::thread_cpu;

impl<'a> Sys<'a> {
    pub fn new(c: &'a Counters, tracer: &'a Tracer, lane: &crate::demo::LaneCtx) -> Sys<'a> {
        Sys {
            c,
            sink: lane.sink.clone(),
            clock: lane.clock.clone(),
            trace: &tracer.0,
        }
    }

    /// Counts one call and traces it: `read(7) = 32`, `read(8) = -1 EAGAIN`.
    pub fn record(&self, call: &str, ret: isize, err: i32) {
        self.c.add(&self.c.syscalls, 1);
        let nothing = ret < 0 && (err == libc::EAGAIN || err == libc::ETIME);
        if nothing {
            self.c.add(&self.c.wasted, 1);
        }
        let mut t = self.trace.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        if now.saturating_sub(t.window_start) >= TRACE_WINDOW {
            if t.hidden > 0 {
                let more = t.hidden;
                self.sink.log(crate::tr!(
                    "  … and {more} more calls",
                    "  ……还有 {more} 次调用"
                ));
            }
            t.window_start = now;
            t.shown = 0;
            t.hidden = 0;
        }
        if t.shown < TRACE_LINES {
            t.shown += 1;
            let line = if ret < 0 {
                format!("{call} = -1 {}", errno_name(err))
            } else {
                format!("{call} = {ret}")
            };
            self.sink.log(crate::i18n::LocalText::same(line));
        } else {
            t.hidden += 1;
        }
    }

    pub fn read(&self, fd: RawFd, buf: &mut [u8]) -> isize {
        // SAFETY: buf is valid for buf.len() bytes.
        let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        self.record(&format!("read({fd})"), r, if r < 0 { errno() } else { 0 });
        if r > 0 {
            self.c.add(&self.c.bytes, r as u64);
        }
        r
    }

    /// Reads the wake-up pipe: a system call, but no request bytes.
    pub fn read_wake(&self, fd: RawFd, buf: &mut [u8]) -> isize {
        // SAFETY: buf is valid for buf.len() bytes.
        let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        self.record(&format!("read({fd})"), r, if r < 0 { errno() } else { 0 });
        r
    }

    pub fn write(&self, fd: RawFd, buf: &[u8]) -> isize {
        // SAFETY: buf is valid for buf.len() bytes.
        let r = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        self.record(&format!("write({fd})"), r, if r < 0 { errno() } else { 0 });
        if r > 0 {
            self.c.add(&self.c.bytes, r as u64);
        }
        r
    }

    /// Writes all of `buf`, retrying after EAGAIN (non-blocking sockets).
    pub fn write_all(&self, fd: RawFd, mut buf: &[u8]) -> bool {
        while !buf.is_empty() {
            match self.write(fd, buf) {
                n if n > 0 => buf = &buf[n as usize..],
                _ if errno() == libc::EAGAIN => std::thread::yield_now(),
                _ => return false,
            }
        }
        true
    }

    /// A new connection, owned: it is closed when dropped.
    pub fn accept(&self, fd: RawFd) -> Option<OwnedFd> {
        // SAFETY: null address pointers are allowed; the new fd is ours.
        let r = unsafe {
            libc::accept4(
                fd,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            )
        };
        self.record(
            &format!("accept({fd})"),
            r as isize,
            if r < 0 { errno() } else { 0 },
        );
        // SAFETY: accept4 returned a new descriptor nobody else owns.
        (r >= 0).then(|| unsafe { OwnedFd::from_raw_fd(r) })
    }

    pub fn epoll_wait(
        &self,
        ep: RawFd,
        events: &mut [libc::epoll_event],
        timeout_ms: i32,
    ) -> isize {
        // SAFETY: events is valid for events.len() entries.
        let r =
            unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, timeout_ms) };
        self.c.add(&self.c.wakeups, 1);
        let err = if r < 0 { errno() } else { 0 };
        // A wait that came back with nothing ready found nothing to do.
        let shown = if r == 0 { -1 } else { r as isize };
        self.record(
            &format!("epoll_wait({ep})"),
            shown,
            if r == 0 { libc::ETIME } else { err },
        );
        r as isize
    }

    pub fn recvfrom(&self, fd: RawFd, buf: &mut [u8], from: &mut libc::sockaddr_storage) -> isize {
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: buf and from are valid for their sizes.
        let r = unsafe {
            libc::recvfrom(
                fd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (from as *mut libc::sockaddr_storage).cast(),
                &mut len,
            )
        };
        self.record(
            &format!("recvfrom({fd})"),
            r,
            if r < 0 { errno() } else { 0 },
        );
        if r > 0 {
            self.c.add(&self.c.bytes, r as u64);
        }
        r
    }

    pub fn sendto(&self, fd: RawFd, buf: &[u8], to: &libc::sockaddr_storage) -> isize {
        let len = if to.ss_family as i32 == libc::AF_INET6 {
            std::mem::size_of::<libc::sockaddr_in6>()
        } else {
            std::mem::size_of::<libc::sockaddr_in>()
        } as libc::socklen_t;
        // SAFETY: buf and to are valid.
        let r = unsafe {
            libc::sendto(
                fd,
                buf.as_ptr().cast(),
                buf.len(),
                0,
                (to as *const libc::sockaddr_storage).cast(),
                len,
            )
        };
        self.record(&format!("sendto({fd})"), r, if r < 0 { errno() } else { 0 });
        if r > 0 {
            self.c.add(&self.c.bytes, r as u64);
        }
        r
    }
}

pub fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
}

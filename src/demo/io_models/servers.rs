//! The same echo-upper-case service, served five ways.

use std::collections::HashMap;
use std::net::{TcpListener, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::sys::{Counters, Sys, Tracer, set_nonblocking, thread_cpu};
use super::workload::{Load, MSG, reply};
use crate::demo::lane::{LaneResult, thread_name};
use crate::demo::{ErrorReport, LaneCtx, LaneError};

/// How long a server waits in one call before it looks at the stop signal.
const STOP_CHECK: Duration = Duration::from_millis(100);

fn failed(what: &str, e: &std::io::Error) -> LaneError {
    let mut report = ErrorReport::from_error(e);
    report.message = format!("{what}: {}", report.message);
    LaneError::Failed(report)
}

/// Requests that have arrived but are not yet answered, per connection.
#[derive(Default)]
struct Pending(Vec<u8>);

impl Pending {
    /// Adds bytes; returns the replies for every complete request.
    fn take(&mut self, bytes: &[u8]) -> Vec<[u8; MSG]> {
        self.0.extend_from_slice(bytes);
        let full = self.0.len() / MSG * MSG;
        let replies = self.0[..full].chunks(MSG).map(reply).collect();
        self.0.drain(..full);
        replies
    }
}

fn finish_thread(c: &Counters) {
    c.add(&c.cpu_ns, thread_cpu().as_nanos() as u64);
}

fn serve_blocking_conn(sys: &Sys<'_>, conn: OwnedFd) {
    let fd = conn.as_raw_fd();
    let mut buf = [0u8; 1024];
    let mut pending = Pending::default();
    loop {
        let n = sys.read(fd, &mut buf);
        sys.c.add(&sys.c.wakeups, 1);
        if n <= 0 {
            return;
        }
        for r in pending.take(&buf[..n as usize]) {
            if !sys.write_all(fd, &r) {
                return;
            }
            sys.c.add(&sys.c.requests, 1);
        }
    }
}

/// One thread per connection, every call blocking.
pub fn blocking(
    listener: TcpListener,
    load: Load,
    lane: &LaneCtx,
    c: &Counters,
    t: &Tracer,
) -> LaneResult {
    // Accept waits at most this long, so a stop is noticed.
    let _ = socket_timeout(listener.as_raw_fd(), STOP_CHECK);
    let lfd = listener.as_raw_fd();
    let sys = Sys::new(c, t, lane);
    c.add(&c.threads, 1);
    let result = std::thread::scope(|scope| {
        let mut accepted = 0;
        while accepted < load.clients {
            lane.cancel.check()?;
            let accept = sys.accept(lfd);
            c.add(&c.wakeups, 1);
            let Some(conn) = accept else {
                continue;
            };
            accepted += 1;
            c.add(&c.threads, 1);
            let lane2 = lane.clone();
            std::thread::Builder::new()
                .name(thread_name("io-models", &format!("conn-{accepted}")))
                .spawn_scoped(scope, move || {
                    let sys = Sys::new(c, t, &lane2);
                    serve_blocking_conn(&sys, conn);
                    finish_thread(c);
                })
                .map_err(|e| failed("starting a connection's thread", &e))?;
        }
        Ok(())
    });
    finish_thread(c);
    result
}

fn socket_timeout(fd: RawFd, d: Duration) -> i32 {
    let tv = libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: setsockopt with a timeval we own.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    }
}

/// One thread, non-blocking sockets, asking each one again and again.
pub fn nonblocking(
    listener: TcpListener,
    load: Load,
    lane: &LaneCtx,
    c: &Counters,
    t: &Tracer,
) -> LaneResult {
    let lfd = listener.as_raw_fd();
    set_nonblocking(lfd);
    let sys = Sys::new(c, t, lane);
    c.add(&c.threads, 1);
    let mut conns: Vec<(OwnedFd, Pending)> = Vec::new();
    let mut accepted = 0;
    let mut buf = [0u8; 1024];
    let result = loop {
        if let Err(e) = lane.cancel.check() {
            break Err(e.into());
        }
        if accepted < load.clients {
            if let Some(conn) = sys.accept(lfd) {
                set_nonblocking(conn.as_raw_fd());
                conns.push((conn, Pending::default()));
                accepted += 1;
            }
        } else if conns.is_empty() {
            break Ok(());
        }
        let mut closed = Vec::new();
        for (i, (conn, pending)) in conns.iter_mut().enumerate() {
            let fd = conn.as_raw_fd();
            let n = sys.read(fd, &mut buf);
            if n == 0
                || (n < 0
                    && std::io::Error::last_os_error().kind() != std::io::ErrorKind::WouldBlock)
            {
                closed.push(i);
                continue;
            }
            if n > 0 {
                for r in pending.take(&buf[..n as usize]) {
                    sys.write_all(fd, &r);
                    c.add(&c.requests, 1);
                }
            }
        }
        for i in closed.into_iter().rev() {
            conns.remove(i);
        }
    };
    drop(conns);
    finish_thread(c);
    result
}

/// One thread asleep in epoll_wait until some sockets are ready.
pub fn epoll(
    listener: TcpListener,
    load: Load,
    lane: &LaneCtx,
    c: &Counters,
    t: &Tracer,
) -> LaneResult {
    let lfd = listener.as_raw_fd();
    set_nonblocking(lfd);
    let sys = Sys::new(c, t, lane);
    c.add(&c.threads, 1);
    // SAFETY: epoll_create1 has no memory effects.
    let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if raw < 0 {
        return Err(failed("epoll_create1", &std::io::Error::last_os_error()));
    }
    // SAFETY: a new descriptor nobody else owns; closed when dropped.
    let epoll = unsafe { OwnedFd::from_raw_fd(raw) };
    let ep = epoll.as_raw_fd();
    let add = |fd: RawFd| {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: fd as u64,
        };
        // SAFETY: see above.
        let r = unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) };
        sys.record(&format!("epoll_ctl(ADD, {fd})"), r as isize, 0);
    };
    add(lfd);
    let mut conns: HashMap<RawFd, (OwnedFd, Pending)> = HashMap::new();
    let mut accepted = 0;
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 64];
    let mut buf = [0u8; 1024];
    let result = loop {
        if let Err(e) = lane.cancel.check() {
            break Err(e.into());
        }
        if accepted == load.clients && conns.is_empty() {
            break Ok(());
        }
        let n = sys.epoll_wait(ep, &mut events, STOP_CHECK.as_millis() as i32);
        for ev in events.iter().take(n.max(0) as usize) {
            let fd = ev.u64 as RawFd;
            if fd == lfd {
                if let Some(conn) = sys.accept(lfd) {
                    let cfd = conn.as_raw_fd();
                    set_nonblocking(cfd);
                    add(cfd);
                    conns.insert(cfd, (conn, Pending::default()));
                    accepted += 1;
                }
                continue;
            }
            let n = sys.read(fd, &mut buf);
            if n <= 0 {
                if n == 0
                    || std::io::Error::last_os_error().kind() != std::io::ErrorKind::WouldBlock
                {
                    // Dropping it closes it (and takes it out of epoll).
                    conns.remove(&fd);
                }
                continue;
            }
            if let Some((_, p)) = conns.get_mut(&fd) {
                for r in p.take(&buf[..n as usize]) {
                    sys.write_all(fd, &r);
                    c.add(&c.requests, 1);
                }
            }
        }
    };
    drop(conns);
    drop(epoll);
    finish_thread(c);
    result
}

/// SIGIO tells the thread when datagrams have arrived (a pipe written by the
/// signal handler wakes it); it then reads until EAGAIN.
pub fn signal(sock: UdpSocket, load: Load, lane: &LaneCtx, c: &Counters, t: &Tracer) -> LaneResult {
    let fd = sock.as_raw_fd();
    let sys = Sys::new(c, t, lane);
    c.add(&c.threads, 1);
    let (mut wake_rx, wake_tx) = std::os::unix::net::UnixStream::pair()
        .map_err(|e| failed("socketpair for the SIGIO handler", &e))?;
    let _ = wake_rx.set_read_timeout(Some(STOP_CHECK));
    let id = signal_hook::low_level::pipe::register(libc::SIGIO, wake_tx)
        .map_err(|e| failed("registering a SIGIO handler", &e))?;
    set_nonblocking(fd);
    // SAFETY: fcntl on our socket: deliver SIGIO to this process.
    unsafe {
        libc::fcntl(fd, libc::F_SETOWN, libc::getpid());
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_ASYNC);
    }
    sys.record(&format!("fcntl({fd}, F_SETFL, O_ASYNC)"), 0, 0);
    let total = load.clients * load.requests;
    // Clients resend what they think was lost: count each request once.
    let mut seen = std::collections::HashSet::new();
    let mut buf = [0u8; 512];
    let mut wake = [0u8; 64];
    let result = loop {
        if let Err(e) = lane.cancel.check() {
            break Err(e.into());
        }
        if seen.len() >= total {
            break Ok(());
        }
        // Asleep until the handler writes: one byte per SIGIO it caught.
        let n = sys.read_wake(wake_rx.as_raw_fd(), &mut wake);
        c.add(&c.wakeups, 1);
        if n > 0 {
            c.add(&c.sigio, n as u64);
        }
        loop {
            // SAFETY: zeroed sockaddr_storage is a valid empty address.
            let mut from: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
            let n = sys.recvfrom(fd, &mut buf, &mut from);
            if n <= 0 {
                break;
            }
            if n as usize == MSG {
                let r = reply(&buf[..MSG]);
                sys.sendto(fd, &r, &from);
                c.add(&c.requests, 1);
                seen.insert(buf[..MSG].to_vec());
            }
        }
    };
    // Switch the signal off before giving the handler back.
    // SAFETY: fcntl on our socket.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl & !libc::O_ASYNC);
    }
    drop(sock);
    signal_hook::low_level::unregister(id);
    drop(std::io::Read::read(&mut wake_rx, &mut wake));
    finish_thread(c);
    result
}

/// One io_uring connection: buffers that must live until their completions.
struct UringConn {
    fd: OwnedFd,
    buf: Box<[u8; 512]>,
    pending: Pending,
    out: Option<Box<[u8]>>,
}

/// Requests submitted to io_uring; the kernel completes them.
pub fn io_uring(
    listener: TcpListener,
    load: Load,
    lane: &LaneCtx,
    c: &Counters,
    t: &Tracer,
) -> LaneResult {
    use io_uring::{IoUring, opcode, types};
    let sys = Sys::new(c, t, lane);
    let mut ring = IoUring::new(64).map_err(|e| failed("io_uring_setup", &e))?;
    c.add(&c.threads, 1);
    let lfd = listener.as_raw_fd();
    const ACCEPT: u64 = u64::MAX;
    // Per connection: the buffers the kernel reads into and writes from.
    let mut bufs: HashMap<u64, UringConn> = HashMap::new();
    let mut next_id = 0u64;
    let mut accepted = 0;
    let mut open = 0;
    let submit = |ring: &mut IoUring, entry: io_uring::squeue::Entry, what: String| {
        // SAFETY: the buffers an entry points to live in `bufs` until its completion.
        unsafe {
            let _ = ring.submission().push(&entry);
        }
        c.add(&c.submissions, 1);
        sys.record(&format!("submit {what}"), 0, 0);
    };
    submit(
        &mut ring,
        opcode::Accept::new(types::Fd(lfd), std::ptr::null_mut(), std::ptr::null_mut())
            .build()
            .user_data(ACCEPT),
        "accept".into(),
    );
    let ts = types::Timespec::new().nsec(STOP_CHECK.as_nanos() as u32);
    let result = loop {
        if let Err(e) = lane.cancel.check() {
            break Err(e.into());
        }
        if accepted == load.clients && open == 0 {
            break Ok(());
        }
        let args = types::SubmitArgs::new().timespec(&ts);
        let r = ring.submitter().submit_with_args(1, &args);
        c.add(&c.wakeups, 1);
        let r = match r {
            Ok(n) => n as isize,
            Err(e) => {
                sys.record("io_uring_enter", -1, e.raw_os_error().unwrap_or(0));
                if e.raw_os_error() == Some(libc::ETIME) || e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                break Err(failed("io_uring_enter", &e));
            }
        };
        sys.record("io_uring_enter(wait 1)", r, 0);
        let done: Vec<(u64, i32)> = ring
            .completion()
            .map(|cqe| (cqe.user_data(), cqe.result()))
            .collect();
        for (ud, res) in done {
            c.add(&c.completions, 1);
            if ud == ACCEPT {
                if res >= 0 {
                    accepted += 1;
                    open += 1;
                    next_id += 1;
                    let mut buf = Box::new([0u8; 512]);
                    let recv = opcode::Recv::new(types::Fd(res), buf.as_mut_ptr(), 512)
                        .build()
                        .user_data(next_id << 1);
                    bufs.insert(
                        next_id,
                        UringConn {
                            // SAFETY: the accept completion hands us a new
                            // descriptor nobody else owns.
                            fd: unsafe { OwnedFd::from_raw_fd(res) },
                            buf,
                            pending: Pending::default(),
                            out: None,
                        },
                    );
                    submit(&mut ring, recv, format!("recv({res})"));
                    if accepted < load.clients {
                        submit(
                            &mut ring,
                            opcode::Accept::new(
                                types::Fd(lfd),
                                std::ptr::null_mut(),
                                std::ptr::null_mut(),
                            )
                            .build()
                            .user_data(ACCEPT),
                            "accept".into(),
                        );
                    }
                }
                continue;
            }
            let (id, is_send) = (ud >> 1, ud & 1 == 1);
            let Some(entry) = bufs.get_mut(&id) else {
                continue;
            };
            let fd = entry.fd.as_raw_fd();
            if is_send {
                // The reply went out: wait for the next request.
                entry.out = None;
                let recv = opcode::Recv::new(types::Fd(fd), entry.buf.as_mut_ptr(), 512)
                    .build()
                    .user_data(id << 1);
                submit(&mut ring, recv, format!("recv({fd})"));
                continue;
            }
            if res <= 0 {
                bufs.remove(&id);
                open -= 1;
                continue;
            }
            c.add(&c.bytes, res as u64);
            let replies = entry.pending.take(&entry.buf[..res as usize]);
            if replies.is_empty() {
                let recv = opcode::Recv::new(types::Fd(fd), entry.buf.as_mut_ptr(), 512)
                    .build()
                    .user_data(id << 1);
                submit(&mut ring, recv, format!("recv({fd})"));
                continue;
            }
            c.add(&c.requests, replies.len() as u64);
            let out: Box<[u8]> = replies.concat().into_boxed_slice();
            c.add(&c.bytes, out.len() as u64);
            let send = opcode::Send::new(types::Fd(fd), out.as_ptr(), out.len() as u32)
                .build()
                .user_data((id << 1) | 1);
            entry.out = Some(out);
            submit(&mut ring, send, format!("send({fd})"));
        }
    };
    // Dropping the ring cancels whatever is still in flight; then the
    // connections and the listener close as they drop.
    drop(ring);
    drop(bufs);
    drop(listener);
    finish_thread(c);
    result
}

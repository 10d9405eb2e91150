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

/// `user_data` of the accept entry; a connection's entries carry its id
/// shifted left, with the low bit set for a send.
const ACCEPT: u64 = u64::MAX;

/// The io_uring server's state: the ring and, per connection, the buffers
/// the kernel reads into and writes from.
struct Uring<'a> {
    ring: io_uring::IoUring,
    sys: &'a Sys<'a>,
    c: &'a Counters,
    lfd: RawFd,
    conns: HashMap<u64, UringConn>,
    next_id: u64,
    accepted: usize,
    open: usize,
}

impl Uring<'_> {
    fn submit(&mut self, entry: io_uring::squeue::Entry, what: String) {
        // SAFETY: the buffers an entry points to live in `conns` until its
        // completion (or until the ring is dropped, before `conns`).
        unsafe {
            let _ = self.ring.submission().push(&entry);
        }
        self.c.add(&self.c.submissions, 1);
        self.sys.record(&format!("submit {what}"), 0, 0);
    }

    fn submit_accept(&mut self) {
        use io_uring::{opcode, types};
        let entry = opcode::Accept::new(
            types::Fd(self.lfd),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
        .build()
        .user_data(ACCEPT);
        self.submit(entry, "accept".into());
    }

    fn submit_recv(&mut self, id: u64) {
        use io_uring::{opcode, types};
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let fd = conn.fd.as_raw_fd();
        let entry = opcode::Recv::new(types::Fd(fd), conn.buf.as_mut_ptr(), 512)
            .build()
            .user_data(id << 1);
        self.submit(entry, format!("recv({fd})"));
    }

    fn on_accept(&mut self, res: i32, clients: usize) {
        if res < 0 {
            return;
        }
        self.accepted += 1;
        self.open += 1;
        self.next_id += 1;
        let conn = UringConn {
            // SAFETY: the accept completion hands us a new descriptor
            // nobody else owns.
            fd: unsafe { OwnedFd::from_raw_fd(res) },
            buf: Box::new([0u8; 512]),
            pending: Pending::default(),
            out: None,
        };
        self.conns.insert(self.next_id, conn);
        self.submit_recv(self.next_id);
        if self.accepted < clients {
            self.submit_accept();
        }
    }

    fn on_recv(&mut self, id: u64, res: i32) {
        use io_uring::{opcode, types};
        if res <= 0 {
            // Closed (or failed): dropping the connection closes it.
            self.conns.remove(&id);
            self.open -= 1;
            return;
        }
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        self.c.add(&self.c.bytes, res as u64);
        let replies = conn.pending.take(&conn.buf[..res as usize]);
        if replies.is_empty() {
            self.submit_recv(id);
            return;
        }
        self.c.add(&self.c.requests, replies.len() as u64);
        let out: Box<[u8]> = replies.concat().into_boxed_slice();
        self.c.add(&self.c.bytes, out.len() as u64);
        let fd = conn.fd.as_raw_fd();
        let entry = opcode::Send::new(types::Fd(fd), out.as_ptr(), out.len() as u32)
            .build()
            .user_data((id << 1) | 1);
        conn.out = Some(out);
        self.submit(entry, format!("send({fd})"));
    }

    /// The reply went out: wait for the next request.
    fn on_send(&mut self, id: u64) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.out = None;
        }
        self.submit_recv(id);
    }
}

/// Requests submitted to io_uring; the kernel completes them.
pub fn io_uring(
    listener: TcpListener,
    load: Load,
    lane: &LaneCtx,
    c: &Counters,
    t: &Tracer,
) -> LaneResult {
    use io_uring::types;
    let sys = Sys::new(c, t, lane);
    let ring = io_uring::IoUring::new(64).map_err(|e| failed("io_uring_setup", &e))?;
    c.add(&c.threads, 1);
    let mut u = Uring {
        ring,
        sys: &sys,
        c,
        lfd: listener.as_raw_fd(),
        conns: HashMap::new(),
        next_id: 0,
        accepted: 0,
        open: 0,
    };
    u.submit_accept();
    let ts = types::Timespec::new().nsec(STOP_CHECK.as_nanos() as u32);
    let result = loop {
        if let Err(e) = lane.cancel.check() {
            break Err(e.into());
        }
        if u.accepted == load.clients && u.open == 0 {
            break Ok(());
        }
        let args = types::SubmitArgs::new().timespec(&ts);
        let r = u.ring.submitter().submit_with_args(1, &args);
        c.add(&c.wakeups, 1);
        match r {
            Ok(n) => sys.record("io_uring_enter(wait 1)", n as isize, 0),
            Err(e) => {
                sys.record("io_uring_enter", -1, e.raw_os_error().unwrap_or(0));
                if matches!(e.raw_os_error(), Some(libc::ETIME | libc::EINTR)) {
                    continue;
                }
                break Err(failed("io_uring_enter", &e));
            }
        }
        let done: Vec<(u64, i32)> = u
            .ring
            .completion()
            .map(|cqe| (cqe.user_data(), cqe.result()))
            .collect();
        for (ud, res) in done {
            c.add(&c.completions, 1);
            match (ud == ACCEPT, ud & 1 == 1) {
                (true, _) => u.on_accept(res, load.clients),
                (false, true) => u.on_send(ud >> 1),
                (false, false) => u.on_recv(ud >> 1, res),
            }
        }
    };
    // Dropping the ring cancels whatever is still in flight; then the
    // connections and the listener close as they drop.
    let Uring { ring, conns, .. } = u;
    drop(ring);
    drop(conns);
    drop(listener);
    finish_thread(c);
    result
}

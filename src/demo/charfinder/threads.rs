//! The finder, one OS thread per connection (std::net, blocking reads).
//!
//! To stop, the acceptors notice a flag within [`ACCEPT_WAIT`] (accept
//! waits at most that long), and every connection still open is shut down,
//! which ends its thread's blocking read at once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::ID;
use super::proto;
use super::service::{Service, listen};
use crate::demo::lane::thread_name;
use crate::demo::{Cancel, Cancelled};
use crate::tr;

const ACCEPT_WAIT: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proto {
    Line,
    Http,
}

/// The connections being served, so a stop can end them.
#[derive(Default)]
struct Open {
    stopping: bool,
    next: u64,
    /// Each open connection's socket. A connection removes itself before it
    /// closes, so every descriptor here is still open.
    fds: HashMap<u64, RawFd>,
    handles: Vec<JoinHandle<()>>,
}

pub struct ThreadServer {
    pub line_addr: SocketAddr,
    pub http_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Open>>,
    acceptors: Vec<JoinHandle<()>>,
}

impl ThreadServer {
    pub fn start(svc: Arc<Service>) -> std::io::Result<ThreadServer> {
        let (line, line_addr) = listen()?;
        let (http, http_addr) = listen()?;
        let stop = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Open::default()));
        let mut server = ThreadServer {
            line_addr,
            http_addr,
            stop,
            open,
            acceptors: Vec::new(),
        };
        for (listener, proto) in [(line, Proto::Line), (http, Proto::Http)] {
            set_accept_wait(&listener);
            let (svc, stop, open) = (svc.clone(), server.stop.clone(), server.open.clone());
            let role = if proto == Proto::Line {
                "accept"
            } else {
                "accept-http"
            };
            let handle = std::thread::Builder::new()
                .name(thread_name(ID, role))
                .spawn(move || accept_loop(listener, proto, &svc, &stop, &open))?;
            server.acceptors.push(handle);
        }
        Ok(server)
    }

    /// Waits (5 s at most) until every connection's thread has ended, so
    /// the next lane measures its memory without this one's leftovers.
    pub fn settle(&self, cancel: &Cancel) -> Result<(), Cancelled> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let idle = {
                let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
                open.fds.is_empty() && open.handles.iter().all(|h| h.is_finished())
            };
            if idle || Instant::now() > deadline {
                reap(&self.open);
                return Ok(());
            }
            cancel.wait_for(Duration::from_millis(10))?;
        }
    }

    fn shut(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for a in self.acceptors.drain(..) {
            let _ = a.join();
        }
        let handles = {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            open.stopping = true;
            for fd in open.fds.values() {
                // SAFETY: the fd is open (see `Open::fds`); shutdown only
                // ends its blocked reads and writes.
                unsafe { libc::shutdown(*fd, libc::SHUT_RDWR) };
            }
            std::mem::take(&mut open.handles)
        };
        for h in handles {
            let _ = h.join();
        }
    }
}

impl Drop for ThreadServer {
    fn drop(&mut self) {
        self.shut();
    }
}

/// accept() returns after [`ACCEPT_WAIT`] even if nobody connects.
fn set_accept_wait(listener: &TcpListener) {
    let tv = libc::timeval {
        tv_sec: 0,
        tv_usec: ACCEPT_WAIT.as_micros() as libc::suseconds_t,
    };
    // SAFETY: setsockopt on a socket we own, with a timeval we own.
    unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

fn accept_loop(
    listener: TcpListener,
    proto: Proto,
    svc: &Arc<Service>,
    stop: &AtomicBool,
    open: &Arc<Mutex<Open>>,
) {
    svc.live_threads.fetch_add(1, Ordering::SeqCst);
    let mut told = false;
    while !stop.load(Ordering::SeqCst) && !svc.cancel.is_cancelled() {
        match listener.accept() {
            Ok((stream, peer)) => {
                if let Err(e) = spawn_conn(stream, peer, proto, svc, open) {
                    svc.refused.fetch_add(1, Ordering::SeqCst);
                    if !told {
                        told = true;
                        svc.sink.log(tr!(
                            "cannot start a thread for a connection: {e}",
                            "无法为连接启动线程：{e}"
                        ));
                    }
                }
            }
            // The wait ran out: a moment to join the threads that ended.
            Err(_) => reap(open),
        }
    }
    svc.live_threads.fetch_sub(1, Ordering::SeqCst);
}

fn reap(open: &Mutex<Open>) {
    let done: Vec<JoinHandle<()>> = {
        let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
        let (done, running) = std::mem::take(&mut open.handles)
            .into_iter()
            .partition(|h| h.is_finished());
        open.handles = running;
        done
    };
    for h in done {
        let _ = h.join();
    }
}

fn spawn_conn(
    stream: TcpStream,
    peer: SocketAddr,
    proto: Proto,
    svc: &Arc<Service>,
    open: &Arc<Mutex<Open>>,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    // An accepted socket inherits the listener's receive timeout: its
    // reads must block for as long as the client is silent.
    stream.set_read_timeout(None)?;
    let conn = if proto == Proto::Line {
        svc.next_conn()
    } else {
        u64::MAX
    };
    let mut guard = open.lock().unwrap_or_else(|e| e.into_inner());
    if guard.stopping {
        return Ok(());
    }
    let id = guard.next;
    guard.next += 1;
    guard.fds.insert(id, stream.as_raw_fd());
    let (svc2, open2) = (svc.clone(), open.clone());
    let spawned = std::thread::Builder::new()
        .name(thread_name(ID, "conn"))
        .spawn(move || {
            svc2.live_threads.fetch_add(1, Ordering::SeqCst);
            match proto {
                Proto::Line => serve_line(&stream, conn, peer, &svc2),
                Proto::Http => serve_http(&stream, peer, &svc2),
            }
            // Forget the descriptor before it closes (when `stream` drops).
            open2
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .fds
                .remove(&id);
            svc2.live_threads.fetch_sub(1, Ordering::SeqCst);
        });
    match spawned {
        Ok(handle) => {
            guard.handles.push(handle);
            Ok(())
        }
        Err(e) => {
            guard.fds.remove(&id);
            Err(e)
        }
    }
}

/// Prompt, read a line (blocking), answer, until the client goes.
fn serve_line(stream: &TcpStream, conn: u64, peer: SocketAddr, svc: &Service) {
    let mut out = stream;
    if out.write_all(proto::PROMPT).is_err() {
        return;
    }
    let mut reader = BufReader::with_capacity(1024, stream);
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        // A line longer than 4 KiB is cut there.
        match reader.by_ref().take(4096).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let Some(reply) = svc.answer_line(conn, peer, &line) else {
            return;
        };
        if out.write_all(&reply).is_err() {
            return;
        }
    }
}

/// Read the request head, answer, close.
fn serve_http(stream: &TcpStream, peer: SocketAddr, svc: &Service) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    let mut input = stream;
    while proto::head_end(&head).is_none() && head.len() < 8192 {
        match input.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = svc.answer_http(peer, &head);
    let mut out = stream;
    let _ = out.write_all(&reply);
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

//! The flags server: a real HTTP/1.1 server (hyper) on a current-thread
//! tokio runtime of its own, on its own OS thread, bound to 127.0.0.1 on a
//! port the OS picks. It serves `GET /{client}/flags/{cc}.svg`: every answer
//! comes after `latency` (demo time), and a seeded share of the flags answer
//! 404 or 500. It counts, per client name (the first path segment), how
//! many requests are in flight, the most at once, and the errors it served:
//! the figures a client cannot fake about itself.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_util::sync::CancellationToken;

use super::plan::Plan;
use crate::demo::lane::thread_name;
use crate::demo::{Cancel, Clock};

/// How many pieces a flag is sent in, in slow-drip mode.
const DRIP_PIECES: u32 = 10;

/// What the server saw of one client (one lane).
#[derive(Default)]
pub struct Seen {
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    served_404: AtomicU64,
    served_500: AtomicU64,
}

impl Seen {
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn served(&self, status: u16) -> u64 {
        match status {
            404 => self.served_404.load(Ordering::SeqCst),
            500 => self.served_500.load(Ordering::SeqCst),
            _ => 0,
        }
    }
}

/// A request in flight, from its arrival until the last byte of its answer
/// has been handed to the socket (its body is dropped then).
struct InFlight(Arc<Seen>);

impl InFlight {
    fn enter(seen: Arc<Seen>) -> Self {
        let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        seen.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(seen)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The shared state of the server: the plan, the clock and what it saw.
pub struct State {
    plan: Plan,
    clock: Clock,
    seen: Mutex<HashMap<String, Arc<Seen>>>,
}

impl State {
    /// What the server saw of client `name` (created on first use, so a
    /// lane can hold it before its first request).
    pub fn seen(&self, name: &str) -> Arc<Seen> {
        let mut map = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(name.to_string()).or_default().clone()
    }
}

/// The running server. Dropping it does not stop it: the server ends when
/// the run is cancelled or `stop` is cancelled (the last lane is done).
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    pub thread: JoinHandle<()>,
}

/// The path of flag `cc` for client `name`.
pub fn path(name: &str, cc: &str) -> String {
    format!("/{name}/flags/{cc}.svg")
}

/// The URL of flag `cc` for client `name`.
pub fn url(addr: SocketAddr, name: &str, cc: &str) -> String {
    format!("http://{addr}{}", path(name, cc))
}

/// Binds 127.0.0.1:0 and starts serving on a thread of its own.
pub fn start(
    demo: &str,
    plan: Plan,
    clock: Clock,
    cancel: Cancel,
    stop: CancellationToken,
) -> std::io::Result<Server> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let state = Arc::new(State {
        plan,
        clock,
        seen: Mutex::default(),
    });
    let st = state.clone();
    let thread = std::thread::Builder::new()
        .name(thread_name(demo, "server"))
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(_) => return,
            };
            rt.block_on(async move {
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = stop.cancelled() => {}
                    _ = serve(listener, st) => {}
                }
            });
            // Dropping the runtime drops every connection task: their
            // sockets close, and a client blocked in a read returns at once.
            rt.shutdown_timeout(Duration::from_millis(100));
        })?;
    Ok(Server {
        addr,
        state,
        thread,
    })
}

async fn serve(listener: StdListener, state: Arc<State>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| answer(state.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// `/{name}/flags/{cc}.svg` → (name, cc).
fn route(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.trim_start_matches('/').split('/');
    let (name, flags, file) = (parts.next()?, parts.next()?, parts.next()?);
    let cc = file.strip_suffix(".svg")?;
    (parts.next().is_none() && flags == "flags" && !name.is_empty()).then_some((name, cc))
}

async fn answer(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Piece>, Infallible> {
    let Some((name, cc)) = route(req.uri().path()) else {
        return Ok(plain(StatusCode::NOT_FOUND, "no such path\n", None));
    };
    let guard = InFlight::enter(state.seen(name));
    let latency = state.plan.latency();
    let status = state.plan.status_of(cc);
    let response = match status {
        Some(200) => {
            let svg = Bytes::from(super::plan::svg(cc));
            if state.plan.drip {
                // Headers at once, the flag in pieces over the latency.
                let len = svg.len() as u64;
                let body = Piece::drip(svg, latency, state.clock.clone(), guard);
                return Ok(with_type(Response::new(body), len));
            }
            state.clock.sleep(latency).await;
            let len = svg.len() as u64;
            with_type(Response::new(Piece::whole(svg, Some(guard))), len)
        }
        Some(code) => {
            state.clock.sleep(latency).await;
            let seen = &guard.0;
            let counter = if code == 404 {
                &seen.served_404
            } else {
                &seen.served_500
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            plain(status, "no flag for you\n", Some(guard))
        }
        None => plain(StatusCode::NOT_FOUND, "no such flag\n", Some(guard)),
    };
    Ok(response)
}

fn with_type(mut r: Response<Piece>, len: u64) -> Response<Piece> {
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(hyper::header::CONTENT_LENGTH, len.into());
    r
}

fn plain(status: StatusCode, text: &'static str, guard: Option<InFlight>) -> Response<Piece> {
    let mut r = Response::new(Piece::whole(Bytes::from_static(text.as_bytes()), guard));
    *r.status_mut() = status;
    r
}

type Wait = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A response body that holds its request's [`InFlight`] until hyper drops
/// it, after the last byte; in drip mode it sends its bytes in pieces, a
/// pause (demo time) before each.
pub struct Piece {
    pieces: std::collections::VecDeque<Bytes>,
    gap: Duration,
    clock: Option<Clock>,
    wait: Option<Wait>,
    _in_flight: Option<InFlight>,
}

impl Piece {
    fn whole(bytes: Bytes, in_flight: Option<InFlight>) -> Self {
        Piece {
            pieces: [bytes].into(),
            gap: Duration::ZERO,
            clock: None,
            wait: None,
            _in_flight: in_flight,
        }
    }

    fn drip(bytes: Bytes, latency: Duration, clock: Clock, in_flight: InFlight) -> Self {
        let size = bytes.len().div_ceil(DRIP_PIECES as usize).max(1);
        let pieces = (0..bytes.len())
            .step_by(size)
            .map(|at| bytes.slice(at..(at + size).min(bytes.len())))
            .collect();
        Piece {
            pieces,
            gap: latency / DRIP_PIECES,
            clock: Some(clock),
            wait: None,
            _in_flight: Some(in_flight),
        }
    }
}

impl Body for Piece {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.pieces.is_empty() {
            return Poll::Ready(None);
        }
        if let Some(clock) = self.clock.clone() {
            let gap = self.gap;
            let wait = self
                .wait
                .get_or_insert_with(|| Box::pin(async move { clock.sleep(gap).await }));
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.wait = None;
        }
        Poll::Ready(self.pieces.pop_front().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.pieces.iter().map(|b| b.len() as u64).sum())
    }
}

/// Reads a whole response body (the async client's side).
pub async fn read_body(body: Incoming) -> Result<Bytes, hyper::Error> {
    Ok(body.collect().await?.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/async/flags/BR.svg"), Some(("async", "BR")));
        assert_eq!(route("/async/flags/BR.gif"), None);
        assert_eq!(route("/flags/BR.svg"), None);
        assert_eq!(route("//flags/BR.svg"), None);
        assert_eq!(route("/a/flags/BR.svg/x"), None);
    }
}

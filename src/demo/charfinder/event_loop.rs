//! The finder on one event loop: tokio's current-thread runtime (the lane's
//! own), one task per connection. Must be started from inside that loop
//! (a `LocalSet`); dropping the server aborts its tasks and closes every
//! socket.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::proto;
use super::service::{Service, listen};

pub struct LoopServer {
    pub line_addr: SocketAddr,
    pub http_addr: SocketAddr,
    acceptors: Vec<JoinHandle<()>>,
}

impl Drop for LoopServer {
    fn drop(&mut self) {
        // An acceptor owns its connections' tasks: aborting it drops them.
        for a in &self.acceptors {
            a.abort();
        }
    }
}

#[derive(Clone, Copy)]
enum Proto {
    Line,
    Http,
}

impl LoopServer {
    pub fn start(svc: Arc<Service>) -> std::io::Result<LoopServer> {
        let (line, line_addr) = listen()?;
        let (http, http_addr) = listen()?;
        let mut acceptors = Vec::new();
        for (listener, proto) in [(line, Proto::Line), (http, Proto::Http)] {
            listener.set_nonblocking(true)?;
            let listener = TcpListener::from_std(listener)?;
            acceptors.push(tokio::task::spawn_local(accept_loop(
                listener,
                proto,
                svc.clone(),
            )));
        }
        Ok(LoopServer {
            line_addr,
            http_addr,
            acceptors,
        })
    }
}

async fn accept_loop(listener: TcpListener, proto: Proto, svc: Arc<Service>) {
    svc.ran_here();
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let svc = svc.clone();
                    match proto {
                        Proto::Line => {
                            let conn = svc.next_conn();
                            conns.spawn_local(serve_line(stream, conn, peer, svc));
                        }
                        Proto::Http => {
                            conns.spawn_local(serve_http(stream, peer, svc));
                        }
                    }
                }
                // Out of descriptors, say: the next accept may work.
                Err(_) => tokio::task::yield_now().await,
            },
            // Forget the tasks that ended.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Prompt, await a line, answer, until the client goes.
async fn serve_line(stream: TcpStream, conn: u64, peer: SocketAddr, svc: Arc<Service>) {
    svc.ran_here();
    let (rd, mut wr) = stream.into_split();
    if wr.write_all(proto::PROMPT).await.is_err() {
        return;
    }
    let mut reader = BufReader::with_capacity(1024, rd);
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        match (&mut reader).take(4096).read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        // With `f`, one connection blocks right here, and with it the loop.
        let Some(reply) = svc.answer_line(conn, peer, &line) else {
            return;
        };
        if wr.write_all(&reply).await.is_err() {
            return;
        }
    }
}

async fn serve_http(mut stream: TcpStream, peer: SocketAddr, svc: Arc<Service>) {
    svc.ran_here();
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    let read_head = async {
        while proto::head_end(&head).is_none() && head.len() < 8192 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        true
    };
    let timeout = std::time::Duration::from_secs(5);
    if !matches!(tokio::time::timeout(timeout, read_head).await, Ok(true)) {
        return;
    }
    let reply = svc.answer_http(peer, &head);
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

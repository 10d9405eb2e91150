//! The load: K clients, each sending M short requests with a little think
//! time between them, checking every reply. The same for every model.

use serde::{Deserialize, Serialize};

use crate::demo::Knobs;
use crate::i18n::Text;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::demo::{Cancelled, LaneCtx};

/// Every request and every reply is exactly this long.
pub const MSG: usize = 32;
const POLL: Duration = Duration::from_millis(50);

pub fn request(client: usize, i: usize) -> [u8; MSG] {
    let mut m = [b' '; MSG];
    let text = format!("req c={client:02} i={i:04} ok");
    m[..text.len()].copy_from_slice(text.as_bytes());
    m[MSG - 1] = b'\n';
    m
}

/// What every server answers: the request, upper-cased.
pub fn reply(req: &[u8]) -> [u8; MSG] {
    let mut r = [0u8; MSG];
    for (o, b) in r.iter_mut().zip(req) {
        *o = b.to_ascii_uppercase();
    }
    r
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

pub const FNV_START: u64 = 0xcbf29ce484222325;

/// The checksum the clients should arrive at, computed without a network.
pub fn expected(clients: usize, requests: usize) -> u64 {
    (0..clients)
        .map(|c| (0..requests).fold(FNV_START, |h, i| fnv(h, &reply(&request(c, i)))))
        .fold(0u64, u64::wrapping_add)
}

#[derive(Clone, Copy)]
pub struct Load {
    pub clients: usize,
    pub requests: usize,
    pub think: Duration,
}

/// The load as written in a lesson or on the command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadKnobs {
    clients: u64,
    requests: u64,
    think_ms: u64,
}

impl Default for LoadKnobs {
    fn default() -> Self {
        LoadKnobs {
            clients: 8,
            requests: 50,
            think_ms: 10,
        }
    }
}

impl Knobs for LoadKnobs {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "clients",
            Text::new("client connections (K)", "客户端连接数（K）"),
        ),
        (
            "requests",
            Text::new("requests per client (M)", "每个客户端的请求数（M）"),
        ),
        (
            "think_ms",
            Text::new(
                "a client's pause between requests, in ms",
                "客户端两次请求之间的停顿（毫秒）",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(1..=64).contains(&self.clients) {
            return Err("clients must be between 1 and 64".into());
        }
        if !(1..=10_000).contains(&self.requests) {
            return Err("requests must be between 1 and 10000".into());
        }
        if self.think_ms > 1000 {
            return Err("think_ms must be at most 1000".into());
        }
        Ok(())
    }
}

impl From<&LoadKnobs> for Load {
    fn from(k: &LoadKnobs) -> Load {
        Load {
            clients: k.clients as usize,
            requests: k.requests as usize,
            think: Duration::from_millis(k.think_ms),
        }
    }
}

/// Clients give up when the run is cancelled or their server has gone.
fn check(lane: &LaneCtx, gone: &AtomicBool) -> Result<(), Cancelled> {
    lane.cancel.check()?;
    if gone.load(Ordering::SeqCst) {
        Err(Cancelled)
    } else {
        Ok(())
    }
}

fn read_reply(
    s: &mut TcpStream,
    lane: &LaneCtx,
    gone: &AtomicBool,
    buf: &mut [u8; MSG],
) -> Result<bool, Cancelled> {
    let mut got = 0;
    while got < MSG {
        check(lane, gone)?;
        match s.read(&mut buf[got..]) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return Ok(false),
        }
    }
    Ok(true)
}

/// One TCP client: the checksum of the replies it got.
pub fn tcp_client(
    addr: SocketAddr,
    c: usize,
    load: Load,
    lane: &LaneCtx,
    gone: &AtomicBool,
) -> Result<u64, Cancelled> {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return Ok(0);
    };
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(POLL));
    let mut h = FNV_START;
    let mut buf = [0u8; MSG];
    for i in 0..load.requests {
        if s.write_all(&request(c, i)).is_err() || !read_reply(&mut s, lane, gone, &mut buf)? {
            return Ok(0);
        }
        h = fnv(h, &buf);
        lane.clock.sleep_blocking(load.think, &lane.cancel)?;
    }
    Ok(h)
}

/// One UDP client: resends a request whose reply does not come.
pub fn udp_client(
    addr: SocketAddr,
    c: usize,
    load: Load,
    lane: &LaneCtx,
    gone: &AtomicBool,
) -> Result<u64, Cancelled> {
    let Ok(s) = UdpSocket::bind("127.0.0.1:0") else {
        return Ok(0);
    };
    if s.connect(addr).is_err() {
        return Ok(0);
    }
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let mut h = FNV_START;
    let mut buf = [0u8; MSG];
    for i in 0..load.requests {
        let req = request(c, i);
        'resend: loop {
            check(lane, gone)?;
            let _ = s.send(&req);
            loop {
                match s.recv(&mut buf) {
                    Ok(MSG) if buf == reply(&req) => break 'resend,
                    // A late duplicate of an earlier reply: keep listening.
                    Ok(_) => continue,
                    // SIGIO (meant for the server) interrupted the wait.
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    // No reply in time: send it again.
                    Err(_) => continue 'resend,
                }
            }
        }
        h = fnv(h, &buf);
        lane.clock.sleep_blocking(load.think, &lane.cancel)?;
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_upper_case_requests() {
        let r = request(3, 17);
        assert_eq!(&reply(&r)[..18], b"REQ C=03 I=0017 OK");
        assert_ne!(expected(2, 3), expected(3, 2));
    }
}

//! The load: a growing crowd of mostly idle line-protocol clients, each
//! sending a query now and then and timing the answer. One thread, one
//! epoll set (mio), a few dozen bytes per client: the clients' own memory
//! is next to nothing, so the process's growth in memory is the server's.
//!
//! It works on any address, so a server in another process (an asyncio
//! script) can be loaded the same way; the caller says how to measure that
//! server's threads and memory.

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::index::Index;
use super::proto;
use crate::demo::stats::Samples;
use crate::demo::{Cancelled, LaneCtx};

/// The queries clients send, in turn.
pub const QUERIES: [&str; 8] = [
    "cat face",
    "chess black",
    "arrow leftwards",
    "snowman",
    "greek small alpha",
    "black star",
    "dog face",
    "musical note",
];
/// A reply slower than this counts its client as slowed down.
pub const SLOW: Duration = Duration::from_millis(100);
/// No answer (or no connection) within this long is an error.
const PATIENCE: Duration = Duration::from_secs(5);
/// Connections being set up at once, at most.
const CONNECTING: usize = 64;
/// Let a level settle (every client greeted and idle) before timing it.
const SETTLE: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct Plan {
    pub levels: Vec<usize>,
    pub hold: Duration,
    pub think: Duration,
    /// Client 0 (the server's first connection) asks again as soon as it
    /// has its answer, instead of now and then.
    pub first_busy: bool,
}

/// What one level measured.
#[derive(Debug, Clone, Default)]
pub struct Level {
    /// Clients connected at the end of the level.
    pub clients: usize,
    pub threads: usize,
    /// How much the process's memory grew since the load began (see
    /// [`Memory::growth_since`]).
    pub memory_growth: i64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub queries: usize,
    pub slow_clients: usize,
    /// Every error so far: refused or lost connections, late or wrong answers.
    pub errors: u64,
    /// How long it took to connect this level's new clients.
    pub connect_ms: f64,
}

/// How to measure the server under load: its threads, its memory.
pub trait Probe {
    fn threads(&self) -> usize;
    fn memory(&self) -> Memory;
}

/// The memory a server uses, two ways, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Resident memory (pages the process has touched and still holds).
    pub resident: Option<u64>,
    /// Heap in use (what malloc has handed out and not had back).
    pub heap: Option<u64>,
}

impl Memory {
    /// The larger of the two growths: each one alone misses something.
    /// Resident memory misses heap that reuses pages an earlier lane freed;
    /// heap in use misses thread stacks, which are not malloc'd.
    pub fn growth_since(&self, base: &Memory) -> i64 {
        let grew = |now: Option<u64>, then: Option<u64>| match (now, then) {
            (Some(now), Some(then)) => now as i64 - then as i64,
            _ => 0,
        };
        grew(self.resident, base.resident).max(grew(self.heap, base.heap))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Connecting,
    /// Connected; waiting for the first prompt.
    Greeting,
    Idle,
    Waiting,
}

struct Client {
    stream: TcpStream,
    state: State,
    since: Duration,
    next_at: Duration,
    query: usize,
    lines: usize,
    tail: [u8; 3],
    late: bool,
    slowed: bool,
}

/// A tiny seeded generator for think times.
struct Rng(u64);

impl Rng {
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub struct Generator<'a> {
    addr: SocketAddr,
    lane: &'a LaneCtx,
    plan: &'a Plan,
    /// Lines each query's answer has (rows, the cap line).
    expected: Vec<usize>,
    poll: Poll,
    clients: Vec<Option<Client>>,
    samples: Vec<f64>,
    errors: u64,
    /// Client slots used so far (a lost client's slot stays empty).
    opened: usize,
    rng: Rng,
    buf: Vec<u8>,
}

impl<'a> Generator<'a> {
    /// Everything the load will need is allocated (and touched) here,
    /// before the server's memory is first measured.
    pub fn new(
        addr: SocketAddr,
        index: &Index,
        lane: &'a LaneCtx,
        plan: &'a Plan,
    ) -> std::io::Result<Self> {
        let most = plan.levels.iter().copied().max().unwrap_or(0);
        let expected = QUERIES
            .iter()
            .map(|q| {
                proto::line_reply(index, q)
                    .0
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
            })
            .collect();
        let per_client =
            (plan.hold.as_secs_f64() / plan.think.as_secs_f64().max(0.001) * 2.0) as usize + 4;
        Ok(Generator {
            addr,
            lane,
            plan,
            expected,
            poll: Poll::new()?,
            clients: (0..most).map(|_| None).collect(),
            samples: Vec::with_capacity((most * per_client).min(1 << 20)),
            errors: 0,
            opened: 0,
            rng: Rng(0x2545_F491_4F6C_DD1D),
            buf: vec![0u8; 64 * 1024],
        })
    }

    fn now(&self) -> Duration {
        self.lane.clock.now()
    }

    fn think(&mut self) -> Duration {
        // Around `think`: from half to one and a half of it.
        self.plan.think.mul_f64(0.5 + self.rng.unit())
    }

    /// Runs every level; `report` hears each as it ends.
    pub fn run(
        mut self,
        probe: &dyn Probe,
        report: &mut dyn FnMut(&Level),
    ) -> Result<(), Cancelled> {
        self.samples.resize(self.samples.capacity(), 0.0);
        let base = probe.memory();
        let mut events = Events::with_capacity(1024);
        for &target in &self.plan.levels.clone() {
            let ramp = self.now();
            self.ramp_up(target, &mut events)?;
            let connect_ms = (self.now() - ramp).as_secs_f64() * 1000.0;
            let settle_end = self.now() + SETTLE;
            self.turn_until(settle_end, &mut events)?;
            for c in self.clients.iter_mut().flatten() {
                c.slowed = false;
            }
            let mut n = 0;
            let end = self.now() + self.plan.hold;
            self.samples.clear();
            while self.now() < end {
                self.turn(&mut events, &mut n)?;
            }
            let mut level = self.measure(probe, base);
            level.queries = n;
            level.connect_ms = connect_ms;
            report(&level);
        }
        Ok(())
    }

    fn measure(&mut self, probe: &dyn Probe, base: Memory) -> Level {
        // Memory first, before this function allocates anything.
        let now = probe.memory();
        let mut s = Samples::default();
        for v in &self.samples {
            s.push(*v);
        }
        let live = self.clients.iter().flatten();
        let clients = live
            .clone()
            .filter(|c| c.state != State::Connecting && c.state != State::Greeting)
            .count();
        Level {
            clients,
            threads: probe.threads(),
            memory_growth: now.growth_since(&base),
            p50_ms: s.percentile(50.0),
            p99_ms: s.percentile(99.0),
            queries: 0,
            slow_clients: live.filter(|c| c.slowed).count(),
            errors: self.errors,
            connect_ms: 0.0,
        }
    }

    /// Opens connections until `target` clients are in (or have failed),
    /// a few dozen at a time.
    fn ramp_up(&mut self, target: usize, events: &mut Events) -> Result<(), Cancelled> {
        let target = target.min(self.clients.len());
        loop {
            let mut pending = self
                .clients
                .iter()
                .flatten()
                .filter(|c| matches!(c.state, State::Connecting | State::Greeting))
                .count();
            if self.opened >= target && pending == 0 {
                return Ok(());
            }
            // Client 0 connects alone, so it is the server's first connection.
            let first_pending = self.clients[0]
                .as_ref()
                .is_some_and(|c| matches!(c.state, State::Connecting | State::Greeting));
            while self.opened < target
                && pending < CONNECTING
                && !(self.opened > 0 && first_pending)
            {
                if self.connect(self.opened).is_err() {
                    self.errors += 1;
                }
                self.opened += 1;
                pending += 1;
            }
            let mut n = 0;
            self.turn(events, &mut n)?;
        }
    }

    fn connect(&mut self, slot: usize) -> std::io::Result<()> {
        let mut stream = TcpStream::connect(self.addr)?;
        self.poll.registry().register(
            &mut stream,
            Token(slot),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let now = self.now();
        self.clients[slot] = Some(Client {
            stream,
            state: State::Connecting,
            since: now,
            next_at: now,
            query: slot % QUERIES.len(),
            lines: 0,
            tail: [0; 3],
            late: false,
            slowed: false,
        });
        Ok(())
    }

    fn turn_until(&mut self, end: Duration, events: &mut Events) -> Result<(), Cancelled> {
        let mut n = 0;
        while self.now() < end {
            self.turn(events, &mut n)?;
        }
        Ok(())
    }

    /// One round: wait for sockets (5 ms at most), read what came, send
    /// what is due, give up on what is too late. `answered` counts replies.
    fn turn(&mut self, events: &mut Events, answered: &mut usize) -> Result<(), Cancelled> {
        self.lane.cancel.check()?;
        let _ = self.poll.poll(events, Some(Duration::from_millis(5)));
        let ready: Vec<(usize, bool)> = events
            .iter()
            .map(|e| (e.token().0, e.is_writable()))
            .collect();
        for (slot, writable) in ready {
            self.on_ready(slot, writable, answered);
        }
        let now = self.now();
        for slot in 0..self.clients.len() {
            let Some(c) = &self.clients[slot] else {
                continue;
            };
            let (state, since, next_at) = (c.state, c.since, c.next_at);
            if state == State::Idle && next_at <= now {
                self.send(slot, now);
            } else if matches!(state, State::Connecting | State::Greeting) && now - since > PATIENCE
            {
                self.drop_client(slot);
            } else if state == State::Waiting
                && now - since > PATIENCE
                && let Some(c) = &mut self.clients[slot]
                && !c.late
            {
                c.late = true;
                self.errors += 1;
            }
        }
        Ok(())
    }

    fn drop_client(&mut self, slot: usize) {
        if let Some(mut c) = self.clients[slot].take() {
            let _ = self.poll.registry().deregister(&mut c.stream);
            self.errors += 1;
        }
    }

    fn send(&mut self, slot: usize, now: Duration) {
        let Some(c) = &mut self.clients[slot] else {
            return;
        };
        c.query = (c.query + 1) % QUERIES.len();
        let line = format!("{}\r\n", QUERIES[c.query]);
        match c.stream.write(line.as_bytes()) {
            Ok(n) if n == line.len() => {
                c.state = State::Waiting;
                c.since = now;
                c.lines = 0;
                c.late = false;
            }
            _ => self.drop_client(slot),
        }
    }

    fn on_ready(&mut self, slot: usize, writable: bool, answered: &mut usize) {
        let Some(c) = &mut self.clients[slot] else {
            return;
        };
        if c.state == State::Connecting && writable {
            // Connected, or refused: the socket's error says which.
            if c.stream.take_error().ok().flatten().is_some() || c.stream.peer_addr().is_err() {
                return self.drop_client(slot);
            }
            c.state = State::Greeting;
            let _ = self
                .poll
                .registry()
                .reregister(&mut c.stream, Token(slot), Interest::READABLE);
        }
        loop {
            let Some(c) = &mut self.clients[slot] else {
                return;
            };
            match c.stream.read(&mut self.buf) {
                Ok(0) => return self.drop_client(slot),
                Ok(n) => self.got(slot, n, answered),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return self.drop_client(slot),
            }
        }
    }

    /// `n` bytes arrived in `buf` for client `slot`.
    fn got(&mut self, slot: usize, n: usize, answered: &mut usize) {
        let now = self.now();
        let think = self.think();
        let first = self.plan.think.mul_f64(self.rng.unit());
        let Some(c) = &mut self.clients[slot] else {
            return;
        };
        let bytes = &self.buf[..n];
        c.lines += bytes.iter().filter(|b| **b == b'\n').count();
        for b in bytes {
            c.tail = [c.tail[1], c.tail[2], *b];
        }
        if c.tail != proto::PROMPT {
            return;
        }
        match c.state {
            State::Greeting => {
                c.state = State::Idle;
                // Spread the first queries over one think time.
                c.next_at = if slot == 0 && self.plan.first_busy {
                    now
                } else {
                    now + first
                };
            }
            State::Waiting => {
                let took = now.saturating_sub(c.since);
                if c.lines != self.expected[c.query] {
                    self.errors += 1;
                }
                if took > SLOW {
                    c.slowed = true;
                }
                c.state = State::Idle;
                c.next_at = if slot == 0 && self.plan.first_busy {
                    now
                } else {
                    now + think
                };
                // Room was made before the memory was measured: never grow.
                if self.samples.len() < self.samples.capacity() {
                    self.samples.push(took.as_secs_f64() * 1000.0);
                }
                *answered += 1;
            }
            _ => {}
        }
        c.tail = [0; 3];
    }
}

//! `file-io`: the same large file writes and reads, once called straight
//! from a coroutine (the loop's only thread blocks: its spinner freezes and
//! its lag jumps) and once handed to the executor with `spawn_blocking`
//! (the loop stays free). Also shows why: epoll refuses a regular file.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::lane::{LaneResult, spawn_async_lane};
use super::probe::LagStats;
use super::python::{PyLane, PyScript};
use super::{
    Cancel, DemoCtx, DemoDef, DemoInfo, ErrorReport, Knobs, LaneCtx, LaneError, LaneInfo,
    MetricInfo, Unit, column, metric,
};
use crate::i18n::{LocalText, Text};
use crate::tr;

const ID: &str = "file-io";
const METRICS: &[MetricInfo] = &[
    column("max_lag_ms", Unit::Ms, "max lag"),
    column("p99_lag_ms", Unit::Ms, "p99 lag"),
    column("spinner_ticks", Unit::Count, "frames"),
    column("expected_ticks", Unit::Count, "of"),
    column("longest_call_ms", Unit::Ms, "longest call"),
    metric("bytes_written", Unit::Bytes),
];
/// The blocking lanes also try epoll on a regular file.
const BLOCKING_METRICS: &[MetricInfo] = &[
    column("max_lag_ms", Unit::Ms, "max lag"),
    column("p99_lag_ms", Unit::Ms, "p99 lag"),
    column("spinner_ticks", Unit::Count, "frames"),
    column("expected_ticks", Unit::Count, "of"),
    column("longest_call_ms", Unit::Ms, "longest call"),
    metric("bytes_written", Unit::Bytes),
    metric("epoll_file_eperm", Unit::Flag),
];
const FRAME: Duration = Duration::from_millis(100);
const BLOCK: usize = 1 << 20;

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: Text::new(
        "Blocking file I/O vs the executor",
        "阻塞的文件 I/O 与执行器",
    ),
    lanes: &[
        LaneInfo {
            name: "blocking",
            title: Text::new(
                "blocking: std::fs inside the coroutine",
                "blocking：在协程里直接调用 std::fs",
            ),
            metrics: BLOCKING_METRICS,
            code: "",
        },
        LaneInfo {
            name: "executor",
            title: Text::new(
                "executor: the same calls via spawn_blocking",
                "executor：同样的调用交给 spawn_blocking",
            ),
            metrics: METRICS,
            code: "",
        },
        LaneInfo {
            name: "py-blocking",
            title: Text::new(
                "py-blocking: open()/write() inside a coroutine",
                "py-blocking：在协程里直接 open()/write()",
            ),
            metrics: BLOCKING_METRICS,
            code: PY_SCRIPT.code,
        },
        LaneInfo {
            name: "py-to-thread",
            title: Text::new(
                "py-to-thread: the same calls via asyncio.to_thread",
                "py-to-thread：同样的调用交给 asyncio.to_thread",
            ),
            metrics: METRICS,
            code: PY_SCRIPT.code,
        },
    ],
    failure: None,
};

/// The asyncio twin: the same files, the same lag probe, in Python.
static PY_SCRIPT: PyScript = PyScript {
    code: include_str!("../../assets/python/file_io.py"),
    texts: &[
        (
            "plan_py-blocking",
            Text::new(
                "{files} files of {mb} MiB, write + read back, in the coroutine",
                "{files} 个 {mb} MiB 的文件，写入再读回，就在协程里",
            ),
        ),
        (
            "plan_py-to-thread",
            Text::new(
                "{files} files of {mb} MiB, write + read back, asyncio.to_thread",
                "{files} 个 {mb} MiB 的文件，写入再读回，交给 asyncio.to_thread",
            ),
        ),
        (
            "no_epoll",
            Text::new(
                "epoll is Linux-only: the EPERM check is skipped here",
                "epoll 只在 Linux 上有：这里跳过 EPERM 检查",
            ),
        ),
        (
            "epoll_refuses",
            Text::new(
                "epoll refuses regular files: loops use threads",
                "epoll 拒绝普通文件：事件循环只好用线程",
            ),
        ),
        (
            "write_lag",
            Text::new(
                "write {n}: {call} ms call → loop lag {lag} ms",
                "写 {n}：调用 {call} 毫秒 → 循环延迟 {lag} 毫秒",
            ),
        ),
        (
            "read_lag",
            Text::new(
                "read {n}: {call} ms call → loop lag {lag} ms",
                "读 {n}：调用 {call} 毫秒 → 循环延迟 {lag} 毫秒",
            ),
        ),
        (
            "drew",
            Text::new(
                "spinner drew {got} of {expected} frames",
                "旋转指针画了 {expected} 帧中的 {got} 帧",
            ),
        ),
    ],
};

/// How much each lane writes (and reads back).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sizes {
    file_mb: u64,
    files: u64,
}

impl Default for Sizes {
    fn default() -> Self {
        // 4 lanes (2 Rust, 2 Python) x 2 files x 32 MiB: at most 256 MiB
        // written per run, a fair price for a student's SSD, and each call
        // (write and fsync, or read from disk) still stalls a loop visibly.
        Sizes {
            file_mb: 32,
            files: 2,
        }
    }
}

impl Knobs for Sizes {
    const HELP: &'static [(&'static str, Text)] = &[
        (
            "file_mb",
            Text::new("size of each file, in MiB", "每个文件的大小（MiB）"),
        ),
        (
            "files",
            Text::new(
                "how many files each lane writes and reads back",
                "每个泳道写入并读回的文件个数",
            ),
        ),
    ];

    fn validate(&self) -> Result<(), String> {
        if !(1..=4096).contains(&self.file_mb) {
            return Err("file_mb must be between 1 and 4096".into());
        }
        if !(1..=20).contains(&self.files) {
            return Err("files must be between 1 and 20".into());
        }
        Ok(())
    }
}

/// Where a lane makes its file calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Calls {
    /// Straight from the coroutine: the loop's thread does the I/O.
    InCoroutine,
    /// On tokio's blocking pool (`spawn_blocking`).
    OnExecutor,
}

pub static DEMO: DemoDef<Sizes> = DemoDef::new(&INFO, start);

fn start(ctx: DemoCtx, sizes: Sizes) -> Vec<JoinHandle<()>> {
    let s2 = sizes.clone();
    // The blocking lane's loop says nothing while a call holds it: allow a
    // slow disk (5 MB/s) for the largest call.
    let quiet = Duration::from_millis(200 * sizes.file_mb);
    [
        PyLane::new(ID, "py-blocking", &PY_SCRIPT, &sizes)
            .quiet(quiet)
            .spawn(ctx.lane(2)),
        PyLane::new(ID, "py-to-thread", &PY_SCRIPT, &sizes)
            .quiet(quiet)
            .spawn(ctx.lane(3)),
        spawn_async_lane(ID, "blocking", ctx.lane(0), true, |lane, lag| async move {
            file_lane(lane, lag, sizes, Calls::InCoroutine).await
        }),
        spawn_async_lane(ID, "executor", ctx.lane(1), true, |lane, lag| async move {
            file_lane(lane, lag, s2, Calls::OnExecutor).await
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn failed(e: impl std::error::Error + 'static) -> LaneError {
    LaneError::Failed(ErrorReport::from_error(&e))
}

fn stopped() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Interrupted, "the demo was stopped")
}

/// Writes `mb` MiB to `path` and makes it durable; returns a checksum. The
/// whole call blocks its thread, but a stopped demo ends it between blocks.
fn write_file(path: &Path, mb: usize, seed: u64, cancel: &Cancel) -> std::io::Result<u64> {
    let mut block = vec![0u8; BLOCK];
    let mut x = seed | 1;
    let mut sum = 0u64;
    let mut f = std::fs::File::create(path)?;
    for _ in 0..mb {
        if cancel.is_cancelled() {
            return Err(stopped());
        }
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        sum = sum.wrapping_add(checksum(&block));
        f.write_all(&block)?;
    }
    f.sync_all()?;
    drop_cache(&f);
    Ok(sum)
}

/// Reads `path` back; returns its checksum.
fn read_file(path: &Path, cancel: &Cancel) -> std::io::Result<u64> {
    let mut f = std::fs::File::open(path)?;
    let mut block = vec![0u8; BLOCK];
    let mut sum = 0u64;
    loop {
        if cancel.is_cancelled() {
            return Err(stopped());
        }
        let n = f.read(&mut block)?;
        if n == 0 {
            return Ok(sum);
        }
        sum = sum.wrapping_add(checksum(&block[..n]));
    }
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes.chunks(8).fold(0u64, |acc, c| {
        acc.rotate_left(5) ^ c.iter().fold(0u64, |a, b| (a << 8) | *b as u64)
    })
}

/// Asks the kernel to forget the cached pages, so reading back is real I/O.
#[cfg(target_os = "linux")]
fn drop_cache(f: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid descriptor; advice has no memory effects.
    unsafe {
        libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

#[cfg(not(target_os = "linux"))]
fn drop_cache(_: &std::fs::File) {}

/// Asks epoll to watch a regular file; the kernel refuses with EPERM because
/// a regular file is always "ready": readiness cannot tell you the disk is
/// slow. That is why event loops hand file I/O to threads.
#[cfg(target_os = "linux")]
pub fn epoll_regular_file(path: &Path) -> Result<(), std::io::Error> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path)?;
    // SAFETY: plain system calls on descriptors we own; the epoll fd is closed below.
    unsafe {
        let ep = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        if ep < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: 0,
        };
        let r = libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, f.as_raw_fd(), &mut ev);
        let err = std::io::Error::last_os_error();
        libc::close(ep);
        if r < 0 { Err(err) } else { Ok(()) }
    }
}

fn show_epoll(lane: &LaneCtx, path: &Path) {
    #[cfg(target_os = "linux")]
    match epoll_regular_file(path) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
            // The system call's answer last: it is what the lesson points at.
            lane.sink.log(tr!(
                "epoll refuses regular files: loops use threads",
                "epoll 拒绝普通文件：事件循环只好用线程"
            ));
            lane.sink
                .log(LocalText::same("epoll_ctl(ADD, regular file) = -1 EPERM"));
            lane.sink.flag("epoll_file_eperm", true);
        }
        Err(e) => lane.sink.log(LocalText::same(format!(
            "epoll_ctl(ADD, regular file) = -1 ({e})"
        ))),
        Ok(()) => lane.sink.log(tr!(
            "epoll_ctl(ADD, regular file) = 0 (unexpected)",
            "epoll_ctl(ADD, regular file) = 0（出乎意料）"
        )),
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        lane.sink.log(tr!(
            "epoll is Linux-only: the EPERM check is skipped here",
            "epoll 只在 Linux 上有：这里跳过 EPERM 检查"
        ));
    }
}

/// The spinner on the lane's loop: a frame, then 100 ms of sleep. Frames a
/// blocked loop could not draw are lost, not drawn late in a burst.
async fn spin(lane: LaneCtx, ticks: Arc<AtomicU64>) {
    for n in 0u64.. {
        lane.sink.frame(n);
        ticks.store(n + 1, Ordering::SeqCst);
        lane.clock.sleep(FRAME).await;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One file call (a write with its fsync, or a read back), made where
/// the lane makes its calls; how long it took, in demo time.
async fn one_call(
    lane: &LaneCtx,
    dir: &Arc<tempfile::TempDir>,
    i: usize,
    write: bool,
    mb: usize,
    calls_on: Calls,
) -> Result<Duration, LaneError> {
    let path: PathBuf = dir.path().join(format!("file-{i}.bin"));
    let t0 = Instant::now();
    let result = match calls_on {
        Calls::OnExecutor => {
            let (p, d, c) = (path, dir.clone(), lane.cancel.clone());
            tokio::task::spawn_blocking(move || {
                let _dir = d;
                if write {
                    write_file(&p, mb, i as u64 + 1, &c)
                } else {
                    read_file(&p, &c)
                }
            })
            .await
            .map_err(failed)?
        }
        Calls::InCoroutine if write => write_file(&path, mb, i as u64 + 1, &lane.cancel),
        Calls::InCoroutine => read_file(&path, &lane.cancel),
    };
    result.map_err(|e| {
        if lane.cancel.is_cancelled() {
            LaneError::Cancelled
        } else {
            failed(e)
        }
    })?;
    Ok(lane.clock.to_demo(t0.elapsed()))
}

/// Says what one call cost: its length and the loop lag it caused.
fn tell_call(
    lane: &LaneCtx,
    i: usize,
    write: bool,
    took: Duration,
    caused: f64,
) -> (LocalText, LocalText) {
    let (n, call) = (i + 1, ms(took));
    let what = if write {
        tr!("write {n}", "写 {n}")
    } else {
        tr!("read {n}", "读 {n}")
    };
    lane.sink.log(LocalText {
        en: format!("{}: {call:.0} ms call → loop lag {caused:.0} ms", what.en),
        zh: format!(
            "{}：调用 {call:.0} 毫秒 → 循环延迟 {caused:.0} 毫秒",
            what.zh
        ),
    });
    (
        what,
        tr!(
            "{call:>4.0} ms call → {caused:>4.0} ms lag",
            "调用 {call:>4.0} 毫秒 → 延迟 {caused:>4.0} 毫秒"
        ),
    )
}

async fn file_lane(lane: LaneCtx, lag: LagStats, sizes: Sizes, calls_on: Calls) -> LaneResult {
    let (mb, files) = (sizes.file_mb as usize, sizes.files as usize);
    let executor = calls_on == Calls::OnExecutor;
    // Shared with blocking tasks: the directory goes when the last user is done.
    // Named with our pid, so a later run can sweep it if we are killed.
    let dir = Arc::new(crate::tempfiles::demo_dir(ID).map_err(failed)?);
    let ticks = Arc::new(AtomicU64::new(0));
    let spinner = tokio::task::spawn_local(spin(lane.clone(), ticks.clone()));
    let started = lane.clock.now();
    let mut longest = Duration::ZERO;
    let mut written = 0u64;
    let mut calls: Vec<(LocalText, LocalText)> = Vec::new();
    lane.sink.log(if executor {
        tr!(
            "{files} files of {mb} MiB, write + read back, spawn_blocking",
            "{files} 个 {mb} MiB 的文件，写入再读回，交给 spawn_blocking"
        )
    } else {
        tr!(
            "{files} files of {mb} MiB, write + read back, in the coroutine",
            "{files} 个 {mb} MiB 的文件，写入再读回，就在协程里"
        )
    });
    // A moment of free loop first, so the spinner and the probe are running.
    lane.clock.sleep(Duration::from_millis(150)).await;
    for i in 0..files {
        for write in [true, false] {
            let before = lag.samples();
            let took = one_call(&lane, &dir, i, write, mb, calls_on).await?;
            longest = longest.max(took);
            if write {
                written += (mb * BLOCK) as u64;
            }
            // Let the probe run once, so it can say how late it woke.
            lane.clock.sleep(Duration::from_millis(12)).await;
            calls.push(tell_call(&lane, i, write, took, lag.max_since(before)));
            // The last two calls: with the Python lanes' table above it, a
            // 100x30 screen keeps a row of log for the epoll line.
            lane.sink
                .knows(calls.iter().rev().take(2).rev().cloned().collect());
            lane.sink
                .progress((2 * i + usize::from(!write) + 1) as u64, 2 * files as u64);
        }
    }
    // Last, so it stays in view under the calls' lines: why a loop cannot
    // wait for a file the way it waits for a socket.
    if !executor {
        show_epoll(&lane, &dir.path().join("file-0.bin"));
    }
    spinner.abort();
    let _ = spinner.await;
    let elapsed = lane.clock.now() - started;
    let got = ticks.load(Ordering::SeqCst);
    let expected = (elapsed.as_secs_f64() / FRAME.as_secs_f64()).floor() as u64 + 1;
    lane.sink.count("spinner_ticks", got);
    lane.sink.count("expected_ticks", expected);
    lane.sink.metric("longest_call_ms", ms(longest));
    lane.sink.metric("bytes_written", written as f64);
    lane.sink.metric("max_lag_ms", lag.max_ms());
    lag.report_p99(&lane.sink);
    lane.sink.status(tr!(
        "spinner drew {got} of {expected} frames",
        "旋转指针画了 {expected} 帧中的 {got} 帧"
    ));
    Ok(())
}

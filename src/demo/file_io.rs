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

use super::lane::{LaneResult, spawn_async_lane};
use super::probe::LagStats;
use super::{
    Cancel, Demo, DemoCtx, DemoInfo, ErrorReport, LaneCtx, LaneError, LaneInfo, ParamInfo, Unit,
};

const ID: &str = "file-io";
const METRICS: &[&str] = &[
    "max_lag_ms",
    "p99_lag_ms",
    "spinner_ticks",
    "expected_ticks",
    "longest_call_ms",
    "bytes_written",
];
/// The blocking lane also tries epoll on a regular file.
const BLOCKING_METRICS: &[&str] = &[
    "max_lag_ms",
    "p99_lag_ms",
    "spinner_ticks",
    "expected_ticks",
    "longest_call_ms",
    "bytes_written",
    "epoll_file_eperm",
];
const FRAME: Duration = Duration::from_millis(100);
const BLOCK: usize = 1 << 20;

static INFO: DemoInfo = DemoInfo {
    id: ID,
    starts_paused: false,
    title: "Blocking file I/O vs the executor",
    title_zh: "阻塞的文件 I/O 与执行器",
    lanes: &[
        LaneInfo {
            name: "blocking",
            title: "blocking: std::fs inside the coroutine",
            title_zh: "blocking：在协程里直接调用 std::fs",
            metrics: BLOCKING_METRICS,
            code: "",
        },
        LaneInfo {
            name: "executor",
            title: "executor: the same calls via spawn_blocking",
            title_zh: "executor：同样的调用交给 spawn_blocking",
            metrics: METRICS,
            code: "",
        },
    ],
    params: &[
        ParamInfo {
            name: "file_mb",
            help: "size of each file, in MiB",
            default: "192",
        },
        ParamInfo {
            name: "files",
            help: "how many files each lane writes and reads back",
            default: "3",
        },
    ],
};

pub struct FileIoDemo;

impl Demo for FileIoDemo {
    fn info(&self) -> &'static DemoInfo {
        &INFO
    }

    fn start(&self, ctx: DemoCtx) -> Vec<JoinHandle<()>> {
        vec![
            spawn_async_lane(ID, "blocking", ctx.lane(0), true, |lane, lag| async move {
                file_lane(lane, lag, false).await
            }),
            spawn_async_lane(ID, "executor", ctx.lane(1), true, |lane, lag| async move {
                file_lane(lane, lag, true).await
            }),
        ]
    }
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
            lane.sink.log("epoll_ctl(ADD, regular file) = -1 EPERM");
            lane.sink
                .log("  regular files cannot be polled: loops use threads");
            lane.sink.metric("epoll_file_eperm", 1.0, Unit::Flag);
        }
        Err(e) => lane
            .sink
            .log(format!("epoll_ctl(ADD, regular file) = -1 ({e})")),
        Ok(()) => lane
            .sink
            .log("epoll_ctl(ADD, regular file) = 0 (unexpected)"),
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        lane.sink
            .log("epoll is Linux-only: the EPERM check is skipped here");
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

async fn file_lane(lane: LaneCtx, lag: LagStats, executor: bool) -> LaneResult {
    let mb = lane.params.u64_or("file_mb", 192).clamp(1, 4096) as usize;
    let files = lane.params.u64_or("files", 3).clamp(1, 20) as usize;
    // Shared with blocking tasks: the directory goes when the last user is done.
    // Named with our pid, so a later run can sweep it if we are killed.
    let dir = Arc::new(crate::tempfiles::demo_dir(ID).map_err(failed)?);
    let ticks = Arc::new(AtomicU64::new(0));
    let spinner = tokio::task::spawn_local(spin(lane.clone(), ticks.clone()));
    let started = lane.clock.now();
    let mut longest = Duration::ZERO;
    let mut written = 0u64;
    let mut calls: Vec<(String, String)> = Vec::new();
    let how = if executor {
        "spawn_blocking"
    } else {
        "in the coroutine"
    };
    lane.sink.log(format!(
        "{files} files of {mb} MiB, write + read back, {how}"
    ));
    // A moment of free loop first, so the spinner and the probe are running.
    lane.clock.sleep(Duration::from_millis(150)).await;
    for i in 0..files {
        let path: PathBuf = dir.path().join(format!("file-{i}.bin"));
        for write in [true, false] {
            let before = lag.samples();
            let t0 = Instant::now();
            let result = if executor {
                let (p, d, c) = (path.clone(), dir.clone(), lane.cancel.clone());
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
            } else if write {
                write_file(&path, mb, i as u64 + 1, &lane.cancel)
            } else {
                read_file(&path, &lane.cancel)
            };
            result.map_err(|e| {
                if lane.cancel.is_cancelled() {
                    LaneError::Cancelled
                } else {
                    failed(e)
                }
            })?;
            let took = lane.clock.to_demo(t0.elapsed());
            longest = longest.max(took);
            if write {
                written += (mb * BLOCK) as u64;
                if i == 0 && !executor {
                    show_epoll(&lane, &path);
                }
            }
            // Let the probe run once, so it can say how late it woke.
            lane.clock.sleep(Duration::from_millis(12)).await;
            let caused = lag.max_since(before);
            let what = if write { "write" } else { "read" };
            lane.sink.log(format!(
                "{what} {}: {:.0} ms call → loop lag {:.0} ms",
                i + 1,
                ms(took),
                caused
            ));
            calls.push((
                format!("{what} {}", i + 1),
                format!("{:>4.0} ms call → {:>4.0} ms lag", ms(took), caused),
            ));
            lane.sink
                .knows(calls.iter().rev().take(3).rev().cloned().collect());
            lane.sink
                .progress((2 * i + usize::from(!write) + 1) as u64, 2 * files as u64);
        }
    }
    spinner.abort();
    let _ = spinner.await;
    let elapsed = lane.clock.now() - started;
    let got = ticks.load(Ordering::SeqCst);
    let expected = (elapsed.as_secs_f64() / FRAME.as_secs_f64()).floor() as u64 + 1;
    lane.sink.count("spinner_ticks", got);
    lane.sink.count("expected_ticks", expected);
    lane.sink.metric("longest_call_ms", ms(longest), Unit::Ms);
    lane.sink
        .metric("bytes_written", written as f64, Unit::Bytes);
    lane.sink.metric("max_lag_ms", lag.max_ms(), Unit::Ms);
    lag.report_p99(&lane.sink);
    lane.sink
        .status(format!("spinner drew {got} of {expected} frames"));
    Ok(())
}

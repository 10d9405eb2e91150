//! A child process that never outlives its lane: the leader of its own
//! process group (so its own children, a process pool's workers, are
//! signalled with it), killed by the kernel if concur dies (Linux's
//! `PR_SET_PDEATHSIG`), and stopped with SIGTERM, then SIGKILL after a grace.
//!
//! The group is only ever signalled while its leader is unreaped: until it
//! is reaped its pid (the group's id) cannot be reused, so a signal can never
//! reach a stranger's processes.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{
    Child as StdChild, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio,
};
use std::time::{Duration, Instant};

use super::protocol::MAX_LINE;

/// How long a stopped script gets to clean up (its pool, its files) after
/// SIGTERM before the whole group gets SIGKILL.
pub const GRACE: Duration = Duration::from_millis(300);
/// Lines of stderr kept to explain a failure.
const STDERR_LINES: usize = 40;

pub struct Child {
    child: StdChild,
    pgid: libc::pid_t,
    reaped: Option<ExitStatus>,
}

/// Starts `program args` as the leader of a new process group, stdout and
/// stderr piped, stdin piped when `stdin` (the clock feed), else /dev/null.
pub fn spawn<S: AsRef<OsStr>>(program: &OsStr, args: &[S], stdin: bool) -> io::Result<Child> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid), allocating nothing.
    unsafe {
        cmd.pre_exec(move || die_with_parent(parent));
    }
    let child = cmd.spawn()?;
    let pgid = child.id() as libc::pid_t;
    Ok(Child {
        child,
        pgid,
        reaped: None,
    })
}

#[cfg(target_os = "linux")]
fn die_with_parent(parent: libc::pid_t) -> io::Result<()> {
    // SAFETY: plain system calls with constant arguments.
    unsafe {
        // The kernel sends SIGKILL when the thread that forked us ends: the
        // lane thread waits for this child, so that is when concur is gone.
        if libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        // concur died between fork and prctl: nobody would signal us.
        if libc::getppid() != parent {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_parent: libc::pid_t) -> io::Result<()> {
    // No parent-death signal here: the lane's helper exits when its stdin
    // (the clock feed) reaches end of file, which it does when concur dies.
    Ok(())
}

impl Child {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn take_pipes(&mut self) -> (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>) {
        (
            self.child.stdin.take(),
            self.child.stdout.take(),
            self.child.stderr.take(),
        )
    }

    /// Sends `sig` to the whole group (a no-op once the leader is reaped).
    pub fn signal_group(&self, sig: libc::c_int) {
        if self.reaped.is_none() {
            // SAFETY: killpg has no memory effects; the group is ours (see the module doc).
            unsafe {
                libc::killpg(self.pgid, sig);
            }
        }
    }

    /// Whether the leader has exited (without reaping it).
    pub fn has_exited(&self) -> bool {
        if self.reaped.is_some() {
            return true;
        }
        // SAFETY: waitid writes only into the siginfo we own.
        unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let r = libc::waitid(
                libc::P_PID,
                self.pgid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            r == 0 && info.si_pid() != 0
        }
    }

    /// Waits up to `limit` for the leader to exit on its own.
    pub fn wait_exit(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if self.has_exited() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The leader has exited: kill what is left of its group (workers it
    /// did not shut down), then reap it.
    pub fn reap(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.reaped {
            return Ok(status);
        }
        self.signal_group(libc::SIGKILL);
        let status = self.child.wait()?;
        self.reaped = Some(status);
        Ok(status)
    }

    /// Asks the group to end (SIGTERM, and SIGCONT in case it is paused),
    /// gives it [`GRACE`], then kills it; returns once the leader is reaped.
    pub fn stop(&mut self) -> io::Result<ExitStatus> {
        if self.reaped.is_none() {
            self.signal_group(libc::SIGTERM);
            self.signal_group(libc::SIGCONT);
            self.wait_exit(GRACE);
        }
        self.reap()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.reaped.is_none() {
            self.signal_group(libc::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

/// What the child said since the last look.
#[derive(Debug, PartialEq)]
pub enum Output {
    Line(String),
    /// A line longer than [`MAX_LINE`], or not UTF-8.
    Bad(String),
    /// stdout closed: the child exited (or closed it).
    Eof,
}

/// The child's stdout as lines and its stderr as a bounded tail, read
/// without threads: `poll` on both, then what is there.
pub struct Pipes {
    out: Option<ChildStdout>,
    err: Option<ChildStderr>,
    out_buf: Vec<u8>,
    err_buf: Vec<u8>,
    stderr: std::collections::VecDeque<String>,
}

impl Pipes {
    pub fn new(out: Option<ChildStdout>, err: Option<ChildStderr>) -> Pipes {
        Pipes {
            out,
            err,
            out_buf: Vec::new(),
            err_buf: Vec::new(),
            stderr: Default::default(),
        }
    }

    /// The last lines the child wrote to stderr.
    pub fn stderr_tail(&mut self) -> Vec<String> {
        if !self.err_buf.is_empty() {
            let rest = std::mem::take(&mut self.err_buf);
            self.push_err(&rest);
        }
        self.stderr.iter().cloned().collect()
    }

    fn push_err(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line).trim_end().to_string();
        if text.is_empty() {
            return;
        }
        if self.stderr.len() == STDERR_LINES {
            self.stderr.pop_front();
        }
        self.stderr.push_back(text);
    }

    /// Waits up to `timeout` for output; returns the complete lines read.
    pub fn read(&mut self, timeout: Duration) -> Vec<Output> {
        let mut fds = Vec::with_capacity(2);
        if let Some(o) = &self.out {
            fds.push(libc::pollfd {
                fd: o.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        if let Some(e) = &self.err {
            fds.push(libc::pollfd {
                fd: e.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        if fds.is_empty() {
            std::thread::sleep(timeout);
            return Vec::new();
        }
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: `fds` is a live array of pollfd of the length we pass.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n <= 0 {
            return Vec::new();
        }
        let ready = |fd: libc::c_int| {
            fds.iter().any(|p| {
                p.fd == fd && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
            })
        };
        let mut got = Vec::new();
        if self.err.as_ref().is_some_and(|e| ready(e.as_raw_fd())) {
            self.read_err();
        }
        if self.out.as_ref().is_some_and(|o| ready(o.as_raw_fd())) {
            self.read_out(&mut got);
        }
        got
    }

    fn read_err(&mut self) {
        let mut chunk = [0u8; 4096];
        let Some(err) = self.err.as_mut() else { return };
        match err.read(&mut chunk) {
            Ok(0) | Err(_) => self.err = None,
            Ok(n) => {
                self.err_buf.extend_from_slice(&chunk[..n]);
                while let Some(pos) = self.err_buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = self.err_buf.drain(..=pos).collect();
                    self.push_err(&line);
                }
                // A runaway stderr without newlines stays bounded.
                if self.err_buf.len() > MAX_LINE {
                    let line = std::mem::take(&mut self.err_buf);
                    self.push_err(&line[..MAX_LINE.min(line.len())]);
                }
            }
        }
    }

    fn read_out(&mut self, got: &mut Vec<Output>) {
        let mut chunk = [0u8; 16384];
        let Some(out) = self.out.as_mut() else { return };
        match out.read(&mut chunk) {
            Ok(0) | Err(_) => {
                self.out = None;
                if !self.out_buf.is_empty() {
                    let rest = std::mem::take(&mut self.out_buf);
                    got.push(to_line(rest));
                }
                got.push(Output::Eof);
            }
            Ok(n) => {
                self.out_buf.extend_from_slice(&chunk[..n]);
                while let Some(pos) = self.out_buf.iter().position(|b| *b == b'\n') {
                    let mut line: Vec<u8> = self.out_buf.drain(..=pos).collect();
                    line.pop();
                    got.push(to_line(line));
                }
                if self.out_buf.len() > MAX_LINE {
                    let head: Vec<u8> = self.out_buf.drain(..).take(80).collect();
                    got.push(Output::Bad(format!(
                        "a line longer than {MAX_LINE} bytes: `{}…`",
                        String::from_utf8_lossy(&head)
                    )));
                }
            }
        }
    }
}

fn to_line(bytes: Vec<u8>) -> Output {
    match String::from_utf8(bytes) {
        Ok(s) => Output::Line(s.trim_end_matches('\r').to_string()),
        Err(e) => Output::Bad(format!(
            "output that is not UTF-8: `{}`",
            String::from_utf8_lossy(&e.into_bytes()[..])
                .chars()
                .take(60)
                .collect::<String>()
        )),
    }
}

/// The processes whose process group is `pgid` and that still run (not
/// zombies), from /proc: for tests, and to say what a stop left behind.
pub fn live_in_group(pgid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // After the command's closing parenthesis: state ppid pgrp ...
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut f = rest.split_whitespace();
            let state = f.next().unwrap_or("Z");
            let group = f.nth(1).and_then(|g| g.parse::<u32>().ok());
            group == Some(pgid) && state != "Z" && state != "X"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_group_leaves_nothing_running() {
        // A leader with a child of its own (a pool's worker, say) that
        // ignores SIGTERM: the grace ends, SIGKILL takes both.
        let script = "trap '' TERM; sleep 30 & trap '' TERM; sleep 30; wait";
        let mut c = spawn(OsStr::new("sh"), &["-c", script], false).expect("sh runs");
        let pgid = c.pid();
        let deadline = Instant::now() + Duration::from_secs(5);
        while live_in_group(pgid).len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(live_in_group(pgid).len() >= 2, "the group started");
        let t0 = Instant::now();
        c.stop().expect("reaped");
        assert!(
            t0.elapsed() < GRACE + Duration::from_secs(2),
            "{:?}",
            t0.elapsed()
        );
        let deadline = Instant::now() + Duration::from_secs(2);
        while !live_in_group(pgid).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(live_in_group(pgid), Vec::<u32>::new());
    }

    #[test]
    fn lines_garbage_and_eof_are_told_apart() {
        let script = "printf '{\"a\":1}\\nnot json\\n'; printf 'oops' >&2; printf '\\377\\n'";
        let mut c = spawn(OsStr::new("sh"), &["-c", script], false).expect("sh runs");
        let (_, out, err) = c.take_pipes();
        let mut pipes = Pipes::new(out, err);
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !got.contains(&Output::Eof) && Instant::now() < deadline {
            got.extend(pipes.read(Duration::from_millis(50)));
        }
        assert_eq!(got[0], Output::Line("{\"a\":1}".into()));
        assert_eq!(got[1], Output::Line("not json".into()));
        assert!(
            matches!(&got[2], Output::Bad(m) if m.contains("UTF-8")),
            "{got:?}"
        );
        assert_eq!(got.last(), Some(&Output::Eof));
        c.wait_exit(Duration::from_secs(5));
        // Whatever is left in the pipe is read once the child is gone.
        let _ = pipes.read(Duration::from_millis(50));
        assert_eq!(pipes.stderr_tail(), vec!["oops".to_string()]);
        assert!(c.reap().expect("reaped").success());
    }
}

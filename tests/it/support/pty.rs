//! Running the real binary in a pseudo-terminal and reading its screen.
//!
//! Only one such process runs at a time: `Pty::spawn` needs the [`Serial`]
//! token from [`serial`]. Ten copies of the debug binary starting at once on
//! a 2-core machine, each running demo threads, made the waits below race
//! each other; one at a time, each wait measures the app, not the crowd.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

static PTY: Mutex<()> = Mutex::new(());

/// Held for the whole of one end-to-end test.
pub struct Serial {
    _guard: MutexGuard<'static, ()>,
}

/// Waits for the other end-to-end tests to finish. A test that failed while
/// holding the lock poisons it; that failure is already reported, so the
/// next test goes ahead.
pub fn serial() -> Serial {
    Serial {
        _guard: PTY.lock().unwrap_or_else(|e| e.into_inner()),
    }
}

pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    /// Ends at end of file, once the app (the last holder of the slave side)
    /// has exited; joined so the screen is complete before it is read.
    reader: Option<JoinHandle<()>>,
}

/// The parser and the raw bytes, readable even after a reader thread
/// panicked while holding them.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pty {
    /// Starts the concur binary with `args` and the extra environment
    /// `envs` on a `cols` x `rows` terminal.
    pub fn spawn(_: &Serial, args: &[&str], envs: &[(&str, &str)], cols: u16, rows: u16) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_concur"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env("LANG", "C.UTF-8");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn concur");
        // Our copy of the slave side would keep the reader from ever seeing
        // the end of the output.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let size = |n: u16| std::num::NonZeroU16::new(n).expect("a terminal of at least 1x1");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(size(rows), size(cols), 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Linux reports the closed slave side as EIO rather than 0.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                lock(&p).process(&buf[..n]);
                lock(&r).extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master: pair.master,
            child,
            writer,
            parser,
            raw,
            reader: Some(reader),
        }
    }

    /// Resizes the terminal (the app gets SIGWINCH), and the screen model.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
        let size = |n: u16| std::num::NonZeroU16::new(n).expect("a terminal of at least 1x1");
        lock(&self.parser).set_size(size(rows), size(cols));
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    pub fn screen(&self) -> String {
        lock(&self.parser).screen().contents()
    }

    /// The screen's rows, each as text (a wide character once).
    pub fn rows(&self) -> Vec<String> {
        let p = lock(&self.parser);
        let (_, cols) = p.screen().size();
        p.screen().rows(0, cols.get()).collect()
    }

    pub fn raw_output(&self) -> String {
        String::from_utf8_lossy(&lock(&self.raw)).into_owned()
    }

    /// Waits until `pred` holds for the screen, or panics with the screen.
    #[track_caller]
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[track_caller]
    pub fn wait_text(&self, text: &str, timeout: Duration) {
        self.wait_for(text, timeout, |s| s.contains(text));
    }

    /// Waits for the process to end and for its last output to be read;
    /// returns whether it exited with success.
    #[track_caller]
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        self.wait_exit_code(timeout) == 0
    }

    /// Like `wait_exit`, with the exit code.
    #[track_caller]
    pub fn wait_exit_code(&mut self, timeout: Duration) -> u32 {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the app did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The app has exited, so the slave side is closed and the reader
        // reaches the end of the output. Bounded anyway: a grandchild still
        // holding the terminal would be a bug to report, not to wait on.
        if let Some(reader) = self.reader.take() {
            while !reader.is_finished() {
                assert!(
                    Instant::now() < deadline,
                    "the app exited but its terminal output never ended"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            reader.join().expect("the PTY reader panicked");
        }
        status.exit_code()
    }

    /// Asserts the terminal is as the app found it: main screen, cursor
    /// shown, no mouse reporting, and the line discipline back in cooked mode.
    #[track_caller]
    pub fn assert_restored(&self) {
        assert!(
            self.reader.is_none(),
            "wait_exit first: the screen is only complete once the app has exited"
        );
        let p = lock(&self.parser);
        let s = p.screen();
        assert!(!s.alternate_screen(), "still on the alternate screen");
        assert!(!s.hide_cursor(), "cursor still hidden");
        assert_eq!(
            s.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "mouse still captured"
        );
        let t = self.termios();
        assert!(
            t.c_lflag & libc::ICANON != 0,
            "raw mode still on (ICANON off)"
        );
        assert!(t.c_lflag & libc::ECHO != 0, "raw mode still on (ECHO off)");
    }

    /// Asserts the app has the terminal in raw mode (a check of the check).
    #[track_caller]
    pub fn assert_raw(&self) {
        assert!(
            self.termios().c_lflag & libc::ICANON == 0,
            "raw mode is not on"
        );
        assert!(lock(&self.parser).screen().alternate_screen());
    }

    fn termios(&self) -> libc::termios {
        let fd = self.master.as_raw_fd().expect("pty fd");
        // SAFETY: `termios` is plain data; tcgetattr fills it for a valid fd,
        // and the master fd stays open while `self` lives.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0, "tcgetattr");
        t
    }

    pub fn pid(&self) -> i32 {
        self.child.process_id().expect("pid") as i32
    }

    /// Sends a signal to the app.
    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) has no memory effects; the pid is our own child,
        // not yet reaped (the `Pty` still owns it).
        assert_eq!(unsafe { libc::kill(self.pid(), sig) }, 0, "kill");
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

//! A tiny executor written out in full: a ready queue, a timer heap and a
//! reactor on real socket readiness (poll(2)). It advances one step at a
//! time — one poll, one timer firing, or one reactor wake — so a student
//! can watch it work. Its time is virtual (timers jump it forward), so the
//! same steps come out every run.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::Future;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::tasks::{Boxed, Env};
use super::traced::{note_chain, take_chain};
use crate::i18n::LocalText;
use crate::tr;

/// What the leaf futures reach: timers, reactor, the virtual clock.
#[derive(Default)]
struct Shared {
    now_ms: u64,
    seq: u64,
    /// (deadline, seq, task): the heap; the wakers live beside it.
    timers: BinaryHeap<Reverse<(u64, u64, usize)>>,
    timer_wakers: HashMap<u64, Waker>,
    reactor: Vec<(RawFd, usize, Waker)>,
    /// The task being polled now (the leaves register for it).
    current: usize,
    /// What each waiting task waits on.
    waiting: HashMap<usize, LocalText>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<Shared>>>> = const { RefCell::new(None) };
}

fn with_shared<T>(f: impl FnOnce(&mut Shared) -> T) -> T {
    CURRENT.with(|c| {
        let c = c.borrow();
        let shared = c
            .as_ref()
            .expect("a leaf future polled outside the hand executor");
        let mut s = shared.borrow_mut();
        f(&mut s)
    })
}

struct TaskWaker {
    id: usize,
    ready: Arc<Mutex<VecDeque<usize>>>,
    wakes: Arc<AtomicU64>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
        let mut q = self.ready.lock().unwrap_or_else(|e| e.into_inner());
        if !q.contains(&self.id) {
            q.push_back(self.id);
        }
    }
}

/// Leaf: a timer on the executor's heap.
struct Sleep {
    ms: u64,
    deadline: Option<u64>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        note_chain(&format!("Sleep({} ms)", self.ms));
        let ms = self.ms;
        let deadline = *self
            .deadline
            .get_or_insert_with(|| with_shared(|s| s.now_ms + ms));
        with_shared(|s| {
            if s.now_ms >= deadline {
                return Poll::Ready(());
            }
            s.seq += 1;
            let (seq, task) = (s.seq, s.current);
            s.timers.push(Reverse((deadline, seq, task)));
            s.timer_wakers.insert(seq, cx.waker().clone());
            s.waiting.insert(
                task,
                tr!("timer @ {deadline} ms", "定时器 @ {deadline} 毫秒"),
            );
            Poll::Pending
        })
    }
}

/// Leaf: data on a socket, asked of the kernel with poll(2) (no waiting).
struct Readable {
    fd: RawFd,
}

fn readable_now(fd: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd we own; timeout 0 never blocks.
    unsafe { libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLIN != 0 }
}

impl Future for Readable {
    type Output = Vec<u8>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<u8>> {
        note_chain("Readable(socket)");
        if readable_now(self.fd) {
            let mut buf = [0u8; 64];
            // SAFETY: buf is valid for 64 bytes; the socket is non-blocking.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            return Poll::Ready(buf[..n.max(0) as usize].to_vec());
        }
        with_shared(|s| {
            let task = s.current;
            s.reactor.push((self.fd, task, cx.waker().clone()));
            s.waiting.insert(task, tr!("socket readable", "套接字可读"));
        });
        Poll::Pending
    }
}

/// The Env of the hand executor: its own leaves over a real socket pair.
pub struct HandEnv {
    pub read_fd: RawFd,
    pub write_fd: RawFd,
    pub said: RefCell<Vec<String>>,
}

impl Env for HandEnv {
    fn sleep(&self, ms: u64) -> Boxed<()> {
        Box::pin(Sleep { ms, deadline: None })
    }

    fn readable(&self) -> Boxed<Vec<u8>> {
        Box::pin(Readable { fd: self.read_fd })
    }

    fn send(&self, bytes: &[u8]) {
        // SAFETY: bytes is valid; a write to our own socket.
        unsafe { libc::write(self.write_fd, bytes.as_ptr().cast(), bytes.len()) };
    }

    fn say(&self, text: String) {
        self.said.borrow_mut().push(text);
    }
}

pub struct Task {
    pub name: &'static str,
    fut: Option<Boxed<()>>,
    pub polls: u64,
    pub suspensions: u64,
}

/// One step of the executor, as the student sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepInfo {
    pub what: LocalText,
    /// What woke a task in this step, if anything did.
    pub woke: Option<LocalText>,
    pub chain: String,
}

pub struct HandExec {
    shared: Rc<RefCell<Shared>>,
    ready: Arc<Mutex<VecDeque<usize>>>,
    wakes: Arc<AtomicU64>,
    pub tasks: Vec<Task>,
    pub polls: u64,
    pub timer_fires: u64,
    pub steps: u64,
    pub tasks_done: u64,
}

impl HandExec {
    pub fn new(tasks: Vec<(&'static str, Boxed<()>)>) -> HandExec {
        let ready = Arc::new(Mutex::new((0..tasks.len()).collect::<VecDeque<_>>()));
        HandExec {
            shared: Rc::default(),
            ready,
            wakes: Arc::default(),
            tasks: tasks
                .into_iter()
                .map(|(name, fut)| Task {
                    name,
                    fut: Some(fut),
                    polls: 0,
                    suspensions: 0,
                })
                .collect(),
            polls: 0,
            timer_fires: 0,
            steps: 0,
            tasks_done: 0,
        }
    }

    pub fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Relaxed)
    }

    pub fn now_ms(&self) -> u64 {
        self.shared.borrow().now_ms
    }

    fn name(&self, id: usize) -> &'static str {
        self.tasks.get(id).map_or("?", |t| t.name)
    }

    /// One poll, one reactor wake or one timer firing; `None` when all is done.
    pub fn step(&mut self) -> Option<StepInfo> {
        let next = self
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let info = if let Some(id) = next {
            self.poll(id)
        } else if let Some(info) = self.reactor_wake() {
            info
        } else {
            self.fire_timer()?
        };
        self.steps += 1;
        Some(info)
    }

    fn poll(&mut self, id: usize) -> StepInfo {
        let waker = Waker::from(Arc::new(TaskWaker {
            id,
            ready: self.ready.clone(),
            wakes: self.wakes.clone(),
        }));
        let mut cx = Context::from_waker(&waker);
        {
            let mut s = self.shared.borrow_mut();
            s.current = id;
            s.waiting.remove(&id);
        }
        CURRENT.with(|c| *c.borrow_mut() = Some(self.shared.clone()));
        let name = self.tasks[id].name;
        let task = &mut self.tasks[id];
        let result = match task.fut.as_mut() {
            Some(fut) => fut.as_mut().poll(&mut cx),
            None => Poll::Ready(()),
        };
        CURRENT.with(|c| *c.borrow_mut() = None);
        task.polls += 1;
        self.polls += 1;
        let chain = take_chain();
        let what = match result {
            Poll::Ready(()) => {
                task.fut = None;
                self.tasks_done += 1;
                tr!("poll {name} → Ready: done", "poll {name} → Ready：完成")
            }
            Poll::Pending => {
                task.suspensions += 1;
                let on = self
                    .shared
                    .borrow()
                    .waiting
                    .get(&id)
                    .cloned()
                    .unwrap_or_default();
                tr!(
                    "poll {name} → Pending, waits on {on}",
                    "poll {name} → Pending，等待{on}";
                    on
                )
            }
        };
        StepInfo {
            what,
            woke: None,
            chain,
        }
    }

    fn reactor_wake(&mut self) -> Option<StepInfo> {
        let ready: Vec<(RawFd, usize, Waker)> = {
            let mut s = self.shared.borrow_mut();
            let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut s.reactor)
                .into_iter()
                .partition(|(fd, _, _)| readable_now(*fd));
            s.reactor = later;
            now
        };
        if ready.is_empty() {
            return None;
        }
        let names: Vec<&str> = ready.iter().map(|(_, t, _)| self.name(*t)).collect();
        let names = names.join(", ");
        let woke = tr!(
            "reactor: socket readable → {names}",
            "reactor：套接字可读 → {names}"
        );
        for (_, _, w) in ready {
            w.wake();
        }
        Some(StepInfo {
            what: woke.clone(),
            woke: Some(woke),
            chain: String::new(),
        })
    }

    fn fire_timer(&mut self) -> Option<StepInfo> {
        let (deadline, seq, task, waker) = {
            let mut s = self.shared.borrow_mut();
            let Reverse((deadline, seq, task)) = s.timers.pop()?;
            s.now_ms = s.now_ms.max(deadline);
            let waker = s.timer_wakers.remove(&seq);
            (deadline, seq, task, waker)
        };
        let _ = seq;
        self.timer_fires += 1;
        if let Some(w) = waker {
            w.wake();
        }
        let name = self.name(task);
        let woke = tr!(
            "timer @ {deadline} ms fires → {name}",
            "定时器 @ {deadline} 毫秒触发 → {name}"
        );
        Some(StepInfo {
            what: woke.clone(),
            woke: Some(woke),
            chain: String::new(),
        })
    }

    /// The state for the step view: ready queue, timers, who waits on what.
    pub fn view(&self, last: &StepInfo) -> Vec<(LocalText, LocalText)> {
        let s = self.shared.borrow();
        let ready: Vec<&str> = self
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|id| self.name(*id))
            .collect();
        let mut timers: Vec<(u64, usize)> =
            s.timers.iter().map(|Reverse((d, _, t))| (*d, *t)).collect();
        timers.sort_unstable();
        let timers: Vec<String> = timers
            .iter()
            .map(|(d, t)| format!("{} @ {d} ms", self.name(*t)))
            .collect();
        let none = || LocalText::same("—");
        let queued = self.ready.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut waiting: Vec<LocalText> = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let name = t.name;
                match (&t.fut, s.waiting.get(&i)) {
                    (None, _) => tr!("{name} done", "{name} 完成"),
                    (Some(_), _) if queued.contains(&i) => tr!("{name}: ready", "{name}：就绪"),
                    (Some(_), Some(on)) => tr!("{name}: {on}", "{name}：{on}"; on),
                    (Some(_), None) => tr!("{name}: ready", "{name}：就绪"),
                }
            })
            .collect();
        waiting.dedup();
        let join = |parts: &[LocalText]| LocalText {
            en: parts
                .iter()
                .map(|p| p.en.as_str())
                .collect::<Vec<_>>()
                .join(" · "),
            zh: parts
                .iter()
                .map(|p| p.zh.as_str())
                .collect::<Vec<_>>()
                .join(" · "),
        };
        let steps = self.steps;
        vec![
            (tr!("step", "步骤"), {
                let what = &last.what;
                tr!("{steps} · {what}", "{steps} · {what}"; what)
            }),
            (tr!("time", "时间"), tr!("{} ms", "{} 毫秒", s.now_ms)),
            (
                tr!("ready queue", "就绪队列"),
                LocalText::same(format!("[{}]", ready.join(", "))),
            ),
            (
                tr!("timers", "定时器"),
                if timers.is_empty() {
                    none()
                } else {
                    LocalText::same(timers.join(", "))
                },
            ),
            (tr!("tasks", "任务"), join(&waiting)),
            (
                tr!("woken by", "唤醒者"),
                last.woke.clone().unwrap_or_else(none),
            ),
            (
                tr!("await chain", "await 链"),
                if last.chain.is_empty() {
                    none()
                } else {
                    LocalText::same(last.chain.clone())
                },
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn the_step_view_on_fixed_steps() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let env = Rc::new(HandEnv {
            read_fd: b.as_raw_fd(),
            write_fd: a.as_raw_fd(),
            said: Default::default(),
        });
        let dyn_env: Rc<dyn Env> = env.clone();
        let mut exec = HandExec::new(super::super::tasks::tasks(&dyn_env));
        let mut shots = Vec::new();
        while let Some(info) = exec.step() {
            if [1, 4, 8, 9, 11].contains(&exec.steps) {
                let rows: Vec<String> = exec
                    .view(&info)
                    .iter()
                    .map(|(k, v)| format!("{} = {}", k.en, v.en))
                    .collect();
                shots.push(rows.join("\n"));
            }
        }
        assert_eq!(exec.steps, 11);
        assert_eq!(
            env.said.borrow().as_slice(),
            [
                "ticker: tick 1",
                "sender: wrote \"hello\" to the socket",
                "greeter: got \"hello\"",
                "ticker: tick 2",
            ]
        );
        insta::assert_snapshot!("executor_steps", shots.join("\n---\n"));
    }
}

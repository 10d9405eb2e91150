//! A small callback loop in the spirit of asyncio's: a queue of ready
//! callbacks and a heap of timers. A callback that raises (panics) does not
//! stop the loop: the loop's exception handler logs it and goes on, as
//! asyncio's does, so whoever waited for that callback's result is never
//! told. The loop runs until `stop()` or until nothing is left.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use super::trace::Trace;
use crate::demo::{Cancelled, LaneCtx};
use crate::i18n::LocalText;
use crate::tr;

pub type Callback = Box<dyn FnOnce(&mut Loop)>;

struct Timer {
    at: Duration,
    seq: u64,
    callback: Callback,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

pub struct Loop {
    pub lane: LaneCtx,
    pub trace: Trace,
    ready: VecDeque<Callback>,
    timers: BinaryHeap<Reverse<Timer>>,
    seq: u64,
    pub turns: u64,
    /// Exceptions the loop's handler caught (and only logged).
    pub lost_exceptions: u64,
    stopped: bool,
}

impl Loop {
    pub fn new(lane: LaneCtx, trace: Trace) -> Loop {
        Loop {
            lane,
            trace,
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            seq: 0,
            turns: 0,
            lost_exceptions: 0,
            stopped: false,
        }
    }

    /// Ends `run` after the callback that is running now.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    #[cfg(test)]
    pub fn call_soon(&mut self, callback: impl FnOnce(&mut Loop) + 'static) {
        self.ready.push_back(Box::new(callback));
    }

    /// Runs `callback` after `delay` of demo time.
    pub fn set_timeout(&mut self, delay: Duration, callback: impl FnOnce(&mut Loop) + 'static) {
        self.seq += 1;
        let at = self.lane.clock.now() + delay;
        self.timers.push(Reverse(Timer {
            at,
            seq: self.seq,
            callback: Box::new(callback),
        }));
    }

    /// Runs until `stop()` or until no callback and no timer is left.
    pub fn run(&mut self) -> Result<(), Cancelled> {
        loop {
            while let Some(cb) = self.ready.pop_front() {
                self.lane.cancel.check()?;
                self.turns += 1;
                let raised = std::panic::catch_unwind(AssertUnwindSafe(|| cb(self)));
                if let Err(panic) = raised {
                    self.exception_handler(panic);
                }
                if self.stopped {
                    return Ok(());
                }
            }
            let Some(Reverse(timer)) = self.timers.pop() else {
                return Ok(());
            };
            // Nothing ready: the loop waits for the next timer (real time).
            self.lane
                .clock
                .sleep_until_blocking(timer.at, &self.lane.cancel)?;
            self.ready.push_back(timer.callback);
        }
    }
}

impl Loop {
    /// What asyncio's default exception handler does: log, and go on.
    fn exception_handler(&mut self, panic: Box<dyn std::any::Any + Send>) {
        self.lost_exceptions += 1;
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        self.lane.sink.log(tr!(
            "loop: exception in callback (logged, then ignored):",
            "loop：回调里出了异常（记一条日志，然后不管了）："
        ));
        self.lane.sink.log(LocalText::same(format!("  {msg}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn timers_fire_in_order_and_the_loop_ends_when_empty() {
        let lane = test_lane();
        let trace = Trace::new(lane.clone(), "", "job", 0);
        let mut lp = Loop::new(lane, trace);
        let order = Rc::new(RefCell::new(Vec::new()));
        for (ms, name) in [(30, "c"), (10, "a"), (20, "b")] {
            let o = order.clone();
            lp.set_timeout(Duration::from_millis(ms), move |_| {
                o.borrow_mut().push(name)
            });
        }
        let o = order.clone();
        lp.call_soon(move |_| o.borrow_mut().push("now"));
        lp.run().unwrap();
        assert_eq!(*order.borrow(), ["now", "a", "b", "c"]);
        assert_eq!(lp.turns, 4);
    }

    fn test_lane() -> LaneCtx {
        let (senders, _stream) = crate::demo::sink::channels();
        let clock = crate::demo::Clock::new(1.0);
        let info = crate::demo::find("callbacks").map(|d| d.info());
        let sink = crate::demo::EventSink::new(
            senders,
            crate::demo::RunId(1),
            clock.clone(),
            Default::default(),
            info.expect("the callbacks demo is registered"),
        );
        LaneCtx {
            sink: sink.lane(0),
            cancel: crate::demo::Cancel::new(),
            clock,
            interactive: false,
            open_ended: false,
        }
    }

    #[test]
    fn a_raising_callback_is_logged_and_the_loop_goes_on() {
        let lane = test_lane();
        let mut lp = Loop::new(lane.clone(), Trace::new(lane, "", "job", 0));
        let ran = Rc::new(RefCell::new(false));
        lp.call_soon(|_| panic!("boom"));
        let r = ran.clone();
        lp.call_soon(move |_| *r.borrow_mut() = true);
        lp.run().unwrap();
        assert_eq!(lp.lost_exceptions, 1);
        assert!(*ran.borrow(), "the next callback still ran");
    }

    #[test]
    fn stop_ends_the_loop_with_timers_left() {
        let lane = test_lane();
        let mut lp = Loop::new(lane.clone(), Trace::new(lane, "", "job", 0));
        lp.set_timeout(Duration::from_secs(3600), |_| {});
        lp.call_soon(|lp| lp.stop());
        lp.run().unwrap();
        assert_eq!(lp.turns, 1);
    }
}

//! A small callback loop in the spirit of Node's: a queue of ready
//! callbacks and a heap of timers. Nothing runs unless a callback was
//! registered; when both are empty, the loop is done.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use super::services::Trace;
use crate::demo::{Cancelled, LaneCtx};

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
        }
    }

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

    /// Runs until no callback and no timer is left.
    pub fn run(&mut self) -> Result<(), Cancelled> {
        loop {
            while let Some(cb) = self.ready.pop_front() {
                self.lane.cancel.check()?;
                self.turns += 1;
                cb(self);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn timers_fire_in_order_and_the_loop_ends_when_empty() {
        let (senders, _stream) = crate::demo::sink::channels();
        let clock = crate::demo::Clock::new(1.0);
        let sink = crate::demo::EventSink::new(senders, 1, clock.clone(), Default::default());
        let lane = LaneCtx {
            sink: sink.lane(0),
            cancel: crate::demo::Cancel::new(),
            clock,
            params: Default::default(),
            interactive: false,
        };
        let trace = Trace::new(lane.clone(), "", "job");
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
}

//! The character finder, checked with real clients on real sockets, with
//! margins that hold on a loaded 2-core machine.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::*;
use crate::demo::python::tests::{child_pid, gone, python_here};
use crate::demo::{
    DemoEvent, DemoRun, DemoView, EventKind, HeadlessOptions, LaneState, LaneView, Params, Watched,
    run_headless, sink,
};

/// The tests count this demo's threads and ports: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn fig(lane: &LaneView, name: &str) -> f64 {
    lane.metric(name)
        .unwrap_or_else(|| panic!("{} did not report {name}", lane.name()))
}

/// The addresses a lane logs: (line protocol, HTTP).
fn addresses(line: &str) -> Option<(bool, SocketAddr)> {
    if let Some(rest) = line.strip_prefix("nc ") {
        return Some((false, rest.split(',').next()?.parse().ok()?));
    }
    let rest = line.strip_prefix("browser: http://")?;
    Some((true, rest.split('/').next()?.parse().ok()?))
}

/// A real line-protocol client: the rows for `query`.
fn ask_line(addr: SocketAddr, query: &str) -> Vec<String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut prompt = [0u8; 3];
    std::io::Read::read_exact(&mut reader, &mut prompt).unwrap();
    assert_eq!(&prompt, b"?> ");
    (&stream)
        .write_all(format!("{query}\r\n").as_bytes())
        .unwrap();
    let mut rows = Vec::new();
    loop {
        let mut buf = Vec::new();
        // Rows end with CRLF; the answer ends with the next prompt.
        let n = reader.read_until(b' ', &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        if n == 0 || text == "?> " {
            break;
        }
        let mut rest = String::new();
        reader.read_line(&mut rest).unwrap();
        rows.push(format!("{text}{}", rest.trim_end()));
    }
    rows
}

/// A real HTTP client: the JSON answer's characters as rows.
fn ask_http(addr: SocketAddr, query: &str) -> Vec<String> {
    let url = format!("http://{addr}/json?q={}", query.replace(' ', "+"));
    let mut response = ureq::get(&url).call().unwrap();
    let body = response.body_mut().read_to_string().unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["chars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}  {}  {}",
                c["code"].as_str().unwrap(),
                c["char"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn every_lane_answers_the_same_over_tcp_and_http() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The Python lane answers from concur's table with its own code.
    let python =
        python_here("charfinder::every_lane_answers_the_same_over_tcp_and_http (py-event-loop)");
    let lanes = if python { 3 } else { 2 };
    let p = Params::new()
        .with("levels", "[3]")
        .with("hold_ms", "200")
        .with("think_ms", "100");
    let queries = ["cat face", "chess black king", "arrow leftwards", "cjk"];
    let mut answers: BTreeMap<(usize, bool, &str), Vec<String>> = BTreeMap::new();
    let on_event = |_: &DemoView, ev: &DemoEvent| {
        if let EventKind::Log(line) = &ev.kind
            && let Some((http, addr)) = addresses(&line.en)
        {
            for q in queries {
                let rows = if http {
                    ask_http(addr, q)
                } else {
                    ask_line(addr, q)
                };
                answers.insert((ev.lane, http, q), rows);
            }
        }
    };
    let out = run_headless(&DEMO, p, HeadlessOptions::default(), on_event).unwrap();
    assert!(out.completed && out.clean_stop);
    assert_eq!(
        answers.len(),
        lanes * 2 * queries.len(),
        "every lane, both protocols, every query"
    );
    let cat = &answers[&(0, false, "cat face")];
    assert!(cat.iter().any(|r| r == "U+1F431  🐱  CAT FACE"), "{cat:?}");
    assert!(
        cat.len() >= 5 && cat.iter().all(|r| r.contains("CAT FACE")),
        "{cat:?}"
    );
    // `cjk` matches more than the 500 rows an answer shows.
    assert!(
        answers[&(0, false, "cjk")]
            .last()
            .unwrap()
            .starts_with("… +")
    );
    for q in queries {
        let reference = &answers[&(0, false, q)];
        for lane in 0..lanes {
            for http in [false, true] {
                let key = (lane, http, q);
                if http && q == "cjk" {
                    // JSON carries the rows without the "… +N" line.
                    assert_eq!(answers[&key][..], reference[..reference.len() - 1]);
                } else {
                    assert_eq!(&answers[&key], reference, "{key:?}");
                }
            }
        }
    }
    assert!(
        answers[&(1, true, "chess black king")]
            .iter()
            .any(|r| r.starts_with("U+265A  ♚"))
    );
    if python {
        let py = out.view.lane("py-event-loop").unwrap();
        assert_eq!(py.state, LaneState::Done, "{:?}", py.error);
        assert_eq!(
            fig(py, "errors"),
            0.0,
            "the load got every answer as long as the Rust index says"
        );
    }
}

/// Runs the lesson's predict question `id`, checks that choice `right`
/// (counted from 0) is the one that holds, and returns the run.
fn lesson_run(id: &str, right: usize) -> crate::demo::Outcome {
    use crate::quiz::{Response, grade};
    let (q, params) = crate::demo::shipped_question("servers", id);
    let out = run_headless(&DEMO, params, HeadlessOptions::default(), |_, _| {}).unwrap();
    assert!(out.completed && out.clean_stop);
    let g = grade(&q, &Response::Predict(right), Some(&out.view));
    assert!(g.correct, "{id}: {:?}", g.measured);
    assert_eq!(g.holding, vec![right], "{id}: {:?}", g.measured);
    out
}

#[test]
fn the_event_loop_holds_a_thousand_clients_on_one_thread() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The lesson's run: 10, 100, then 1000 clients ("several times more").
    let out = lesson_run("predict-memory-per-client", 0);
    let (threads, ev) = (
        out.view.lane("threads").unwrap(),
        out.view.lane("event-loop").unwrap(),
    );
    for lane in [threads, ev] {
        assert_eq!(lane.state, LaneState::Done, "{}", lane.name());
        assert_eq!(fig(lane, "clients"), 1000.0, "{}", lane.name());
        assert_eq!(fig(lane, "errors"), 0.0, "{}", lane.name());
    }
    assert_eq!(fig(ev, "threads"), 1.0);
    // A thread per client, and the two that accept.
    assert!(fig(threads, "threads") >= 1000.0);
    // A thread costs its stack's touched pages, a task a few small heap
    // objects: several times as much, measured (18 vs 2 KiB here).
    let (t, e) = (fig(threads, "kib_per_client"), fig(ev, "kib_per_client"));
    assert!(
        t > 3.0 * e && t > 4.0,
        "threads {t} KiB, event loop {e} KiB"
    );
    if !python_here(
        "charfinder::the_event_loop_holds_a_thousand_clients_on_one_thread (py-event-loop)",
    ) {
        return;
    }
    // asyncio too: one thread for the thousand, and a coroutine with its
    // streams costs less than a thread (about 6 vs 18 KiB here).
    let py = out.view.lane("py-event-loop").unwrap();
    assert_eq!(py.state, LaneState::Done, "{:?}", py.error);
    assert_eq!(fig(py, "clients"), 1000.0);
    assert_eq!(fig(py, "errors"), 0.0);
    assert_eq!(fig(py, "threads"), 1.0, "the child has one OS thread");
    let p = fig(py, "kib_per_client");
    assert!(p > 0.0 && p < t, "asyncio {p} KiB, threads {t} KiB");
}

#[test]
fn a_blocking_handler_slows_every_client_on_the_loop_only() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The lesson's run: 100 clients, one handler sleeps 500 ms per answer
    // ("on the event loop most clients; with threads only that one").
    let out = lesson_run("predict-blocking-handler", 1);
    let (threads, ev) = (
        out.view.lane("threads").unwrap(),
        out.view.lane("event-loop").unwrap(),
    );
    // With threads only the blocked handler's own client waits...
    assert!(
        fig(threads, "slow_clients") <= 3.0,
        "{}",
        fig(threads, "slow_clients")
    );
    assert!(fig(threads, "p50_ms") < 100.0);
    // ...on the loop, every client that asks in the meantime does.
    assert!(
        fig(ev, "slow_clients") >= 30.0,
        "{}",
        fig(ev, "slow_clients")
    );
    assert!(fig(ev, "p50_ms") > 50.0, "{}", fig(ev, "p50_ms"));
    if !python_here(
        "charfinder::a_blocking_handler_slows_every_client_on_the_loop_only (py-event-loop)",
    ) {
        return;
    }
    // time.sleep() in one coroutine holds asyncio's only thread: the same.
    let py = out.view.lane("py-event-loop").unwrap();
    assert_eq!(py.state, LaneState::Done, "{:?}", py.error);
    assert!(
        fig(py, "slow_clients") >= 30.0,
        "{}",
        fig(py, "slow_clients")
    );
    assert!(fig(py, "p50_ms") > 50.0, "{}", fig(py, "p50_ms"));
    assert_eq!(fig(py, "errors"), 0.0);
}

#[test]
fn serves_until_stopped_then_leaves_nothing_behind() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (senders, stream) = sink::channels();
    let python =
        python_here("charfinder::serves_until_stopped_then_leaves_nothing_behind (py-event-loop)");
    let lanes = if python { 3 } else { 2 };
    let p = Params::new()
        .with("levels", "[20, 300]")
        .with("hold_ms", "300");
    // In the app the servers stay up after the load, until the step is left.
    let run = DemoRun::start(&DEMO, &p, 1.0, senders, Watched::InApp).unwrap();
    let mut view = DemoView::new(&INFO, p);
    view.reset(run.run);
    let mut addrs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    // Wait until every lane has measured and still serves.
    let serving = |v: &DemoView| {
        v.lanes[..lanes]
            .iter()
            .all(|l| l.log.iter().any(|x| x.en.starts_with("load done")))
    };
    while !serving(&view) && Instant::now() < deadline {
        if let Ok(ev) = stream.events.recv_timeout(Duration::from_millis(50)) {
            if let EventKind::Log(line) = &ev.kind
                && let Some(found) = addresses(&line.en)
            {
                addrs.push(found);
            }
            view.apply(ev);
        }
    }
    assert!(serving(&view), "every lane serves after its load");
    assert!(
        view.lanes[..lanes]
            .iter()
            .all(|l| l.state == LaneState::Running)
    );
    assert_eq!(addrs.len(), 2 * lanes);
    let pid = python.then(|| child_pid(&view.lanes[2]).expect("the child's pid is logged"));
    // Still answering, and the load's clients are gone (their threads too).
    for (_, addr) in addrs.iter().filter(|(http, _)| !http) {
        assert!(!ask_line(*addr, "snowman").is_empty());
    }
    let stop = Instant::now();
    assert!(run.stop_and_wait(Duration::from_secs(5)));
    let took = stop.elapsed();
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
    // Every thread the run started has been joined (stop_and_wait); that
    // none is left at all is checked by tests/demo_cleanup.rs, alone in its
    // binary (here other tests may run this demo meanwhile).
    for (_, addr) in addrs {
        assert!(
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
            "{addr} still accepts"
        );
    }
    if let Some(pid) = pid {
        assert!(gone(pid), "the Python server's process group is gone");
    }
}

#[test]
fn a_stop_mid_load_ends_the_python_server_and_its_load() {
    if !python_here("charfinder::a_stop_mid_load_ends_the_python_server_and_its_load") {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (senders, stream) = sink::channels();
    // Quick Rust lanes, then a long second level on the Python lane.
    let p = Params::new()
        .with("levels", "[5, 200]")
        .with("hold_ms", "300");
    let run = DemoRun::start(&DEMO, &p, 1.0, senders, Watched::Headless).unwrap();
    let mut view = DemoView::new(&INFO, p);
    view.reset(run.run);
    let measured_once = |v: &DemoView| {
        v.lanes[2]
            .log
            .iter()
            .any(|x| x.en.starts_with("5 clients:"))
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !measured_once(&view) && Instant::now() < deadline {
        if let Ok(ev) = stream.events.recv_timeout(Duration::from_millis(20)) {
            view.apply(ev);
        }
    }
    assert!(measured_once(&view), "{:?}", view.lanes[2].log);
    let pid = child_pid(&view.lanes[2]).expect("the child's pid is logged");
    // The second level is ramping up or being timed now.
    let stop = Instant::now();
    assert!(
        run.stop_and_wait(Duration::from_secs(5)),
        "every lane thread ended, the load's too"
    );
    let took = stop.elapsed();
    assert!(took < Duration::from_secs(1), "stopping took {took:?}");
    assert!(gone(pid), "the Python server's process group is gone");
}

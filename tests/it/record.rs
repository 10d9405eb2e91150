//! `concur demo ID --record FILE.cast`: an asciinema v2 file that replays
//! the demo's frames in order.

use std::process::Command;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

#[test]
fn a_recorded_run_parses_and_replays_its_frames_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let cast = dir.path().join("spinner.cast");
    let out = Command::new(env!("CARGO_BIN_EXE_concur"))
        .args(["demo", "spinner", "--record"])
        .arg(&cast)
        .args(["-p", "call_ms=800"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --json still works as before, and cannot be combined with --record.
    let bad = Command::new(env!("CARGO_BIN_EXE_concur"))
        .args(["demo", "spinner", "--json", "--record"])
        .arg(&cast)
        .output()
        .unwrap();
    assert!(!bad.status.success());

    let text = std::fs::read_to_string(&cast).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    assert!(header["width"].as_u64().unwrap() > 0 && header["height"].as_u64().unwrap() > 0);
    let mut last_t = 0.0;
    let mut output = String::new();
    // Where each event's text starts in `output`, and its time.
    let mut starts: Vec<(usize, f64)> = Vec::new();
    for line in lines {
        let ev: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = ev[0].as_f64().unwrap();
        assert!(t >= last_t, "events are in time order");
        last_t = t;
        assert_eq!(ev[1], "o");
        starts.push((output.len(), t));
        output.push_str(ev[2].as_str().unwrap());
    }
    assert!(last_t >= 0.8, "the run lasted the call: {last_t}");
    let time_at = |i: usize| starts[starts.partition_point(|(s, _)| *s <= i) - 1].1;
    // The thread lane's spinner glyph each time it changed, and when.
    let mut frames: Vec<(usize, f64)> = Vec::new();
    for (i, _) in output.match_indices(" thread") {
        let before = &output[..i];
        if let Some(glyph) = before.chars().last().map(|c| c.to_string())
            && let Some(n) = SPINNER.iter().position(|g| *g == glyph)
            && frames.last().map(|f| f.0) != Some(n)
        {
            frames.push((n, time_at(i)));
        }
    }
    assert!(frames.len() >= 5, "frames drawn: {frames:?}");
    // In order: counting every change as a step forward (the glyphs repeat
    // every ten frames), the frame reached is never ahead of what the
    // clock allows, one frame per 100 ms. A frame drawn out of order would
    // count as nine steps forward and run ahead of the clock; a stalled
    // machine only skips glyphs, which keeps the count behind it. The
    // recording starts before the demo, so its clock is never behind.
    let mut reached = frames[0].0;
    for w in frames.windows(2) {
        reached += (w[1].0 + SPINNER.len() - w[0].0) % SPINNER.len();
        let (t, allowed) = (w[1].1, w[1].1 / 0.1 + 2.0);
        assert!(
            reached as f64 <= allowed,
            "frame {reached} drawn at {t:.3} s is ahead of the clock: out of order? {frames:?}"
        );
    }
    assert!(output.contains("Answer: 42"));
    assert!(
        output.contains("jitter_p99_ms"),
        "the figures end the recording"
    );
}

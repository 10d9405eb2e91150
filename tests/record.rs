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
    for line in lines {
        let ev: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = ev[0].as_f64().unwrap();
        assert!(t >= last_t, "events are in time order");
        last_t = t;
        assert_eq!(ev[1], "o");
        output.push_str(ev[2].as_str().unwrap());
    }
    assert!(last_t >= 0.8, "the run lasted the call: {last_t}");
    // The thread lane's spinner, frame after frame, in the order drawn.
    let mut frames: Vec<usize> = Vec::new();
    for (i, _) in output.match_indices(" thread") {
        let before = &output[..i];
        if let Some(glyph) = before.chars().last().map(|c| c.to_string())
            && let Some(n) = SPINNER.iter().position(|g| *g == glyph)
            && frames.last() != Some(&n)
        {
            frames.push(n);
        }
    }
    assert!(frames.len() >= 5, "frames drawn: {frames:?}");
    for w in frames.windows(2) {
        let step = (w[1] + SPINNER.len() - w[0]) % SPINNER.len();
        assert!(
            (1..=3).contains(&step),
            "frames replay in order: {frames:?}"
        );
    }
    assert!(output.contains("Answer: 42"));
    assert!(
        output.contains("jitter_p99_ms"),
        "the figures end the recording"
    );
}

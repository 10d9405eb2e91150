//! Lessons and themes are compiled into the binary; tell Cargo to rebuild
//! when any of them changes, including files added or removed.
//!
//! The lesson files go in as `include_str!` (listed in `$OUT_DIR/lessons.rs`):
//! the compiler checks that they are UTF-8, so start-up does not read and
//! validate 450 KB of text it does not show yet.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=assets");
    no_pie();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut files = Vec::new();
    for lang in ["en", "zh"] {
        let dir = root.join(lang);
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") || name.ends_with(".quiz.toml") {
                files.push((format!("{lang}/{name}"), entry.path()));
            }
        }
    }
    files.sort();
    // Paths and front matter in one table, the texts in another: start-up
    // reads every path and title, and strings of one table sit together
    // in the binary; interleaved with the texts they would touch a page of
    // every lesson (~450 KB) before the first frame.
    let mut out = String::from(
        "/// Every built-in lesson and quiz file: its path under lessons/ and, for\n\
         /// a lesson, its front matter as read here; for a quiz, how many\n\
         /// questions it has. Its text is `BUILTIN_TEXTS[i]`.\n",
    );
    out.push_str("pub static BUILTIN_FILES: &[(&str, Option<BuiltFront>, Option<usize>)] = &[\n");
    for (rel, path) in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let (front, questions) = match rel.ends_with(".md") {
            true => (front_matter(&text), None),
            false => ("None".to_string(), question_count(&text)),
        };
        writeln!(out, "    ({rel:?}, {front}, {questions:?}),").unwrap();
    }
    out.push_str("];\n/// The texts of `BUILTIN_FILES`, in the same order.\n");
    out.push_str("pub static BUILTIN_TEXTS: &[&str] = &[\n");
    for (_, path) in &files {
        writeln!(out, "    include_str!({:?}),", path.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("lessons.rs");
    std::fs::write(dest, out).unwrap();
    builtin_themes();
}

/// How many `[[question]]` tables a quiz file has: home shows the count,
/// and counting here keeps the TOML parser out of the first frame.
fn question_count(text: &str) -> Option<usize> {
    let table = text.parse::<toml::Table>().ok()?;
    match table.get("question") {
        Some(toml::Value::Array(list)) => Some(list.len()),
        _ => None,
    }
}

/// A lesson's front matter as `Some(BuiltFront { .. })`: start-up shows every
/// lesson's title, and reading them here keeps the TOML parser and the
/// lesson texts out of the pages a start touches. Anything unusual (a BOM,
/// a key or type the app would refuse) gives `None`, and the app parses the
/// file itself and reports the problem as for any file. A test checks both
/// readings agree for every built-in lesson.
fn front_matter(text: &str) -> String {
    const FENCE: &str = "+++";
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some(FENCE) {
        return "None".into();
    }
    let front_start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut offset = front_start;
    let mut fence = None;
    for line in lines {
        if line.trim_end() == FENCE {
            fence = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((front_end, body_start)) = fence else {
        return "None".into();
    };
    let Ok(table) = text[front_start..front_end].parse::<toml::Table>() else {
        return "None".into();
    };
    let known = ["id", "title", "order", "demos"];
    if table.keys().any(|k| !known.contains(&k.as_str())) {
        return "None".into();
    }
    let (Some(id), Some(title), Some(order)) = (
        table.get("id").and_then(|v| v.as_str()),
        table.get("title").and_then(|v| v.as_str()),
        table
            .get("order")
            .and_then(|v| v.as_integer())
            .and_then(|o| u32::try_from(o).ok()),
    ) else {
        return "None".into();
    };
    let valid_id = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let demos: Option<Vec<&str>> = match table.get("demos") {
        None => Some(Vec::new()),
        Some(v) => v
            .as_array()
            .and_then(|a| a.iter().map(|d| d.as_str()).collect()),
    };
    let (true, Some(demos)) = (valid_id, demos) else {
        return "None".into();
    };
    let body_line = 1 + text[..body_start].matches('\n').count();
    format!(
        "Some(BuiltFront {{ id: {id:?}, title: {title:?}, order: {order}, demos: &{demos:?}, \
         body_start: {body_start}, body_line: {body_line} }})"
    )
}

/// The built-in themes' values as Rust data (`$OUT_DIR/themes.rs`): every
/// start needs them (the theme shown, and the ones `T` cycles through), and
/// reading them from TOML at start-up pulls in the TOML parser, ~0.5 MB of
/// code pages, before the first frame. The files stay the source; a test
/// checks each theme equal to parsing its file. A file with anything but
/// `key = "string"` lines and a `jobs` list is left to the app to parse.
fn builtin_themes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/themes");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    paths.sort();
    let mut out = String::from(
        "/// A built-in theme file's stem, `key = \"value\"` pairs and `jobs`.\n\
         pub type ThemeValues = (&'static str, &'static [(&'static str, &'static str)], Option<&'static [&'static str]>);\n\
         pub const BUILTIN_THEMES: &[ThemeValues] = &[\n",
    );
    for path in paths {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Ok(table) = text.parse::<toml::Table>() else {
            continue;
        };
        let mut values = Vec::new();
        let mut jobs = None;
        let mut plain = true;
        for (key, value) in &table {
            match value {
                toml::Value::String(v) => values.push(format!("({key:?}, {v:?})")),
                toml::Value::Array(list) if key == "jobs" && !list.is_empty() => {
                    let list: Option<Vec<&str>> = list.iter().map(|j| j.as_str()).collect();
                    plain &= list.is_some();
                    jobs = list.map(|l| format!("Some(&{l:?})"));
                }
                _ => plain = false,
            }
        }
        if plain {
            let jobs = jobs.unwrap_or_else(|| "None".into());
            writeln!(out, "    ({stem:?}, &[{}], {jobs}),", values.join(", ")).unwrap();
        }
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("themes.rs");
    std::fs::write(dest, out).unwrap();
}

/// The concur binary is linked as a fixed-address (non-PIE) executable on
/// Linux: a PIE of this size carries ~26,000 relative relocations that the
/// dynamic loader applies at every start (~0.7 ms, and ~1 MB of pages
/// touched) before the first frame. Only the binary: tests and the library
/// are linked as before.
fn no_pie() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        startup_layout();
    }
}

/// Places the functions a start runs side by side (`link/startup.ld`, written
/// by `link/startup_layout.py` from a profile). The kernel maps code in
/// large pieces, so scattered start-up code makes most of the binary
/// resident: home's resident code goes from 3.2 to 0.9 MB with it (issue 16). Both
/// GNU ld and lld (rustc's default linker here) take a script with `INSERT`
/// as an addition to their own layout; mold and gold do not take such
/// scripts, so a build that asks for them goes without, as does one with
/// `CONCUR_PLAIN_LAYOUT` set.
fn startup_layout() {
    println!("cargo:rerun-if-changed=link/startup.ld");
    println!("cargo:rerun-if-env-changed=CONCUR_PLAIN_LAYOUT");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let other_linker = ["mold", "gold"].iter().any(|l| flags.contains(l));
    if other_linker || std::env::var_os("CONCUR_PLAIN_LAYOUT").is_some() {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("link/startup.ld");
    if script.exists() {
        println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    }
}

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
    let mut out =
        String::from("/// Every built-in lesson and quiz file: (path under lessons/, text).\n");
    out.push_str("pub static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for (rel, path) in &files {
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("lessons.rs");
    std::fs::write(dest, out).unwrap();
    dark_theme();
}

/// The default theme's values as Rust data (`$OUT_DIR/dark_theme.rs`): every
/// start needs them, and reading them from TOML at start-up pulls in the
/// TOML parser, ~0.5 MB of code pages, before the first frame. The file stays
/// the source; `Theme::dark` is tested equal to parsing it.
fn dark_theme() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/themes/dark.toml");
    let text = std::fs::read_to_string(&path).expect("assets/themes/dark.toml");
    let table: toml::Table = text.parse().expect("dark.toml is TOML");
    let mut out = String::from("/// `key = \"value\"` pairs of assets/themes/dark.toml.\n");
    out.push_str("pub const DARK_VALUES: &[(&str, &str)] = &[\n");
    let mut jobs = Vec::new();
    for (key, value) in &table {
        match value {
            toml::Value::String(v) => writeln!(out, "    ({key:?}, {v:?}),").unwrap(),
            toml::Value::Array(list) if key == "jobs" => {
                jobs = list
                    .iter()
                    .map(|j| j.as_str().expect("jobs are strings").to_string())
                    .collect();
            }
            other => panic!("dark.toml: `{key}` = {other}: only strings and `jobs`"),
        }
    }
    out.push_str("];\n/// Its `jobs` list.\n");
    writeln!(out, "pub const DARK_JOBS: &[&str] = &{jobs:?};").unwrap();
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("dark_theme.rs");
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
    }
}

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

//! Lessons and themes are compiled into the binary (include_dir); tell Cargo
//! to rebuild when any of them changes, including files added or removed.

fn main() {
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=assets");
}

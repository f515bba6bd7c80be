//! Sets `LATWATCH_VERSION`: the crate version, plus the git commit when built from a checkout
//! (`0.1.0 (git 1a2b3c4d5e)`). A build without git, or from a packaged crate, gets the version alone.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|commit| commit.trim().to_owned())
        .filter(|commit| !commit.is_empty());
    let full = match &commit {
        Some(commit) => format!("{version} (git {commit})"),
        None => version.to_owned(),
    };
    println!("cargo:rustc-env=LATWATCH_VERSION={full}");

    // Build again when HEAD moves: a checkout switches HEAD, a commit moves the branch it names.
    // Only files that exist are named: cargo treats a missing one as always changed, and a
    // checkout without packed refs (or a branch not yet committed to) then rebuilt latwatch on
    // every cargo command.
    let git = Path::new(".git");
    if git.is_dir() {
        let watch = |path: &str| {
            if git.join(path).is_file() {
                println!("cargo:rerun-if-changed=.git/{path}");
            }
        };
        watch("HEAD");
        watch("packed-refs");
        if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
            if let Some(reference) = head.trim().strip_prefix("ref: ") {
                watch(reference);
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

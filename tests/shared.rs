//! `../shared/conformance/`: test data taken from Istio and the Gateway API project, kept beside
//! the repository (read in place, never copied into it), and the python runners that come with
//! some of it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `<repo>/../shared`, or `$MESHROUTE_SHARED` when that names the shared folder (a git worktree
/// has no `../shared` of its own).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("MESHROUTE_SHARED") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => crate::harness::repo_root().join("..").join("shared"),
    }
}

/// One suite's folder: `shared/conformance/<suite>`.
pub fn conformance_dir(suite: &str) -> PathBuf {
    shared_dir().join("conformance").join(suite)
}

/// The suite's folder if `file` is in it; else prints the one line saying the suite is not run.
pub fn suite(suite: &str, file: &str, what: &str) -> Option<PathBuf> {
    let dir = conformance_dir(suite);
    if dir.join(file).is_file() {
        Some(dir)
    } else {
        println!("conformance: {} not found; {what} not run", dir.display());
        None
    }
}

/// The CLI the runners drive: `MESHROUTE_BIN` (scripts/test.sh sets `target/debug/meshroute`),
/// else `<target>/debug/meshroute`. Any build works: the runners only call `check` and
/// `simulate`. Missing, it is a failure naming the build command.
pub fn meshroute_bin() -> PathBuf {
    let bin = match std::env::var_os("MESHROUTE_BIN") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => crate::harness::bins::target_dir().join("debug/meshroute"),
    };
    assert!(
        bin.is_file(),
        "meshroute not found at {} (MESHROUTE_BIN): run `cargo build -p meshroute-cli`",
        bin.display()
    );
    bin
}

/// What a runner printed, and its exit code.
pub struct RunnerOutput {
    pub stdout: String,
    pub code: Option<i32>,
}

impl RunnerOutput {
    /// The runner's closing line, `N passed, M failed`, as (N, M).
    pub fn score(&self) -> Option<(usize, usize)> {
        let last = self.stdout.lines().rev().find(|l| !l.trim().is_empty())?;
        let (passed, failed) = last.trim().split_once(" passed, ")?;
        Some((
            passed.parse().ok()?,
            failed.strip_suffix(" failed")?.parse().ok()?,
        ))
    }
}

/// Runs `python3 <dir>/<script> <args>` (python 3, standard library only) from the repository
/// root.
pub fn run_python(dir: &Path, script: &str, args: &[&std::ffi::OsStr]) -> RunnerOutput {
    let out = Command::new("python3")
        .arg(dir.join(script))
        .args(args)
        .current_dir(crate::harness::repo_root())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 {script}: {e} (the conformance runners need python 3)")
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.trim().is_empty() {
        eprintln!("{script} stderr:\n{stderr}");
    }
    RunnerOutput {
        stdout,
        code: out.status.code(),
    }
}

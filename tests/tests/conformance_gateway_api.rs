//! Gateway API conformance: `../shared/conformance/gateway-api/` reproduces the HTTP and gRPC
//! routing tests of kubernetes-sigs/gateway-api `conformance/tests` as 50 scenarios (262
//! request checks) for `meshroute simulate` (see its README for the contract). This test runs
//! the suite's own runner (`run.py`) with the built CLI and gates on the result: every check
//! passes except the known failures listed below (none today). A new failure fails the test; a
//! known failure that passes is reported so that it can be taken off the list.
//!
//! Needs `python3` and the CLI (`cargo build -p meshroute-cli`; `MESHROUTE_BIN` overrides the
//! path). Without `../shared` (or `$MESHROUTE_SHARED`) it prints one line and passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `(scenario#request, reason)` of the checks meshroute is known to fail.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

/// `<repo>/../shared/conformance/gateway-api`, or under `$MESHROUTE_SHARED` (a git worktree
/// has no `../shared` of its own).
fn suite() -> PathBuf {
    meshroute_tests::shared_dir()
        .join("conformance")
        .join("gateway-api")
}

/// The CLI under test: `$MESHROUTE_BIN`, else `<target>/debug/meshroute`.
fn cli() -> PathBuf {
    if let Some(p) = std::env::var_os("MESHROUTE_BIN").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => repo.join(d),
        None => repo.join("target"),
    };
    target.join("debug").join("meshroute")
}

#[test]
fn gateway_api_conformance() {
    let dir = suite();
    let runner = dir.join("run.py");
    if !runner.is_file() {
        println!(
            "conformance: {} not found; Gateway API conformance not run",
            dir.display()
        );
        return;
    }
    let cli = cli();
    assert!(
        cli.is_file(),
        "Gateway API conformance: {} not found: run `cargo build -p meshroute-cli` (or set MESHROUTE_BIN)",
        cli.display()
    );
    let out = Command::new("python3")
        .arg(&runner)
        .arg("--cli")
        .arg(&cli)
        .output()
        .expect("python3 runs the suite's run.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.ends_with(" failed") && l.contains(" passed, "))
        .unwrap_or_else(|| {
            panic!(
                "run.py printed no summary; stdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    // `FAIL <file>#<request> <key>: expected … got …`, one line per mismatching key.
    let failing: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FAIL "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let known: BTreeSet<&str> = KNOWN_FAILURES.iter().map(|(k, _)| *k).collect();
    let passed: usize = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let total = passed + failing.len();
    println!("Gateway API conformance: {passed}/{total} request checks pass ({summary})");
    for (k, why) in KNOWN_FAILURES {
        if failing.contains(k) {
            println!("  known failure {k}: {why}");
        } else {
            println!("  FIXED known failure {k} ({why}): take it off KNOWN_FAILURES");
        }
    }
    let new: Vec<String> = stdout
        .lines()
        .filter(|l| {
            l.strip_prefix("FAIL ")
                .and_then(|r| r.split(' ').next())
                .is_some_and(|k| !known.contains(k))
        })
        .map(str::to_string)
        .collect();
    assert!(
        new.is_empty(),
        "Gateway API conformance: {} new failing check line(s):\n{}",
        new.len(),
        new.join("\n")
    );
}

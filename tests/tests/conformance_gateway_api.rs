//! Gateway API conformance: `../shared/conformance/gateway-api/` reproduces the HTTP and gRPC
//! routing tests of kubernetes-sigs/gateway-api `conformance/tests` as 50 scenarios (262
//! request checks) for `meshroute simulate` (see its README for the contract). This test runs
//! the suite's own runner (`run.py`) with the built CLI and gates on the result: every check
//! passes except the known failures listed below (none today). A new failure fails the test; a
//! known failure that passes is reported so that it can be taken off the list.
//!
//! Needs `python3` and the CLI (`cargo build -p meshroute-cli`; `MESHROUTE_BIN` overrides the
//! path). Without `../shared` (or `$MESHROUTE_SHARED`) it prints one line and passes.
//!
//! A second test checks what run.py cannot: the upstream headers the conformance tests expect
//! (recorded per request under `unchecked`), by routing those requests through meshroute-core
//! and applying the decision's header operations the way Envoy does.

use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::{route, Outcome, Request};
use serde_json::Value;
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

/// Applies a forward's request header operations as Envoy does (remove, then set, then add,
/// which appends a value) to `headers` (lower-case names, values in arrival order).
fn upstream_headers(
    mut headers: Vec<(String, String)>,
    ops: &meshroute_core::table::HeaderOps,
) -> Vec<(String, String)> {
    headers.retain(|(k, _)| !ops.remove.contains(k));
    for (k, v) in &ops.set {
        headers.retain(|(h, _)| h != k);
        headers.push((k.clone(), v.clone()));
    }
    for (k, v) in &ops.add {
        headers.push((k.clone(), v.clone()));
    }
    headers
}

#[test]
fn gateway_api_conformance_upstream_headers() {
    let dir = suite();
    let Ok(text) = std::fs::read_to_string(dir.join("scenarios.json")) else {
        println!(
            "conformance: {} not found; Gateway API upstream header checks not run",
            dir.display()
        );
        return;
    };
    let all: serde_json::Map<String, Value> =
        serde_json::from_str(&text).expect("scenarios.json parses");
    let (mut checked, mut failures) = (0, Vec::new());
    for (file, sc) in &all {
        let requests = sc["requests"].as_array().cloned().unwrap_or_default();
        if !requests.iter().any(|r| r.get("unchecked").is_some()) {
            continue;
        }
        let config = serde_json::json!({"proxy": sc["proxy"], "resources": sc["resources"]});
        let prepared = meshroute_core::check::prepare(
            file,
            config.to_string().as_bytes(),
            &LoadOptions::default(),
        )
        .unwrap_or_else(|d| panic!("{file}: refused: {d:?}"));
        for (i, r) in requests.iter().enumerate() {
            let Some(unchecked) = r.get("unchecked") else {
                continue;
            };
            checked += 1;
            let url = r["url"].as_str().unwrap_or("");
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let (authority, path) = match rest.find('/') {
                Some(p) => (&rest[..p], &rest[p..]),
                None => (rest, "/"),
            };
            let sent: Vec<(String, String)> = r["headers"]
                .as_object()
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| {
                            (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let host = sent
                .iter()
                .find(|(k, _)| k == "host")
                .map_or(authority.to_string(), |(_, v)| v.clone());
            let raw: Vec<(&[u8], &[u8])> = sent
                .iter()
                .filter(|(k, _)| k != "host")
                .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
                .collect();
            let req = Request {
                filter_chain: b"",
                listener_port: r["listenerPort"].as_u64().unwrap_or(80) as u32,
                authority: host.as_bytes(),
                path: path.as_bytes(),
                method: r["method"].as_str().unwrap_or("GET").as_bytes(),
                scheme: b"http",
                headers: &raw,
                source_ip: None,
            };
            let d = route(&prepared.table, &req, &mut SplitMix64(1), false);
            let Outcome::Forward(f) = &d.outcome else {
                failures.push(format!("{file}#{i}: not forwarded"));
                continue;
            };
            let got = upstream_headers(
                sent.into_iter().filter(|(k, _)| k != "host").collect(),
                &f.request_headers,
            );
            let value = |name: &str| {
                let vs: Vec<&str> = got
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
                    .collect();
                (!vs.is_empty()).then(|| vs.join(","))
            };
            for (name, want) in unchecked["upstreamHeaders"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let want = want.as_str().unwrap_or("");
                if value(name).as_deref() != Some(want) {
                    failures.push(format!(
                        "{file}#{i} upstream header {name}: expected {want:?} got {:?}",
                        value(name)
                    ));
                }
            }
            for name in unchecked["absentUpstreamHeaders"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let name = name.as_str().unwrap_or("");
                if let Some(v) = value(name) {
                    failures.push(format!(
                        "{file}#{i} upstream header {name}: expected absent got {v:?}"
                    ));
                }
            }
        }
    }
    let failing: BTreeSet<&str> = failures
        .iter()
        .filter_map(|f| f.split(' ').next())
        .map(|f| f.trim_end_matches(':'))
        .collect();
    println!(
        "Gateway API conformance, upstream headers: {}/{checked} requests as expected",
        checked - failing.len()
    );
    assert!(
        checked > 0,
        "no request of the suite records upstream headers"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

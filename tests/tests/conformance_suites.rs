//! The suites of `../shared/conformance/` that come with a python runner, run against the built
//! CLI (`MESHROUTE_BIN`): Istio's validation cases (`istio-validation`, gating), Istio's
//! traffic-management tasks (`istio-tasks`, gating on a list of known failures); the Gateway API
//! suite (`gateway-api`) gates in tests/tests/conformance_gateway_api.rs.
//! Each says in one line when `../shared` is absent. The runners and their data are read where
//! they are, never copied or edited; their READMEs say how they score.
//!
//! Every line meant for the test command's output starts with `conformance ` (scripts/test.sh
//! prints them after the test run).

use meshroute_tests::shared::{meshroute_bin, run_python, suite, RunnerOutput};
use std::collections::{BTreeMap, BTreeSet};

/// Istio validation cases meshroute disagrees with on purpose, with the reason.
const VALIDATION_DELIBERATE: &[(&str, &str)] = &[
    (
        "TestValidateTlsOptions/simple more than 2 certs",
        TLS_CERTS_MAX_2,
    ),
    (
        "TestValidateTlsOptions/mutual more than 2 certs",
        TLS_CERTS_MAX_2,
    ),
];

const TLS_CERTS_MAX_2: &str = "Gateway tls.tlsCertificates with 3 items is an error here, because Istio's Gateway CRD (tlsCertificates maxItems: 2) makes kubectl apply refuse it, though the webhook only warns (docs/FEATURES.md)";

/// Requests of the task scenarios that fail today (`<file>#<request>`, 0-based), with the
/// reason and the issue that will fix them. A new failure fails the test; one of these that
/// passes is reported, so that the list gets shortened.
const TASKS_KNOWN_FAILURES: &[(&str, &str)] = &[
    (
        "44-bookinfo-egress-rule-google-apis.yaml#0",
        "a DNS ServiceEntry (www.googleapis.com, resolution DNS): Istio routes to its STRICT_DNS cluster, meshroute has no resolver and answers 503; issue 15",
    ),
    (
        "44-bookinfo-egress-rule-google-apis.yaml#1",
        "the same DNS ServiceEntry, port 80 routed to 443; issue 15",
    ),
];

/// Runs `<suite>/run.py <flag> MESHROUTE_BIN`, or says in one line that the suite is absent.
fn run(suite_name: &str, flag: &str, what: &str) -> Option<RunnerOutput> {
    let dir = suite(suite_name, "run.py", what)?;
    let bin = meshroute_bin();
    Some(run_python(
        &dir,
        "run.py",
        &[flag.as_ref(), bin.as_os_str()],
    ))
}

/// The runner's closing line, which it must print.
fn score(out: &RunnerOutput, suite_name: &str) -> (usize, usize) {
    out.score().unwrap_or_else(|| {
        panic!(
            "{suite_name}/run.py printed no closing line (exit {:?}):\n{}",
            out.code, out.stdout
        )
    })
}

/// The closing line counts as many failures as the runner listed.
#[track_caller]
fn same_count(out: &RunnerOutput, failed: usize, listed: usize) {
    assert_eq!(
        failed, listed,
        "the closing line and the listed failures differ:\n{}",
        out.stdout
    );
}

#[test]
fn istio_validation_conformance() {
    let Some(out) = run("istio-validation", "--bin", "Istio validation conformance") else {
        return;
    };
    let (passed, failed) = score(&out, "istio-validation");
    // `- [Kind] NAME  (cases/FILE)` for each disagreement, then what meshroute said
    let mut disagreements = BTreeMap::new();
    let mut current = None;
    for line in out.stdout.lines() {
        if let Some(rest) = line.strip_prefix("- [") {
            let name = rest
                .split_once("] ")
                .and_then(|(_, r)| r.rsplit_once("  ("))
                .map_or(rest, |(n, _)| n);
            current = Some(name.to_string());
            disagreements.insert(name.to_string(), String::new());
        } else if let (Some(name), Some(said)) = (&current, line.trim().strip_prefix("expected ")) {
            disagreements.insert(name.clone(), format!("expected {said}"));
        }
    }
    println!("conformance istio-validation: {passed} passed, {failed} failed");
    for (name, why) in VALIDATION_DELIBERATE {
        if disagreements.contains_key(*name) {
            println!("conformance istio-validation: deliberate: {name}: {why}");
        }
    }
    let unexpected: Vec<String> = disagreements
        .iter()
        .filter(|(n, _)| !VALIDATION_DELIBERATE.iter().any(|(d, _)| d == n))
        .map(|(n, said)| format!("{n}: {said}"))
        .collect();
    let now_agreeing: Vec<&str> = VALIDATION_DELIBERATE
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !disagreements.contains_key(*n))
        .collect();
    assert!(
        unexpected.is_empty(),
        "istio-validation: {} disagreement(s) besides the deliberate ones:\n{}\n\nthe runner's output:\n{}",
        unexpected.len(),
        unexpected.join("\n"),
        out.stdout
    );
    assert!(
        now_agreeing.is_empty(),
        "istio-validation: deliberate disagreement(s) no longer disagree: {now_agreeing:?}; if that is meant, drop them from VALIDATION_DELIBERATE and from docs/FEATURES.md"
    );
    same_count(&out, failed, disagreements.len());
}

#[test]
fn istio_tasks_conformance() {
    let Some(out) = run("istio-tasks", "--cli", "Istio tasks conformance") else {
        return;
    };
    let (passed, failed) = score(&out, "istio-tasks");
    // `FAIL <file>#<request> <key>: expected X got Y`, one line per key
    let mut failing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in out.stdout.lines() {
        if let Some((request, what)) = line.strip_prefix("FAIL ").and_then(|r| r.split_once(' ')) {
            failing
                .entry(request.to_string())
                .or_default()
                .push(what.to_string());
        }
    }
    let known: BTreeSet<&str> = TASKS_KNOWN_FAILURES.iter().map(|(r, _)| *r).collect();
    let now_passing: Vec<&str> = known
        .iter()
        .copied()
        .filter(|r| !failing.contains_key(*r))
        .collect();
    println!(
        "conformance istio-tasks: {passed} passed, {failed} failed ({} known failures, listed in tests/tests/conformance_suites.rs; {} of them now pass)",
        known.len(),
        now_passing.len()
    );
    for r in &now_passing {
        println!("conformance istio-tasks: known failure {r} now passes: drop it from TASKS_KNOWN_FAILURES");
    }
    let new: Vec<String> = failing
        .iter()
        .filter(|(r, _)| !known.contains(r.as_str()))
        .map(|(r, what)| format!("{r}: {}", what.join("; ")))
        .collect();
    assert!(
        new.is_empty(),
        "istio-tasks: {} request(s) fail that are not known failures:\n{}",
        new.len(),
        new.join("\n")
    );
    same_count(&out, failed, failing.len());
}

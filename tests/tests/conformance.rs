//! Conformance against Istio's own analyzer test cases
//! (`pkg/config/analysis/analyzers/analyzers_test.go` + `testdata/`, copied to
//! `../shared/conformance/istio-analyze/`; see its README for the loading and scoring rules).
//!
//! For every case: load its inputs plus `default-resources.yaml` (empty namespaces kept,
//! Kubernetes system namespaces dropped), apply its mesh config, run `check` with only the
//! case's analyzer, keep the codes that analyzer can report on in-scope kinds, and compare the
//! `(code, "Kind ns/name")` pairs with Istio's expectation.

use meshroute_core::analyze::AnalyzeOptions;
use meshroute_core::check::check;
use meshroute_core::resources::LoadOptions;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[derive(Deserialize)]
struct Case {
    name: String,
    analyzer: String,
    inputs: Vec<String>,
    #[serde(rename = "meshConfig")]
    mesh_config: Option<String>,
    expected: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    code: String,
    resource: String,
}

/// The README's analyzer table: Go analyzer in `cases.json` → (registered name, codes).
const ANALYZERS: &[(&str, &str, &[&str])] = &[
    (
        "gateway.IngressGatewayPortAnalyzer",
        "gateway.IngressGatewayPortAnalyzer",
        &["IST0101", "IST0162"],
    ),
    (
        "gateway.ConflictingGatewayAnalyzer",
        "gateway.ConflictingGatewayAnalyzer",
        &["IST0101", "IST0145"],
    ),
    (
        "gateway.CertificateAnalyzer",
        "gateway.CertificateAnalyzer",
        &["IST0138"],
    ),
    (
        "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
        "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
        &["IST0109"],
    ),
    (
        "virtualservice.DestinationHostAnalyzer",
        "virtualservice.DestinationHostAnalyzer",
        &["IST0101", "IST0112", "IST0140"],
    ),
    (
        "virtualservice.DestinationRuleAnalyzer",
        "virtualservice.DestinationRuleAnalyzer",
        &["IST0101"],
    ),
    (
        "virtualservice.GatewayAnalyzer",
        "virtualservice.GatewayAnalyzer",
        &["IST0101", "IST0132", "IST0165"],
    ),
    (
        "schemaValidation.CollectionValidationAnalyzer(collections.VirtualService)",
        "schema.ValidationAnalyzer.VirtualService",
        &["IST0106", "IST0130", "IST0131", "IST0133"],
    ),
    (
        "destinationrule.CaCertificateAnalyzer",
        "destinationrule.CaCertificateAnalyzer",
        &["IST0128", "IST0129"],
    ),
    (
        "destinationrule.PodNotSelectedAnalyzer",
        "destinationrule.SubsetSelectPodAnalyzer",
        &["IST0173", "IST0174"],
    ),
    (
        "serviceentry.ProtocolAddressesAnalyzer",
        "serviceentry.Analyzer",
        &["IST0134"],
    ),
    (
        "serviceentry.ConflictingServiceEntryProtocolAnalyzer",
        "serviceentry.ConflictingServiceEntryProtocolAnalyzer",
        &["IST0177"],
    ),
    (
        "service.PortNameAnalyzer",
        "service.PortNameAnalyzer",
        &["IST0118", "IST0150"],
    ),
    (
        "deprecation.FieldAnalyzer",
        "deprecation.DeprecationAnalyzer",
        &["IST0002"],
    ),
];

/// Kinds meshroute loads; messages on other kinds are outside its scope.
const IN_SCOPE_KINDS: &[&str] = &[
    "Gateway",
    "VirtualService",
    "DestinationRule",
    "ServiceEntry",
    "Service",
    "Pod",
];

/// Expected messages outside meshroute's scope, with the reason. They are filtered out by the
/// kind rule above and listed here so that nothing is dropped silently.
const OUT_OF_SCOPE: &[(&str, &str, &str, &str)] = &[(
    "deprecation",
    "IST0002",
    "Sidecar default/no-selector",
    "Sidecar resources (outboundTrafficPolicy.egressProxy) are not part of meshroute's model",
)];

/// `<repo>/../shared/conformance/istio-analyze`, or `$MESHROUTE_SHARED/conformance/...` when
/// that variable names the shared folder (a git worktree has no `../shared` of its own).
fn root() -> PathBuf {
    meshroute_tests::shared_dir()
        .join("conformance")
        .join("istio-analyze")
}

type Pair = (String, String);

#[test]
fn istio_analyzer_conformance() {
    let root = root();
    let Ok(cases_json) = std::fs::read_to_string(root.join("cases.json")) else {
        println!(
            "conformance: {} not found; Istio analyzer conformance not run",
            root.display()
        );
        return;
    };
    let cases: Vec<Case> = serde_json::from_str(&cases_json).expect("cases.json parses");
    let defaults =
        std::fs::read(root.join("default-resources.yaml")).expect("default-resources.yaml");
    let load = LoadOptions {
        default_namespace: String::new(),
        drop_system_namespaces: true,
        ..LoadOptions::default()
    };

    // per code: (expected, reproduced, false positives)
    let mut per_code: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut misses: Vec<(String, Pair)> = Vec::new();
    let mut false_positives: Vec<(String, Pair, String)> = Vec::new();
    let (mut total, mut hits) = (0usize, 0usize);
    // The stricter score: the same number of messages per pair (Istio's test counts repeats).
    let (mut counted_total, mut counted_hits) = (0usize, 0usize);
    let mut count_mismatches: Vec<(String, Pair, usize, usize)> = Vec::new();

    for case in &cases {
        let (_, registered, codes) = ANALYZERS
            .iter()
            .find(|(go, _, _)| *go == case.analyzer)
            .unwrap_or_else(|| panic!("case {:?}: unknown analyzer {}", case.name, case.analyzer));
        let mut opts = AnalyzeOptions {
            only: Some(vec![registered.to_string()]),
            ..AnalyzeOptions::default()
        };
        if let Some(mc) = &case.mesh_config {
            let text = std::fs::read_to_string(root.join(mc)).expect("mesh config");
            opts.apply_mesh_config(&text).expect("mesh config parses");
        }
        let texts: Vec<(String, Vec<u8>)> = case
            .inputs
            .iter()
            .map(|p| (p.clone(), std::fs::read(root.join(p)).expect("case input")))
            .chain(std::iter::once((
                "default-resources.yaml".to_string(),
                defaults.clone(),
            )))
            .collect();
        let inputs: Vec<(&str, &[u8])> = texts
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let (_, diags) = check(&inputs, &load, &opts);
        // Every analyzer at once must cope with every case too (no panics, whatever it finds).
        let all = AnalyzeOptions {
            only: None,
            ..opts.clone()
        };
        let _ = check(&inputs, &load, &all);

        let in_scope = |code: &str, resource: &str| {
            codes.contains(&code)
                && IN_SCOPE_KINDS.contains(&resource.split(' ').next().unwrap_or(""))
        };
        let expected: BTreeSet<Pair> = case
            .expected
            .iter()
            .filter(|e| in_scope(&e.code, &e.resource))
            .map(|e| (e.code.clone(), e.resource.clone()))
            .collect();
        for e in &case.expected {
            if !in_scope(&e.code, &e.resource) {
                assert!(
                    OUT_OF_SCOPE
                        .iter()
                        .any(|o| o.0 == case.name && o.1 == e.code && o.2 == e.resource),
                    "case {:?}: expected {} {} is out of scope but not listed in OUT_OF_SCOPE",
                    case.name,
                    e.code,
                    e.resource
                );
            }
        }
        let mut reported: BTreeMap<Pair, String> = BTreeMap::new();
        let mut reported_count: BTreeMap<Pair, usize> = BTreeMap::new();
        for d in &diags {
            let r = d.resource();
            if in_scope(&d.code, &r) {
                *reported_count
                    .entry((d.code.clone(), r.clone()))
                    .or_default() += 1;
                reported
                    .entry((d.code.clone(), r))
                    .or_insert_with(|| d.to_string());
            }
        }
        let mut expected_count: BTreeMap<Pair, usize> = BTreeMap::new();
        for e in case
            .expected
            .iter()
            .filter(|e| in_scope(&e.code, &e.resource))
        {
            *expected_count
                .entry((e.code.clone(), e.resource.clone()))
                .or_default() += 1;
        }
        for (p, &n) in &expected_count {
            let got = reported_count.get(p).copied().unwrap_or(0);
            counted_total += n;
            counted_hits += n.min(got);
            if got != n {
                count_mismatches.push((case.name.clone(), p.clone(), n, got));
            }
        }
        for p in &expected {
            total += 1;
            per_code.entry(p.0.clone()).or_default().0 += 1;
            if reported.contains_key(p) {
                hits += 1;
                per_code.entry(p.0.clone()).or_default().1 += 1;
            } else {
                misses.push((case.name.clone(), p.clone()));
            }
        }
        for (p, line) in &reported {
            if !expected.contains(p) {
                per_code.entry(p.0.clone()).or_default().2 += 1;
                false_positives.push((case.name.clone(), p.clone(), line.clone()));
            }
        }
    }

    println!("code     expected reproduced false+");
    for (code, (e, r, f)) in &per_code {
        println!("{code}  {e:>8} {r:>10} {f:>6}");
    }
    for (case, (code, res)) in &misses {
        println!("MISS  [{case}] {code} {res}");
    }
    for (case, (code, res), line) in &false_positives {
        println!("FALSE+ [{case}] {code} {res}: {line}");
    }
    for (case, (code, res), want, got) in &count_mismatches {
        println!("COUNT [{case}] {code} {res}: Istio reports {want}, meshroute {got}");
    }
    for (case, code, res, why) in OUT_OF_SCOPE {
        println!("out of scope [{case}] {code} {res}: {why}");
    }
    let pct = if total == 0 {
        100.0
    } else {
        hits as f64 * 100.0 / total as f64
    };
    println!(
        "conformance recall: {hits}/{total} ({pct:.1}%) false positives: {}",
        false_positives.len()
    );
    println!("with repeats counted: {counted_hits}/{counted_total}");
    assert!(pct >= 95.0, "recall {pct:.1}% is below 95%");
    assert!(
        false_positives.is_empty(),
        "{} false positives",
        false_positives.len()
    );
}

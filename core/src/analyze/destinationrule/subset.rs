//! `destinationrule.SubsetSelectPodAnalyzer` (Go type `PodNotSelectedAnalyzer`,
//! Istio: pkg/config/analysis/analyzers/destinationrule/subset.go).
//!
//! - IST0174: the DestinationRule's host is no Service or ServiceEntry visible to it.
//! - IST0173: a subset's labels (merged over the ServiceEntry's `workloadSelector`) select no
//!   workload, so requests for it fail with 503 UH. Pod labels gain the topology labels of
//!   their Node and `kubernetes.io/hostname` first (`label.AugmentLabels`).
//!
//! As in Istio, subset labels are matched against every pod, whatever its namespace or
//! Service. Unlike Istio, meshroute also counts WorkloadEntries and the inline `endpoints` of
//! ServiceEntries as workloads: meshroute runs without Kubernetes, where those are the
//! endpoints that subsets select, and Istio routes to them the same way.

use crate::analyze::msg;
use crate::analyze::util::{pod_labels, selector_matches};
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use std::collections::BTreeMap;

pub const ANALYZER: Analyzer = Analyzer {
    name: "destinationrule.SubsetSelectPodAnalyzer",
    codes: &["IST0173", "IST0174"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let res = ctx.res;
    // Every workload's labels, as the registry sees them.
    let mut workloads: Vec<BTreeMap<String, String>> = res
        .pods
        .iter()
        .map(|p| pod_labels(res, &p.meta.labels, p.spec.spec.node_name.as_deref()))
        .collect();
    workloads.extend(res.workload_entries.iter().map(|w| {
        let mut l = w.meta.labels.clone();
        l.extend(w.spec.labels.clone());
        l
    }));
    workloads.extend(
        res.service_entries
            .iter()
            .flat_map(|se| se.spec.endpoints.iter().map(|e| e.labels.clone())),
    );
    for dr in &res.destination_rules {
        let host = dr.spec.host.as_deref().unwrap_or("");
        let Some(se) = ctx
            .services
            .lookup(&dr.meta.namespace, &dr.spec.export_to, host)
        else {
            let m = msg::UNKNOWN_DESTINATION_RULE_HOST;
            out.push(res.diag(
                dr,
                m.code,
                m.severity,
                "spec.host",
                msg::unknown_destination_rule_host(host),
            ));
            continue;
        };
        // Istio keys the matchers by subset name, so a repeated name is checked once.
        let mut seen = std::collections::HashSet::new();
        for (i, subset) in dr.spec.subsets.iter().enumerate() {
            let name = subset.name.as_deref().unwrap_or("");
            if !seen.insert(name) {
                continue;
            }
            // labels.Merge(workloadSelector, subset labels): the subset's values win.
            let mut selector = se.workload_selector.clone();
            selector.extend(subset.labels.clone());
            if workloads.iter().any(|w| selector_matches(&selector, w)) {
                continue;
            }
            let m = msg::DESTINATION_RULE_SUBSET_NOT_SELECT_PODS;
            out.push(res.diag(
                dr,
                m.code,
                m.severity,
                &format!("spec.subsets[{i}].labels"),
                msg::destination_rule_subset_not_select_pods(name),
            ));
        }
    }
}

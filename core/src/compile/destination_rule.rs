//! DestinationRules: the rules that apply to this proxy, indexed the way istiod indexes them,
//! and the merged rule for a host (Istio: pilot/pkg/model/push_context.go `setDestinationRules`,
//! `destinationRule`; pilot/pkg/model/destination_rule.go `mergeDestinationRule`).

use super::creation_key;
use crate::config::ProxyIdentity;
use crate::host;
use crate::model::istio::*;
use crate::registry::{labels_contain, visible};
use crate::resources::{Object, Resources};
use std::collections::HashMap;

pub(super) struct MergedDr<'a> {
    pub(super) names: Vec<String>,
    pub(super) policy: Option<&'a TrafficPolicy>,
    pub(super) subsets: Vec<&'a Subset>,
}

pub(super) struct DrIndex<'a> {
    /// Rules in precedence order (selector first, then creation time), resolved host first.
    drs: Vec<(String, &'a Object<DestinationRule>)>,
    /// Per index set of `setDestinationRules` (local, private-only, exported), per namespace.
    sets: [HashMap<String, NsDrs>; 3],
    proxy_ns: String,
}

const LOCAL: usize = 0;
const PRIVATE_ONLY: usize = 1;
const EXPORTED: usize = 2;

/// Rules of one namespace in one index set, by host, so a lookup costs the rules for that host
/// plus the namespace's wildcard hosts — not every rule (compile stays linear).
#[derive(Default)]
struct NsDrs {
    /// host → indices into `DrIndex::drs`, in precedence order.
    by_host: HashMap<String, Vec<usize>>,
    wildcards: Vec<String>,
}

impl NsDrs {
    /// `MostSpecificHostMatch`: the exact host, else the most specific wildcard.
    fn most_specific(&self, hostname: &str) -> Option<&str> {
        if let Some((h, _)) = self.by_host.get_key_value(hostname) {
            return Some(h);
        }
        let bare = hostname.strip_prefix('*').unwrap_or(hostname);
        let mut best: Option<&str> = None;
        for w in &self.wildcards {
            if bare.ends_with(&w[1..]) && best.is_none_or(|b| host::more_specific(w, b)) {
                best = Some(w);
            }
        }
        best
    }
}

impl<'a> DrIndex<'a> {
    pub(super) fn build(res: &'a Resources, proxy: &ProxyIdentity) -> DrIndex<'a> {
        let mut drs: Vec<(String, &Object<DestinationRule>)> = res
            .destination_rules
            .iter()
            .filter(|d| match &d.spec.workload_selector {
                // workloadSelector DRs apply only to matching workloads in their own namespace.
                Some(ws) => {
                    d.meta.namespace == proxy.namespace
                        && labels_contain(&proxy.labels, &ws.match_labels)
                }
                None => true,
            })
            .map(|d| {
                (
                    host::resolve_short_name(
                        d.spec.host.as_deref().unwrap_or(""),
                        &d.meta.namespace,
                    ),
                    d,
                )
            })
            .collect();
        // selector-first, then creation time (sortConfigBySelectorAndCreationTime).
        drs.sort_by_key(|(_, d)| (d.spec.workload_selector.is_none(), creation_key(d)));
        // setDestinationRules (push_context.go): which index sets a rule lands in.
        let mut sets: [HashMap<String, NsDrs>; 3] = Default::default();
        for (i, (h, d)) in drs.iter().enumerate() {
            let ns = d.meta.namespace.as_str();
            let e = &d.spec.export_to;
            let private_only =
                d.spec.workload_selector.is_some() || (e.len() == 1 && (e[0] == "." || e[0] == ns));
            let local = d.spec.workload_selector.is_some()
                || e.is_empty()
                || e.iter().any(|x| x == "*" || x == "." || x == ns);
            for (set, member) in [
                (LOCAL, local),
                (PRIVATE_ONLY, private_only),
                (EXPORTED, !private_only),
            ] {
                if !member {
                    continue;
                }
                let nd = sets[set].entry(ns.to_string()).or_default();
                let list = nd.by_host.entry(h.clone()).or_default();
                if list.is_empty() && host::is_wildcard(h) {
                    nd.wildcards.push(h.clone());
                }
                list.push(i);
            }
        }
        DrIndex {
            drs,
            sets,
            proxy_ns: proxy.namespace.clone(),
        }
    }

    /// `PushContext.destinationRule` (push_context.go): (1) the proxy namespace's local rules —
    /// or, for a proxy in the root namespace, only the root namespace's private rules; (2) rules
    /// the service's namespace exports to the proxy's; (3) rules the root namespace exports to
    /// it. Within a step the most specific host wins (`MostSpecificHostMatch`) and rules for that
    /// exact host are merged (`mergeDestinationRule`).
    pub(super) fn lookup(&self, hostname: &str, svc_ns: &str) -> Option<MergedDr<'a>> {
        let proxy_ns = self.proxy_ns.as_str();
        let root = host::ROOT_NAMESPACE;
        let steps: [(&str, usize, bool); 3] = [
            if proxy_ns != root {
                (proxy_ns, LOCAL, false)
            } else {
                (root, PRIVATE_ONLY, false)
            },
            (svc_ns, EXPORTED, true),
            (root, EXPORTED, true),
        ];
        for (ns, set, check_export) in steps {
            let Some(nd) = self.sets[set].get(ns) else {
                continue;
            };
            let Some(chosen) = nd.most_specific(hostname) else {
                continue;
            };
            let mut merged = MergedDr {
                names: Vec::new(),
                policy: None,
                subsets: Vec::new(),
            };
            for &i in nd.by_host.get(chosen).map_or(&[][..], Vec::as_slice) {
                let d = self.drs[i].1;
                // getExportedDestinationRuleFromNamespace: the chosen rules must be exported to
                // the proxy's namespace, else this step yields nothing.
                if check_export && !visible(&d.spec.export_to, &d.meta.namespace, proxy_ns) {
                    continue;
                }
                merged
                    .names
                    .push(format!("{}/{}", d.meta.namespace, d.meta.name));
                // First top-level trafficPolicy wins; subsets concatenated, first definition of
                // a name wins (destination_rule.go mergeDestinationRule).
                if merged.policy.is_none() {
                    merged.policy = d.spec.traffic_policy.as_ref();
                }
                for s in &d.spec.subsets {
                    if !merged.subsets.iter().any(|x| x.name == s.name) {
                        merged.subsets.push(s);
                    }
                }
            }
            if merged.names.is_empty() {
                continue;
            }
            return Some(merged);
        }
        None
    }
}

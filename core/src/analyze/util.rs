//! Helpers shared by the analyzers, after Istio's `pkg/config/analysis/analyzers/util/*.go`.

use crate::resources::{Meta, Resources};
use std::collections::BTreeMap;

/// `util.ExportToAllNamespaces`.
pub const EXPORT_ALL: &str = "*";
/// `util.ExportToNamespaceLocal`.
pub const EXPORT_LOCAL: &str = ".";

/// `resource.FullName.String()`: `ns/name`, or `name` when the namespace is empty.
pub fn full_name(meta: &Meta) -> String {
    full_name_of(&meta.namespace, &meta.name)
}

pub fn full_name_of(ns: &str, name: &str) -> String {
    if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

/// `util.ConvertHostToFQDN`: a host without a dot (and not a wildcard) becomes
/// `host.<namespace>.svc.cluster.local`. Unlike pilot's `ResolveShortnameToFQDN`, an empty
/// namespace is kept as is (`host..svc.cluster.local`); both sides of every comparison use this
/// same function, so resources without a namespace still find each other.
pub fn convert_host_to_fqdn(ns: &str, host: &str) -> String {
    if !host.starts_with('*') && !host.contains('.') {
        format!("{host}.{ns}.svc.{}", crate::host::DOMAIN_SUFFIX)
    } else {
        host.to_string()
    }
}

/// `util.GetResourceNameFromHost`: `name.ns.svc.cluster.local` → `(ns, name)`; anything else →
/// `(default_ns, host)`.
pub fn resource_name_from_host(default_ns: &str, host: &str) -> (String, String) {
    // fqdnPattern = `^(.+)\.(.+)\.svc\.cluster\.local$` — the first group is greedy, so the
    // namespace is the last label before `.svc.cluster.local`.
    if let Some(rest) = host.strip_suffix(".svc.cluster.local") {
        if let Some(i) = rest.rfind('.') {
            let (name, ns) = (&rest[..i], &rest[i + 1..]);
            if !name.is_empty() && !ns.is_empty() {
                return (ns.to_string(), name.to_string());
            }
        }
    }
    (default_ns.to_string(), host.to_string())
}

/// `util.IsExportToAllNamespaces`.
pub fn is_export_to_all(export_to: &[String]) -> bool {
    export_to.is_empty() || export_to.iter().any(|e| e == EXPORT_ALL)
}

/// The scopes (`*` or namespaces) a resource is exported to, `.` resolved to its namespace.
pub fn export_scopes(export_to: &[String], ns: &str) -> Vec<String> {
    if is_export_to_all(export_to) {
        return vec![EXPORT_ALL.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    for e in export_to {
        let s = if e == EXPORT_LOCAL { ns } else { e.as_str() };
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out.sort();
    out
}

/// A Kubernetes label selector built from a map (`labels.SelectorFromSet`): every pair must be
/// present with that value; an empty selector matches everything.
pub fn selector_matches(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// `labels.Selector.String()` for a map selector: `k1=v1,k2=v2`, sorted by key.
pub fn selector_string(selector: &BTreeMap<String, String>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// One port of a registry service.
#[derive(Debug, Clone, PartialEq)]
pub struct RegPort {
    pub number: i64,
    pub name: String,
    pub protocol: String,
}

/// What `InitServiceEntryHostMap` stores per host: a ServiceEntry, or a Kubernetes Service
/// seen as one.
#[derive(Debug, Clone)]
pub struct RegService {
    pub ports: Vec<RegPort>,
    /// `ServiceEntry.workloadSelector.labels` (empty for Kubernetes Services).
    pub workload_selector: BTreeMap<String, String>,
    /// Index into `Resources::service_entries` when it comes from a ServiceEntry.
    pub service_entry: Option<usize>,
}

/// `util.InitServiceEntryHostMap`: registry services by `(scope, fqdn)`, where scope is `*` or
/// the namespace the service is exported to.
#[derive(Debug, Clone, Default)]
pub struct ServiceIndex {
    pub map: BTreeMap<(String, String), RegService>,
}

impl ServiceIndex {
    pub fn build(res: &Resources) -> ServiceIndex {
        let mut map = BTreeMap::new();
        for (i, se) in res.service_entries.iter().enumerate() {
            let ns = se.meta.namespace.as_str();
            let reg = RegService {
                ports: se
                    .spec
                    .ports
                    .iter()
                    .map(|p| RegPort {
                        number: p.number.unwrap_or(0),
                        name: p.name.clone().unwrap_or_default(),
                        protocol: p.protocol.clone().unwrap_or_default(),
                    })
                    .collect(),
                workload_selector: se
                    .spec
                    .workload_selector
                    .as_ref()
                    .map(|w| w.labels.clone())
                    .unwrap_or_default(),
                service_entry: Some(i),
            };
            for h in &se.spec.hosts {
                for scope in export_scopes(&se.spec.export_to, ns) {
                    map.insert((scope, convert_host_to_fqdn(ns, h)), reg.clone());
                }
            }
        }
        for svc in &res.services {
            let ns = svc.meta.namespace.as_str();
            let reg = RegService {
                ports: svc
                    .spec
                    .ports
                    .iter()
                    .map(|p| RegPort {
                        number: p.port.unwrap_or(0),
                        name: p.name.clone().unwrap_or_default(),
                        protocol: p.protocol.clone().unwrap_or_default(),
                    })
                    .collect(),
                workload_selector: BTreeMap::new(),
                service_entry: None,
            };
            // Istio: getVisibleNamespacesFromExportToAnno — the `networking.istio.io/exportTo`
            // annotation, `.` meaning the service's own namespace.
            let scopes: Vec<String> = match svc.meta.annotations.get("networking.istio.io/exportTo")
            {
                None => vec![EXPORT_ALL.to_string()],
                Some(a) if a.is_empty() => vec![EXPORT_ALL.to_string()],
                Some(a) => a
                    .split(',')
                    .map(|s| {
                        let s = s.trim();
                        if s == EXPORT_LOCAL {
                            ns.to_string()
                        } else {
                            s.to_string()
                        }
                    })
                    .collect(),
            };
            for scope in scopes {
                map.insert(
                    (scope, convert_host_to_fqdn(ns, &svc.meta.name)),
                    reg.clone(),
                );
            }
        }
        ServiceIndex { map }
    }

    /// `util.GetDestinationHost`: the registry service a host names, seen from `source_ns` with
    /// the referring resource's `exportTo`; exact names first, then wildcard ServiceEntries.
    pub fn lookup(&self, source_ns: &str, export_to: &[String], host: &str) -> Option<&RegService> {
        let fqdn = convert_host_to_fqdn(source_ns, host);
        if let Some(s) = self.map.get(&(EXPORT_ALL.to_string(), fqdn.clone())) {
            return Some(s);
        }
        if export_to.is_empty() {
            if let Some(s) = self.map.get(&(source_ns.to_string(), fqdn.clone())) {
                return Some(s);
            }
        } else {
            for e in export_to {
                let scope = if e == EXPORT_LOCAL { source_ns } else { e };
                if let Some(s) = self.map.get(&(scope.to_string(), fqdn.clone())) {
                    return Some(s);
                }
            }
        }
        let bare_host = host.strip_prefix('*').unwrap_or(host);
        self.map.iter().find_map(|((scope, se_host), s)| {
            let bare = se_host.strip_prefix('*')?;
            if scope != EXPORT_ALL && scope != source_ns {
                return None;
            }
            bare_host.ends_with(bare).then_some(s)
        })
    }

    /// A registry FQDN that the (not found) `host` is a leading part of, for a "did you mean"
    /// hint: `reviews.default.svc` → `reviews.default.svc.cluster.local`.
    pub fn completion(&self, host: &str) -> Option<&str> {
        if host.is_empty() || host.starts_with('*') {
            return None;
        }
        let want = format!("{host}.");
        self.map
            .keys()
            .map(|(_, fqdn)| fqdn.as_str())
            .filter(|f| f.starts_with(&want))
            .min_by_key(|f| (f.len(), *f))
    }
}

/// A pod's labels as the service registry sees them (`label.AugmentLabels`, pilot/pkg/
/// serviceregistry/util/label/label.go): plus the topology labels of its Node and
/// `kubernetes.io/hostname`.
pub fn pod_labels(
    res: &Resources,
    labels: &BTreeMap<String, String>,
    node_name: Option<&str>,
) -> BTreeMap<String, String> {
    let mut out = labels.clone();
    let Some(node_name) = node_name.filter(|n| !n.is_empty()) else {
        return out;
    };
    if let Some(node) = res.nodes.iter().find(|n| n.meta.name == node_name) {
        // Istio: getNodeLocalityString + SplitLocalityLabel — region/zone/subzone, an empty
        // zone cuts the rest off, and empty values add nothing.
        let get = |k: &str| node.meta.labels.get(k).map(String::as_str).unwrap_or("");
        let region = get("topology.kubernetes.io/region");
        let zone = get("topology.kubernetes.io/zone");
        let subzone = if zone.is_empty() {
            ""
        } else {
            get("topology.istio.io/subzone")
        };
        for (k, v) in [
            ("topology.kubernetes.io/region", region),
            ("topology.kubernetes.io/zone", zone),
            ("topology.istio.io/subzone", subzone),
        ] {
            if !v.is_empty() {
                out.insert(k.to_string(), v.to_string());
            }
        }
    }
    out.insert("kubernetes.io/hostname".to_string(), node_name.to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_conversion_keeps_dotted_and_wildcard_hosts() {
        assert_eq!(
            convert_host_to_fqdn("ns", "reviews"),
            "reviews.ns.svc.cluster.local"
        );
        assert_eq!(convert_host_to_fqdn("ns", "a.b"), "a.b");
        assert_eq!(convert_host_to_fqdn("ns", "*"), "*");
        assert_eq!(convert_host_to_fqdn("", "r"), "r..svc.cluster.local");
    }

    #[test]
    fn resource_name_from_host_takes_the_last_label_as_namespace() {
        assert_eq!(
            resource_name_from_host("d", "reviews.ns.svc.cluster.local"),
            ("ns".to_string(), "reviews".to_string())
        );
        assert_eq!(
            resource_name_from_host("d", "a.b.ns.svc.cluster.local"),
            ("ns".to_string(), "a.b".to_string())
        );
        assert_eq!(
            resource_name_from_host("d", "reviews"),
            ("d".to_string(), "reviews".to_string())
        );
    }

    #[test]
    fn selector_string_is_sorted_k_equals_v() {
        let mut s = BTreeMap::new();
        s.insert("b".to_string(), "2".to_string());
        s.insert("a".to_string(), "1".to_string());
        assert_eq!(selector_string(&s), "a=1,b=2");
        assert!(selector_matches(&BTreeMap::new(), &s));
    }
}

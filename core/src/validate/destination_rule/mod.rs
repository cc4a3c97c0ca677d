//! DestinationRule rules. Istio: pkg/config/validation/validation.go
//! `ValidateDestinationRule`, `validateTrafficPolicy`, `validateOutlierDetection`,
//! `validateConnectionPool`, `validateLoadBalancer`, `validatePortTrafficPolicies`,
//! `validateSubset`, `validateWorkloadSelector`; agent/validation.go `ValidateTLS`,
//! `ValidateLocalityLbSetting`, `ValidateZoneAwareLbSetting`.
//!
//! Sub-messages the model keeps as raw trees (locality, warmup, keepalives, tunnel …) are
//! decoded here, strictly, so that typos in them are reported too.
//!
//! Here: the rule as a whole (host, subsets, exportTo, workload selector) and the raw
//! sub-messages; `traffic_policy` holds traffic policies with their outlier detection,
//! connection pool and TLS settings, `load_balancer` the load balancer with locality and
//! zone-aware settings.

use super::common::*;
use super::virtual_service::{export_to, subset_name};
use super::{key, Sink};
use crate::decode::{Decoder, Duration, FromNode};
use crate::diag::Severity;
use crate::model::istio::*;
use crate::node::Node;

mod load_balancer;
mod traffic_policy;

use traffic_policy::traffic_policy;

/// Typed forms of the sub-messages the model keeps as raw trees.
#[allow(dead_code)]
mod raw {
    use crate::decode::Duration;
    use crate::model::istio::Percent;
    use crate::{decode_enum, decode_struct};
    use std::collections::BTreeMap;

    decode_struct! { strict
        pub struct LocalityLb {
            enabled: Option<bool> = "enabled",
            distribute: Vec<LocalityDistribute> = "distribute",
            failover: Vec<LocalityFailover> = "failover",
            failover_priority: Vec<String> = "failoverPriority",
        }
    }

    decode_struct! { strict
        pub struct ZoneAwareLb {
            enabled: Option<bool> = "enabled",
            failover: Vec<LocalityFailover> = "failover",
            failover_priority: Vec<String> = "failoverPriority",
            min_cluster_size: Option<u64> = "minClusterSize",
        }
    }

    decode_struct! { strict
        pub struct LocalityDistribute { from: Option<String> = "from", to: BTreeMap<String, i64> = "to" }
    }

    decode_struct! { strict
        pub struct LocalityFailover { from: Option<String> = "from", to: Option<String> = "to" }
    }

    decode_struct! { strict
        pub struct Warmup {
            duration: Option<Duration> = "duration",
            minimum_percent: Option<f64> = "minimumPercent",
            aggression: Option<f64> = "aggression",
        }
    }

    decode_struct! { strict
        pub struct TcpKeepalive {
            probes: Option<u32> = "probes",
            time: Option<Duration> = "time",
            interval: Option<Duration> = "interval",
        }
    }

    decode_struct! { strict
        pub struct Http2KeepAlive { interval: Option<Duration> = "interval", timeout: Option<Duration> = "timeout" }
    }

    decode_struct! { strict
        pub struct Tunnel {
            protocol: Option<String> = "protocol",
            target_host: Option<String> = "targetHost",
            target_port: Option<i64> = "targetPort",
        }
    }

    decode_enum! {
        pub enum ProxyProtocolVersion { V1 = "V1", V2 = "V2" }
    }

    decode_struct! { strict
        pub struct ProxyProtocol { version: Option<ProxyProtocolVersion> = "version" }
    }

    decode_struct! { strict
        pub struct RetryBudget {
            percent: Option<Percent> = "percent",
            min_retry_concurrency: Option<u32> = "minRetryConcurrency",
            budget_interval: Option<Duration> = "budgetInterval",
        }
    }
}

/// Decodes a raw sub-tree strictly; decoding problems are reported as the loader would have.
fn decode_raw<T: FromNode + Default>(s: &mut Sink, node: &Node, path: &str) -> T {
    let mut d = Decoder::default();
    let v = T::from_node(node, path, &mut d).unwrap_or_default();
    for e in d.errors {
        s.emit(e.code, Severity::Error, &e.path, e.message);
    }
    v
}

pub(crate) fn validate(s: &mut Sink, dr: &DestinationRule) {
    let host = dr.host.as_deref().unwrap_or("");
    if let Err(e) = validate_wildcard_domain(host) {
        if dr.host.is_none() {
            s.err("spec", "host is required: the service the rule applies to (\"reviews\", \"reviews.prod.svc.cluster.local\", \"*.example.com\")");
        } else {
            s.err("spec.host", format!("invalid host: {e}"));
        }
    }
    if let Some(tp) = &dr.traffic_policy {
        traffic_policy(s, "spec.trafficPolicy", tp);
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, sub) in dr.subsets.iter().enumerate() {
        let p = format!("spec.subsets[{i}]");
        if s.is_null(&p) {
            s.err(&p, "subset may not be null");
            continue;
        }
        let name = sub.name.as_deref().unwrap_or("");
        if seen.contains(&name) {
            s.err(
                &format!("{p}.name"),
                format!("duplicate subset name {name:?}; subset names must be unique"),
            );
        }
        seen.push(name);
        // Istio: validateSubset.
        subset_name(
            s,
            &(if sub.name.is_some() {
                format!("{p}.name")
            } else {
                p.clone()
            }),
            name,
        );
        super::virtual_service::labels(s, &format!("{p}.labels"), &sub.labels);
        if let Some(tp) = &sub.traffic_policy {
            traffic_policy(s, &format!("{p}.trafficPolicy"), tp);
        }
    }
    export_to(s, &dr.export_to, false, dr.workload_selector.is_some());
    if let Some(ws) = &dr.workload_selector {
        // Istio: validation.go validateWorkloadSelector (the CRD's CEL adds the same rules).
        for (k, v) in &ws.match_labels {
            let p = key("spec.workloadSelector.matchLabels", k);
            if k.is_empty() {
                s.err(
                    &p,
                    format!("empty key is not supported in selector: \"{k}={v}\""),
                );
            }
            if k.contains('*') || v.contains('*') {
                s.err(
                    &p,
                    format!("wildcard is not supported in selector: \"{k}={v}\""),
                );
            }
        }
        if ws.match_labels.is_empty() {
            s.warn(
                "spec.workloadSelector",
                "workload selector specified without labels: it selects every workload in the namespace",
            );
        }
    }
}

fn duration(s: &mut Sink, path: &str, d: Duration) {
    if let Err(e) = validate_duration(d) {
        s.err(path, e);
    }
}

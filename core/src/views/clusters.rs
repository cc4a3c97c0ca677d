//! `istioctl proxy-config clusters`: one row per cluster, with its load-balancing and resilience
//! settings as `-o json` holds them.

use super::{istioctl_name, render_table};
use crate::lb::LbPolicy;
use crate::table::*;
use serde::Serialize;
use serde_json::{json, Value};

/// Load-balancing and resilience settings of a cluster, as `proxy-config cluster -o json` holds them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LbDetail {
    /// Envoy's `lb_policy`: `LEAST_REQUEST`, `ROUND_ROBIN`, `RANDOM`, `RING_HASH`, `MAGLEV`,
    /// `CLUSTER_PROVIDED`.
    pub lb_policy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_hash_lb_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maglev_lb_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breakers: Option<Value>,
}

/// One row of `proxy-config clusters`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRow {
    /// `outbound|PORT|SUBSET|FQDN`.
    pub name: String,
    pub service_fqdn: String,
    pub port: u32,
    /// Subset name; `-` when none (istioctl's spelling).
    pub subset: String,
    pub direction: &'static str,
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// `name.namespace` of the DestinationRule(s) applied, comma-separated; empty when none.
    pub destination_rule: String,
    pub endpoints: usize,
    pub lb: LbDetail,
}

/// The LB detail of a cluster (Envoy's field names, camelCase as in `-o json`).
pub fn lb_detail(c: &Cluster) -> LbDetail {
    let policy = &c.selector.policy;
    LbDetail {
        lb_policy: policy.envoy_name(),
        ring_hash_lb_config: match policy {
            LbPolicy::RingHash { minimum_ring_size } => {
                Some(json!({ "minimumRingSize": minimum_ring_size }))
            }
            _ => None,
        },
        maglev_lb_config: match policy {
            LbPolicy::Maglev { table_size } => Some(json!({ "tableSize": table_size })),
            _ => None,
        },
        hash_policy: c.hash.as_ref().map(|h| match h {
            HashPolicy::Header(n) => json!({ "header": { "headerName": n } }),
            HashPolicy::Cookie { name, path, ttl_ms } => json!({ "cookie": {
                "name": name,
                "path": path,
                "ttlMs": ttl_ms,
            } }),
            HashPolicy::Query(q) => json!({ "queryParameter": { "name": q } }),
            HashPolicy::SourceIp => json!({ "connectionProperties": { "sourceIp": true } }),
        }),
        outlier_detection: c.outlier.as_ref().map(|o| {
            json!({
                "consecutive5xx": o.consecutive_5xx,
                "consecutiveGatewayFailure": o.consecutive_gateway_errors,
                "intervalMs": o.interval_ms,
                "baseEjectionTimeMs": o.base_ejection_ms,
                "maxEjectionPercent": o.max_ejection_percent,
                "minHealthPercent": o.min_health_percent,
            })
        }),
        circuit_breakers: c.pool.as_ref().map(|p| {
            json!({
                "maxConnections": p.max_connections,
                "maxPendingRequests": p.http1_max_pending_requests,
                "maxRequests": p.http2_max_requests,
                "maxRequestsPerConnection": p.max_requests_per_connection,
            })
        }),
    }
}

pub fn clusters(t: &RouteTable) -> Vec<ClusterRow> {
    t.clusters
        .iter()
        .map(|c| ClusterRow {
            name: c.name.clone(),
            service_fqdn: c.service.clone(),
            port: c.port,
            subset: if c.subset.is_empty() {
                "-".into()
            } else {
                c.subset.clone()
            },
            direction: "outbound",
            type_: c.discovery,
            destination_rule: c
                .destination_rule
                .as_deref()
                .map(istioctl_name)
                .unwrap_or_default(),
            endpoints: c.endpoints.len(),
            lb: lb_detail(c),
        })
        .collect()
}

pub fn render_clusters(rows: &[ClusterRow]) -> String {
    render_table(
        &[
            "SERVICE FQDN",
            "PORT",
            "SUBSET",
            "DIRECTION",
            "TYPE",
            "DESTINATION RULE",
        ],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.service_fqdn.clone(),
                    r.port.to_string(),
                    r.subset.clone(),
                    r.direction.to_string(),
                    r.type_.to_string(),
                    r.destination_rule.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

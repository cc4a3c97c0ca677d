//! `istioctl proxy-config endpoints`: one row per endpoint of every cluster.

use super::render_table;
use crate::table::*;
use serde::Serialize;

/// One row of `proxy-config endpoints`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointRow {
    /// `ip:port`.
    pub endpoint: String,
    /// `HEALTHY` or `UNHEALTHY` (not-ready pod).
    pub status: &'static str,
    /// Outlier detection state. A compiled table has no runtime state, so always `OK`.
    pub outlier_check: &'static str,
    pub cluster: String,
    pub weight: u32,
    /// `Pod ns/name`, `WorkloadEntry ns/name`, `ServiceEntry ns/name`.
    pub source: String,
}

pub fn endpoints(t: &RouteTable) -> Vec<EndpointRow> {
    t.clusters
        .iter()
        .flat_map(|c| {
            c.endpoints.iter().map(move |e| EndpointRow {
                endpoint: e.address.clone(),
                status: if e.healthy { "HEALTHY" } else { "UNHEALTHY" },
                outlier_check: "OK",
                cluster: c.name.clone(),
                weight: e.weight,
                source: e.source.clone(),
            })
        })
        .collect()
}

pub fn render_endpoints(rows: &[EndpointRow]) -> String {
    render_table(
        &["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.endpoint.clone(),
                    r.status.to_string(),
                    r.outlier_check.to_string(),
                    r.cluster.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

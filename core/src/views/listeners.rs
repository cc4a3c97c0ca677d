//! `istioctl proxy-config listeners`: one row per listener.

use super::render_table;
use crate::table::*;
use serde::Serialize;

/// One row of `proxy-config listeners`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerRow {
    /// Envoy listener name, `0.0.0.0_8080`.
    pub name: String,
    pub addresses: String,
    pub port: u32,
    /// Filter-chain match; meshroute listeners are plain HTTP, so always `ALL`.
    #[serde(rename = "match")]
    pub match_: String,
    /// `Route: http.8080`.
    pub destination: String,
    pub route_config: String,
    /// Gateway server ports served by this listener (`match.port` and `derivePort` use them).
    pub server_ports: Vec<u32>,
    pub gateways: Vec<String>,
}

pub fn listeners(t: &RouteTable) -> Vec<ListenerRow> {
    t.listeners
        .iter()
        .map(|l| ListenerRow {
            name: l.name.clone(),
            addresses: l
                .name
                .rsplit_once('_')
                .map(|(a, _)| a.to_string())
                .unwrap_or_else(|| "0.0.0.0".into()),
            port: l.port,
            match_: "ALL".into(),
            destination: format!("Route: {}", l.route_config_name),
            route_config: l.route_config_name.clone(),
            server_ports: l.server_ports.clone(),
            gateways: l.gateways.clone(),
        })
        .collect()
}

pub fn render_listeners(rows: &[ListenerRow]) -> String {
    render_table(
        &["ADDRESSES", "PORT", "MATCH", "DESTINATION"],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.addresses.clone(),
                    r.port.to_string(),
                    r.match_.clone(),
                    r.destination.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

//! `istioctl proxy-config listeners`: one row per filter chain of every listener, in the order
//! the LDS file lists them (TLS chains, then the plaintext chain). MATCH is istioctl's
//! description of the chain's `filter_chain_match` (istioctl/pkg/writer/envoy/configdump/
//! listener.go `getMatches`: `SNI: a,b`, `Trans: tls`, joined with `; `, `ALL` for none), with
//! the server's TLS mode after it; DESTINATION is the chain's route configuration.

use super::render_table;
use crate::table::*;
use serde::Serialize;

/// One row of `proxy-config listeners`: a filter chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerRow {
    /// Envoy listener name, `0.0.0.0_8080`.
    pub name: String,
    pub addresses: String,
    pub port: u32,
    /// Filter-chain match: `ALL` (a plaintext listener), `Trans: raw_buffer` (the plaintext
    /// chain beside TLS chains), `SNI: a.com,b.com; Trans: tls (SIMPLE)` (an HTTPS server).
    #[serde(rename = "match")]
    pub match_: String,
    /// `Route: http.8080`, `Route: https.443.https.GATEWAY.NS`.
    pub destination: String,
    pub route_config: String,
    /// Gateway server ports served by this listener (`match.port` and `derivePort` use them).
    pub server_ports: Vec<u32>,
    pub gateways: Vec<String>,
    /// The TLS chain's name (its route configuration's); None for a plaintext chain.
    pub filter_chain: Option<String>,
    /// SNI names the chain is chosen by; empty: any (a server host `*`).
    pub server_names: Vec<String>,
    /// `SIMPLE`, `MUTUAL`, `OPTIONAL_MUTUAL`; None for plaintext.
    pub tls_mode: Option<&'static str>,
    /// SDS names of the chain's certificate and CA (`proxy-config secret` lists them).
    pub certificate: Option<String>,
    pub ca: Option<String>,
    /// `ns/name` of the Gateway and the server's index, for a TLS chain.
    pub gateway: Option<String>,
    pub server: Option<usize>,
}

/// Istio's spelling of a server TLS mode.
pub fn tls_mode_name(m: TlsMode) -> &'static str {
    match m {
        TlsMode::Simple => "SIMPLE",
        TlsMode::Mutual => "MUTUAL",
        TlsMode::OptionalMutual => "OPTIONAL_MUTUAL",
    }
}

pub fn listeners(t: &RouteTable) -> Vec<ListenerRow> {
    let mut out = Vec::new();
    for l in &t.listeners {
        let base = ListenerRow {
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
            filter_chain: None,
            server_names: Vec::new(),
            tls_mode: None,
            certificate: None,
            ca: None,
            gateway: None,
            server: None,
        };
        for c in &l.filter_chains {
            let mode = tls_mode_name(c.tls.mode);
            let mut m = Vec::new();
            if !c.server_names.is_empty() {
                m.push(format!("SNI: {}", c.server_names.join(",")));
            }
            m.push("Trans: tls".to_string());
            out.push(ListenerRow {
                match_: format!("{} ({mode})", m.join("; ")),
                destination: format!("Route: {}", c.name),
                route_config: c.name.clone(),
                filter_chain: Some(c.name.clone()),
                server_names: c.server_names.clone(),
                tls_mode: Some(mode),
                certificate: Some(c.tls.certificate.clone()),
                ca: c.tls.ca.clone(),
                gateway: Some(c.gateway.clone()),
                server: Some(c.server),
                ..base.clone()
            });
        }
        // The plaintext chain: the only one, or beside TLS chains for connections without
        // TLS (envoy-config's `transport_protocol: raw_buffer`).
        if l.filter_chains.is_empty() || l.plaintext {
            if !l.filter_chains.is_empty() {
                out.push(ListenerRow {
                    match_: "Trans: raw_buffer".into(),
                    ..base
                });
            } else {
                out.push(base);
            }
        }
    }
    out
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

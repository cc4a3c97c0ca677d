//! TLS and TCP routes. Istio: validation.go `validateTLSRoute`, `validateTLSMatch`,
//! `validateSniHost`, `validateTCPRoute` and `validateTCPMatch`.

use super::destinations::route_destinations;
use super::{gateway_names, labels};
use crate::model::istio::*;
use crate::validate::common::*;
use crate::validate::Sink;
use std::collections::BTreeMap;

/// Istio: validation.go `validateTLSRoute` / `validateTLSMatch` / `validateSniHost`.
pub(super) fn tls_route(
    s: &mut Sink,
    path: &str,
    t: &TlsRoute,
    vs: &VirtualService,
    gateway_bound: bool,
) {
    if t.matches.is_empty() {
        s.err(path, "a TLS route needs at least one match (with sniHosts)");
    }
    for (j, m) in t.matches.iter().enumerate() {
        let mp = format!("{path}.match[{j}]");
        if s.is_null(&mp) {
            s.err(&mp, "TLS match may not be null");
            continue;
        }
        if m.sni_hosts.is_empty() {
            s.err(&mp, "a TLS match needs at least one SNI host (sniHosts)");
        }
        for (k, sni) in m.sni_hosts.iter().enumerate() {
            let p = format!("{mp}.sniHosts[{k}]");
            let r = if gateway_bound {
                validate_wildcard_domain_for_gateway(true, sni)
            } else {
                validate_wildcard_domain(sni)
            };
            if let Err(e) = r {
                if is_ip(sni) {
                    s.warn(
                        &p,
                        format!("using an IP address ({sni:?}) goes against the SNI spec and most clients do not support it"),
                    );
                } else {
                    s.err(&p, e);
                }
                continue;
            }
            if !vs.hosts.iter().any(|h| crate::host::subset_of(sni, h)) {
                s.err(
                    &p,
                    format!(
                        "SNI host {sni:?} is not a compatible subset of any of the virtual service hosts: [{}]",
                        vs.hosts.join(", ")
                    ),
                );
            }
        }
        l4_common(
            s,
            &mp,
            &m.destination_subnets,
            m.port,
            &m.source_labels,
            &m.gateways,
        );
    }
    if t.route.is_empty() {
        s.err(path, "a TLS route needs a route (destinations)");
    }
    route_destinations(s, &format!("{path}.route"), &t.route);
}

/// Istio: validation.go `validateTCPRoute` / `validateTCPMatch`.
pub(super) fn tcp_route(s: &mut Sink, path: &str, t: &TcpRoute) {
    for (j, m) in t.matches.iter().enumerate() {
        let mp = format!("{path}.match[{j}]");
        if s.is_null(&mp) {
            s.err(&mp, "tcp match may not be null");
            continue;
        }
        l4_common(
            s,
            &mp,
            &m.destination_subnets,
            m.port,
            &m.source_labels,
            &m.gateways,
        );
    }
    if t.route.is_empty() {
        s.err(path, "a TCP route needs a route (destinations)");
    }
    route_destinations(s, &format!("{path}.route"), &t.route);
}

fn l4_common(
    s: &mut Sink,
    mp: &str,
    subnets: &[String],
    port: Option<i64>,
    source_labels: &BTreeMap<String, String>,
    gateways: &[String],
) {
    for (k, sn) in subnets.iter().enumerate() {
        s.check(
            &format!("{mp}.destinationSubnets[{k}]"),
            validate_ip_subnet(sn),
        );
    }
    if let Some(p) = port {
        if p != 0 {
            s.check(&format!("{mp}.port"), validate_port(p));
        }
    }
    labels(s, &format!("{mp}.sourceLabels"), source_labels);
    gateway_names(s, &format!("{mp}.gateways"), gateways);
}

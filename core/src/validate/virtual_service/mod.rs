//! VirtualService rules. Istio: pkg/config/validation/validation.go `ValidateVirtualService`
//! and helpers (validation.go ~L1743-2752), pkg/config/validation/virtualservice.go
//! (`validateHTTPRoute`, `validateHTTPRouteConflict`, `validateHTTPRouteMatchRequest`),
//! agent/validation.go `ValidateHTTPRetry`.
//!
//! Here: the virtual service as a whole (hosts, gateways, delegates, exportTo); the parts in
//! `http_route`, `matches`, `destinations`, `policies` (CORS, faults, retries), `actions`
//! (redirect, direct response, rewrite) and `l4` (TLS and TCP routes).

use super::common::*;
use super::{key, Sink};
use crate::model::istio::*;
use std::collections::BTreeMap;

mod actions;
mod destinations;
mod http_route;
mod l4;
mod matches;
mod policies;

pub(crate) use destinations::subset_name;
use http_route::http_route;
use l4::{tcp_route, tls_route};

pub(crate) fn validate(s: &mut Sink, vs: &VirtualService) {
    let delegate = vs.hosts.is_empty();
    if delegate {
        // Istio: ValidateVirtualService — a VS without hosts is a delegate.
        if !vs.gateways.is_empty() {
            s.err(
                "spec.gateways",
                "a delegate virtual service (one without hosts) must not specify gateways; the root virtual service decides where it applies",
            );
        }
        if !vs.tls.is_empty() {
            s.err(
                "spec.tls",
                "a delegate virtual service (one without hosts) must not have tls routes; delegation is HTTP only",
            );
        }
        if !vs.tcp.is_empty() {
            s.err(
                "spec.tcp",
                "a delegate virtual service (one without hosts) must not have tcp routes; delegation is HTTP only",
            );
        }
    }

    let (applies_to_mesh, applies_to_gateway) = if vs.gateways.is_empty() {
        (true, false)
    } else {
        gateway_names(s, "spec.gateways", &vs.gateways);
        // Istio: isGateway — bound to gateways only when "mesh" is not listed.
        let gw = !vs.gateways.iter().any(|g| g == crate::host::MESH_GATEWAY);
        (!gw, gw)
    };

    if !applies_to_gateway {
        for (i, h) in vs.http.iter().enumerate() {
            for (j, m) in h.matches.iter().enumerate() {
                for (field, map) in [
                    ("headers", &m.headers),
                    ("withoutHeaders", &m.without_headers),
                ] {
                    for k in map.keys() {
                        if is_jwt_claim_header(k) {
                            s.err(
                                &key(&format!("spec.http[{i}].match[{j}].{field}"), k),
                                format!(
                                    "JWT claim based routing (key: {k}) is only supported on gateways; list the gateway(s) in spec.gateways (without \"mesh\")"
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    let sni = vs
        .tls
        .iter()
        .any(|t| t.matches.iter().any(|m| !m.sni_hosts.is_empty()));
    let mut all_valid = true;
    for (i, h) in vs.hosts.iter().enumerate() {
        let path = format!("spec.hosts[{i}]");
        let r = if applies_to_gateway {
            validate_wildcard_domain_for_gateway(sni, h)
        } else {
            validate_wildcard_domain(h)
        };
        match r {
            Err(e) => {
                if !is_ip(h) {
                    s.err(&path, e);
                    all_valid = false;
                }
            }
            Ok(()) if applies_to_mesh && h == "*" => {
                s.err(
                    &path,
                    "the wildcard host \"*\" is not allowed for virtual services bound to the mesh gateway; name the hosts, or bind the virtual service to gateways only",
                );
                all_valid = false;
            }
            Ok(()) => {}
        }
    }
    if all_valid {
        // Istio: duplicates include wildcard overlaps (`*.foo.com` and `a.foo.com`).
        for i in 0..vs.hosts.len() {
            for j in i + 1..vs.hosts.len() {
                if crate::host::matches(&vs.hosts[i], &vs.hosts[j]) {
                    s.err(
                        &format!("spec.hosts[{j}]"),
                        format!(
                            "duplicate hosts in virtual service: {} and {} overlap; list each host once",
                            vs.hosts[i], vs.hosts[j]
                        ),
                    );
                }
            }
        }
    }

    if vs.http.is_empty() && vs.tcp.is_empty() && vs.tls.is_empty() {
        s.err(
            "spec",
            "a virtual service needs at least one of http, tcp or tls routes",
        );
    }
    for (i, h) in vs.http.iter().enumerate() {
        let path = format!("spec.http[{i}]");
        if s.is_null(&path) {
            s.err(&path, "http route may not be null");
            continue;
        }
        http_route(s, &path, h, delegate);
    }
    for (i, t) in vs.tls.iter().enumerate() {
        tls_route(s, &format!("spec.tls[{i}]"), t, vs, applies_to_gateway);
    }
    for (i, t) in vs.tcp.iter().enumerate() {
        tcp_route(s, &format!("spec.tcp[{i}]"), t);
    }
    export_to(s, &vs.export_to, false, false);
}

/// Reports exportTo problems (Istio: validation.go `validateExportTo`).
pub(crate) fn export_to(s: &mut Sink, export_to: &[String], se: bool, dr_selector: bool) {
    let ns = s.namespace.to_string();
    for (i, msg) in validate_export_to(&ns, export_to, se, dr_selector) {
        match i {
            Some(i) => s.err(&format!("spec.exportTo[{i}]"), msg),
            None => s.err("spec.exportTo", msg),
        }
    }
}

/// Istio: validation.go `validateGatewayNames`. Istio returns after the first name without a
/// `/` (whatever follows is not checked); that is kept.
pub(crate) fn gateway_names(s: &mut Sink, path: &str, names: &[String]) {
    for (i, g) in names.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match g.split_once('/') {
            None => {
                if let Some((name, rest)) = g.split_once('.') {
                    let ns = rest.split('.').next().unwrap_or("");
                    s.warn(
                        &p,
                        format!(
                            "using the legacy gateway name format {g:?}; prefer <namespace>/<name>: \"{ns}/{name}\""
                        ),
                    );
                }
                if let Err(e) = validate_fqdn(g) {
                    s.err(&p, format!("invalid gateway name {g:?}: {e}"));
                }
                return;
            }
            Some((ns, name)) => {
                if ns.is_empty() || name.is_empty() {
                    s.err(
                        &p,
                        format!("gateway {g:?}: the namespace and the gateway name cannot be empty (expected <namespace>/<name>)"),
                    );
                }
                if !is_dns1123_label(ns) {
                    s.err(
                        &p,
                        format!(
                            "gateway {g:?}: invalid namespace {ns:?}, expected a DNS-1123 label"
                        ),
                    );
                }
                if !is_dns1123_label(name) {
                    s.err(
                        &p,
                        format!("gateway {g:?}: invalid gateway name {name:?}, expected a DNS-1123 label"),
                    );
                }
            }
        }
    }
}

pub(crate) fn labels(s: &mut Sink, path: &str, l: &BTreeMap<String, String>) {
    for (k, msg) in validate_labels(l) {
        s.err(&key(path, &k), msg);
    }
}

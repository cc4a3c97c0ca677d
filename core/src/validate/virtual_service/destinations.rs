//! Route destinations and their weights. Istio: validation.go `validateHTTPRouteDestinations`,
//! `validateRouteDestinations`, `validateDestination` and `validateSubsetName`.

use super::http_route::headers;
use crate::model::istio::*;
use crate::validate::common::*;
use crate::validate::Sink;

/// Istio: validation.go `validateHTTPRouteDestinations`.
pub(super) fn http_destinations(s: &mut Sink, path: &str, ds: &[HttpRouteDestination]) {
    let mut total: i64 = 0;
    for (i, d) in ds.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if s.is_null(&p) {
            s.err(&p, "route destination may not be null");
            continue;
        }
        match &d.destination {
            None => s.err(&p, "destination is required"),
            Some(dest) => destination(s, &format!("{p}.destination"), dest),
        }
        headers(s, &format!("{p}.headers"), d.headers.as_ref());
        let w = d.weight.unwrap_or(0);
        weight(s, &format!("{p}.weight"), w);
        total = total.saturating_add(w);
    }
    if ds.len() > 1 && total == 0 {
        s.err(
            path,
            "with several destinations the total weight must be greater than 0 (weights are relative and need not sum to 100)",
        );
    }
}

fn weight(s: &mut Sink, path: &str, w: i64) {
    if w < 0 {
        s.err(path, format!("weight must be >= 0, got {w}"));
    } else if w > i64::from(i32::MAX) {
        s.err(
            path,
            format!("weight must be at most {} (int32), got {w}", i32::MAX),
        );
    }
}

/// Istio: validation.go `validateDestination`.
pub(crate) fn destination(s: &mut Sink, path: &str, d: &Destination) {
    let host = d.host.as_deref().unwrap_or("");
    let hp = format!("{path}.host");
    if host == "*" {
        s.err(
            &hp,
            "invalid destination host \"*\": a destination names one service (a DNS name or a short name)",
        );
    } else if let Err(e) = validate_wildcard_domain(host) {
        if host.is_empty() {
            s.err(
                if d.host.is_none() { path } else { &hp },
                "destination host is required",
            );
        } else {
            s.err(&hp, format!("invalid destination host: {e}"));
        }
    }
    if let Some(sub) = d.subset.as_deref() {
        if !sub.is_empty() {
            subset_name(s, &format!("{path}.subset"), sub);
        }
    }
    if let Some(p) = &d.port {
        s.check(
            &format!("{path}.port.number"),
            validate_port(p.number.unwrap_or(0)),
        );
    }
}

/// Istio: validation.go `validateSubsetName`.
pub(crate) fn subset_name(s: &mut Sink, path: &str, name: &str) {
    if name.is_empty() {
        s.err(path, "subset name cannot be empty");
    } else if !is_dns1123_label(name) {
        s.err(
            path,
            format!("subset name {name:?} is invalid: expected a DNS-1123 label (letters, digits and '-', like \"v1\")"),
        );
    }
}

/// Istio: validation.go `validateRouteDestinations`.
pub(super) fn route_destinations(s: &mut Sink, path: &str, ds: &[RouteDestination]) {
    let mut total: i64 = 0;
    for (i, d) in ds.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if s.is_null(&p) {
            s.err(&p, "route destination may not be null");
            continue;
        }
        match &d.destination {
            None => s.err(&p, "destination is required"),
            Some(dest) => destination(s, &format!("{p}.destination"), dest),
        }
        let w = d.weight.unwrap_or(0);
        weight(s, &format!("{p}.weight"), w);
        total = total.saturating_add(w);
    }
    if ds.len() > 1 && total == 0 {
        s.err(
            path,
            "with several destinations the total weight must be greater than 0 (weights are relative and need not sum to 100)",
        );
    }
}

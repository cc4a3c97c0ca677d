//! One HTTP route. Istio: virtualservice.go `validateHTTPRoute` (mirrors, header operations),
//! `validateHTTPRouteConflict` and `validateAuthorityRewrite`.

use super::actions::{direct_response, redirect, rewrite};
use super::destinations::{destination, http_destinations};
use super::matches::match_requests;
use super::policies::{cors, fault, retries};
use crate::diag::Severity;
use crate::model::istio::*;
use crate::validate::common::*;
use crate::validate::{is_reserved_header, key, Sink, RESERVED_HEADER};

pub(super) fn http_route(s: &mut Sink, path: &str, h: &HttpRoute, delegate_vs: bool) {
    route_conflicts(s, path, h, delegate_vs);
    match_requests(s, path, h);
    headers(s, &format!("{path}.headers"), h.headers.as_ref());
    if let Some(c) = &h.cors_policy {
        cors(s, &format!("{path}.corsPolicy"), c);
    }
    if let Some(f) = &h.fault {
        fault(s, &format!("{path}.fault"), f);
    }
    // Istio: virtualservice.go validateHTTPRoute — mirror_percent / mirrorPercentage.
    if let Some(v) = h.mirror_percent {
        let p = format!("{path}.mirrorPercent");
        if v > 100 {
            s.err(&p, format!("mirrorPercent must be at most 100, got {v}"));
        }
        if v < 0 {
            s.err(&p, format!("mirrorPercent must be at least 0, got {v}"));
        }
        s.warn(
            &p,
            "mirrorPercent is deprecated; use mirrorPercentage: {value: <0-100>} instead",
        );
    }
    if let Some(p) = &h.mirror_percentage {
        let v = p.value.unwrap_or(0.0);
        let pp = format!("{path}.mirrorPercentage.value");
        if v > 100.0 {
            s.err(
                &pp,
                format!("mirrorPercentage must be at most 100, got {v}"),
            );
        }
        if v < 0.0 {
            s.err(&pp, format!("mirrorPercentage must be at least 0, got {v}"));
        }
    }
    if let Some(m) = &h.mirror {
        destination(s, &format!("{path}.mirror"), m);
    }
    for (i, m) in h.mirrors.iter().enumerate() {
        let p = format!("{path}.mirrors[{i}]");
        if s.is_null(&p) {
            s.err(&p, "mirror cannot be null");
            continue;
        }
        let Some(d) = &m.destination else {
            s.err(&p, "a mirror needs a destination");
            continue;
        };
        destination(s, &format!("{p}.destination"), d);
        if let Some(pc) = &m.percentage {
            let v = pc.value.unwrap_or(0.0);
            let pp = format!("{p}.percentage.value");
            if v > 100.0 {
                s.err(
                    &pp,
                    format!("mirror percentage must be at most 100, got {v}"),
                );
            }
            if v < 0.0 {
                s.err(
                    &pp,
                    format!("mirror percentage must be at least 0, got {v}"),
                );
            }
        }
    }
    if let Some(r) = &h.redirect {
        redirect(s, &format!("{path}.redirect"), r, &h.matches);
    }
    if let Some(d) = &h.direct_response {
        direct_response(s, &format!("{path}.directResponse"), d);
    }
    if let Some(r) = &h.retries {
        retries(s, &format!("{path}.retries"), r);
    }
    if let Some(r) = &h.rewrite {
        rewrite(s, &format!("{path}.rewrite"), r);
    }
    authority_rewrite(s, path, h);
    http_destinations(s, &format!("{path}.route"), &h.route);
    if let Some(t) = h.timeout {
        if let Err(e) = validate_duration(t) {
            s.err(&format!("{path}.timeout"), format!("timeout: {e}"));
        }
    }
}

/// Istio: virtualservice.go `validateHTTPRouteConflict`.
fn route_conflicts(s: &mut Sink, path: &str, h: &HttpRoute, delegate_vs: bool) {
    let name = h.name.as_deref().unwrap_or("");
    if !delegate_vs && h.delegate.is_some() {
        // A root route: only `delegate` decides where traffic goes.
        if h.redirect.is_some() {
            s.err(
                &format!("{path}.redirect"),
                format!("root HTTP route {name:?} has a delegate and must not specify redirect"),
            );
        }
        if !h.route.is_empty() {
            s.err(
                &format!("{path}.route"),
                format!("root HTTP route {name:?} has a delegate and must not specify route"),
            );
        }
        return;
    }
    if delegate_vs && h.delegate.is_some() {
        s.err(
            &format!("{path}.delegate"),
            "an HTTP route of a delegate virtual service cannot delegate again (only one level of delegation)",
        );
    }
    if h.redirect.is_some() {
        let p = format!("{path}.redirect");
        if !h.route.is_empty() {
            s.err(&p, "an HTTP route cannot have both route and redirect");
        }
        if h.fault.is_some() {
            s.err(&p, "an HTTP route cannot have both fault and redirect");
        }
        if h.rewrite.is_some() {
            s.err(&p, "an HTTP route cannot have both rewrite and redirect");
        }
        if h.direct_response.is_some() {
            s.err(
                &p,
                "an HTTP route cannot have both directResponse and redirect",
            );
        }
    } else if h.direct_response.is_some() {
        let p = format!("{path}.directResponse");
        if !h.route.is_empty() {
            s.err(
                &p,
                "an HTTP route cannot have both route and directResponse",
            );
        }
        if h.fault.is_some() {
            s.err(
                &p,
                "an HTTP route cannot have both fault and directResponse",
            );
        }
        if h.rewrite.is_some() {
            s.err(
                &p,
                "an HTTP route cannot have both rewrite and directResponse",
            );
        }
    } else if h.route.is_empty() {
        s.err(
            path,
            "an HTTP route needs one of route, redirect or directResponse (or delegate in a root virtual service)",
        );
    }
    if h.mirror.is_some() && !h.mirrors.is_empty() {
        s.err(
            &format!("{path}.mirrors"),
            "an HTTP route cannot have both mirror and mirrors; move the mirror into mirrors",
        );
    }
}

/// Route- and destination-level header operations (Istio: virtualservice.go validateHTTPRoute,
/// validation.go validateHTTPRouteDestinations).
pub(super) fn headers(s: &mut Sink, path: &str, h: Option<&Headers>) {
    let Some(h) = h else { return };
    if let Some(req) = &h.request {
        for (op, map) in [("add", &req.add), ("set", &req.set)] {
            for (name, val) in map {
                let p = key(&format!("{path}.request.{op}"), name);
                s.check(&p, validate_header_op_name_with_authority(name));
                s.check(&p, validate_header_value(val));
                reserved(s, &p, name);
            }
        }
        for (i, name) in req.remove.iter().enumerate() {
            let p = format!("{path}.request.remove[{i}]");
            s.check(&p, validate_header_op_name(name));
            reserved(s, &p, name);
        }
    }
    if let Some(resp) = &h.response {
        for (op, map) in [("add", &resp.add), ("set", &resp.set)] {
            for (name, val) in map {
                let p = key(&format!("{path}.response.{op}"), name);
                s.check(&p, validate_header_op_name(name));
                s.check(&p, validate_header_value(val));
            }
        }
        for (i, name) in resp.remove.iter().enumerate() {
            s.check(
                &format!("{path}.response.remove[{i}]"),
                validate_header_op_name(name),
            );
        }
    }
}

/// A request header operation on a header meshroute steers Envoy with is not applied.
fn reserved(s: &mut Sink, path: &str, name: &str) {
    if is_reserved_header(name) {
        s.emit(
            RESERVED_HEADER,
            Severity::Warning,
            path,
            format!(
                "{name:?} is reserved by meshroute (its x-meshroute-* request headers steer Envoy), so this operation is not applied; Istio would pass the header on — use another name"
            ),
        );
    }
}

/// Istio: virtualservice.go `validateAuthorityRewrite` — the authority is set in one place only.
fn authority_rewrite(s: &mut Sink, path: &str, h: &HttpRoute) {
    let mut current = h
        .rewrite
        .as_ref()
        .and_then(|r| r.authority.clone())
        .unwrap_or_default();
    let Some(req) = h.headers.as_ref().and_then(|h| h.request.as_ref()) else {
        return;
    };
    for (op, map) in [("set", &req.set), ("add", &req.add)] {
        for (k, v) in map {
            if !is_authority(k) {
                continue;
            }
            if !current.is_empty() {
                s.err(
                    &key(&format!("{path}.headers.request.{op}"), k),
                    format!(
                        "the authority is set more than once: already {current:?}, now {v:?}; set it in one place (rewrite.authority or one header)"
                    ),
                );
                return;
            }
            current = v.clone();
        }
    }
}

//! VirtualService rules. Istio: pkg/config/validation/validation.go `ValidateVirtualService`
//! and helpers (validation.go ~L1743-2752), pkg/config/validation/virtualservice.go
//! (`validateHTTPRoute`, `validateHTTPRouteConflict`, `validateHTTPRouteMatchRequest`),
//! agent/validation.go `ValidateHTTPRetry`.

use super::common::*;
use super::{is_reserved_header, key, Sink, EMPTY_STRING_MATCH, RESERVED_HEADER};
use crate::diag::Severity;
use crate::model::istio::*;
use std::collections::BTreeMap;

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

fn http_route(s: &mut Sink, path: &str, h: &HttpRoute, delegate_vs: bool) {
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

/// Which StringMatch kinds are set, for "exactly one" checks (the proto is a oneof).
fn set_kinds(m: &StringMatch) -> Vec<&'static str> {
    let mut v = Vec::new();
    if m.exact.is_some() {
        v.push("exact");
    }
    if m.prefix.is_some() {
        v.push("prefix");
    }
    if m.regex.is_some() {
        v.push("regex");
    }
    v
}

/// `oneof match_type`: two kinds at once is refused by Istio's decoder and CRD schema.
/// Returns false when the match is unusable.
fn string_match_oneof(s: &mut Sink, path: &str, m: &StringMatch) -> bool {
    let kinds = set_kinds(m);
    if kinds.len() > 1 {
        s.err(
            path,
            format!(
                "a string match sets exactly one of exact, prefix or regex; got {}",
                kinds.join(" and ")
            ),
        );
        return false;
    }
    true
}

/// Istio: validation.go `validateStringMatch` — empty prefix refused, regex checked.
fn string_match(s: &mut Sink, path: &str, m: &StringMatch) {
    if !string_match_oneof(s, path, m) {
        return;
    }
    if m.prefix.as_deref() == Some("") {
        s.err(
            &format!("{path}.prefix"),
            "prefix string match should not be empty (only uri allows an empty prefix); remove the match to match anything",
        );
    }
    string_match_regex(s, path, m);
}

/// Istio: validation.go `validateStringMatchRegexp`.
fn string_match_regex(s: &mut Sink, path: &str, m: &StringMatch) {
    if let Some(re) = &m.regex {
        let p = format!("{path}.regex");
        if re.is_empty() {
            s.err(&p, "regex string match should not be empty");
        } else {
            s.check(&p, validate_regex(re));
        }
    }
}

/// `uri: {}` / `method: {}`: Istio accepts it and matches anything, which is rarely meant.
fn empty_match_lint(s: &mut Sink, path: &str, m: &StringMatch, what: &str) {
    if set_kinds(m).is_empty() {
        s.emit(
            EMPTY_STRING_MATCH,
            Severity::Warning,
            path,
            format!(
                "{what} match sets none of exact, prefix or regex, so it matches anything (Istio accepts this); set one of them or remove the field"
            ),
        );
    }
}

/// Istio: virtualservice.go `validateHTTPRouteMatchRequest`.
fn match_requests(s: &mut Sink, path: &str, h: &HttpRoute) {
    for (j, m) in h.matches.iter().enumerate() {
        let mp = format!("{path}.match[{j}]");
        if s.is_null(&mp) {
            continue;
        }
        for (name, sm) in &m.headers {
            let hp = key(&format!("{mp}.headers"), name);
            if s.is_null(&hp) {
                s.err(
                    &hp,
                    format!(
                        "header match {name:?} cannot be null; use {{}} to match a present header"
                    ),
                );
            }
            s.check(&hp, validate_match_header_name(name));
            string_match(s, &hp, sm);
        }
        for (name, sm) in &m.without_headers {
            let hp = key(&format!("{mp}.withoutHeaders"), name);
            s.check(&hp, validate_match_header_name(name));
            // `regex: "*"` is not RE2: Istio translates it to a presence match.
            if sm.regex.as_deref() != Some("*") {
                string_match(s, &hp, sm);
            } else {
                string_match_oneof(s, &hp, sm);
            }
        }
        // uri allows an empty prefix (Envoy's route prefix may be empty); the others do not.
        if let Some(u) = &m.uri {
            let p = format!("{mp}.uri");
            if string_match_oneof(s, &p, u) {
                string_match_regex(s, &p, u);
                empty_match_lint(s, &p, u, "uri");
            }
        }
        for (field, v) in [
            ("scheme", &m.scheme),
            ("method", &m.method),
            ("authority", &m.authority),
        ] {
            if let Some(sm) = v {
                let p = format!("{mp}.{field}");
                string_match(s, &p, sm);
                if set_kinds(sm).len() <= 1 {
                    empty_match_lint(s, &p, sm, field);
                }
            }
        }
        for (name, sm) in &m.query_params {
            string_match(s, &key(&format!("{mp}.queryParams"), name), sm);
        }
    }
    for (j, m) in h.matches.iter().enumerate() {
        let mp = format!("{path}.match[{j}]");
        if let Some(p) = m.port {
            if p != 0 {
                s.check(&format!("{mp}.port"), validate_port(p));
            }
        }
        labels(s, &format!("{mp}.sourceLabels"), &m.source_labels);
        gateway_names(s, &format!("{mp}.gateways"), &m.gateways);
        if let Some(ns) = m.source_namespace.as_deref() {
            if !ns.is_empty() && !is_dns1123_label(ns) {
                s.err(
                    &format!("{mp}.sourceNamespace"),
                    format!("sourceNamespace {ns:?} is invalid: expected a namespace name (DNS-1123 label)"),
                );
            }
        }
    }
}

pub(crate) fn labels(s: &mut Sink, path: &str, l: &BTreeMap<String, String>) {
    for (k, msg) in validate_labels(l) {
        s.err(&key(path, &k), msg);
    }
}

/// Route- and destination-level header operations (Istio: virtualservice.go validateHTTPRoute,
/// validation.go validateHTTPRouteDestinations).
fn headers(s: &mut Sink, path: &str, h: Option<&Headers>) {
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

/// Istio: validation.go `validateHTTPRouteDestinations`.
fn http_destinations(s: &mut Sink, path: &str, ds: &[HttpRouteDestination]) {
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

/// Istio: validation.go `validateCORSPolicy`.
fn cors(s: &mut Sink, path: &str, c: &CorsPolicy) {
    for (i, o) in c.allow_origins.iter().enumerate() {
        let p = format!("{path}.allowOrigins[{i}]");
        if !string_match_oneof(s, &p, o) {
            continue;
        }
        let v = o
            .exact
            .as_deref()
            .or(o.prefix.as_deref())
            .or(o.regex.as_deref())
            .unwrap_or("");
        if v.is_empty() {
            s.err(
                &p,
                "an allowOrigins entry needs a non-empty exact, prefix or regex",
            );
            continue;
        }
        string_match_regex(s, &p, o);
    }
    const METHODS: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*",
    ];
    for (i, m) in c.allow_methods.iter().enumerate() {
        if !METHODS.contains(&m.as_str()) {
            s.err(
                &format!("{path}.allowMethods[{i}]"),
                format!(
                    "{m:?} is not a supported HTTP method; expected one of {}",
                    METHODS.join(", ")
                ),
            );
        }
    }
    for (field, list) in [
        ("allowHeaders", &c.allow_headers),
        ("exposeHeaders", &c.expose_headers),
    ] {
        for (i, h) in list.iter().enumerate() {
            s.check(
                &format!("{path}.{field}[{i}]"),
                validate_cors_header_name(h),
            );
        }
    }
    if let Some(m) = c.max_age {
        let p = format!("{path}.maxAge");
        if let Err(e) = validate_duration(m) {
            s.err(&p, format!("maxAge: {e}"));
        }
        if m.nanos % 1_000_000_000 != 0 {
            s.err(
                &p,
                format!("maxAge is accurate only to seconds, got {m}; use whole seconds like \"24h\" or \"86400s\""),
            );
        }
    }
}

/// Istio: validation.go `validateHTTPFaultInjection` and the abort/delay helpers.
fn fault(s: &mut Sink, path: &str, f: &HttpFaultInjection) {
    if f.abort.is_none() && f.delay.is_none() {
        s.err(path, "HTTP fault injection needs an abort and/or a delay");
    }
    if let Some(a) = &f.abort {
        let p = format!("{path}.abort");
        percentage(s, &format!("{p}.percentage"), a.percentage.as_ref());
        let kinds = [
            a.http_status.is_some(),
            a.grpc_status.is_some(),
            a.http2_error.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() > 1 {
            s.err(
                &p,
                "an abort sets exactly one of httpStatus, grpcStatus or http2Error",
            );
        } else if let Some(g) = &a.grpc_status {
            if !GRPC_STATUS_NAMES.contains(&g.as_str()) {
                s.err(
                    &format!("{p}.grpcStatus"),
                    format!(
                        "gRPC status {g:?} is not supported; expected a name from https://github.com/grpc/grpc/blob/master/doc/statuscodes.md such as NOT_FOUND or UNAVAILABLE"
                    ),
                );
            }
        } else if a.http2_error.is_some() {
            s.err(
                &format!("{p}.http2Error"),
                "HTTP/2 abort fault injection is not supported yet; use httpStatus or grpcStatus",
            );
        } else if let Some(st) = a.http_status {
            http_status(s, &format!("{p}.httpStatus"), st);
        } else {
            s.warn(
                &p,
                "abort is configured but sets no error type (httpStatus or grpcStatus), so it does nothing",
            );
        }
    }
    if let Some(d) = &f.delay {
        let p = format!("{path}.delay");
        percentage(s, &format!("{p}.percentage"), d.percentage.as_ref());
        if d.fixed_delay.is_some() && d.exponential_delay.is_some() {
            s.err(
                &p,
                "a delay sets exactly one of fixedDelay or exponentialDelay",
            );
        }
        if let Some(fd) = d.fixed_delay {
            if let Err(e) = validate_duration(fd) {
                s.err(&format!("{p}.fixedDelay"), format!("fixedDelay: {e}"));
            }
        } else if let Some(ed) = d.exponential_delay {
            let ep = format!("{p}.exponentialDelay");
            if let Err(e) = validate_duration(ed) {
                s.err(&ep, format!("exponentialDelay: {e}"));
            }
            s.err(&ep, "exponentialDelay is not supported yet; use fixedDelay");
        }
    }
}

/// Istio: validation.go `validatePercentage` — 0, or between 0.0001 and 100.
fn percentage(s: &mut Sink, path: &str, p: Option<&Percent>) {
    let Some(p) = p else { return };
    let v = p.value.unwrap_or(0.0);
    if !(0.0..=100.0).contains(&v) || (v > 0.0 && v < 0.0001) {
        s.err(
            &format!("{path}.value"),
            format!("percentage {v} is neither 0 nor in the range [0.0001, 100]"),
        );
    }
}

/// Istio: validation.go `validateHTTPStatus` (the range is 200-600 inclusive, although the
/// message says 599).
fn http_status(s: &mut Sink, path: &str, st: i64) {
    if !(200..=600).contains(&st) {
        s.err(
            path,
            format!("HTTP status {st} is not in the range 200-599"),
        );
    }
}

/// Istio: validation.go `validateHTTPRedirect` (which stops at the first problem).
fn redirect(s: &mut Sink, path: &str, r: &HttpRedirect, matches: &[HttpMatchRequest]) {
    let uri = r.uri.as_deref().unwrap_or("");
    let prefix = r.prefix_rewrite.as_deref().unwrap_or("");
    if !uri.is_empty() && !prefix.is_empty() {
        s.err(
            &format!("{path}.prefixRewrite"),
            "a redirect may specify only one of uri or prefixRewrite",
        );
        return;
    }
    if !prefix.is_empty() {
        for (j, m) in matches.iter().enumerate() {
            if let Some(u) = &m.uri {
                if u.prefix.is_none() {
                    s.err(
                        &format!("{path}.prefixRewrite"),
                        format!("redirect prefixRewrite requires every URI match to be a prefix match, but match[{j}].uri is not"),
                    );
                    return;
                }
            }
        }
    }
    let has_port = r.port.is_some() || r.derive_port.is_some();
    if uri.is_empty()
        && prefix.is_empty()
        && r.authority.as_deref().unwrap_or("").is_empty()
        && !has_port
        && r.scheme.as_deref().unwrap_or("").is_empty()
    {
        s.err(
            path,
            "a redirect must specify at least one of uri, prefixRewrite, authority, scheme, port or derivePort",
        );
        return;
    }
    if r.port.is_some() && r.derive_port.is_some() {
        s.err(path, "a redirect sets only one of port or derivePort");
        return;
    }
    if let Some(c) = r.redirect_code {
        if c != 0 && !(300..=399).contains(&c) {
            s.err(
                &format!("{path}.redirectCode"),
                format!(
                    "{c} is not a valid redirect code, must be 3xx (301, 302, 303, 307 or 308)"
                ),
            );
            return;
        }
    }
    if let Some(sc) = r.scheme.as_deref() {
        if !sc.is_empty() && sc != "http" && sc != "https" {
            s.err(
                &format!("{path}.scheme"),
                format!("invalid redirect scheme {sc:?}, must be \"http\" or \"https\""),
            );
            return;
        }
    }
    if let Some(p) = r.port {
        // Istio validates only positive ports; the CRD (uint32) refuses negative ones.
        if p != 0 {
            s.check(&format!("{path}.port"), validate_port(p));
        }
    }
}

/// Istio: validation.go `validateHTTPDirectResponse`.
fn direct_response(s: &mut Sink, path: &str, d: &HttpDirectResponse) {
    if let Some(b) = &d.body {
        let bp = format!("{path}.body");
        if b.string.is_some() && b.bytes.is_some() {
            s.err(&bp, "a body sets exactly one of string or bytes");
        }
        let size = match (&b.string, &b.bytes) {
            (Some(st), _) => st.len(),
            // protobuf JSON `bytes` are base64: decoded length is 3/4 of the text.
            (None, Some(by)) => by.trim_end_matches('=').len() * 3 / 4,
            _ => 0,
        };
        const KB: usize = 1024;
        if size > KB * KB {
            s.err(
                &bp,
                format!("direct response body is {size} bytes; it must be less than 1MB (large direct responses may impact control plane performance)"),
            );
        } else if size > 100 * KB {
            s.warn(
                &bp,
                format!("direct response body is {size} bytes; large direct responses (over 100KB) may impact control plane performance"),
            );
        }
    }
    let st = d.status.unwrap_or(0);
    http_status(s, &format!("{path}.status"), st);
}

/// Istio: agent/validation.go `ValidateHTTPRetry`.
fn retries(s: &mut Sink, path: &str, r: &HttpRetry) {
    let attempts = r.attempts.unwrap_or(0);
    if attempts < 0 {
        s.err(
            &format!("{path}.attempts"),
            format!("attempts cannot be negative, got {attempts}"),
        );
    }
    let retry_on = r.retry_on.as_deref().unwrap_or("");
    if attempts == 0
        && (r.per_try_timeout.is_some()
            || !retry_on.is_empty()
            || r.retry_remote_localities.is_some())
    {
        s.err(
            path,
            "a retry policy is configured while attempts is 0 (retries disabled); set attempts >= 1 or remove perTryTimeout/retryOn/retryRemoteLocalities",
        );
    }
    if let Some(t) = r.per_try_timeout {
        if let Err(e) = validate_duration(t) {
            s.err(
                &format!("{path}.perTryTimeout"),
                format!("perTryTimeout: {e}"),
            );
        }
    }
    if !retry_on.is_empty() {
        // Istio splits on "," without trimming: "5xx, reset" has the token " reset".
        for tok in retry_on.split(',') {
            let status_ok = tok
                .strip_prefix(['+', '-'])
                .unwrap_or(tok)
                .bytes()
                .all(|c| c.is_ascii_digit())
                && tok.parse::<i64>().is_ok_and(is_known_http_status);
            if !status_ok && !RETRY_ON_POLICIES.contains(&tok) {
                s.err(
                    &format!("{path}.retryOn"),
                    format!(
                        "retryOn {tok:?} is not a retry policy; expected a comma-separated list (no spaces) of {} or HTTP status codes like 503",
                        RETRY_ON_POLICIES.join(", ")
                    ),
                );
            }
        }
    }
    if let Some(b) = r.backoff {
        if let Err(e) = validate_duration(b) {
            s.err(&format!("{path}.backoff"), format!("backoff: {e}"));
        }
    }
}

/// Istio: validation.go `validateHTTPRewrite` / `validateURIRegexRewrite`.
fn rewrite(s: &mut Sink, path: &str, r: &HttpRewrite) {
    let uri = r.uri.as_deref().unwrap_or("");
    if !uri.is_empty() && r.uri_regex_rewrite.is_some() {
        s.err(
            &format!("{path}.uriRegexRewrite"),
            "a rewrite may contain only one of uri or uriRegexRewrite",
        );
        return;
    }
    if uri.is_empty()
        && r.uri_regex_rewrite.is_none()
        && r.authority.as_deref().unwrap_or("").is_empty()
    {
        s.err(
            path,
            "a rewrite must specify at least one of uri, uriRegexRewrite or authority",
        );
        return;
    }
    if let Some(rr) = &r.uri_regex_rewrite {
        let p = format!("{path}.uriRegexRewrite");
        let m = rr.pattern.as_deref().unwrap_or("");
        if m.is_empty() || rr.rewrite.as_deref().unwrap_or("").is_empty() {
            s.err(&p, "uriRegexRewrite requires both match and rewrite");
            return;
        }
        s.check(&format!("{p}.match"), validate_regex(m));
    }
}

/// Istio: validation.go `validateTLSRoute` / `validateTLSMatch` / `validateSniHost`.
fn tls_route(s: &mut Sink, path: &str, t: &TlsRoute, vs: &VirtualService, gateway_bound: bool) {
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
fn tcp_route(s: &mut Sink, path: &str, t: &TcpRoute) {
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

/// Istio: validation.go `validateRouteDestinations`.
fn route_destinations(s: &mut Sink, path: &str, ds: &[RouteDestination]) {
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

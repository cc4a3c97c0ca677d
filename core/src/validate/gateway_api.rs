//! Gateway API CRD validation: the OpenAPI schema (enums, patterns, lengths, list sizes) and
//! the CEL rules (`x-kubernetes-validations`) of the standard-channel CRDs in
//! kubernetes-sigs/gateway-api `config/crd/standard/gateway.networking.k8s.io_*.yaml`
//! (generated from the `+kubebuilder` markers in `apis/v1/*_types.go`). What the API server
//! would refuse is an IST0106 error with the CRD's own message; fields meshroute keeps but
//! does not apply are MR0201 warnings.
//!
//! Cross-resource rules (a route's parent, a backend Service, a ReferenceGrant) are not here:
//! they are status conditions, reported by [`crate::analyze::gateway_api`].

use super::Sink;
use crate::decode::Duration;
use crate::diag::{codes, Severity};
use crate::model::gateway_api::*;
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|_| Regex::new("$^").expect("empty")))
}

/// A lowercase RFC 1123 subdomain of at most 253 characters, optionally after `*.`.
fn is_subdomain(s: &str, wildcard: bool) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    let s = match s.strip_prefix("*.") {
        Some(rest) if wildcard => rest,
        _ => s,
    };
    s.len() <= 253
        && re(
            &R,
            r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        )
        .is_match(s)
}

/// `Hostname` (shared_types.go): a DNS name, optionally with a leading `*.` label; no IP.
fn is_hostname(h: &str) -> bool {
    is_subdomain(h, true)
}

/// `PreciseHostname`: no wildcard.
fn is_precise_hostname(h: &str) -> bool {
    is_subdomain(h, false)
}

/// `SectionName`, `ObjectName` of a listener: a DNS-1123 subdomain.
fn is_section_name(s: &str) -> bool {
    is_subdomain(s, false)
}

/// `HTTPHeaderName` / `HeaderName`: an RFC 7230 token, 1-256 characters.
fn is_header_name(s: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    !s.is_empty() && s.len() <= 256 && re(&R, r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$").is_match(s)
}

/// `Duration` (shared_types.go, GEP-2257): `^([0-9]{1,5}(h|m|s|ms)){1,4}$`.
fn gateway_duration(s: &str) -> Option<Duration> {
    static R: OnceLock<Regex> = OnceLock::new();
    if !re(&R, r"^([0-9]{1,5}(h|m|s|ms)){1,4}$").is_match(s) {
        return None;
    }
    Duration::parse(s).ok()
}

/// Parses a Gateway API duration for the translator (invalid values were reported already).
pub fn parse_gateway_duration(s: &str) -> Option<Duration> {
    gateway_duration(s)
}

const PATH_TYPES: &[&str] = &["Exact", "PathPrefix", "RegularExpression"];
const VALUE_TYPES: &[&str] = &["Exact", "RegularExpression"];
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];
const HTTP_FILTERS: &[&str] = &[
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestMirror",
    "RequestRedirect",
    "URLRewrite",
    "ExtensionRef",
    "CORS",
];
const GRPC_FILTERS: &[&str] = &[
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestMirror",
    "ExtensionRef",
];

fn one_of(s: &mut Sink, path: &str, value: &str, allowed: &[&str]) -> bool {
    if allowed.contains(&value) {
        return true;
    }
    s.err(
        path,
        format!(
            "{path}: Unsupported value: {value:?}: supported values: {}",
            allowed
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    false
}

fn max_items<T>(s: &mut Sink, path: &str, items: &[T], max: usize) {
    if items.len() > max {
        s.err(
            path,
            format!(
                "{path}: Too many: {}: must have at most {max} items",
                items.len()
            ),
        );
    }
}

fn required<'v>(s: &mut Sink, path: &str, v: &'v Option<String>) -> Option<&'v str> {
    match v.as_deref() {
        Some(x) if !x.is_empty() => Some(x),
        _ => {
            s.err(path, format!("{path}: Required value"));
            None
        }
    }
}

fn not_enforced(s: &mut Sink, path: &str, why: &str) {
    s.emit(
        codes::NOT_ENFORCED,
        Severity::Warning,
        path,
        format!("{path} is accepted but not enforced: {why}"),
    );
}

fn port_range(s: &mut Sink, path: &str, p: i64) {
    if !(1..=65535).contains(&p) {
        s.err(
            path,
            format!("{path}: Invalid value: {p}: must be between 1 and 65535"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// GatewayClass

pub(super) fn validate_gateway_class(s: &mut Sink, spec: &GatewayClass) {
    static R: OnceLock<Regex> = OnceLock::new();
    if let Some(c) = required(s, "spec.controllerName", &spec.controller_name) {
        if !re(
            &R,
            r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$",
        )
        .is_match(c)
        {
            s.err(
                "spec.controllerName",
                format!("spec.controllerName: Invalid value: {c:?}: must be a domain-prefixed path (such as \"istio.io/gateway-controller\")"),
            );
        }
    }
    if spec.parameters_ref.is_some() {
        not_enforced(
            s,
            "spec.parametersRef",
            "meshroute does not deploy gateways, so their parameters do not apply",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway

pub(super) fn validate_gateway(s: &mut Sink, spec: &KubeGateway) {
    required(s, "spec.gatewayClassName", &spec.gateway_class_name);
    if spec.listeners.is_empty() {
        s.err(
            "spec.listeners",
            "spec.listeners: Required value: a Gateway needs at least one listener",
        );
    }
    max_items(s, "spec.listeners", &spec.listeners, 64);
    let mut names = HashSet::new();
    let mut combos = HashSet::new();
    for (i, l) in spec.listeners.iter().enumerate() {
        let p = format!("spec.listeners[{i}]");
        if let Some(n) = required(s, &format!("{p}.name"), &l.name) {
            if !is_section_name(n) {
                s.err(
                    &format!("{p}.name"),
                    format!(
                        "{p}.name: Invalid value: {n:?}: must be a lowercase RFC 1123 subdomain"
                    ),
                );
            }
            if !names.insert(n.to_string()) {
                s.err(
                    &format!("{p}.name"),
                    "Listener name must be unique within the Gateway",
                );
            }
        }
        match l.port {
            Some(port) => port_range(s, &format!("{p}.port"), port),
            None => s.err(&format!("{p}.port"), format!("{p}.port: Required value")),
        }
        let protocol = required(s, &format!("{p}.protocol"), &l.protocol).unwrap_or("");
        if let Some(h) = &l.hostname {
            if !is_hostname(h) {
                s.err(
                    &format!("{p}.hostname"),
                    format!("{p}.hostname: Invalid value: {h:?}: must be a lowercase DNS name, optionally starting with \"*.\""),
                );
            }
            if matches!(protocol, "TCP" | "UDP") {
                s.err(
                    &format!("{p}.hostname"),
                    "hostname must not be specified for protocols ['TCP', 'UDP']",
                );
            }
        }
        if !combos.insert((l.port, protocol.to_string(), l.hostname.clone())) {
            s.err(
                &p,
                "Combination of port, protocol and hostname must be unique for each listener",
            );
        }
        if let Some(tls) = &l.tls {
            let tp = format!("{p}.tls");
            if matches!(protocol, "HTTP" | "TCP" | "UDP") {
                s.err(
                    &tp,
                    "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
                );
            }
            let mode = tls.mode.as_deref().unwrap_or("Terminate");
            one_of(
                s,
                &format!("{tp}.mode"),
                mode,
                &["Terminate", "Passthrough"],
            );
            if protocol == "HTTPS" && mode != "Terminate" {
                s.err(&tp, "tls mode must be Terminate for protocol HTTPS");
            }
            if mode == "Terminate" && tls.certificate_refs.is_empty() && tls.options.is_empty() {
                s.err(
                    &tp,
                    "certificateRefs or options must be specified when mode is Terminate",
                );
            }
            max_items(
                s,
                &format!("{tp}.certificateRefs"),
                &tls.certificate_refs,
                64,
            );
            for (ci, c) in tls.certificate_refs.iter().enumerate() {
                required(s, &format!("{tp}.certificateRefs[{ci}].name"), &c.name);
            }
            if !tls.options.is_empty() {
                not_enforced(
                    s,
                    &format!("{tp}.options"),
                    "implementation-specific TLS options are Envoy listener settings meshroute does not generate",
                );
            }
            if tls.frontend_validation.is_some() {
                not_enforced(
                    s,
                    &format!("{tp}.frontendValidation"),
                    "client certificate validation is Envoy listener configuration meshroute does not generate",
                );
            }
        } else if protocol == "HTTPS" || protocol == "TLS" {
            // Istio: conversion.go buildListener skips such a listener ("protocol is HTTPS but
            // no TLS section is defined"); the CRD itself allows it only for TLS Passthrough.
            s.warn(
                &p,
                format!("listener with protocol {protocol} has no tls section; Istio creates no listener for it"),
            );
        }
        if let Some(ar) = &l.allowed_routes {
            let ap = format!("{p}.allowedRoutes");
            if let Some(ns) = &ar.namespaces {
                let from = ns.from.as_deref().unwrap_or("Same");
                one_of(
                    s,
                    &format!("{ap}.namespaces.from"),
                    from,
                    &["All", "Selector", "Same"],
                );
                if from == "Selector" && ns.selector.is_none() {
                    s.err(
                        &format!("{ap}.namespaces.selector"),
                        "selector must be specified when from is Selector",
                    );
                }
                if let Some(sel) = &ns.selector {
                    label_selector(s, &format!("{ap}.namespaces.selector"), sel);
                }
            }
            max_items(s, &format!("{ap}.kinds"), &ar.kinds, 8);
            for (ki, k) in ar.kinds.iter().enumerate() {
                required(s, &format!("{ap}.kinds[{ki}].kind"), &k.kind);
            }
        }
    }
    max_items(s, "spec.addresses", &spec.addresses, 16);
    for (f, present) in [
        ("spec.addresses", !spec.addresses.is_empty()),
        ("spec.infrastructure", spec.infrastructure.is_some()),
    ] {
        if present {
            not_enforced(
                s,
                f,
                "meshroute does not deploy or address gateways; the proxy identity says which Gateway an Envoy serves",
            );
        }
    }
    if spec.tls.is_some() {
        not_enforced(
            s,
            "spec.tls",
            "Gateway-level TLS (backend client certificates, frontend validation) is Envoy configuration meshroute does not generate",
        );
    }
    if spec.allowed_listeners.is_some() {
        not_enforced(
            s,
            "spec.allowedListeners",
            "meshroute does not read ListenerSets",
        );
    }
}

fn label_selector(s: &mut Sink, path: &str, sel: &LabelSelector) {
    for (k, v) in super::common::validate_labels(&sel.match_labels) {
        s.err(&super::key(&format!("{path}.matchLabels"), &k), v);
    }
    for (i, e) in sel.match_expressions.iter().enumerate() {
        let p = format!("{path}.matchExpressions[{i}]");
        required(s, &format!("{p}.key"), &e.key);
        let op = e.operator.as_deref().unwrap_or("");
        if one_of(
            s,
            &format!("{p}.operator"),
            op,
            &["In", "NotIn", "Exists", "DoesNotExist"],
        ) {
            let exists = matches!(op, "Exists" | "DoesNotExist");
            if exists && !e.values.is_empty() {
                s.err(
                    &format!("{p}.values"),
                    format!("{p}.values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
                );
            }
            if !exists && e.values.is_empty() {
                s.err(
                    &format!("{p}.values"),
                    format!("{p}.values: must be specified when `operator` is 'In' or 'NotIn'"),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Routes

fn parent_refs(s: &mut Sink, refs: &[ParentReference]) {
    max_items(s, "spec.parentRefs", refs, 32);
    for (i, r) in refs.iter().enumerate() {
        let p = format!("spec.parentRefs[{i}]");
        required(s, &format!("{p}.name"), &r.name);
        if let Some(port) = r.port {
            port_range(s, &format!("{p}.port"), port);
        }
        if let Some(sn) = &r.section_name {
            if !is_section_name(sn) {
                s.err(
                    &format!("{p}.sectionName"),
                    format!("{p}.sectionName: Invalid value: {sn:?}: must be a lowercase RFC 1123 subdomain"),
                );
            }
        }
    }
    // CEL on parentRefs: with several references to one parent, each needs a (distinct)
    // sectionName.
    let key = |r: &ParentReference| {
        (
            r.group.clone().unwrap_or_else(|| GROUP.to_string()),
            r.kind.clone().unwrap_or_else(|| "Gateway".to_string()),
            r.namespace.clone().unwrap_or_default(),
            r.name.clone().unwrap_or_default(),
        )
    };
    for (i, a) in refs.iter().enumerate() {
        for b in refs.iter().skip(i + 1) {
            if key(a) != key(b) {
                continue;
            }
            let (sa, sb) = (
                a.section_name.as_deref().unwrap_or(""),
                b.section_name.as_deref().unwrap_or(""),
            );
            if sa.is_empty() || sb.is_empty() {
                s.err(
                    "spec.parentRefs",
                    "sectionName must be specified when parentRefs includes 2 or more references to the same parent",
                );
                return;
            }
            if sa == sb && a.port == b.port {
                s.err(
                    "spec.parentRefs",
                    "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
                );
                return;
            }
        }
    }
}

fn hostnames(s: &mut Sink, hosts: &[String]) {
    max_items(s, "spec.hostnames", hosts, 16);
    for (i, h) in hosts.iter().enumerate() {
        if !is_hostname(h) {
            s.err(
                &format!("spec.hostnames[{i}]"),
                format!("spec.hostnames[{i}]: Invalid value: {h:?}: must be a lowercase DNS name, optionally starting with \"*.\" (IP addresses are not allowed)"),
            );
        }
    }
}

fn rule_names<'r>(s: &mut Sink, names: impl Iterator<Item = Option<&'r String>>) {
    let mut seen = HashSet::new();
    for (i, n) in names.enumerate() {
        let Some(n) = n else { continue };
        let p = format!("spec.rules[{i}].name");
        if !is_section_name(n) || n.len() > 253 {
            s.err(
                &p,
                format!("{p}: Invalid value: {n:?}: must be a lowercase RFC 1123 subdomain"),
            );
        }
        if !seen.insert(n.clone()) {
            s.err(&p, "Rule name must be unique within the route");
        }
    }
}

fn value_matches(s: &mut Sink, path: &str, ms: &[ValueMatch], header: bool) {
    max_items(s, path, ms, 16);
    let mut seen = HashSet::new();
    for (i, m) in ms.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if let Some(n) = required(s, &format!("{p}.name"), &m.name) {
            if !is_header_name(n) {
                s.err(
                    &format!("{p}.name"),
                    format!("{p}.name: Invalid value: {n:?}: must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~)"),
                );
            }
            // listMapKey=name; header names compare case-insensitively (the spec: "the first
            // entry with an equivalent name MUST be considered").
            let k = if header {
                n.to_ascii_lowercase()
            } else {
                n.to_string()
            };
            if !seen.insert(k) {
                s.err(
                    &format!("{p}.name"),
                    format!("{p}.name: Duplicate value: {n:?}"),
                );
            }
        }
        let v = m.value.as_deref().unwrap_or("");
        if m.value.is_none() {
            s.err(&format!("{p}.value"), format!("{p}.value: Required value"));
        }
        let t = m.match_type.as_deref().unwrap_or("Exact");
        if one_of(s, &format!("{p}.type"), t, VALUE_TYPES) && t == "RegularExpression" {
            s.check(&format!("{p}.value"), super::common::validate_regex(v));
        }
        if v.len() > 4096 {
            s.err(
                &format!("{p}.value"),
                format!("{p}.value: Too long: may not be longer than 4096"),
            );
        }
    }
}

fn path_match(s: &mut Sink, p: &str, pm: &HttpPathMatch) {
    let t = pm.match_type.as_deref().unwrap_or("PathPrefix");
    let v = pm.value.as_deref().unwrap_or("/");
    if !one_of(s, &format!("{p}.type"), t, PATH_TYPES) {
        return;
    }
    let vp = format!("{p}.value");
    if v.len() > 1024 {
        s.err(&vp, format!("{vp}: Too long: may not be longer than 1024"));
    }
    if t == "RegularExpression" {
        s.check(&vp, super::common::validate_regex(v));
        return;
    }
    // CEL rules on HTTPPathMatch.
    static CHARS: OnceLock<Regex> = OnceLock::new();
    let rules: [(bool, &str); 9] = [
        (
            !v.starts_with('/'),
            "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            v.contains("//"),
            "must not contain '//' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            v.contains("/./"),
            "must not contain '/./' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            v.contains("/../"),
            "must not contain '/../' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            v.contains("%2f") || v.contains("%2F"),
            "must not contain '%2f' or '%2F' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            v.contains('#'),
            "must not contain '#' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            v.ends_with("/.."),
            "must not end with '/..' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            v.ends_with("/."),
            "must not end with '/.' when type one of ['Exact', 'PathPrefix']",
        ),
        (
            !re(&CHARS, r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$").is_match(v),
            "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']",
        ),
    ];
    for (bad, msg) in rules {
        if bad {
            s.err(&vp, msg);
        }
    }
}

fn header_filter(s: &mut Sink, p: &str, h: &HeaderFilter) {
    for (list, items) in [("set", &h.set), ("add", &h.add)] {
        let lp = format!("{p}.{list}");
        max_items(s, &lp, items, 16);
        let mut seen = HashSet::new();
        for (i, e) in items.iter().enumerate() {
            let ep = format!("{lp}[{i}]");
            if let Some(n) = required(s, &format!("{ep}.name"), &e.name) {
                if !is_header_name(n) {
                    s.err(
                        &format!("{ep}.name"),
                        format!("{ep}.name: Invalid value: {n:?}: must be an HTTP token"),
                    );
                }
                if !seen.insert(n.to_ascii_lowercase()) {
                    s.err(
                        &format!("{ep}.name"),
                        format!("{ep}.name: Duplicate value: {n:?}"),
                    );
                }
            }
            let v = e.value.as_deref().unwrap_or("");
            if e.value.is_none() {
                s.err(
                    &format!("{ep}.value"),
                    format!("{ep}.value: Required value"),
                );
            }
            if v.len() > 4096 {
                s.err(
                    &format!("{ep}.value"),
                    format!("{ep}.value: Too long: may not be longer than 4096"),
                );
            }
            // Istio: conversion.go isValidHeaderValue — control characters other than tab make
            // istiod drop the whole route (InvalidFilter).
            if v.bytes().any(|c| c != b'\t' && (c < 0x20 || c == 0x7f)) {
                s.err(
                    &format!("{ep}.value"),
                    format!(
                        "header {:?} value contains invalid characters",
                        e.name.as_deref().unwrap_or("")
                    ),
                );
            }
        }
    }
    max_items(s, &format!("{p}.remove"), &h.remove, 16);
    let mut seen = HashSet::new();
    for (i, n) in h.remove.iter().enumerate() {
        if !seen.insert(n.to_ascii_lowercase()) {
            s.err(
                &format!("{p}.remove[{i}]"),
                format!("{p}.remove[{i}]: Duplicate value: {n:?}"),
            );
        }
    }
}

fn path_modifier(s: &mut Sink, p: &str, m: &PathModifier) {
    let t = m.modifier_type.as_deref().unwrap_or("");
    if m.modifier_type.is_none() {
        s.err(&format!("{p}.type"), format!("{p}.type: Required value"));
    } else {
        one_of(
            s,
            &format!("{p}.type"),
            t,
            &["ReplaceFullPath", "ReplacePrefixMatch"],
        );
    }
    let rules = [
        (
            t == "ReplaceFullPath" && m.replace_full_path.is_none(),
            "replaceFullPath must be specified when type is set to 'ReplaceFullPath'",
        ),
        (
            m.replace_full_path.is_some() && t != "ReplaceFullPath",
            "type must be 'ReplaceFullPath' when replaceFullPath is set",
        ),
        (
            t == "ReplacePrefixMatch" && m.replace_prefix_match.is_none(),
            "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'",
        ),
        (
            m.replace_prefix_match.is_some() && t != "ReplacePrefixMatch",
            "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set",
        ),
    ];
    for (bad, msg) in rules {
        if bad {
            s.err(p, msg);
        }
    }
    for (f, v) in [
        ("replaceFullPath", &m.replace_full_path),
        ("replacePrefixMatch", &m.replace_prefix_match),
    ] {
        if v.as_deref().is_some_and(|v| v.len() > 1024) {
            s.err(
                &format!("{p}.{f}"),
                format!("{p}.{f}: Too long: may not be longer than 1024"),
            );
        }
    }
}

/// `hostname` and `path` of a RequestRedirect or URLRewrite filter at `p`.
fn host_and_path(s: &mut Sink, p: &str, hostname: Option<&str>, path: Option<&PathModifier>) {
    if let Some(h) = hostname {
        if !is_precise_hostname(h) {
            s.err(
                &format!("{p}.hostname"),
                format!("{p}.hostname: Invalid value: {h:?}: must be a lowercase DNS name without wildcard"),
            );
        }
    }
    if let Some(pm) = path {
        path_modifier(s, &format!("{p}.path"), pm);
    }
}

fn backend_object_ref(s: &mut Sink, p: &str, b: &BackendRef) {
    required(s, &format!("{p}.name"), &b.name);
    if b.name.as_deref().is_some_and(|n| n.len() > 253) {
        s.err(
            &format!("{p}.name"),
            format!("{p}.name: Too long: may not be longer than 253"),
        );
    }
    let is_service = b.group.as_deref().unwrap_or("").is_empty()
        && b.kind.as_deref().unwrap_or("Service") == "Service";
    if is_service && b.port.is_none() {
        s.err(p, "Must have port for Service reference");
    }
    if let Some(port) = b.port {
        port_range(s, &format!("{p}.port"), port);
    }
}

/// Filters of a rule or of a backendRef (`allowed`: the kinds the CRD's enum lists there).
fn filters(s: &mut Sink, path: &str, fs: &[HttpRouteFilter], allowed: &[&str]) {
    max_items(s, path, fs, 16);
    let count = |t: &str| {
        fs.iter()
            .filter(|f| f.filter_type.as_deref() == Some(t))
            .count()
    };
    if count("RequestRedirect") > 0 && count("URLRewrite") > 0 {
        s.err(
            path,
            "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
        );
    }
    for t in [
        "CORS",
        "RequestHeaderModifier",
        "ResponseHeaderModifier",
        "RequestRedirect",
        "URLRewrite",
    ] {
        if count(t) > 1 {
            s.err(path, format!("{t} filter cannot be repeated"));
        }
    }
    for (i, f) in fs.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Some(t) = required(s, &format!("{p}.type"), &f.filter_type) else {
            continue;
        };
        one_of(s, &format!("{p}.type"), t, allowed);
        let present: [(&str, &str, bool); 8] = [
            ("cors", "CORS", f.cors.is_some()),
            (
                "requestHeaderModifier",
                "RequestHeaderModifier",
                f.request_header_modifier.is_some(),
            ),
            (
                "responseHeaderModifier",
                "ResponseHeaderModifier",
                f.response_header_modifier.is_some(),
            ),
            ("requestMirror", "RequestMirror", f.request_mirror.is_some()),
            (
                "requestRedirect",
                "RequestRedirect",
                f.request_redirect.is_some(),
            ),
            ("urlRewrite", "URLRewrite", f.url_rewrite.is_some()),
            ("extensionRef", "ExtensionRef", f.extension_ref.is_some()),
            ("externalAuth", "ExternalAuth", f.external_auth.is_some()),
        ];
        for (field, ty, has) in present {
            if has && t != ty {
                s.err(
                    &format!("{p}.{field}"),
                    format!("filter.{field} must be nil if the filter.type is not {ty}"),
                );
            }
            if !has && t == ty {
                s.err(
                    &p,
                    format!("filter.{field} must be specified for {ty} filter.type"),
                );
            }
        }
        if let Some(h) = &f.request_header_modifier {
            header_filter(s, &format!("{p}.requestHeaderModifier"), h);
        }
        if let Some(h) = &f.response_header_modifier {
            header_filter(s, &format!("{p}.responseHeaderModifier"), h);
        }
        if let Some(m) = &f.request_mirror {
            let mp = format!("{p}.requestMirror");
            match &m.backend_ref {
                Some(b) => {
                    backend_object_ref(s, &format!("{mp}.backendRef"), b);
                    if b.weight.is_some() || !b.filters.is_empty() {
                        s.err(
                            &format!("{mp}.backendRef"),
                            format!("{mp}.backendRef: only group, kind, name, namespace and port may be set"),
                        );
                    }
                }
                None => s.err(
                    &format!("{mp}.backendRef"),
                    format!("{mp}.backendRef: Required value"),
                ),
            }
            if m.percent.is_some() && m.fraction.is_some() {
                s.err(
                    &mp,
                    "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter",
                );
            }
            if let Some(pc) = m.percent {
                if !(0..=100).contains(&pc) {
                    s.err(
                        &format!("{mp}.percent"),
                        format!("{mp}.percent: Invalid value: {pc}: must be between 0 and 100"),
                    );
                }
            }
            if let Some(fr) = &m.fraction {
                let n = fr.numerator.unwrap_or(0);
                let d = fr.denominator.unwrap_or(100);
                if fr.numerator.is_none() {
                    s.err(
                        &format!("{mp}.fraction.numerator"),
                        format!("{mp}.fraction.numerator: Required value"),
                    );
                }
                if n < 0 || d < 1 {
                    s.err(
                        &format!("{mp}.fraction"),
                        "numerator must be at least 0 and denominator at least 1",
                    );
                } else if n > d {
                    s.err(
                        &format!("{mp}.fraction"),
                        "numerator must be less than or equal to denominator",
                    );
                }
            }
        }
        if let Some(r) = &f.request_redirect {
            let rp = format!("{p}.requestRedirect");
            if let Some(sc) = &r.scheme {
                one_of(s, &format!("{rp}.scheme"), sc, &["http", "https"]);
            }
            host_and_path(s, &rp, r.hostname.as_deref(), r.path.as_ref());
            if let Some(port) = r.port {
                port_range(s, &format!("{rp}.port"), port);
            }
            if let Some(code) = r.status_code {
                if ![301, 302, 303, 307, 308].contains(&code) {
                    s.err(
                        &format!("{rp}.statusCode"),
                        format!("{rp}.statusCode: Unsupported value: {code}: supported values: \"301\", \"302\", \"303\", \"307\", \"308\""),
                    );
                }
            }
        }
        if let Some(u) = &f.url_rewrite {
            host_and_path(
                s,
                &format!("{p}.urlRewrite"),
                u.hostname.as_deref(),
                u.path.as_ref(),
            );
        }
        if let Some(c) = &f.cors {
            let cp = format!("{p}.cors");
            for (field, items) in [
                ("allowOrigins", &c.allow_origins),
                ("allowMethods", &c.allow_methods),
                ("allowHeaders", &c.allow_headers),
            ] {
                if items.iter().any(|x| x == "*") && items.len() > 1 {
                    s.err(
                        &format!("{cp}.{field}"),
                        format!("{field} cannot contain '*' alongside other values"),
                    );
                }
            }
            for (mi, m) in c.allow_methods.iter().enumerate() {
                if m != "*" {
                    one_of(s, &format!("{cp}.allowMethods[{mi}]"), m, METHODS);
                }
            }
            if let Some(a) = c.max_age {
                if a < 1 {
                    s.err(
                        &format!("{cp}.maxAge"),
                        format!("{cp}.maxAge: Invalid value: {a}: must be at least 1"),
                    );
                }
            }
        }
        if f.extension_ref.is_some() {
            // Istio: conversion.go convertHTTPRoute — any other filter type is
            // `unsupported filter type` and the route is not programmed.
            s.warn(
                &format!("{p}.extensionRef"),
                "Istio supports no ExtensionRef filters: it does not program this route (Accepted: InvalidFilter)",
            );
        }
        if f.external_auth.is_some() {
            s.warn(
                &format!("{p}.externalAuth"),
                "Istio supports no ExternalAuth filter: it does not program this route (Accepted: InvalidFilter)",
            );
        }
    }
}

/// CEL rules on a rule: a `replacePrefixMatch` needs exactly one PathPrefix match.
fn prefix_rewrite_needs_prefix_match(s: &mut Sink, p: &str, rule: &HttpRouteRule) {
    let prefix_only = rule.matches.len() == 1
        && rule.matches[0]
            .path
            .as_ref()
            .is_none_or(|pm| pm.match_type.as_deref().unwrap_or("PathPrefix") == "PathPrefix");
    // A rule without matches gets the default `PathPrefix /` match.
    let prefix_only = prefix_only || rule.matches.is_empty();
    let wants = |fs: &[HttpRouteFilter], redirect: bool| {
        fs.iter().any(|f| {
            let pm = if redirect {
                f.request_redirect.as_ref().and_then(|r| r.path.as_ref())
            } else {
                f.url_rewrite.as_ref().and_then(|r| r.path.as_ref())
            };
            pm.is_some_and(|m| {
                m.modifier_type.as_deref() == Some("ReplacePrefixMatch")
                    && m.replace_prefix_match.is_some()
            })
        })
    };
    if prefix_only {
        return;
    }
    for (redirect, what) in [(true, "RequestRedirect"), (false, "URLRewrite")] {
        if wants(&rule.filters, redirect) {
            s.err(
                &format!("{p}.filters"),
                format!("When using {what} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
            );
        }
        if rule
            .backend_refs
            .iter()
            .any(|b| wants(&b.filters, redirect))
        {
            s.err(
                &format!("{p}.backendRefs"),
                format!("Within backendRefs, when using {what} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"),
            );
        }
    }
}

fn backend_refs(s: &mut Sink, p: &str, refs: &[BackendRef], allowed_filters: &[&str]) {
    max_items(s, p, refs, 16);
    for (i, b) in refs.iter().enumerate() {
        let bp = format!("{p}[{i}]");
        backend_object_ref(s, &bp, b);
        if let Some(w) = b.weight {
            if !(0..=1_000_000).contains(&w) {
                s.err(
                    &format!("{bp}.weight"),
                    format!("{bp}.weight: Invalid value: {w}: must be between 0 and 1000000"),
                );
            }
        }
        filters(s, &format!("{bp}.filters"), &b.filters, allowed_filters);
    }
}

fn total_matches(s: &mut Sink, counts: impl Iterator<Item = usize>) {
    if counts.sum::<usize>() > 128 {
        s.err(
            "spec.rules",
            "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128",
        );
    }
}

/// What HTTPRoute and GRPCRoute specs share.
trait RouteSpec {
    fn refs(&self) -> &[ParentReference];
    fn hosts(&self) -> &[String];
    /// Each rule's name and number of matches.
    fn rules(&self) -> Vec<(Option<&String>, usize)>;
    fn use_default_gateways(&self) -> bool;
}

macro_rules! route_spec_impl {
    ($t:ty) => {
        impl RouteSpec for $t {
            fn refs(&self) -> &[ParentReference] {
                &self.parent_refs
            }
            fn hosts(&self) -> &[String] {
                &self.hostnames
            }
            fn rules(&self) -> Vec<(Option<&String>, usize)> {
                self.rules
                    .iter()
                    .map(|r| (r.name.as_ref(), r.matches.len()))
                    .collect()
            }
            fn use_default_gateways(&self) -> bool {
                self.use_default_gateways.is_some()
            }
        }
    };
}
route_spec_impl!(HttpRouteSpec);
route_spec_impl!(GrpcRouteSpec);

/// The checks of parentRefs, hostnames, rule names and counts both route kinds share.
fn route_spec(s: &mut Sink, spec: &dyn RouteSpec) {
    let rules = spec.rules();
    parent_refs(s, spec.refs());
    hostnames(s, spec.hosts());
    max_items(s, "spec.rules", &rules, 16);
    rule_names(s, rules.iter().map(|r| r.0));
    total_matches(s, rules.iter().map(|r| r.1));
    for (ri, (_, n)) in rules.iter().enumerate() {
        if *n > 64 {
            let p = format!("spec.rules[{ri}].matches");
            s.err(
                &p,
                format!("{p}: Too many: {n}: must have at most 64 items"),
            );
        }
    }
    if spec.use_default_gateways() {
        not_enforced(
            s,
            "spec.useDefaultGateways",
            "meshroute attaches routes through parentRefs only",
        );
    }
}

pub(super) fn validate_http_route(s: &mut Sink, spec: &HttpRouteSpec) {
    route_spec(s, spec);
    for (ri, rule) in spec.rules.iter().enumerate() {
        let p = format!("spec.rules[{ri}]");
        for (mi, m) in rule.matches.iter().enumerate() {
            let mp = format!("{p}.matches[{mi}]");
            if let Some(pm) = &m.path {
                path_match(s, &format!("{mp}.path"), pm);
            }
            value_matches(s, &format!("{mp}.headers"), &m.headers, true);
            value_matches(s, &format!("{mp}.queryParams"), &m.query_params, false);
            if let Some(me) = &m.method {
                one_of(s, &format!("{mp}.method"), me, METHODS);
            }
        }
        filters(s, &format!("{p}.filters"), &rule.filters, HTTP_FILTERS);
        // The backendRef-level filter enum of the CRD is the rule's; Istio itself applies only
        // the header modifiers there (conversion.go buildHTTPDestination).
        backend_refs(
            s,
            &format!("{p}.backendRefs"),
            &rule.backend_refs,
            HTTP_FILTERS,
        );
        if !rule.backend_refs.is_empty()
            && rule.filters.iter().any(|f| f.request_redirect.is_some())
        {
            s.err(
                &p,
                "RequestRedirect filter must not be used together with backendRefs",
            );
        }
        prefix_rewrite_needs_prefix_match(s, &p, rule);
        if let Some(t) = &rule.timeouts {
            let tp = format!("{p}.timeouts");
            let parse = |s: &mut Sink, f: &str, v: &Option<String>| -> Option<Duration> {
                let v = v.as_deref()?;
                let d = gateway_duration(v);
                if d.is_none() {
                    s.err(
                        &format!("{tp}.{f}"),
                        format!("{tp}.{f}: Invalid value: {v:?}: must match ^([0-9]{{1,5}}(h|m|s|ms)){{1,4}}$ (such as \"1s\", \"500ms\", \"1h30m\")"),
                    );
                }
                d
            };
            let req = parse(s, "request", &t.request);
            let be = parse(s, "backendRequest", &t.backend_request);
            if let (Some(r), Some(b)) = (req, be) {
                if r.nanos != 0 && b > r {
                    s.err(
                        &tp,
                        "backendRequest timeout cannot be longer than request timeout",
                    );
                }
            }
        }
        if let Some(r) = &rule.retry {
            let rp = format!("{p}.retry");
            for (ci, c) in r.codes.iter().enumerate() {
                if !(400..=599).contains(c) {
                    s.err(
                        &format!("{rp}.codes[{ci}]"),
                        format!(
                            "{rp}.codes[{ci}]: Invalid value: {c}: must be between 400 and 599"
                        ),
                    );
                }
            }
            if let Some(a) = r.attempts {
                if a < 0 {
                    s.err(
                        &format!("{rp}.attempts"),
                        format!("{rp}.attempts: Invalid value: {a}: must be at least 0"),
                    );
                }
            }
            if let Some(b) = &r.backoff {
                if gateway_duration(b).is_none() {
                    s.err(
                        &format!("{rp}.backoff"),
                        format!("{rp}.backoff: Invalid value: {b:?}: must match ^([0-9]{{1,5}}(h|m|s|ms)){{1,4}}$"),
                    );
                } else {
                    not_enforced(
                        s,
                        &format!("{rp}.backoff"),
                        "retry back-off comes from the bootstrap route's retry policy (Envoy's 25 ms base); the filter cannot set it per request",
                    );
                }
            }
        }
        if rule.session_persistence.is_some() {
            not_enforced(
                s,
                &format!("{p}.sessionPersistence"),
                "Istio does not implement Gateway API session persistence for HTTPRoute",
            );
        }
    }
}

pub(super) fn validate_grpc_route(s: &mut Sink, spec: &GrpcRouteSpec) {
    static SERVICE: OnceLock<Regex> = OnceLock::new();
    static METHOD: OnceLock<Regex> = OnceLock::new();
    route_spec(s, spec);
    for (ri, rule) in spec.rules.iter().enumerate() {
        let p = format!("spec.rules[{ri}]");
        for (mi, m) in rule.matches.iter().enumerate() {
            let mp = format!("{p}.matches[{mi}]");
            if let Some(mm) = &m.method {
                let t = mm.match_type.as_deref().unwrap_or("Exact");
                one_of(s, &format!("{mp}.method.type"), t, VALUE_TYPES);
                if mm.service.is_none() && mm.method.is_none() {
                    s.err(
                        &format!("{mp}.method"),
                        "One or both of 'service' or 'method' must be specified",
                    );
                }
                for (f, v, cell, pat) in [
                    (
                        "service",
                        &mm.service,
                        &SERVICE,
                        r"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$",
                    ),
                    ("method", &mm.method, &METHOD, r"^[A-Za-z_][A-Za-z_0-9]*$"),
                ] {
                    let Some(v) = v else { continue };
                    let fp = format!("{mp}.method.{f}");
                    if t == "Exact" && !re(cell, pat).is_match(v) {
                        s.err(
                            &fp,
                            format!("{f} must only contain valid characters (matching {pat})"),
                        );
                    }
                    if t == "RegularExpression" {
                        s.check(&fp, super::common::validate_regex(v));
                    }
                    if v.len() > 1024 {
                        s.err(&fp, format!("{fp}: Too long: may not be longer than 1024"));
                    }
                }
            }
            value_matches(s, &format!("{mp}.headers"), &m.headers, true);
        }
        filters(s, &format!("{p}.filters"), &rule.filters, GRPC_FILTERS);
        backend_refs(
            s,
            &format!("{p}.backendRefs"),
            &rule.backend_refs,
            GRPC_FILTERS,
        );
        if rule.session_persistence.is_some() {
            not_enforced(
                s,
                &format!("{p}.sessionPersistence"),
                "Istio does not implement Gateway API session persistence for GRPCRoute",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ReferenceGrant

pub(super) fn validate_reference_grant(s: &mut Sink, spec: &ReferenceGrant) {
    if spec.from.is_empty() {
        s.err("spec.from", "spec.from: Required value");
    }
    if spec.to.is_empty() {
        s.err("spec.to", "spec.to: Required value");
    }
    max_items(s, "spec.from", &spec.from, 16);
    max_items(s, "spec.to", &spec.to, 16);
    for (i, f) in spec.from.iter().enumerate() {
        let p = format!("spec.from[{i}]");
        if f.group.is_none() {
            s.err(&format!("{p}.group"), format!("{p}.group: Required value"));
        }
        required(s, &format!("{p}.kind"), &f.kind);
        required(s, &format!("{p}.namespace"), &f.namespace);
    }
    for (i, t) in spec.to.iter().enumerate() {
        let p = format!("spec.to[{i}]");
        if t.group.is_none() {
            s.err(&format!("{p}.group"), format!("{p}.group: Required value"));
        }
        required(s, &format!("{p}.kind"), &t.kind);
    }
}

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

mod filters;
mod gateway;
mod matches;
mod routes;

use filters::*;
pub(crate) use gateway::{validate_gateway, validate_gateway_class};
use matches::*;
pub(crate) use routes::{validate_grpc_route, validate_http_route, validate_reference_grant};

pub(super) fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|_| Regex::new("$^").expect("empty")))
}

/// A lowercase RFC 1123 subdomain of at most 253 characters, optionally after `*.`.
pub(super) fn is_subdomain(s: &str, wildcard: bool) -> bool {
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
pub(super) fn is_hostname(h: &str) -> bool {
    is_subdomain(h, true)
}

/// `PreciseHostname`: no wildcard.
pub(super) fn is_precise_hostname(h: &str) -> bool {
    is_subdomain(h, false)
}

/// `SectionName`, `ObjectName` of a listener: a DNS-1123 subdomain.
pub(super) fn is_section_name(s: &str) -> bool {
    is_subdomain(s, false)
}

/// `HTTPHeaderName` / `HeaderName`: an RFC 7230 token, 1-256 characters.
pub(super) fn is_header_name(s: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    !s.is_empty() && s.len() <= 256 && re(&R, r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$").is_match(s)
}

/// `Duration` (shared_types.go, GEP-2257): `^([0-9]{1,5}(h|m|s|ms)){1,4}$`.
pub(super) fn gateway_duration(s: &str) -> Option<Duration> {
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

pub(super) const PATH_TYPES: &[&str] = &["Exact", "PathPrefix", "RegularExpression"];
pub(super) const VALUE_TYPES: &[&str] = &["Exact", "RegularExpression"];
pub(super) const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];
pub(super) const HTTP_FILTERS: &[&str] = &[
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestMirror",
    "RequestRedirect",
    "URLRewrite",
    "ExtensionRef",
    "CORS",
];
pub(super) const GRPC_FILTERS: &[&str] = &[
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestMirror",
    "ExtensionRef",
];

pub(super) fn one_of(s: &mut Sink, path: &str, value: &str, allowed: &[&str]) -> bool {
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

pub(super) fn max_items<T>(s: &mut Sink, path: &str, items: &[T], max: usize) {
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

pub(super) fn required<'v>(s: &mut Sink, path: &str, v: &'v Option<String>) -> Option<&'v str> {
    match v.as_deref() {
        Some(x) if !x.is_empty() => Some(x),
        _ => {
            s.err(path, format!("{path}: Required value"));
            None
        }
    }
}

pub(super) fn not_enforced(s: &mut Sink, path: &str, why: &str) {
    s.emit(
        codes::NOT_ENFORCED,
        Severity::Warning,
        path,
        format!("{path} is accepted but not enforced: {why}"),
    );
}

pub(super) fn port_range(s: &mut Sink, path: &str, p: i64) {
    if !(1..=65535).contains(&p) {
        s.err(
            path,
            format!("{path}: Invalid value: {p}: must be between 1 and 65535"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// GatewayClass

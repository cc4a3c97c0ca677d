//! HTTP match requests and their string matches. Istio: virtualservice.go
//! `validateHTTPRouteMatchRequest`, validation.go `validateStringMatch` and
//! `validateStringMatchRegexp`.

use super::{gateway_names, labels};
use crate::diag::Severity;
use crate::model::istio::*;
use crate::validate::common::*;
use crate::validate::{key, Sink, EMPTY_STRING_MATCH};

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
pub(super) fn string_match_oneof(s: &mut Sink, path: &str, m: &StringMatch) -> bool {
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
pub(super) fn string_match_regex(s: &mut Sink, path: &str, m: &StringMatch) {
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
pub(super) fn match_requests(s: &mut Sink, path: &str, h: &HttpRoute) {
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

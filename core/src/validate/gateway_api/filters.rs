//! HTTPRoute and GRPCRoute filters (the CRDs' per-filter CEL rules) and backendRefs.

use super::*;

/// Filters of a rule or of a backendRef (`allowed`: the kinds the CRD's enum lists there).
pub(super) fn filters(s: &mut Sink, path: &str, fs: &[HttpRouteFilter], allowed: &[&str]) {
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
pub(super) fn prefix_rewrite_needs_prefix_match(s: &mut Sink, p: &str, rule: &HttpRouteRule) {
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

pub(super) fn backend_refs(s: &mut Sink, p: &str, refs: &[BackendRef], allowed_filters: &[&str]) {
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

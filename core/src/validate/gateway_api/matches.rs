//! Route parents, hostnames, rule names and matches (path, headers, query params), header and path modifiers, backend object references.

use super::*;

pub(super) fn parent_refs(s: &mut Sink, refs: &[ParentReference]) {
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

pub(super) fn hostnames(s: &mut Sink, hosts: &[String]) {
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

pub(super) fn rule_names<'r>(s: &mut Sink, names: impl Iterator<Item = Option<&'r String>>) {
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

pub(super) fn value_matches(s: &mut Sink, path: &str, ms: &[ValueMatch], header: bool) {
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
            s.check(
                &format!("{p}.value"),
                super::super::common::validate_regex(v),
            );
        }
        if v.len() > 4096 {
            s.err(
                &format!("{p}.value"),
                format!("{p}.value: Too long: may not be longer than 4096"),
            );
        }
    }
}

pub(super) fn path_match(s: &mut Sink, p: &str, pm: &HttpPathMatch) {
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
        s.check(&vp, super::super::common::validate_regex(v));
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

pub(super) fn header_filter(s: &mut Sink, p: &str, h: &HeaderFilter) {
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

pub(super) fn path_modifier(s: &mut Sink, p: &str, m: &PathModifier) {
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
pub(super) fn host_and_path(
    s: &mut Sink,
    p: &str,
    hostname: Option<&str>,
    path: Option<&PathModifier>,
) {
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

pub(super) fn backend_object_ref(s: &mut Sink, p: &str, b: &BackendRef) {
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

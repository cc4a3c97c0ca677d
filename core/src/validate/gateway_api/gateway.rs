//! GatewayClass and Gateway: listeners, addresses, TLS, allowedRoutes.

use super::*;

pub(crate) fn validate_gateway_class(s: &mut Sink, spec: &GatewayClass) {
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

pub(crate) fn validate_gateway(s: &mut Sink, spec: &KubeGateway) {
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

pub(super) fn label_selector(s: &mut Sink, path: &str, sel: &LabelSelector) {
    for (k, v) in super::super::common::validate_labels(&sel.match_labels) {
        s.err(&super::super::key(&format!("{path}.matchLabels"), &k), v);
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

//! HTTPRoute, GRPCRoute and ReferenceGrant specs: rule counts and the per-route CEL rules.

use super::*;

pub(super) fn total_matches(s: &mut Sink, counts: impl Iterator<Item = usize>) {
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

pub(crate) fn validate_http_route(s: &mut Sink, spec: &HttpRouteSpec) {
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

pub(crate) fn validate_grpc_route(s: &mut Sink, spec: &GrpcRouteSpec) {
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
                        s.check(&fp, super::super::common::validate_regex(v));
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

pub(crate) fn validate_reference_grant(s: &mut Sink, spec: &ReferenceGrant) {
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

//! Route translation: a VirtualService's HTTP rules → routes for one port and gateway, with
//! their matches, actions (forward, redirect, direct response), header operations, rewrites,
//! faults, CORS, timeouts, retries and mirrors (Istio:
//! pilot/pkg/networking/core/route/route.go).

use super::retry::retry_spec;
use super::{Cx, Vs};
use crate::config::ProxyKind;
use crate::diag::Severity;
use crate::host;
use crate::model::istio::*;
use crate::registry::labels_contain;
use crate::table::*;
use regex::bytes::Regex;

impl<'a> Cx<'a> {
    // -----------------------------------------------------------------------------------------
    // Route translation (route.go BuildHTTPRoutesForVirtualService / TranslateRoute)

    pub(super) fn translate_vs(
        &mut self,
        vs: &Vs,
        port: u32,
        gateway: &str,
        is_tls: bool,
    ) -> Vec<Route> {
        let mut out = Vec::new();
        let vs_id = vs.id();
        'rules: for (ri, rule) in vs.http.iter().enumerate() {
            let base = format!("spec.http[{ri}]");
            let origin = &vs.origins[ri];
            let with_origin = |mut r: Route, mi: Option<usize>| {
                let o = r.origin.get_or_insert_with(RouteOrigin::default);
                o.rule = Some(origin.rule.clone());
                o.delegated_from = origin.delegated_from.clone();
                o.match_block = mi.and_then(|mi| origin.matches.get(mi).cloned());
                r
            };
            if rule.matches.is_empty() {
                if let Some(r) =
                    self.translate_route(vs, &vs_id, rule, None, port, gateway, is_tls, &base)
                {
                    out.push(with_origin(r, None));
                }
                break 'rules;
            }
            for (mi, m) in rule.matches.iter().enumerate() {
                if let Some(r) = self.translate_route(
                    vs,
                    &vs_id,
                    rule,
                    Some((mi, m)),
                    port,
                    gateway,
                    is_tls,
                    &base,
                ) {
                    let catch_all = r.matcher.is_catch_all();
                    out.push(with_origin(r, Some(mi)));
                    if catch_all {
                        break 'rules;
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn translate_route(
        &mut self,
        vs: &Vs,
        vs_id: &str,
        rule: &HttpRoute,
        m: Option<(usize, &HttpMatchRequest)>,
        port: u32,
        gateway: &str,
        is_tls: bool,
        base: &str,
    ) -> Option<Route> {
        // Static predicates, decided per proxy and port (route.go TranslateRoute and
        // sourceMatchHTTP): match.port against the port the route is built for; then, when the
        // match names gateways, only the gateway check — sourceLabels and sourceNamespace are
        // ignored — else sourceLabels ⊆ proxy labels and sourceNamespace == proxy namespace.
        if let Some((_, m)) = m {
            if m.port.is_some_and(|p| p != 0 && p != i64::from(port)) {
                return None;
            }
            if !m.gateways.is_empty() {
                // Already resolved with the namespace of the VirtualService that wrote them.
                if !m.gateways.iter().any(|g| g == gateway) {
                    return None;
                }
            } else {
                if !labels_contain(&self.proxy.labels, &m.source_labels) {
                    return None;
                }
                if m.source_namespace
                    .as_deref()
                    .is_some_and(|n| !n.is_empty() && n != self.proxy.namespace)
                {
                    return None;
                }
            }
        }
        let mut matcher = match m {
            Some((_, m)) => compile_match(m)?,
            None => RouteMatch::catch_all(),
        };
        if vs.gateway_semantics {
            // route.go TranslateRouteMatch: a Gateway API prefix other than `/` is Envoy's
            // path_separated_prefix, without its trailing `/`.
            if let PathMatch::Prefix(p) = &matcher.path {
                if p != "/" {
                    matcher.path =
                        PathMatch::PathSeparatedPrefix(p.trim_end_matches('/').to_string());
                }
            }
        }
        let name = match (rule.name.as_deref(), m.and_then(|(_, m)| m.name.as_deref())) {
            (Some(r), Some(mn)) => format!("{r}.{mn}"),
            (Some(r), None) => r.to_string(),
            (None, Some(mn)) => mn.to_string(),
            (None, None) => String::new(),
        };
        let ns = vs.obj.meta.namespace.clone();
        let mut dest_index = Vec::new();
        let action = if let Some(rd) = &rule.redirect {
            let code = match rd.redirect_code.unwrap_or(0) {
                0 | 301 => 301,
                c @ (302 | 303 | 307 | 308) => c as u16,
                other => {
                    self.diags.push(self.res.diag(
                        vs.obj,
                        "MR0402",
                        Severity::Warning,
                        &format!("{base}.redirect.redirectCode"),
                        format!("redirectCode {other} is not one Envoy supports (301, 302, 303, 307, 308); istiod drops this route"),
                    ));
                    return None;
                }
            };
            // route.go ApplyRedirect: FROM_REQUEST_PORT is the port the route is built for
            // (gateway: the server port); an explicit or derived port equal to the scheme's
            // default (80 for http, 443 for https; the scheme defaults to https on a TLS server)
            // is not written.
            let mut port = match (rd.port, rd.derive_port) {
                (Some(p), _) if p > 0 => Some(p as u32),
                (_, Some(RedirectPortSelection::FromRequestPort)) => Some(port),
                _ => None,
            };
            if port.is_some() || rd.derive_port.is_some() {
                let scheme = match rd.scheme.as_deref() {
                    Some(s) if !s.is_empty() => s,
                    _ if is_tls => "https",
                    _ => "http",
                };
                if (port == Some(80) && scheme == "http")
                    || (port == Some(443) && scheme == "https")
                {
                    port = None;
                }
            }
            Action::Redirect(RedirectAction {
                uri: rd.uri.clone(),
                prefix_rewrite: rd.prefix_rewrite.clone(),
                authority: rd.authority.clone(),
                scheme: rd.scheme.clone().filter(|s| !s.is_empty()),
                port,
                code,
            })
        } else if let Some(dr) = &rule.direct_response {
            Action::DirectResponse {
                status: dr.status.unwrap_or(200).clamp(200, 600) as u16,
                body: dr.body.as_ref().and_then(|b| {
                    b.string
                        .clone()
                        .or_else(|| b.bytes.as_deref().map(decode_base64))
                }),
            }
        } else if !rule.route.is_empty() {
            let single = rule.route.len() == 1;
            let mut dests = Vec::new();
            for (di, d) in rule.route.iter().enumerate() {
                let w = d.weight.unwrap_or(0).max(0) as u32;
                if !single && w == 0 {
                    continue; // 0-weight destinations are dropped when there are several
                }
                let Some(dest) = &d.destination else { continue };
                let cluster_name = self.destination_cluster(dest, &ns, port);
                let cluster = self.cluster_ref(cluster_name.clone());
                let (rq, rs, authority) = header_ops(d.headers.as_ref());
                dests.push(WeightedDest {
                    cluster,
                    cluster_name,
                    weight: if single { 100 } else { w },
                    request_headers: rq,
                    response_headers: rs,
                    authority,
                });
                dest_index.push(di);
            }
            if dests.is_empty() {
                return None;
            }
            Action::Forward(dests)
        } else {
            return None;
        };
        let (request_headers, response_headers, header_authority) =
            header_ops(rule.headers.as_ref());
        let mut extras = RouteExtras {
            request_headers,
            response_headers,
            ..Default::default()
        };
        if let Some(rw) = &rule.rewrite {
            if let Some(rr) = &rw.uri_regex_rewrite {
                if let (Some(p), Some(r)) = (&rr.pattern, &rr.rewrite) {
                    if let Ok(re) = Regex::new(p) {
                        extras.uri_rewrite = Some(UriRewrite::Regex(re, go_to_rust_replacement(r)));
                    }
                }
            } else if let Some(u) = rw.uri.as_ref().filter(|u| !u.is_empty()) {
                extras.uri_rewrite = Some(if vs.gateway_semantics && u == "/" {
                    // route.go applyHTTPRouteDestination: replacing a Gateway API prefix with
                    // `/` removes it, keeping one `/` when nothing is left.
                    let prefix = match &matcher.path {
                        PathMatch::PathSeparatedPrefix(p) => p.as_str(),
                        _ => "",
                    };
                    match Regex::new(&format!("^{}(/?)(.*)", regex::escape(prefix))) {
                        Ok(re) => UriRewrite::Regex(re, "/${2}".into()),
                        Err(_) => UriRewrite::Prefix(u.clone()),
                    }
                } else {
                    UriRewrite::Prefix(u.clone())
                });
            }
            extras.authority_rewrite = rw.authority.clone().filter(|a| !a.is_empty());
        }
        if extras.authority_rewrite.is_none() {
            extras.authority_rewrite = header_authority;
        }
        // Fault and CORS are per-route filter configs whatever the action (route.go
        // TranslateRoute); timeout, retries and mirrors belong to the route action
        // (applyHTTPRouteDestination).
        extras.fault = rule.fault.as_ref().and_then(fault_spec);
        extras.cors = rule.cors_policy.as_ref().map(cors_spec);
        if vs.gateway_semantics {
            // route.go applyHTTPRouteDestination: `cluster_not_found_response_code:
            // INTERNAL_SERVER_ERROR` (the Gateway API's 500 for invalid backends).
            extras.cluster_not_found_status = Some(500);
        }
        if matches!(action, Action::Forward(_)) {
            extras.timeout_ms = rule.timeout.map_or(0, |d| d.as_millis().max(0) as u64);
            extras.retry = retry_spec(rule.retries.as_ref());
            extras.mirrors = self.mirrors(rule, &ns, port);
        }
        Some(Route {
            name,
            virtual_service: Some(vs_id.to_string()),
            matcher,
            action,
            extras,
            origin: Some(RouteOrigin {
                destinations: dest_index,
                ..RouteOrigin::default()
            }),
        })
    }

    fn mirrors(&mut self, rule: &HttpRoute, ns: &str, port: u32) -> Vec<MirrorSpec> {
        let mut out = Vec::new();
        let pct = |p: Option<&Percent>, legacy: Option<i64>| -> u32 {
            match (p, legacy) {
                (Some(p), _) => percent_per_million(p.value.unwrap_or(0.0)),
                (None, Some(l)) => percent_per_million(l as f64),
                (None, None) => 1_000_000,
            }
        };
        if let Some(m) = &rule.mirror {
            let name = self.destination_cluster(m, ns, port);
            let per_million = pct(rule.mirror_percentage.as_ref(), rule.mirror_percent);
            if per_million > 0 {
                let cluster = self.cluster_ref(name.clone());
                out.push(MirrorSpec {
                    cluster,
                    cluster_name: name,
                    per_million,
                });
            }
        }
        for m in &rule.mirrors {
            let Some(d) = &m.destination else { continue };
            let name = self.destination_cluster(d, ns, port);
            let per_million = pct(m.percentage.as_ref(), None);
            if per_million > 0 {
                let cluster = self.cluster_ref(name.clone());
                out.push(MirrorSpec {
                    cluster,
                    cluster_name: name,
                    per_million,
                });
            }
        }
        out
    }

    /// `GetDestinationCluster` (route.go): explicit port; else the service's only port (gateway);
    /// else the port the route is built for.
    pub(super) fn destination_cluster(&self, d: &Destination, ns: &str, port: u32) -> String {
        let h = host::resolve_short_name(d.host.as_deref().unwrap_or(""), ns);
        let explicit = d
            .port
            .as_ref()
            .and_then(|p| p.number)
            .filter(|n| *n > 0)
            .map(|n| n as u32);
        let p = explicit.unwrap_or_else(|| {
            let svc = self.reg.lookup(&h, &self.proxy.namespace, ns);
            match (self.proxy.kind, svc) {
                // On a sidecar the route config for port P only knows services with port P.
                (ProxyKind::Gateway, Some(s)) if s.ports.len() == 1 => s.ports[0].port,
                _ => port,
            }
        });
        host::cluster_name(p, d.subset.as_deref().unwrap_or(""), &h)
    }
}

fn compile_str(m: &StringMatch, allow_present: bool) -> Option<StrMatch> {
    if let Some(e) = &m.exact {
        return Some(StrMatch::Exact(e.clone()));
    }
    if let Some(p) = &m.prefix {
        return Some(StrMatch::Prefix(p.clone()));
    }
    if let Some(r) = &m.regex {
        if allow_present && r == "*" {
            return Some(StrMatch::Present);
        }
        return Regex::new(&format!("^(?:{r})$"))
            .ok()
            .map(|re| StrMatch::Regex(re, r.clone()));
    }
    allow_present.then_some(StrMatch::Present)
}

/// `TranslateRouteMatch` (route.go). `None` when a regex does not compile (validation rejects
/// such a resource, so this only happens for unvalidated input).
fn compile_match(m: &HttpMatchRequest) -> Option<RouteMatch> {
    let case_sensitive = !m.ignore_uri_case.unwrap_or(false);
    let path = match &m.uri {
        None => PathMatch::Prefix("/".into()),
        Some(u) => match (&u.exact, &u.prefix, &u.regex) {
            (Some(e), _, _) => PathMatch::Exact(if case_sensitive {
                e.clone()
            } else {
                e.to_ascii_lowercase()
            }),
            (_, Some(p), _) => PathMatch::Prefix(if case_sensitive {
                p.clone()
            } else {
                p.to_ascii_lowercase()
            }),
            (_, _, Some(r)) => PathMatch::Regex(Regex::new(&format!("^(?:{r})$")).ok()?, r.clone()),
            _ => PathMatch::Prefix("/".into()),
        },
    };
    let mut headers = Vec::new();
    let mut never = false;
    for (pseudo, sm) in [
        (":scheme", &m.scheme),
        (":method", &m.method),
        (":authority", &m.authority),
    ] {
        if let Some(sm) = sm {
            headers.push(HeaderMatcher {
                name: pseudo.into(),
                // translateHeaderMatch: `{}` or `regex: "*"` is a presence match here too.
                matcher: compile_str(sm, true)?,
                invert: false,
                missing_as_empty: false,
            });
        }
    }
    for (name, sm) in &m.headers {
        if name.starts_with("@request.auth.claims") {
            never = true;
            continue;
        }
        headers.push(HeaderMatcher {
            name: name.to_ascii_lowercase(),
            matcher: compile_str(sm, true)?,
            invert: false,
            missing_as_empty: false,
        });
    }
    for (name, sm) in &m.without_headers {
        let matcher = compile_str(sm, true)?;
        let missing_as_empty = !matches!(matcher, StrMatch::Present);
        headers.push(HeaderMatcher {
            name: name.to_ascii_lowercase(),
            matcher,
            invert: true,
            missing_as_empty,
        });
    }
    let mut query = Vec::new();
    for (name, sm) in &m.query_params {
        query.push(QueryMatcher {
            name: name.clone(),
            matcher: compile_str(sm, true)?,
        });
    }
    Some(RouteMatch {
        path,
        case_sensitive,
        headers,
        query,
        never,
    })
}

/// Route- or destination-level header operations; `:authority`/`host` in request set/add become
/// an authority rewrite (set wins over add) and are dropped from the lists (route.go
/// `translateAppendHeaders`).
fn header_ops(h: Option<&Headers>) -> (HeaderOps, HeaderOps, Option<String>) {
    let mut rq = HeaderOps::default();
    let mut rs = HeaderOps::default();
    let mut authority = None;
    let Some(h) = h else {
        return (rq, rs, authority);
    };
    let is_auth = |k: &str| k.eq_ignore_ascii_case(":authority") || k.eq_ignore_ascii_case("host");
    // meshroute's own steering headers are never touched by a VirtualService (MR0203).
    let reserved = crate::validate::is_reserved_header;
    if let Some(r) = &h.request {
        for (k, v) in &r.add {
            if is_auth(k) {
                authority = Some(v.clone());
            } else if !k.starts_with(':') && !reserved(k) {
                rq.add.push((k.to_ascii_lowercase(), v.clone()));
            }
        }
        for (k, v) in &r.set {
            if is_auth(k) {
                authority = Some(v.clone());
            } else if !k.starts_with(':') && !reserved(k) {
                rq.set.push((k.to_ascii_lowercase(), v.clone()));
            }
        }
        rq.remove = r
            .remove
            .iter()
            .filter(|k| !k.starts_with(':') && !is_auth(k) && !reserved(k))
            .map(|k| k.to_ascii_lowercase())
            .collect();
    }
    if let Some(r) = &h.response {
        rs.set = r
            .set
            .iter()
            .filter(|(k, _)| !k.starts_with(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        rs.add = r
            .add
            .iter()
            .filter(|(k, _)| !k.starts_with(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        rs.remove = r
            .remove
            .iter()
            .filter(|k| !k.starts_with(':'))
            .map(|k| k.to_ascii_lowercase())
            .collect();
    }
    (rq, rs, authority)
}

fn percent_per_million(v: f64) -> u32 {
    (v.clamp(0.0, 100.0) * 10_000.0).round() as u32
}

/// `TranslateFault` (route.go).
fn fault_spec(f: &HttpFaultInjection) -> Option<FaultSpec> {
    let mut out = FaultSpec {
        delay_ms: None,
        delay_per_million: 0,
        abort_status: None,
        abort_grpc_status: None,
        abort_per_million: 0,
    };
    if let Some(d) = &f.delay {
        if let Some(fd) = d.fixed_delay {
            out.delay_ms = Some(fd.as_millis().max(0) as u64);
            out.delay_per_million = match (&d.percentage, d.percent) {
                (Some(p), _) => percent_per_million(p.value.unwrap_or(0.0)),
                (None, Some(p)) => percent_per_million(p as f64),
                (None, None) => 0,
            };
        }
    }
    if let Some(a) = &f.abort {
        out.abort_per_million = a
            .percentage
            .as_ref()
            .map_or(0, |p| percent_per_million(p.value.unwrap_or(0.0)));
        if let Some(s) = a.http_status {
            out.abort_status = Some(s.clamp(200, 600) as u16);
        } else if let Some(g) = &a.grpc_status {
            out.abort_grpc_status = grpc_code(g);
            out.abort_status = Some(200);
        }
    }
    Some(out)
}

/// gRPC status names → codes (google.golang.org/grpc/codes); the names are listed in code
/// order.
pub fn grpc_code(name: &str) -> Option<u32> {
    crate::validate::common::GRPC_STATUS_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| i as u32)
}

fn cors_spec(c: &CorsPolicy) -> CorsSpec {
    let mut allow_origins: Vec<StrMatch> = c
        .allow_origin
        .iter()
        .map(|o| StrMatch::Exact(o.clone()))
        .collect();
    allow_origins.extend(c.allow_origins.iter().filter_map(|m| compile_str(m, false)));
    CorsSpec {
        allow_origins,
        allow_methods: c.allow_methods.join(","),
        allow_headers: c.allow_headers.join(","),
        expose_headers: c.expose_headers.join(","),
        max_age: c.max_age.map(|d| (d.nanos / 1_000_000_000).to_string()),
        allow_credentials: c.allow_credentials.unwrap_or(false),
        ignore_unmatched_preflights: c.unmatched_preflights == Some(UnmatchedPreflights::Ignore),
    }
}

/// Envoy's RE2 substitution (`\1` back-references, everything else literal; Istio passes
/// `uriRegexRewrite.rewrite` through unchanged) → the regex crate's syntax (`${1}`, `$$`).
pub(super) fn go_to_rust_replacement(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (characters outside the alphabet skipped), lossy UTF-8: how Secret `data`
/// values are read.
pub fn decode_base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for b in s.bytes() {
        let Some(v) = T.iter().position(|&t| t == b) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

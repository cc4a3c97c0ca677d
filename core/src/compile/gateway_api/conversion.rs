//! HTTPRoute and GRPCRoute rules → Istio `HTTPRoute`s, one per match, exactly as istiod's
//! translator writes them (Istio: pilot/pkg/config/kube/gateway/conversion.go
//! `convertHTTPRoute`, `convertGRPCRoute`, `createURIMatch`, `createGRPCURIMatch`,
//! `createHeadersMatch`, `createQueryParamsMatch`, `createMethodMatch`, `createHeadersFilter`,
//! `createRedirectFilter`, `createRewriteFilter`, `createMirrorFilter`, `createCorsFilter`,
//! `buildHTTPDestination`, `buildDestination`, `sortHTTPRoutes`; route_collections.go splits
//! every rule into one route per match). The result then goes through the same route
//! translation as a VirtualService (`route/route.go`) with Gateway API semantics.

use super::references::Grants;
use super::{Reason, RouteObj};
use crate::decode::Duration;
use crate::host;
use crate::model::gateway_api::*;
use crate::model::istio::{
    CorsPolicy, Destination, HeaderOperations, Headers, HttpDirectResponse, HttpMatchRequest,
    HttpMirrorPolicy, HttpRedirect, HttpRetry, HttpRewrite, HttpRoute, HttpRouteDestination,
    Percent, PortSelector, RedirectPortSelection, RegexRewrite, StringMatch, UnmatchedPreflights,
};
use crate::resources::Resources;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A problem istiod reports in the route's status (`ConfigError`), at a field of the route.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub reason: Reason,
    pub message: String,
    pub path: String,
}

/// One Istio route made from one match of one rule.
#[derive(Debug, Clone)]
pub struct Converted {
    pub rule_index: usize,
    pub route: HttpRoute,
}

/// A route's rules as Istio routes, and what went wrong. `hard` errors make istiod drop every
/// rule of the route (`computeRoute`: a rule that fails to convert ends the conversion).
#[derive(Debug, Default)]
pub struct Conversion {
    pub routes: Vec<Converted>,
    pub errors: Vec<ConfigError>,
    pub hard: Option<ConfigError>,
}

fn exact(s: &str) -> StringMatch {
    StringMatch {
        exact: Some(s.to_string()),
        ..Default::default()
    }
}
fn prefix(s: &str) -> StringMatch {
    StringMatch {
        prefix: Some(s.to_string()),
        ..Default::default()
    }
}
fn regex(s: &str) -> StringMatch {
    StringMatch {
        regex: Some(s.to_string()),
        ..Default::default()
    }
}

/// `createURIMatch`: PathPrefix (the default, with value `/`) without its trailing `/`.
fn uri_match(m: &HttpRouteMatch) -> StringMatch {
    let t = m
        .path
        .as_ref()
        .and_then(|p| p.match_type.as_deref())
        .unwrap_or("PathPrefix");
    let v = m
        .path
        .as_ref()
        .and_then(|p| p.value.as_deref())
        .unwrap_or("/");
    match t {
        "Exact" => exact(v),
        "RegularExpression" => regex(v),
        _ => prefix(if v == "/" {
            v
        } else {
            v.strip_suffix('/').unwrap_or(v)
        }),
    }
}

/// `createHeadersMatch` / `createQueryParamsMatch`: Exact (the default) or RegularExpression;
/// a later entry with the same name overwrites an earlier one (a Go map).
fn value_matches(ms: &[ValueMatch]) -> BTreeMap<String, StringMatch> {
    let mut out = BTreeMap::new();
    for m in ms {
        let v = m.value.as_deref().unwrap_or("");
        let sm = match m.match_type.as_deref() {
            Some("RegularExpression") => regex(v),
            _ => exact(v),
        };
        out.insert(m.name.clone().unwrap_or_default(), sm);
    }
    out
}

/// `createGRPCURIMatch`: `/<service>/<method>` as exact, prefix or regex path matches.
fn grpc_uri_match(m: &GrpcMethodMatch) -> Option<StringMatch> {
    let (svc, method) = (m.service.as_deref(), m.method.as_deref());
    let re = m.match_type.as_deref() == Some("RegularExpression");
    Some(match (svc, method, re) {
        (None, None, _) => return None,
        (Some(s), None, false) => prefix(&format!("/{s}/")),
        (None, Some(me), _) => regex(&format!("/[^/]+/{me}")),
        (Some(s), Some(me), false) => exact(&format!("/{s}/{me}")),
        (Some(s), None, true) => regex(&format!("/{s}/.+")),
        (Some(s), Some(me), true) => regex(&format!("/{s}/{me}")),
    })
}

/// `createHeadersFilter`: names lower-cased, the first of equal names kept; a value with
/// control characters is an InvalidFilter error.
fn header_ops(f: &HeaderFilter, path: &str) -> Result<HeaderOperations, ConfigError> {
    for h in f.set.iter().chain(&f.add) {
        let v = h.value.as_deref().unwrap_or("");
        if v.bytes().any(|c| c != b'\t' && (c < 0x20 || c == 0x7f)) {
            return Err(ConfigError {
                reason: Reason::InvalidFilter,
                message: format!(
                    "header {:?} value contains invalid characters",
                    h.name.as_deref().unwrap_or("")
                ),
                path: path.to_string(),
            });
        }
    }
    let map = |hs: &[HttpHeader]| {
        let mut m = BTreeMap::new();
        for h in hs {
            m.entry(h.name.clone().unwrap_or_default().to_ascii_lowercase())
                .or_insert_with(|| h.value.clone().unwrap_or_default());
        }
        m
    };
    Ok(HeaderOperations {
        set: map(&f.set),
        add: map(&f.add),
        remove: f.remove.clone(),
    })
}

/// A Request/ResponseHeaderModifier filter onto the route's headers; `false` for other types.
fn header_filter(
    out: &mut Option<Headers>,
    f: &HttpRouteFilter,
    path: &str,
) -> Result<bool, ConfigError> {
    let (h, request) = match f.filter_type.as_deref() {
        Some("RequestHeaderModifier") => (&f.request_header_modifier, true),
        Some("ResponseHeaderModifier") => (&f.response_header_modifier, false),
        _ => return Ok(false),
    };
    if let Some(h) = h {
        let ops = Some(header_ops(h, path)?);
        let headers = out.get_or_insert_with(Headers::default);
        if request {
            headers.request = ops;
        } else {
            headers.response = ops;
        }
    }
    Ok(true)
}

fn redirect(r: &RequestRedirect) -> HttpRedirect {
    let mut out = HttpRedirect {
        // The CRD defaults statusCode to 302 (Istio's own default would be 301).
        redirect_code: Some(r.status_code.unwrap_or(302)),
        authority: r.hostname.clone(),
        scheme: r.scheme.clone(),
        ..Default::default()
    };
    match r.port {
        Some(p) => out.port = Some(p),
        // "When empty, port (if specified) of the request is used" — unless a scheme is set.
        None if r.scheme.is_some() => {
            out.derive_port = Some(RedirectPortSelection::FromProtocolDefault)
        }
        None => out.derive_port = Some(RedirectPortSelection::FromRequestPort),
    }
    if let Some(p) = &r.path {
        match p.modifier_type.as_deref() {
            Some("ReplaceFullPath") => out.uri = p.replace_full_path.clone(),
            Some("ReplacePrefixMatch") => out.prefix_rewrite = p.replace_prefix_match.clone(),
            _ => {}
        }
    }
    out
}

fn rewrite(u: &UrlRewrite) -> Option<HttpRewrite> {
    let mut out = HttpRewrite::default();
    if let Some(p) = &u.path {
        match p.modifier_type.as_deref() {
            Some("ReplacePrefixMatch") => {
                let v = p.replace_prefix_match.as_deref().unwrap_or("");
                let v = v.strip_suffix('/').unwrap_or(v);
                // `/` means removing the prefix (route.go turns it into a regex rewrite).
                out.uri = Some(if v.is_empty() { "/" } else { v }.to_string());
            }
            Some("ReplaceFullPath") => {
                out.uri_regex_rewrite = Some(RegexRewrite {
                    pattern: Some("/.*".into()),
                    rewrite: p.replace_full_path.clone(),
                })
            }
            _ => {}
        }
    }
    out.authority = u.hostname.clone();
    let nothing = out.uri.is_none() && out.uri_regex_rewrite.is_none() && out.authority.is_none();
    (!nothing).then_some(out)
}

fn cors(c: &CorsFilter) -> CorsPolicy {
    let mut out = CorsPolicy::default();
    for o in c.allow_origins.iter().filter(|o| !o.is_empty()) {
        let sm = if o == "*" {
            regex(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s?#]+$")
        } else if !o.contains('*') {
            exact(o)
        } else if o.matches('*').count() == 1 && o.ends_with('*') {
            prefix(o.trim_end_matches('*'))
        } else {
            regex(&format!("^{}$", regex::escape(o).replace("\\*", ".*")))
        };
        out.allow_origins.push(sm);
    }
    if c.allow_credentials == Some(true) {
        out.allow_credentials = Some(true);
    }
    out.allow_methods = c.allow_methods.clone();
    out.allow_headers = c.allow_headers.clone();
    out.expose_headers = c.expose_headers.clone();
    if let Some(a) = c.max_age.filter(|a| *a > 0) {
        out.max_age = Some(Duration::from_millis(a.saturating_mul(1000)));
    }
    out.unmatched_preflights = Some(UnmatchedPreflights::Ignore);
    out
}

/// Kubernetes Services by namespace and name, and hostnames of the registry, for backends.
pub struct Backends<'r> {
    res: &'r Resources,
}

impl<'r> Backends<'r> {
    pub fn new(res: &'r Resources) -> Backends<'r> {
        Backends { res }
    }
    fn service_exists(&self, ns: &str, name: &str) -> bool {
        self.res
            .services
            .iter()
            .any(|s| s.meta.namespace == ns && s.meta.name == name)
    }
    fn hostname_exists(&self, h: &str) -> bool {
        self.res
            .service_entries
            .iter()
            .any(|se| se.spec.hosts.iter().any(|x| x == h))
            || self
                .res
                .services
                .iter()
                .any(|s| host::service_fqdn(&s.meta.name, &s.meta.namespace) == h)
    }
}

/// `buildDestination`: `Err` is a hard error; `Ok((dest, Some(err)))` an invalid backend
/// (an empty destination, so its share of traffic finds no cluster: 500).
fn destination(
    b: &Backends,
    grants: Option<&Grants>,
    to: &BackendRef,
    route: &RouteObj,
    path: &str,
) -> Result<(Destination, Option<ConfigError>), ConfigError> {
    let ns = route.namespace();
    let group = to.group.as_deref().unwrap_or("");
    let kind = to.kind.as_deref().unwrap_or("Service");
    let name = to.name.as_deref().unwrap_or("");
    let err = |reason, message: String, field: &str| ConfigError {
        reason,
        message,
        path: format!("{path}{field}"),
    };
    let (group, kind) = match (group, kind) {
        ("core", k) => ("", k),
        gk => gk,
    };
    // Checked first: a cross-namespace reference needs a ReferenceGrant — for gateway parents
    // (`enforceRefGrant`); `grants` is `None` for mesh parents.
    if let (Some(grants), Some(to_ns)) = (grants, to.namespace.as_deref().filter(|n| *n != ns)) {
        if !grants.backend_allowed(route.kind(), ns, group, kind, name, to_ns) {
            return Ok((
                Destination::default(),
                Some(err(
                    Reason::RefNotPermitted,
                    format!(
                        "backendRef {name}/{to_ns} not accessible to a {} in namespace {ns:?} (missing a ReferenceGrant?)",
                        route.kind()
                    ),
                    ".namespace",
                )),
            ));
        }
    }
    let namespace = to.namespace.as_deref().unwrap_or(ns);
    let mut invalid = None;
    let hostname = match (group, kind) {
        ("", "Service") | ("multicluster.x-k8s.io", "ServiceImport") => {
            if name.contains('.') {
                return Err(err(
                    Reason::InvalidDestination,
                    "service name invalid; the name of the Service must be used, not the hostname."
                        .into(),
                    ".name",
                ));
            }
            let h = host::service_fqdn(name, namespace);
            if !b.service_exists(namespace, name) {
                invalid = Some(err(
                    Reason::BackendNotFound,
                    format!("backend({h}) not found"),
                    ".name",
                ));
            }
            h
        }
        ("networking.istio.io", "Hostname") => {
            if to.namespace.is_some() {
                return Err(err(
                    Reason::InvalidDestination,
                    "namespace may not be set with Hostname type".into(),
                    ".namespace",
                ));
            }
            if !b.hostname_exists(name) {
                invalid = Some(err(
                    Reason::BackendNotFound,
                    format!("backend({name}) not found"),
                    ".name",
                ));
            }
            name.to_string()
        }
        ("gateway.networking.x-k8s.io", "XBackend") => {
            return Ok((
                Destination::default(),
                Some(err(
                    Reason::InvalidKind,
                    "The Alpha Gateway API is not enabled, XBackend is invalid. To enable, set PILOT_ENABLE_ALPHA_GATEWAY_API to true in istiod.".into(),
                    ".kind",
                )),
            ))
        }
        ("inference.networking.k8s.io", "InferencePool") => {
            return Ok((
                Destination::default(),
                Some(err(
                    Reason::InvalidKind,
                    "InferencePool is not enabled. To enable, set ENABLE_GATEWAY_API_INFERENCE_EXTENSION to true in istiod".into(),
                    ".kind",
                )),
            ))
        }
        _ => {
            return Ok((
                Destination::default(),
                Some(err(
                    Reason::InvalidKind,
                    format!(
                        "referencing unsupported backendRef: group {:?} kind {:?}",
                        to.group.as_deref().unwrap_or(""),
                        to.kind.as_deref().unwrap_or("")
                    ),
                    ".kind",
                )),
            ))
        }
    };
    let Some(port) = to.port else {
        return Err(err(
            Reason::InvalidDestination,
            "port is required in backendRef".into(),
            ".port",
        ));
    };
    Ok((
        Destination {
            host: Some(hostname),
            subset: None,
            port: Some(PortSelector { number: Some(port) }),
        },
        invalid,
    ))
}

/// `createMirrorFilter`: any error drops the mirror (and is reported).
fn mirror(
    b: &Backends,
    grants: Option<&Grants>,
    m: &RequestMirror,
    route: &RouteObj,
    path: &str,
) -> Result<HttpMirrorPolicy, ConfigError> {
    let Some(to) = &m.backend_ref else {
        return Err(ConfigError {
            reason: Reason::InvalidDestination,
            message: "requestMirror has no backendRef".into(),
            path: path.to_string(),
        });
    };
    let (dest, invalid) = destination(b, grants, to, route, &format!("{path}.backendRef"))?;
    if let Some(e) = invalid {
        return Err(e);
    }
    let percentage = match (&m.fraction, m.percent) {
        (Some(f), _) => Some(Percent {
            value: Some(
                100.0 * f.numerator.unwrap_or(0) as f64
                    / f.denominator.unwrap_or(100).max(1) as f64,
            ),
        }),
        (None, Some(p)) => Some(Percent {
            value: Some(p as f64),
        }),
        (None, None) => None,
    };
    Ok(HttpMirrorPolicy {
        destination: Some(dest),
        percentage,
    })
}

/// `buildHTTPDestination` / `buildGRPCDestination`: 0-weight backends dropped, a single
/// remaining one takes all traffic; only header modifiers are allowed on a backendRef.
fn destinations(
    b: &Backends,
    grants: Option<&Grants>,
    refs: &[BackendRef],
    route: &RouteObj,
    base: &str,
    errors: &mut Vec<ConfigError>,
) -> Result<Vec<HttpRouteDestination>, ConfigError> {
    let kept: Vec<(usize, &BackendRef)> = refs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.weight.unwrap_or(1) != 0)
        .collect();
    let single = kept.len() == 1;
    let mut out = Vec::new();
    for (i, r) in kept {
        let path = format!("{base}.backendRefs[{i}]");
        let (dest, invalid) = destination(b, grants, r, route, &path)?;
        errors.extend(invalid);
        let mut headers = None;
        for (fi, f) in r.filters.iter().enumerate() {
            let fp = format!("{path}.filters[{fi}]");
            if !header_filter(&mut headers, f, &fp)? {
                return Err(ConfigError {
                    reason: Reason::InvalidFilter,
                    message: format!(
                        "unsupported filter type {:?}",
                        f.filter_type.as_deref().unwrap_or("")
                    ),
                    path: fp,
                });
            }
        }
        out.push(HttpRouteDestination {
            destination: Some(dest),
            weight: Some(if single { 0 } else { r.weight.unwrap_or(1) }),
            headers,
        });
    }
    Ok(out)
}

/// The rule's own name, else `<namespace>.<route>.<rule index>`.
fn rule_name(name: Option<&String>, route: &RouteObj, i: usize) -> String {
    match name {
        Some(n) => n.clone(),
        None => format!("{}.{}.{i}", route.namespace(), route.name()),
    }
}

/// Σ weights (default 1); saturating, since unvalidated input may hold any int64.
fn weight_sum(refs: &[BackendRef]) -> i64 {
    refs.iter()
        .fold(0i64, |s, r| s.saturating_add(r.weight.unwrap_or(1)))
}

/// `convertHTTPRoute` for one match (`m`) of rule `ri`.
fn convert_http_rule(
    b: &Backends,
    grants: Option<&Grants>,
    route: &RouteObj,
    ri: usize,
    r: &HttpRouteRule,
    m: &HttpRouteMatch,
    errors: &mut Vec<ConfigError>,
) -> Result<HttpRoute, ConfigError> {
    let base = format!("spec.rules[{ri}]");
    let headers = value_matches(&m.headers);
    let query = value_matches(&m.query_params);
    let mut out = HttpRoute {
        name: Some(rule_name(r.name.as_ref(), route, ri)),
        matches: vec![HttpMatchRequest {
            uri: Some(uri_match(m)),
            headers,
            query_params: query,
            method: m.method.as_deref().map(exact),
            ..Default::default()
        }],
        ..Default::default()
    };
    for (fi, f) in r.filters.iter().enumerate() {
        let fp = format!("{base}.filters[{fi}]");
        if header_filter(&mut out.headers, f, &fp)? {
            continue;
        }
        match f.filter_type.as_deref().unwrap_or("") {
            "RequestRedirect" => out.redirect = f.request_redirect.as_ref().map(redirect),
            "RequestMirror" => {
                if let Some(mr) = &f.request_mirror {
                    match mirror(b, grants, mr, route, &format!("{fp}.requestMirror")) {
                        Ok(p) => out.mirrors.push(p),
                        Err(e) => errors.push(e),
                    }
                }
            }
            "URLRewrite" => out.rewrite = f.url_rewrite.as_ref().and_then(rewrite),
            "CORS" => out.cors_policy = f.cors.as_ref().map(cors),
            t => {
                return Err(ConfigError {
                    reason: Reason::InvalidFilter,
                    message: format!("unsupported filter type {t:?}"),
                    path: format!("{fp}.type"),
                })
            }
        }
    }
    if let Some(rt) = &r.retry {
        // "Implementations SHOULD retry on connection errors ... if a retry stanza is
        // configured"; attempts default to Istio's default of 2.
        let mut on: Vec<String> = [
            "connect-failure",
            "refused-stream",
            "unavailable",
            "cancelled",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        on.extend(rt.codes.iter().map(|c| c.to_string()));
        let attempts = rt.attempts.unwrap_or(2);
        out.retries = Some(HttpRetry {
            attempts: Some(attempts),
            retry_on: Some(if attempts == 0 {
                String::new()
            } else {
                on.join(",")
            }),
            backoff: rt
                .backoff
                .as_deref()
                .and_then(crate::validate::gateway_api::parse_gateway_duration),
            ..Default::default()
        });
    }
    if let Some(t) = &r.timeouts {
        let parse = |v: &Option<String>| {
            v.as_deref()
                .and_then(crate::validate::gateway_api::parse_gateway_duration)
                .filter(|d| d.nanos != 0)
        };
        if let Some(d) = parse(&t.request) {
            out.timeout = Some(d);
        }
        if let Some(d) = parse(&t.backend_request) {
            match &mut out.retries {
                Some(rt) => rt.per_try_timeout = Some(d),
                None => out.timeout = Some(d),
            }
        }
    }
    if weight_sum(&r.backend_refs) == 0 && out.redirect.is_none() {
        // "when there are no >0 weight backends return 500".
        out.direct_response = Some(HttpDirectResponse {
            status: Some(500),
            body: None,
        });
    } else {
        out.route = destinations(b, grants, &r.backend_refs, route, &base, errors)?;
    }
    Ok(out)
}

/// `convertGRPCRoute` for one match (`None`: a rule without matches).
fn convert_grpc_rule(
    b: &Backends,
    grants: Option<&Grants>,
    route: &RouteObj,
    ri: usize,
    r: &GrpcRouteRule,
    m: Option<&GrpcRouteMatch>,
    errors: &mut Vec<ConfigError>,
) -> Result<HttpRoute, ConfigError> {
    let base = format!("spec.rules[{ri}]");
    let mut out = HttpRoute {
        name: Some(rule_name(r.name.as_ref(), route, ri)),
        ..Default::default()
    };
    if let Some(m) = m {
        let uri = match &m.method {
            Some(mm) => Some(grpc_uri_match(mm).ok_or_else(|| ConfigError {
                reason: Reason::InvalidConfiguration,
                message: "gRPC match must have method or service defined".into(),
                path: format!("{base}.matches"),
            })?),
            None => None,
        };
        out.matches.push(HttpMatchRequest {
            uri,
            headers: value_matches(&m.headers),
            ..Default::default()
        });
    }
    for (fi, f) in r.filters.iter().enumerate() {
        let fp = format!("{base}.filters[{fi}]");
        if header_filter(&mut out.headers, f, &fp)? {
            continue;
        }
        match f.filter_type.as_deref().unwrap_or("") {
            // GRPCRoute: a mirror error is a hard error (convertGRPCRoute returns it).
            "RequestMirror" => {
                if let Some(mr) = &f.request_mirror {
                    out.mirrors.push(mirror(
                        b,
                        grants,
                        mr,
                        route,
                        &format!("{fp}.requestMirror"),
                    )?);
                }
            }
            t => {
                return Err(ConfigError {
                    reason: Reason::InvalidFilter,
                    message: format!("unsupported filter type {t:?}"),
                    path: format!("{fp}.type"),
                })
            }
        }
    }
    if weight_sum(&r.backend_refs) == 0 {
        out.direct_response = Some(HttpDirectResponse {
            status: Some(500),
            body: None,
        });
    } else {
        out.route = destinations(b, grants, &r.backend_refs, route, &base, errors)?;
    }
    Ok(out)
}

/// Converts every rule of a route (`route_collections.go`: each match its own route; a rule
/// without matches gets the CRD default `PathPrefix /` for HTTPRoute, none for GRPCRoute).
/// `grants`: the ReferenceGrants to enforce (gateway parents), `None` for mesh parents.
pub fn convert(res: &Resources, grants: Option<&Grants>, route: &RouteObj) -> Conversion {
    let b = Backends::new(res);
    let mut c = Conversion::default();
    let default_match = [HttpRouteMatch::default()];
    let push = |c: &mut Conversion, ri: usize, r: Result<HttpRoute, ConfigError>| match r {
        Ok(route) => {
            c.routes.push(Converted {
                rule_index: ri,
                route,
            });
            true
        }
        Err(e) => {
            c.hard = Some(e);
            c.routes.clear();
            false
        }
    };
    match route {
        RouteObj::Http(o) => {
            for (ri, r) in o.spec.rules.iter().enumerate() {
                let ms = if r.matches.is_empty() {
                    &default_match[..]
                } else {
                    &r.matches[..]
                };
                for m in ms {
                    let mut errs = Vec::new();
                    let out = convert_http_rule(&b, grants, route, ri, r, m, &mut errs);
                    merge_errors(&mut c.errors, errs);
                    if !push(&mut c, ri, out) {
                        return c;
                    }
                }
            }
        }
        RouteObj::Grpc(o) => {
            for (ri, r) in o.spec.rules.iter().enumerate() {
                let ms: Vec<Option<&GrpcRouteMatch>> = if r.matches.is_empty() {
                    vec![None]
                } else {
                    r.matches.iter().map(Some).collect()
                };
                for m in ms {
                    let mut errs = Vec::new();
                    let out = convert_grpc_rule(&b, grants, route, ri, r, m, &mut errs);
                    merge_errors(&mut c.errors, errs);
                    if !push(&mut c, ri, out) {
                        return c;
                    }
                }
            }
        }
    }
    c
}

/// Every match of a rule repeats the rule's backend errors; keep one of each.
fn merge_errors(all: &mut Vec<ConfigError>, new: Vec<ConfigError>) {
    for e in new {
        if !all.contains(&e) {
            all.push(e);
        }
    }
}

/// `getURIRank`: Exact > Prefix > Regex > none.
fn uri_rank(m: &HttpMatchRequest) -> i32 {
    match &m.uri {
        Some(u) if u.exact.is_some() => 3,
        Some(u) if u.prefix.is_some() => 2,
        Some(u) if u.regex.is_some() => 1,
        _ => -1,
    }
}

fn uri_len(m: &HttpMatchRequest) -> usize {
    m.uri
        .as_ref()
        .and_then(|u| u.prefix.as_ref().or(u.exact.as_ref()).or(u.regex.as_ref()))
        .map_or(0, String::len)
}

/// `sortHTTPRoutes`' comparison (used with a stable sort): a route without match last; then
/// Exact before Prefix before Regex, longer path first, a method match first, more header
/// matches first, more query parameter matches first.
pub fn precedence(a: &HttpRoute, b: &HttpRoute) -> Ordering {
    let (Some(m1), Some(m2)) = (a.matches.first(), b.matches.first()) else {
        return match (a.matches.is_empty(), b.matches.is_empty()) {
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => Ordering::Equal,
        };
    };
    uri_rank(m2)
        .cmp(&uri_rank(m1))
        .then(uri_len(m2).cmp(&uri_len(m1)))
        .then(m2.method.is_some().cmp(&m1.method.is_some()))
        .then(m2.headers.len().cmp(&m1.headers.len()))
        .then(m2.query_params.len().cmp(&m1.query_params.len()))
}

//! Per request: listener → virtual host → first matching route → action, then endpoint choice.
//! Allocation-light and panic-free on any bytes (header values need not be UTF-8).
//!
//! Envoy's runtime order (route_components.proto): route configuration by listener port,
//! virtual host by `:authority` (port ignored: Istio sets `ignore_port_in_host_matching`),
//! routes in order — first match wins — then the action.

use crate::config::ProxyKind;
use crate::lb::{self, ClusterState, Rng};
use crate::table::*;
use std::borrow::Cow;
use std::net::IpAddr;

/// The request as the filter (or the simulator) sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The logical listener port (gateway: 8080 for the seed; sidecar: ignored, the authority's
    /// port is used).
    pub listener_port: u32,
    pub authority: &'a [u8],
    /// Path and query, as received.
    pub path: &'a [u8],
    pub method: &'a [u8],
    pub scheme: &'a [u8],
    /// Lower-case names; repeated names allowed.
    pub headers: &'a [(&'a [u8], &'a [u8])],
    pub source_ip: Option<IpAddr>,
}

impl<'a> Request<'a> {
    /// All values of a header joined with `,` (how Envoy's header matchers see repeated
    /// headers); pseudo-headers come from the request line.
    pub fn header(&self, name: &str) -> Option<Cow<'a, [u8]>> {
        match name {
            ":authority" | "host" => return Some(Cow::Borrowed(self.authority)),
            ":method" => return Some(Cow::Borrowed(self.method)),
            ":scheme" => return Some(Cow::Borrowed(self.scheme)),
            ":path" => return Some(Cow::Borrowed(self.path)),
            _ => {}
        }
        let mut found: Option<Cow<'a, [u8]>> = None;
        for (k, v) in self.headers {
            if k.eq_ignore_ascii_case(name.as_bytes()) {
                found = Some(match found {
                    None => Cow::Borrowed(*v),
                    Some(prev) => {
                        let mut j = prev.into_owned();
                        j.push(b',');
                        j.extend_from_slice(v);
                        Cow::Owned(j)
                    }
                });
            }
        }
        found
    }

    /// Path without the query string.
    pub fn path_only(&self) -> &'a [u8] {
        match self.path.iter().position(|&b| b == b'?') {
            Some(i) => &self.path[..i],
            None => self.path,
        }
    }

    pub fn query(&self) -> &'a [u8] {
        match self.path.iter().position(|&b| b == b'?') {
            Some(i) => &self.path[i + 1..],
            None => b"",
        }
    }

    /// Host part of the authority, lower-cased, without port (IPv6 brackets kept).
    pub fn host(&self) -> String {
        let a = String::from_utf8_lossy(self.authority);
        let h = if a.starts_with('[') {
            match a.find(']') {
                Some(i) => &a[..=i],
                None => &a,
            }
        } else {
            match a.rfind(':') {
                Some(i) if a[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &a[..i],
                _ => &a,
            }
        };
        h.to_ascii_lowercase()
    }

    /// Port of the authority, if any.
    pub fn authority_port(&self) -> Option<u32> {
        let a = self.authority;
        let colon = a.iter().rposition(|&b| b == b':')?;
        if a.iter()
            .rposition(|&b| b == b']')
            .is_some_and(|br| br > colon)
        {
            return None;
        }
        std::str::from_utf8(&a[colon + 1..]).ok()?.parse().ok()
    }
}

/// Why a local reply was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    NoListener,
    NoVirtualHost,
    NoRoute,
    ClusterNotFound,
    NoHealthyUpstream,
    Passthrough,
    Redirect,
    DirectResponse,
    FaultAbort,
    CorsPreflight,
}

impl ReplyKind {
    /// Envoy response flag, for logs (`NR`, `NC`, `UH` …).
    pub fn flag(self) -> &'static str {
        match self {
            ReplyKind::NoListener | ReplyKind::NoVirtualHost | ReplyKind::NoRoute => "NR",
            ReplyKind::ClusterNotFound => "NC",
            ReplyKind::NoHealthyUpstream => "UH",
            ReplyKind::Passthrough => "NR",
            ReplyKind::Redirect | ReplyKind::DirectResponse | ReplyKind::CorsPreflight => "-",
            ReplyKind::FaultAbort => "FI",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LocalReply {
    pub status: u16,
    pub kind: ReplyKind,
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// gRPC status for gRPC fault aborts.
    pub grpc_status: Option<u32>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Forward<'t> {
    pub cluster: u32,
    pub cluster_name: &'t str,
    /// Chosen endpoint index in the cluster and its address (None before `pick`).
    pub endpoint: Option<usize>,
    pub endpoint_address: Option<&'t str>,
    /// New `:path` (path + query) when rewritten.
    pub path: Option<String>,
    /// New `:authority` when rewritten.
    pub authority: Option<String>,
    pub request_headers: HeaderOps,
    pub response_headers: HeaderOps,
    pub timeout_ms: u64,
    pub retry: Option<&'t RetrySpec>,
    /// Fault delay to apply before forwarding.
    pub delay_ms: Option<u64>,
    /// Mirror clusters chosen for this request (after percentage draws) and their endpoints.
    pub mirrors: Vec<(u32, Option<usize>)>,
    /// CORS response headers for an allowed origin.
    pub cors_headers: Vec<(String, String)>,
    /// Consistent-hash key (hashed) when the cluster's policy uses one.
    pub hash: Option<u64>,
    /// `set-cookie` value for a generated consistent-hash cookie.
    pub set_cookie: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub enum Outcome<'t> {
    Forward(Box<Forward<'t>>),
    Reply(LocalReply),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Decision<'t> {
    pub listener: Option<&'t str>,
    pub route_config: Option<&'t str>,
    pub virtual_host: Option<&'t str>,
    pub virtual_service: Option<&'t str>,
    pub route: Option<&'t str>,
    pub route_index: Option<usize>,
    pub outcome: Outcome<'t>,
    /// Step-by-step explanation; filled only when asked (simulator, browser).
    pub trace: Vec<String>,
}

impl Decision<'_> {
    pub fn status(&self) -> Option<u16> {
        match &self.outcome {
            Outcome::Reply(r) => Some(r.status),
            Outcome::Forward(_) => None,
        }
    }
}

fn reply(kind: ReplyKind, status: u16, body: impl Into<String>) -> LocalReply {
    LocalReply {
        status,
        kind,
        body: body.into(),
        headers: Vec::new(),
        grpc_status: None,
    }
}

struct Tracer {
    on: bool,
    lines: Vec<String>,
}

impl Tracer {
    fn add(&mut self, f: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(f());
        }
    }
}

/// Per-worker LB state for every cluster of a table.
#[derive(Debug, Clone, Default)]
pub struct LbState {
    pub clusters: Vec<ClusterState>,
}

impl LbState {
    pub fn for_table(t: &RouteTable) -> LbState {
        LbState {
            clusters: t
                .clusters
                .iter()
                .map(|c| ClusterState {
                    in_flight: vec![0; c.endpoints.len()],
                    ..Default::default()
                })
                .collect(),
        }
    }
}

/// Routes a request (no endpoint choice yet). `rng` supplies the draws for weights, fault and
/// mirror percentages; `trace` asks for an explanation.
pub fn route<'t>(
    table: &'t RouteTable,
    req: &Request,
    rng: &mut dyn Rng,
    trace: bool,
) -> Decision<'t> {
    let mut t = Tracer {
        on: trace,
        lines: Vec::new(),
    };
    let mut d = Decision {
        listener: None,
        route_config: None,
        virtual_host: None,
        virtual_service: None,
        route: None,
        route_index: None,
        outcome: Outcome::Reply(reply(ReplyKind::NoListener, 404, "")),
        trace: Vec::new(),
    };
    let port = match table.proxy.kind {
        ProxyKind::Sidecar => req.authority_port().unwrap_or(80),
        ProxyKind::Gateway => req.listener_port,
    };
    let Some(listener) = table.listener(port) else {
        t.add(|| format!("no listener for port {port}: no route configuration serves it"));
        d.outcome = Outcome::Reply(reply(
            ReplyKind::NoListener,
            404,
            format!("meshroute: no listener for port {port}\n"),
        ));
        d.trace = t.lines;
        return d;
    };
    d.listener = Some(&listener.name);
    let rc = &table.route_configs[listener.route_config];
    d.route_config = Some(&rc.name);
    t.add(|| {
        format!(
            "listener {} (port {port}) → route configuration {:?}",
            listener.name, rc.name
        )
    });
    let host = req.host();
    let Some(vi) = rc.find_virtual_host(&host) else {
        t.add(|| format!("no virtual host matches {host:?} (port ignored): 404 NR"));
        d.outcome = Outcome::Reply(reply(
            ReplyKind::NoVirtualHost,
            404,
            format!("meshroute: no virtual host for {host:?}\n"),
        ));
        d.trace = t.lines;
        return d;
    };
    let vh = &rc.virtual_hosts[vi];
    d.virtual_host = Some(&vh.name);
    t.add(|| {
        format!(
            "authority {host:?} → virtual host {:?} (domains {:?})",
            vh.name, vh.domains
        )
    });
    if vh.require_tls && req.scheme != b"https" {
        let location = format!(
            "https://{}{}",
            String::from_utf8_lossy(req.authority),
            String::from_utf8_lossy(req.path)
        );
        t.add(|| format!("server has httpsRedirect: 301 to {location}"));
        let mut r = reply(ReplyKind::Redirect, 301, "");
        r.headers.push(("location".into(), location));
        d.outcome = Outcome::Reply(r);
        d.trace = t.lines;
        return d;
    }
    let path = req.path_only();
    let query = req.query();
    let mut chosen = None;
    for (ri, r) in vh.routes.iter().enumerate() {
        match route_matches(&r.matcher, req, path, query) {
            Ok(()) => {
                t.add(|| {
                    format!(
                        "route {} {:?} matches ({})",
                        ri,
                        r.name,
                        r.matcher.describe()
                    )
                });
                chosen = Some((ri, r));
                break;
            }
            Err(why) => t.add(|| {
                format!(
                    "route {} {:?} ({}) does not match: {why}",
                    ri,
                    r.name,
                    r.matcher.describe()
                )
            }),
        }
    }
    let Some((ri, r)) = chosen else {
        t.add(|| "no route matches: 404 NR".to_string());
        d.outcome = Outcome::Reply(reply(
            ReplyKind::NoRoute,
            404,
            "meshroute: no route matched\n",
        ));
        d.trace = t.lines;
        return d;
    };
    d.route = Some(&r.name);
    d.route_index = Some(ri);
    d.virtual_service = r.virtual_service.as_deref();
    d.outcome = act(table, r, req, listener, rng, &mut t);
    d.trace = t.lines;
    d
}

fn route_matches(m: &RouteMatch, req: &Request, path: &[u8], query: &[u8]) -> Result<(), String> {
    if m.never {
        return Err("JWT claim matches need RequestAuthentication".into());
    }
    let ok = match &m.path {
        PathMatch::Prefix(p) => {
            if m.case_sensitive {
                path.starts_with(p.as_bytes())
            } else {
                path.len() >= p.len() && path[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            }
        }
        PathMatch::Exact(e) => {
            if m.case_sensitive {
                path == e.as_bytes()
            } else {
                path.eq_ignore_ascii_case(e.as_bytes())
            }
        }
        PathMatch::Regex(re, _) => re.is_match(path),
    };
    if !ok {
        return Err(format!("path {:?}", String::from_utf8_lossy(path)));
    }
    for h in &m.headers {
        let v = req.header(&h.name);
        let matched = match (&v, h.missing_as_empty) {
            (Some(v), _) => h.matcher.matches(v),
            (None, true) => h.matcher.matches(b""),
            (None, false) => false,
        };
        if matched == h.invert {
            return Err(if h.invert {
                format!(
                    "header {} {} (withoutHeaders)",
                    h.name,
                    h.matcher.describe()
                )
            } else {
                format!("header {} is not {}", h.name, h.matcher.describe())
            });
        }
    }
    for q in &m.query {
        if !query_matches(query, &q.name, &q.matcher) {
            return Err(format!(
                "query parameter {} is not {}",
                q.name,
                q.matcher.describe()
            ));
        }
    }
    Ok(())
}

/// Envoy `QueryParameterMatcher`: the first parameter with that name decides.
fn query_matches(query: &[u8], name: &str, m: &StrMatch) -> bool {
    for pair in query.split(|&b| b == b'&') {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        if k == name.as_bytes() {
            return m.matches(v);
        }
    }
    false
}

fn act<'t>(
    table: &'t RouteTable,
    r: &'t Route,
    req: &Request,
    listener: &Listener,
    rng: &mut dyn Rng,
    t: &mut Tracer,
) -> Outcome<'t> {
    match &r.action {
        Action::Redirect(rd) => {
            let location = redirect_location(rd, req);
            t.add(|| format!("redirect {} to {location}", rd.code));
            let mut rep = reply(ReplyKind::Redirect, rd.code, "");
            rep.headers.push(("location".into(), location));
            Outcome::Reply(rep)
        }
        Action::DirectResponse { status, body } => {
            t.add(|| format!("direct response {status}"));
            Outcome::Reply(reply(
                ReplyKind::DirectResponse,
                *status,
                body.clone().unwrap_or_default(),
            ))
        }
        Action::Passthrough => {
            t.add(|| "no service matches this host; Istio's ALLOW_ANY sends it to PassthroughCluster, which meshroute cannot do: 502".into());
            Outcome::Reply(reply(
                ReplyKind::Passthrough,
                502,
                format!("meshroute: {:?} is not a known service (PassthroughCluster is not supported)\n", req.host()),
            ))
        }
        Action::Forward(dests) => {
            let ex = &r.extras;
            // CORS preflight is answered by Envoy's CORS filter before anything else.
            let mut cors_headers = Vec::new();
            if let Some(c) = &ex.cors {
                if let Some(origin) = req.header("origin") {
                    let allowed = c.allow_origins.iter().any(|m| m.matches(&origin));
                    let preflight = req.method == b"OPTIONS"
                        && req.header("access-control-request-method").is_some();
                    let origin_s = String::from_utf8_lossy(&origin).into_owned();
                    if preflight && allowed {
                        t.add(|| format!("CORS preflight from allowed origin {origin_s:?}: 200"));
                        let mut rep = reply(ReplyKind::CorsPreflight, 200, "");
                        rep.headers
                            .push(("access-control-allow-origin".into(), origin_s));
                        if !c.allow_methods.is_empty() {
                            rep.headers.push((
                                "access-control-allow-methods".into(),
                                c.allow_methods.clone(),
                            ));
                        }
                        if !c.allow_headers.is_empty() {
                            rep.headers.push((
                                "access-control-allow-headers".into(),
                                c.allow_headers.clone(),
                            ));
                        }
                        if let Some(m) = &c.max_age {
                            rep.headers
                                .push(("access-control-max-age".into(), m.clone()));
                        }
                        if c.allow_credentials {
                            rep.headers
                                .push(("access-control-allow-credentials".into(), "true".into()));
                        }
                        return Outcome::Reply(rep);
                    }
                    if preflight && c.ignore_unmatched_preflights {
                        t.add(|| format!("CORS preflight from origin {origin_s:?} not allowed; unmatchedPreflights IGNORE: 200 without CORS headers"));
                        return Outcome::Reply(reply(ReplyKind::CorsPreflight, 200, ""));
                    }
                    if allowed && !preflight {
                        cors_headers.push(("access-control-allow-origin".into(), origin_s));
                        if c.allow_credentials {
                            cors_headers
                                .push(("access-control-allow-credentials".into(), "true".into()));
                        }
                        if !c.expose_headers.is_empty() {
                            cors_headers.push((
                                "access-control-expose-headers".into(),
                                c.expose_headers.clone(),
                            ));
                        }
                    }
                }
            }
            // Fault filter: abort (and delay) before the router.
            let mut delay_ms = None;
            if let Some(f) = &ex.fault {
                if let Some(ms) = f.delay_ms {
                    if draw(rng, f.delay_per_million) {
                        t.add(|| {
                            format!(
                                "fault delay {ms} ms ({}% of requests)",
                                f.delay_per_million as f64 / 10_000.0
                            )
                        });
                        delay_ms = Some(ms);
                    }
                }
                if let Some(status) = f.abort_status {
                    if draw(rng, f.abort_per_million) {
                        t.add(|| {
                            format!(
                                "fault abort {status} ({}% of requests)",
                                f.abort_per_million as f64 / 10_000.0
                            )
                        });
                        let mut rep = reply(ReplyKind::FaultAbort, status, "fault filter abort");
                        rep.grpc_status = f.abort_grpc_status;
                        if delay_ms.is_some() {
                            // Envoy delays first, then aborts: the filter applies the delay.
                            rep.headers.push((
                                "x-meshroute-delay-ms".into(),
                                delay_ms.unwrap_or(0).to_string(),
                            ));
                        }
                        return Outcome::Reply(rep);
                    }
                }
            }
            let di = pick_weighted(dests, rng);
            let dest = &dests[di];
            if dests.len() > 1 {
                let total: u32 = dests.iter().map(|d| d.weight).sum();
                t.add(|| {
                    format!(
                        "weighted destinations: chose {} (weight {} of {total})",
                        dest.cluster_name, dest.weight
                    )
                });
            }
            let cluster = match dest.cluster {
                ClusterRef::Known(c) => c,
                ClusterRef::Missing(_) => {
                    t.add(|| {
                        format!(
                            "cluster {} does not exist (unknown host, port or subset): 503 NC",
                            dest.cluster_name
                        )
                    });
                    return Outcome::Reply(reply(
                        ReplyKind::ClusterNotFound,
                        503,
                        format!("meshroute: cluster {} not found\n", dest.cluster_name),
                    ));
                }
            };
            let c = &table.clusters[cluster as usize];
            t.add(|| {
                format!(
                    "cluster {} ({} endpoints, {})",
                    c.name,
                    c.endpoints.len(),
                    c.selector.policy.envoy_name()
                )
            });
            let mut request_headers = ex.request_headers.clone();
            request_headers.extend(&dest.request_headers);
            let mut response_headers = dest.response_headers.clone();
            response_headers.extend(&ex.response_headers);
            let path = rewrite_path(&r.matcher, ex.uri_rewrite.as_ref(), req);
            if let Some(p) = &path {
                t.add(|| format!("path rewritten to {p:?}"));
            }
            let authority = ex
                .authority_rewrite
                .clone()
                .or_else(|| dest.authority.clone());
            if let Some(a) = &authority {
                t.add(|| format!("authority rewritten to {a:?}"));
            }
            let mut mirrors = Vec::new();
            for m in &ex.mirrors {
                if let ClusterRef::Known(mc) = m.cluster {
                    if draw(rng, m.per_million) {
                        t.add(|| format!("mirror to {}", m.cluster_name));
                        mirrors.push((mc, None));
                    }
                }
            }
            if ex.timeout_ms > 0 {
                t.add(|| format!("timeout {} ms", ex.timeout_ms));
            }
            let _ = listener;
            let (hash, set_cookie) = hash_for(c, req);
            Outcome::Forward(Box::new(Forward {
                cluster,
                cluster_name: &c.name,
                endpoint: None,
                endpoint_address: None,
                path,
                authority,
                request_headers,
                response_headers,
                timeout_ms: ex.timeout_ms,
                retry: ex.retry.as_ref(),
                delay_ms,
                mirrors,
                cors_headers,
                hash,
                set_cookie,
            }))
        }
    }
}

fn draw(rng: &mut dyn Rng, per_million: u32) -> bool {
    per_million >= 1_000_000 || (per_million > 0 && rng.below(1_000_000) < u64::from(per_million))
}

fn pick_weighted(dests: &[WeightedDest], rng: &mut dyn Rng) -> usize {
    if dests.len() == 1 {
        return 0;
    }
    let total: u64 = dests.iter().map(|d| u64::from(d.weight)).sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.below(total);
    for (i, d) in dests.iter().enumerate() {
        if x < u64::from(d.weight) {
            return i;
        }
        x -= u64::from(d.weight);
    }
    dests.len() - 1
}

/// Envoy `prefix_rewrite` / `regex_rewrite`; the query string is kept.
fn rewrite_path(m: &RouteMatch, rw: Option<&UriRewrite>, req: &Request) -> Option<String> {
    let rw = rw?;
    let path = String::from_utf8_lossy(req.path_only()).into_owned();
    let q = req.query();
    let new = match rw {
        UriRewrite::Prefix(to) => match &m.path {
            PathMatch::Prefix(p) => {
                let n = p.len().min(path.len());
                // The matched prefix is replaced (case-insensitively matched prefixes too).
                format!("{to}{}", path.get(n..).unwrap_or(""))
            }
            PathMatch::Exact(_) | PathMatch::Regex(..) => to.clone(),
        },
        UriRewrite::Regex(re, to) => {
            String::from_utf8_lossy(&re.replace_all(path.as_bytes(), to.as_bytes())).into_owned()
        }
    };
    Some(if q.is_empty() && !req.path.contains(&b'?') {
        new
    } else {
        format!("{new}?{}", String::from_utf8_lossy(q))
    })
}

/// Envoy's redirect: scheme, host, port and path swapped as configured; the query is kept
/// unless the new path carries one.
pub fn redirect_location(rd: &RedirectAction, req: &Request) -> String {
    let scheme = rd.scheme.clone().unwrap_or_else(|| {
        let s = String::from_utf8_lossy(req.scheme).into_owned();
        if s.is_empty() {
            "http".into()
        } else {
            s
        }
    });
    let authority = String::from_utf8_lossy(req.authority).into_owned();
    let (mut hostname, orig_port) = match rd.authority.clone() {
        Some(a) => (a, None),
        None => {
            let h = req.host();
            (h, req.authority_port())
        }
    };
    let _ = authority;
    let port = rd.port.or(orig_port);
    if let Some(p) = port {
        let default = (scheme == "http" && p == 80) || (scheme == "https" && p == 443);
        if !default && !hostname.contains(':') {
            hostname = format!("{hostname}:{p}");
        }
    }
    let path = match &rd.uri {
        Some(u) if u.contains('?') => u.clone(),
        Some(u) => {
            let q = req.query();
            if req.path.contains(&b'?') {
                format!("{u}?{}", String::from_utf8_lossy(q))
            } else {
                u.clone()
            }
        }
        None => String::from_utf8_lossy(req.path).into_owned(),
    };
    format!("{scheme}://{hostname}{path}")
}

/// The consistent-hash key of a request for the cluster's hash policy (Envoy `hash_policy`).
fn hash_for(c: &Cluster, req: &Request) -> (Option<u64>, Option<String>) {
    match &c.hash {
        None => (None, None),
        Some(HashPolicy::Header(h)) => (req.header(h).map(|v| lb::hash_key(&v)), None),
        Some(HashPolicy::Query(q)) => {
            for pair in req.query().split(|&b| b == b'&') {
                let (k, v) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &b""[..]),
                };
                if k == q.as_bytes() {
                    return (Some(lb::hash_key(v)), None);
                }
            }
            (None, None)
        }
        Some(HashPolicy::SourceIp) => (
            req.source_ip
                .map(|ip| lb::hash_key(ip.to_string().as_bytes())),
            None,
        ),
        Some(HashPolicy::Cookie { name, path, ttl_ms }) => {
            if let Some(cookies) = req.header("cookie") {
                for part in cookies.split(|&b| b == b';') {
                    let part = part.trim_ascii();
                    if let Some(i) = part.iter().position(|&b| b == b'=') {
                        if &part[..i] == name.as_bytes() {
                            return (Some(lb::hash_key(&part[i + 1..])), None);
                        }
                    }
                }
            }
            // Envoy generates the cookie when absent and a ttl is set (ttl 0: session cookie).
            match ttl_ms {
                Some(ttl) => {
                    let seed = format!(
                        "{}{}",
                        req.source_ip.map(|i| i.to_string()).unwrap_or_default(),
                        String::from_utf8_lossy(req.authority)
                    );
                    let value = format!("{:016x}", lb::hash_key(seed.as_bytes()));
                    let mut cookie = format!("{name}=\"{value}\"");
                    if *ttl > 0 {
                        cookie.push_str(&format!("; Max-Age={}", ttl / 1000));
                    }
                    if let Some(p) = path {
                        cookie.push_str(&format!("; Path={p}"));
                    }
                    cookie.push_str("; HttpOnly");
                    (Some(lb::hash_key(value.as_bytes())), Some(cookie))
                }
                None => (None, None),
            }
        }
    }
}

/// Chooses the endpoint for a forward decision (and for its mirrors). Returns false when the
/// cluster has no usable endpoint — the caller answers 503 (UH).
pub fn pick_endpoints(
    table: &RouteTable,
    fwd: &mut Forward,
    state: &mut LbState,
    now_ms: u64,
    rng: &mut dyn Rng,
) -> bool {
    if state.clusters.len() != table.clusters.len() {
        *state = LbState::for_table(table);
    }
    let c = &table.clusters[fwd.cluster as usize];
    let st = &mut state.clusters[fwd.cluster as usize];
    let i = lb::pick_with(
        &c.selector,
        &c.endpoints,
        st,
        fwd.hash,
        c.outlier.as_ref(),
        now_ms,
        rng,
    );
    fwd.endpoint = i;
    for m in &mut fwd.mirrors {
        let mc = &table.clusters[m.0 as usize];
        let ms = &mut state.clusters[m.0 as usize];
        m.1 = lb::pick_with(
            &mc.selector,
            &mc.endpoints,
            ms,
            None,
            mc.outlier.as_ref(),
            now_ms,
            rng,
        );
    }
    i.is_some()
}

/// Route + pick in one call: what the filter and the simulator do per request.
pub fn decide<'t>(
    table: &'t RouteTable,
    req: &Request,
    state: &mut LbState,
    now_ms: u64,
    rng: &mut dyn Rng,
    trace: bool,
) -> Decision<'t> {
    let mut d = route(table, req, rng, trace);
    if let Outcome::Forward(f) = &mut d.outcome {
        if pick_endpoints(table, f, state, now_ms, rng) {
            let c = &table.clusters[f.cluster as usize];
            f.endpoint_address = f.endpoint.map(|i| c.endpoints[i].address.as_str());
            if trace {
                d.trace.push(format!(
                    "{} picked endpoint {}",
                    c.selector.policy.envoy_name(),
                    f.endpoint_address.unwrap_or("-")
                ));
            }
        } else {
            let c = &table.clusters[f.cluster as usize];
            if trace {
                d.trace.push(format!(
                    "cluster {} has no healthy endpoint: 503 UH",
                    c.name
                ));
            }
            let body = if c.endpoints.is_empty() {
                format!("meshroute: cluster {} has no endpoints\n", c.name)
            } else {
                format!("meshroute: no healthy upstream in cluster {}\n", c.name)
            };
            d.outcome = Outcome::Reply(reply(ReplyKind::NoHealthyUpstream, 503, body));
        }
    }
    d
}

/// Feeds a response (status; 0 for a connect failure or reset) to passive outlier detection.
pub fn record_response(
    table: &RouteTable,
    state: &mut LbState,
    cluster: u32,
    endpoint: usize,
    status: u16,
    now_ms: u64,
) {
    let Some(c) = table.clusters.get(cluster as usize) else {
        return;
    };
    let Some(policy) = &c.outlier else { return };
    if let Some(st) = state.clusters.get_mut(cluster as usize) {
        lb::record_response(policy, st, endpoint, status, now_ms);
    }
}

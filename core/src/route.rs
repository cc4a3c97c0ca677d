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
    /// Where each attempt goes when the route retries: the chosen endpoint, then one endpoint
    /// per retry ([`lb::retry_picks`], at most [`crate::wire::MAX_LISTED_RETRIES`]). Empty
    /// without retries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempt_endpoints: Vec<usize>,
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
    let _ = listener;
    if let Action::Passthrough = &r.action {
        t.add(|| "no service matches this host; Istio's ALLOW_ANY sends it to PassthroughCluster, which meshroute cannot do: 502".into());
        return Outcome::Reply(reply(
            ReplyKind::Passthrough,
            502,
            format!(
                "meshroute: {:?} is not a known service (PassthroughCluster is not supported)\n",
                req.host()
            ),
        ));
    }
    let ex = &r.extras;
    // Istio's HTTP filter chain runs cors, then fault, then the router; route.go TranslateRoute
    // attaches the CORS and fault per-route configs whatever the route's action is.
    let cors_headers = match cors(ex.cors.as_ref(), req, t) {
        Ok(h) => h,
        Err(rep) => return Outcome::Reply(rep),
    };
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
                if let Some(d) = delay_ms {
                    // Envoy delays first, then aborts: the filter applies the delay.
                    rep.headers
                        .push((crate::wire::DELAY_PSEUDO_HEADER.into(), d.to_string()));
                }
                rep.headers.extend(cors_headers);
                return Outcome::Reply(rep);
            }
        }
    }
    // A local reply from the router (redirect, direct response) still gets the route's response
    // header operations (Envoy router: `finalizeResponseHeaders` on direct-response entries), the
    // CORS headers and the fault delay.
    let local = |mut rep: LocalReply| {
        apply_ops(&mut rep.headers, &ex.response_headers);
        rep.headers.extend(cors_headers.iter().cloned());
        if let Some(d) = delay_ms {
            rep.headers
                .push((crate::wire::DELAY_PSEUDO_HEADER.into(), d.to_string()));
        }
        Outcome::Reply(rep)
    };
    match &r.action {
        Action::Passthrough => unreachable_passthrough(),
        Action::Redirect(rd) => {
            let location = redirect_location(rd, &r.matcher, req);
            t.add(|| format!("redirect {} to {location}", rd.code));
            let mut rep = reply(ReplyKind::Redirect, rd.code, "");
            rep.headers.push(("location".into(), location));
            local(rep)
        }
        Action::DirectResponse { status, body } => {
            t.add(|| format!("direct response {status}"));
            let mut rep = reply(
                ReplyKind::DirectResponse,
                *status,
                body.clone().unwrap_or_default(),
            );
            // Envoy adds `location` (the request's own URI) to a direct response with status 201
            // or 3xx (router.cc, RFC 7231 §7.1.2).
            if *status == 201 || (300..400).contains(status) {
                rep.headers.push(("location".into(), request_uri(req)));
            }
            local(rep)
        }
        Action::Forward(dests) => {
            let di = pick_weighted(dests, rng);
            let dest = &dests[di];
            if dests.len() > 1 {
                // u64: weights are int32 each (Istio), so a few large ones overflow a u32 sum
                // (found by fuzzing: a debug-build panic on three weights near i32::MAX).
                let total: u64 = dests.iter().map(|d| u64::from(d.weight)).sum();
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
            // Header operations in the order Envoy evaluates them (each header parser removes
            // before it adds). One destination: its operations are appended to the route's, in
            // one parser (route.go processDestination). Weighted: the cluster-weight parser runs
            // first, then the route's (route.go processWeightedDestination; Envoy
            // WeightedClusterEntry::finalizeRequestHeaders).
            let (request_headers, response_headers) = if dests.len() == 1 {
                (
                    layer(&ex.request_headers, &dest.request_headers, true),
                    layer(&ex.response_headers, &dest.response_headers, true),
                )
            } else {
                (
                    layer(&dest.request_headers, &ex.request_headers, false),
                    layer(&dest.response_headers, &ex.response_headers, false),
                )
            };
            let path = rewrite_path(&r.matcher, ex.uri_rewrite.as_ref(), req);
            if let Some(p) = &path {
                t.add(|| format!("path rewritten to {p:?}"));
            }
            // Route-level host rewrite wins over a destination's (Istio only sets the
            // destination's when the route has none; Envoy applies the route's last).
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
                attempt_endpoints: Vec::new(),
            }))
        }
    }
}

fn unreachable_passthrough<'t>() -> Outcome<'t> {
    Outcome::Reply(reply(ReplyKind::Passthrough, 502, ""))
}

/// Envoy's CORS filter: `Err` is the reply to a preflight it answers itself; `Ok` the headers to
/// add to the response of an actual request from an allowed origin.
fn cors(
    c: Option<&CorsSpec>,
    req: &Request,
    t: &mut Tracer,
) -> Result<Vec<(String, String)>, LocalReply> {
    let mut cors_headers = Vec::new();
    let Some(c) = c else {
        return Ok(cors_headers);
    };
    let Some(origin) = req.header("origin") else {
        return Ok(cors_headers);
    };
    let allowed = c.allow_origins.iter().any(|m| m.matches(&origin));
    let preflight =
        req.method == b"OPTIONS" && req.header("access-control-request-method").is_some();
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
        return Err(rep);
    }
    if preflight && c.ignore_unmatched_preflights {
        t.add(|| format!("CORS preflight from origin {origin_s:?} not allowed; unmatchedPreflights IGNORE: 200 without CORS headers"));
        return Err(reply(ReplyKind::CorsPreflight, 200, ""));
    }
    if allowed && !preflight {
        cors_headers.push(("access-control-allow-origin".into(), origin_s));
        if c.allow_credentials {
            cors_headers.push(("access-control-allow-credentials".into(), "true".into()));
        }
        if !c.expose_headers.is_empty() {
            cors_headers.push((
                "access-control-expose-headers".into(),
                c.expose_headers.clone(),
            ));
        }
    }
    Ok(cors_headers)
}

/// `first` then `then`, as one `HeaderOps` applied remove → set → add. `same_parser`: both lists
/// belong to one Envoy header parser (all removes happen before any add); otherwise `then` is a
/// later parser whose removes also drop what `first` added.
pub fn layer(first: &HeaderOps, then: &HeaderOps, same_parser: bool) -> HeaderOps {
    let removed_later = |k: &str| !same_parser && then.remove.iter().any(|r| r == k);
    let mut out = HeaderOps::default();
    out.remove.extend(first.remove.iter().cloned());
    for r in &then.remove {
        if !out.remove.contains(r) {
            out.remove.push(r.clone());
        }
    }
    out.set
        .extend(first.set.iter().filter(|(k, _)| !removed_later(k)).cloned());
    out.set.extend(then.set.iter().cloned());
    // An earlier `add` followed by a later `set` of the same header ends as the `set` alone;
    // with set-before-add application order the earlier add must go.
    out.add.extend(
        first
            .add
            .iter()
            .filter(|(k, _)| !removed_later(k) && !then.set.iter().any(|(s, _)| s == k))
            .cloned(),
    );
    out.add.extend(then.add.iter().cloned());
    out
}

/// Applies response header operations to a local reply's headers (remove, set, add).
fn apply_ops(headers: &mut Vec<(String, String)>, ops: &HeaderOps) {
    headers.retain(|(k, _)| !ops.remove.iter().any(|r| r.eq_ignore_ascii_case(k)));
    for (k, v) in &ops.set {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
        headers.push((k.clone(), v.clone()));
    }
    for (k, v) in &ops.add {
        headers.push((k.clone(), v.clone()));
    }
}

/// The request's own URI, as Envoy's `newUri` builds it with no redirect configuration.
fn request_uri(req: &Request) -> String {
    let scheme = if req.scheme.eq_ignore_ascii_case(b"https") {
        "https"
    } else {
        "http"
    };
    format!(
        "{scheme}://{}{}",
        String::from_utf8_lossy(req.authority),
        String::from_utf8_lossy(req.path)
    )
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

/// Envoy's redirect URI (`Http::Utility::newUri`, source/common/http/utility.cc): scheme from the
/// redirect or the request; host from the redirect (dropping the request's port) or the request's
/// authority, whose port is dropped when a new port is set or when the scheme changes away from
/// that port's default; `:port` only when the route sets one (Istio already elided 80/443 for
/// their schemes); path from the redirect keeping the request's query unless the new path has
/// one, or with `prefixRewrite` the request's path with the matched prefix swapped (Envoy
/// `RedirectAction.prefix_rewrite`, the query kept, as the forward rewrite).
pub fn redirect_location(rd: &RedirectAction, m: &RouteMatch, req: &Request) -> String {
    let req_scheme = if req.scheme.eq_ignore_ascii_case(b"https") {
        "https"
    } else {
        "http"
    };
    let scheme = rd.scheme.clone().unwrap_or_else(|| req_scheme.to_string());
    let new_port = rd.port.map(|p| format!(":{p}")).unwrap_or_default();
    let host = match &rd.authority {
        Some(a) if !a.is_empty() => a.clone(),
        _ => {
            // processRequestHost
            let a = String::from_utf8_lossy(req.authority).into_owned();
            let port_start = if a.starts_with('[') {
                a.rfind("]:").map(|i| i + 1)
            } else {
                a.rfind(':')
            };
            match port_start {
                Some(i) => {
                    let req_port = &a[i..];
                    let mut remove = !new_port.is_empty();
                    if scheme != req_scheme {
                        remove |= (req_scheme == "https" && req_port == ":443")
                            || (req_scheme == "http" && req_port == ":80");
                    }
                    if remove {
                        a[..i].to_string()
                    } else {
                        a
                    }
                }
                None => a,
            }
        }
    };
    let path = match (&rd.prefix_rewrite, &rd.uri) {
        (Some(p), _) => {
            rewrite_path(m, Some(&UriRewrite::Prefix(p.clone())), req).unwrap_or_default()
        }
        (None, Some(u)) if !u.is_empty() => {
            if u.contains('?') {
                u.clone()
            } else {
                match req.path.iter().position(|&b| b == b'?') {
                    Some(i) => format!("{u}{}", String::from_utf8_lossy(&req.path[i..])),
                    None => u.clone(),
                }
            }
        }
        _ => String::from_utf8_lossy(req.path).into_owned(),
    };
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    format!("{scheme}://{host}{new_port}{path}")
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
                            // Envoy `Http::Utility::parseCookieValue` (source/common/http/
                            // utility.cc): "Cookie values may be wrapped in double quotes"
                            // (RFC 6265 §4.1.1) — they are stripped before hashing, so the
                            // quoted cookie Envoy generates hashes like its unquoted value.
                            let mut v = &part[i + 1..];
                            if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
                                v = &v[1..v.len() - 1];
                            }
                            return (Some(lb::hash_key(v)), None);
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
    fwd.attempt_endpoints.clear();
    if let (Some(first), Some(r)) = (i, fwd.retry) {
        if r.num_retries > 0 {
            fwd.attempt_endpoints.push(first);
            lb::retry_picks(
                &c.selector,
                st,
                fwd.hash,
                c.outlier.as_ref(),
                r.previous_hosts,
                (r.num_retries as usize).min(crate::wire::MAX_LISTED_RETRIES),
                rng,
                &mut fwd.attempt_endpoints,
            );
        }
    }
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
                if f.attempt_endpoints.len() > 1 {
                    let retries: Vec<&str> = f.attempt_endpoints[1..]
                        .iter()
                        .map(|&i| c.endpoints[i].address.as_str())
                        .collect();
                    d.trace
                        .push(format!("retries would go to {}", retries.join(", ")));
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use regex::bytes::Regex;

    fn req<'a>(
        authority: &'a str,
        path: &'a str,
        headers: &'a [(&'a [u8], &'a [u8])],
    ) -> Request<'a> {
        Request {
            listener_port: 80,
            authority: authority.as_bytes(),
            path: path.as_bytes(),
            method: b"GET",
            scheme: b"http",
            headers,
            source_ip: None,
        }
    }

    fn path_match(p: PathMatch, case_sensitive: bool) -> RouteMatch {
        RouteMatch {
            path: p,
            case_sensitive,
            ..RouteMatch::catch_all()
        }
    }

    fn matches(m: &RouteMatch, r: &Request) -> bool {
        route_matches(m, r, r.path_only(), r.query()).is_ok()
    }

    #[test]
    fn prefix_is_a_plain_string_prefix() {
        let m = path_match(PathMatch::Prefix("/foo".into()), true);
        for (path, want) in [
            ("/foo", true),
            ("/foobar", true),
            ("/foo/bar?x=1", true),
            ("/fo", false),
            ("/FOO", false),
            ("/bar/foo", false),
        ] {
            assert_eq!(matches(&m, &req("h", path, &[])), want, "{path}");
        }
        let nocase = path_match(PathMatch::Prefix("/foo".into()), false);
        assert!(matches(&nocase, &req("h", "/FOObar", &[])));
    }

    #[test]
    fn regex_is_a_full_match_on_the_path_without_query() {
        let m = path_match(
            PathMatch::Regex(Regex::new("^(?:/re/[0-9]+)$").unwrap(), "/re/[0-9]+".into()),
            false,
        );
        for (path, want) in [
            ("/re/1", true),
            ("/re/12?q=a", true),
            ("/re/12/x", false),
            ("/x/re/12", false),
            ("/RE/1", false),
        ] {
            assert_eq!(matches(&m, &req("h", path, &[])), want, "{path}");
        }
    }

    #[test]
    fn without_headers_treat_a_missing_header_as_empty() {
        let hm = |matcher: StrMatch, missing_as_empty: bool| RouteMatch {
            headers: vec![HeaderMatcher {
                name: "x-deny".into(),
                matcher,
                invert: true,
                missing_as_empty,
            }],
            ..RouteMatch::catch_all()
        };
        let value = hm(StrMatch::Exact("yes".into()), true);
        let empty = hm(StrMatch::Exact(String::new()), true);
        let absent = hm(StrMatch::Present, false);
        let none: &[(&[u8], &[u8])] = &[];
        let yes: &[(&[u8], &[u8])] = &[(b"x-deny", b"yes")];
        for (m, headers, want) in [
            (&value, none, true),
            (&value, yes, false),
            (&empty, none, false),
            (&empty, yes, true),
            (&absent, none, true),
            (&absent, yes, false),
        ] {
            assert_eq!(matches(m, &req("h", "/", headers)), want);
        }
    }

    #[test]
    fn query_exact_empty_matches_a_bare_key() {
        let m = RouteMatch {
            query: vec![QueryMatcher {
                name: "flag".into(),
                matcher: StrMatch::Exact(String::new()),
            }],
            ..RouteMatch::catch_all()
        };
        for (path, want) in [
            ("/?flag", true),
            ("/?a=1&flag=", true),
            ("/?flag=1", false),
            ("/", false),
        ] {
            assert_eq!(matches(&m, &req("h", path, &[])), want, "{path}");
        }
    }

    #[test]
    fn redirect_uri_follows_envoy_new_uri() {
        let rd = |uri: Option<&str>, authority: Option<&str>, scheme: Option<&str>, port| {
            RedirectAction {
                uri: uri.map(str::to_string),
                prefix_rewrite: None,
                authority: authority.map(str::to_string),
                scheme: scheme.map(str::to_string),
                port,
                code: 301,
            }
        };
        let any = path_match(PathMatch::Prefix("/".into()), true);
        let cases = [
            (
                rd(Some("/n"), None, None, None),
                "h:8080",
                "/o?q=1",
                "http://h:8080/n?q=1",
            ),
            (
                rd(Some("/n?z"), None, None, None),
                "h",
                "/o?q=1",
                "http://h/n?z",
            ),
            (
                rd(None, Some("a.com"), None, None),
                "h:8080",
                "/o",
                "http://a.com/o",
            ),
            (
                rd(None, None, Some("https"), None),
                "h:80",
                "/o",
                "https://h/o",
            ),
            (
                rd(None, None, Some("https"), None),
                "h:81",
                "/o",
                "https://h:81/o",
            ),
            (
                rd(None, None, None, Some(9000)),
                "h:81",
                "/o",
                "http://h:9000/o",
            ),
            (
                rd(None, None, None, Some(9000)),
                "[::1]:81",
                "/o",
                "http://[::1]:9000/o",
            ),
        ];
        for (rd, authority, path, want) in cases {
            assert_eq!(
                redirect_location(&rd, &any, &req(authority, path, &[])),
                want
            );
        }
    }

    #[test]
    fn redirect_prefix_rewrite_swaps_the_matched_prefix_and_keeps_the_query() {
        let rd = |to: &str| RedirectAction {
            uri: None,
            prefix_rewrite: Some(to.to_string()),
            authority: None,
            scheme: None,
            port: None,
            code: 301,
        };
        let m = path_match(PathMatch::Prefix("/old/".into()), true);
        let cases = [
            ("/new/", "/old/a/b?x=1", "http://h/new/a/b?x=1"),
            ("/", "/old/a", "http://h/a"),
        ];
        for (to, path, want) in cases {
            assert_eq!(redirect_location(&rd(to), &m, &req("h", path, &[])), want);
        }
        // Without a URI match the implicit prefix is `/`.
        let any = path_match(PathMatch::Prefix("/".into()), true);
        assert_eq!(
            redirect_location(&rd("/v2/"), &any, &req("h", "/x?y", &[])),
            "http://h/v2/x?y"
        );
    }

    #[test]
    fn header_layers_apply_in_envoy_parser_order() {
        let ops = |set: &[(&str, &str)], add: &[(&str, &str)], remove: &[&str]| HeaderOps {
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            add: add
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            remove: remove.iter().map(|k| k.to_string()).collect(),
        };
        // Weighted: the destination's parser runs first; the route's remove wins over its set.
        let dest = ops(&[("x", "d"), ("y", "d")], &[], &[]);
        let route = ops(&[], &[], &["x"]);
        assert_eq!(layer(&dest, &route, false), ops(&[("y", "d")], &[], &["x"]));
        // One parser: removes happen first, so a set of the same name survives.
        assert_eq!(
            layer(&route, &dest, true),
            ops(&[("x", "d"), ("y", "d")], &[], &["x"])
        );
        // A later set replaces an earlier add.
        let first = ops(&[], &[("a", "1")], &[]);
        let then = ops(&[("a", "2")], &[], &[]);
        assert_eq!(layer(&first, &then, true), ops(&[("a", "2")], &[], &[]));
    }
}

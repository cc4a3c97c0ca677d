//! meshroute's own test cases: one request routed through the table of the proxy the case
//! names, every assertion of `expect:` checked (and every one of `not:` must fail).

use super::*;
use crate::lb::SplitMix64;
use crate::probe::{self, parse_url, Probe};
use crate::route::{route, Decision, Outcome, ReplyKind};
use crate::table::{Action, HeaderOps, Route, VirtualHost};

/// What one decision did, owned (so several can be kept and compared).
#[derive(Debug, Clone, Default)]
pub(crate) struct Observed {
    pub status: Option<u16>,
    pub reply_kind: Option<ReplyKind>,
    pub virtual_service: Option<String>,
    pub route: Option<String>,
    pub route_index: Option<usize>,
    /// The cluster chosen (also when it does not exist: a 503 NC).
    pub cluster: Option<String>,
    /// Index of the chosen destination among the route's weighted destinations.
    pub dest: Option<usize>,
    pub path: String,
    pub authority: String,
    pub location: Option<String>,
    pub body: String,
    pub request_headers: HeaderOps,
    pub response_headers: HeaderOps,
    /// A local reply's headers.
    pub reply_headers: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub cors_headers: Vec<(String, String)>,
    pub trace: Vec<String>,
}

impl Observed {
    /// One line: `forwarded to C by route R of VS` or `local reply 404 (no_route)`.
    pub fn summary(&self) -> String {
        let route = match (&self.route, self.route_index) {
            (Some(r), _) if !r.is_empty() => Some(format!("route {r:?}")),
            (_, Some(i)) => Some(format!("route {i}")),
            _ => None,
        };
        let by = match (route, &self.virtual_service) {
            (Some(r), Some(vs)) => format!(" by {r} of {vs}"),
            (Some(r), None) => format!(" by {r}"),
            _ => String::new(),
        };
        match (self.status, self.reply_kind) {
            (Some(s), Some(k)) => format!(
                "local reply {s} ({}){by}",
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            ),
            _ => format!(
                "forwarded to {} as {}{}{by}",
                self.cluster.as_deref().unwrap_or("-"),
                self.authority,
                self.path
            ),
        }
    }
}

/// The route a decision for `probe` took. The virtual host is looked up as routing found it (by
/// the probe's host), then checked by name; a scan by name is the fallback.
pub(crate) fn route_of<'t>(t: &'t RouteTable, d: &Decision, probe: &Probe) -> Option<&'t Route> {
    let rc = t
        .route_configs
        .iter()
        .find(|rc| Some(rc.name.as_str()) == d.route_config)?;
    let named = |vh: &&VirtualHost| Some(vh.name.as_str()) == d.virtual_host;
    let vh = rc
        .find_virtual_host(&probe.request(&[]).host())
        .map(|i| &rc.virtual_hosts[i])
        .filter(named)
        .or_else(|| rc.virtual_hosts.iter().find(named))?;
    vh.routes.get(d.route_index?)
}

/// Owns what `d` did for `probe`.
pub(crate) fn observe(t: &RouteTable, d: &Decision, probe: &Probe) -> Observed {
    let r = route_of(t, d, probe);
    let mut o = Observed {
        status: d.status(),
        virtual_service: d.virtual_service.map(String::from),
        route: d.route.map(String::from),
        route_index: d.route_index,
        path: probe.path.clone(),
        authority: probe.authority.clone(),
        trace: d.trace.clone(),
        ..Observed::default()
    };
    let dests = match r.map(|r| &r.action) {
        Some(Action::Forward(ds)) => ds.as_slice(),
        _ => &[],
    };
    match &d.outcome {
        Outcome::Forward(f) => {
            o.cluster = Some(f.cluster_name.to_string());
            o.dest = dests.iter().position(|w| w.cluster_name == f.cluster_name);
            if let Some(p) = &f.path {
                o.path = p.clone();
            }
            if let Some(a) = &f.authority {
                o.authority = a.clone();
            }
            o.request_headers = f.request_headers.clone();
            o.response_headers = f.response_headers.clone();
            o.timeout_ms = f.timeout_ms;
            o.cors_headers = f.cors_headers.clone();
        }
        Outcome::Reply(rep) => {
            o.reply_kind = Some(rep.kind);
            o.body = rep.body.clone();
            o.reply_headers = rep.headers.clone();
            o.location = rep
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.clone());
            o.cors_headers = rep
                .headers
                .iter()
                .filter(|(k, _)| k.starts_with("access-control-"))
                .cloned()
                .collect();
            if rep.kind == ReplyKind::ClusterNotFound {
                // The reply names the missing cluster (route/action.rs).
                o.dest = dests.iter().position(|w| {
                    rep.body
                        .contains(&format!("cluster {} not found", w.cluster_name))
                });
                o.cluster = o.dest.map(|i| dests[i].cluster_name.clone());
            }
        }
    }
    o
}

/// Records what a decision reached, for coverage.
pub(crate) fn record(hits: &mut Hits, t: &RouteTable, d: &Decision, probe: &Probe, o: &Observed) {
    if let Some(r) = route_of(t, d, probe) {
        hits.record(r, o.dest);
    }
}

/// `outbound|PORT|SUBSET|FQDN` → (port, subset, fqdn).
fn cluster_parts(c: &str) -> Option<(u32, &str, &str)> {
    let mut it = c.split('|');
    let (_, port, subset, fqdn) = (it.next()?, it.next()?, it.next()?, it.next()?);
    Some((port.parse().ok()?, subset, fqdn))
}

/// `reviews` and `reviews.default` name `reviews.default.svc.cluster.local`.
pub(crate) fn host_names(want: &str, fqdn: &str) -> bool {
    let want = want.to_ascii_lowercase();
    fqdn == want
        || fqdn
            .strip_prefix(want.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Whether `key` (a cluster name, a subset or a host) names `cluster`.
fn names_cluster(key: &str, cluster: &str) -> bool {
    key == cluster
        || cluster_parts(cluster)
            .is_some_and(|(_, subset, fqdn)| subset == key || host_names(key, fqdn))
}

/// One assertion: what it is, what was wanted, what was seen, whether it held.
struct Check {
    what: String,
    want: String,
    got: String,
    ok: bool,
}

fn check(what: &str, want: impl ToString, got: impl ToString, ok: bool) -> Check {
    Check {
        what: what.to_string(),
        want: want.to_string(),
        got: got.to_string(),
        ok,
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "none".to_string(), T::to_string)
}

fn quoted(v: &Option<String>) -> String {
    v.as_ref()
        .map_or_else(|| "none".to_string(), |s| format!("{s:?}"))
}

fn pairs(v: &[(String, String)]) -> String {
    let p: Vec<String> = v.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("[{}]", p.join(", "))
}

fn ops_text(ops: &HeaderOps) -> String {
    format!(
        "set {} add {} remove [{}]",
        pairs(&ops.set),
        pairs(&ops.add),
        ops.remove.join(", ")
    )
}

fn ms(d: Duration) -> u64 {
    d.as_millis().max(0) as u64
}

/// Header edits `want` among `ops` (forwarded) or among a local reply's `headers`.
fn header_checks(
    out: &mut Vec<Check>,
    what: &str,
    want: &ExpectHeaders,
    ops: &HeaderOps,
    reply: Option<&[(String, String)]>,
) {
    let has = |list: &[(String, String)], k: &str, v: &str| {
        list.iter()
            .any(|(a, b)| a.eq_ignore_ascii_case(k) && b == v)
    };
    let got = match reply {
        Some(h) => format!("reply headers {}", pairs(h)),
        None => ops_text(ops),
    };
    for (k, v) in &want.set {
        let ok = match reply {
            Some(h) => has(h, k, v),
            None => has(&ops.set, k, v),
        };
        out.push(check(&format!("{what}.set.{k}"), v, &got, ok));
    }
    for (k, v) in &want.add {
        let ok = match reply {
            Some(h) => has(h, k, v),
            None => has(&ops.add, k, v),
        };
        out.push(check(&format!("{what}.add.{k}"), v, &got, ok));
    }
    for k in &want.remove {
        let ok = match reply {
            Some(h) => !h.iter().any(|(a, _)| a.eq_ignore_ascii_case(k)),
            None => ops.remove.iter().any(|r| r.eq_ignore_ascii_case(k)),
        };
        out.push(check(&format!("{what}.remove"), k, &got, ok));
    }
}

/// Shares of each cluster over `draws` requests.
pub(crate) fn shares(
    t: &RouteTable,
    probe: &Probe,
    draws: u32,
    hits: &mut Hits,
) -> BTreeMap<String, u32> {
    let headers = probe.header_bytes();
    let req = probe.request(&headers);
    let mut rng = SplitMix64(1);
    let mut counts = BTreeMap::new();
    for _ in 0..draws {
        let d = route(t, &req, &mut rng, false);
        let o = observe(t, &d, probe);
        record(hits, t, &d, probe, &o);
        let key = o.cluster.clone().unwrap_or_else(|| o.summary());
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Every assertion of `e` against what happened.
fn checks(
    e: &Expect,
    o: &Observed,
    r: Option<&Route>,
    shares: Option<&BTreeMap<String, u32>>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let forwarded = o.reply_kind.is_none();
    let happened = || {
        o.status
            .map_or_else(|| "forwarded".to_string(), |s| format!("local reply {s}"))
    };
    if let Some(s) = e.status {
        out.push(check(
            "status",
            s,
            happened(),
            o.status.map(u32::from) == Some(s),
        ));
    }
    if let Some(f) = e.forwarded {
        out.push(check("forwarded", f, happened(), forwarded == f));
    }
    if let Some(vs) = &e.virtual_service {
        let ok = o.virtual_service.as_deref().is_some_and(|got| {
            got == vs || (!vs.contains('/') && got.rsplit('/').next() == Some(vs.as_str()))
        });
        out.push(check("virtualService", vs, opt(&o.virtual_service), ok));
    }
    if let Some(name) = &e.route {
        out.push(check(
            "route",
            format!("{name:?}"),
            quoted(&o.route),
            o.route.as_deref() == Some(name.as_str()),
        ));
    }
    if let Some(d) = &e.destination {
        let got = o.cluster.clone().unwrap_or_else(|| "no cluster".into());
        let parts = o.cluster.as_deref().and_then(cluster_parts);
        if let Some(c) = &d.cluster {
            out.push(check(
                "destination.cluster",
                c,
                &got,
                o.cluster.as_deref() == Some(c),
            ));
        }
        if let Some(h) = &d.host {
            let ok = parts.is_some_and(|(_, _, fqdn)| host_names(h, fqdn));
            out.push(check("destination.host", h, &got, ok));
        }
        if let Some(s) = &d.subset {
            let ok = parts.is_some_and(|(_, sub, _)| sub == s);
            out.push(check("destination.subset", s, &got, ok));
        }
        if let Some(p) = d.port {
            let ok = parts.is_some_and(|(port, _, _)| port == p);
            out.push(check("destination.port", p, &got, ok));
        }
    }
    if let (Some(w), Some(counts)) = (&e.weights, shares) {
        let total: u32 = counts.values().sum();
        let tolerance = w.tolerance.unwrap_or(5.0);
        let seen: Vec<String> = counts
            .iter()
            .map(|(c, n)| format!("{c} {:.1}%", pct(*n, total)))
            .collect();
        for (key, want) in &w.shares {
            let n: u32 = counts
                .iter()
                .filter(|(c, _)| names_cluster(key, c))
                .map(|(_, n)| *n)
                .sum();
            let got = pct(n, total);
            out.push(check(
                &format!("weights.{key}"),
                format!("{want}% ±{tolerance}"),
                format!("{got:.1}% of {total} ({})", seen.join(", ")),
                (got - want).abs() <= tolerance,
            ));
        }
    }
    if let Some(p) = &e.path {
        let got = if forwarded {
            o.path.clone()
        } else {
            happened()
        };
        out.push(check("path", p, got, forwarded && &o.path == p));
    }
    if let Some(a) = &e.authority {
        let got = if forwarded {
            o.authority.clone()
        } else {
            happened()
        };
        out.push(check("authority", a, got, forwarded && &o.authority == a));
    }
    if let Some(rd) = &e.redirect {
        let is = o.reply_kind == Some(ReplyKind::Redirect);
        let got = if is {
            format!("{} to {}", opt(&o.status), opt(&o.location))
        } else {
            o.summary()
        };
        if let Some(l) = &rd.location {
            out.push(check(
                "redirect.location",
                l,
                &got,
                is && o.location.as_deref() == Some(l),
            ));
        }
        if let Some(c) = rd.code {
            out.push(check(
                "redirect.code",
                c,
                &got,
                is && o.status.map(u32::from) == Some(c),
            ));
        }
        if rd.location.is_none() && rd.code.is_none() {
            out.push(check("redirect", "a redirect", &got, is));
        }
    }
    if let Some(dr) = &e.direct_response {
        let is = o.reply_kind == Some(ReplyKind::DirectResponse);
        let got = if is {
            format!("{} {:?}", opt(&o.status), o.body)
        } else {
            o.summary()
        };
        if let Some(s) = dr.status {
            out.push(check(
                "directResponse.status",
                s,
                &got,
                is && o.status.map(u32::from) == Some(s),
            ));
        }
        if let Some(b) = &dr.body {
            out.push(check(
                "directResponse.body",
                format!("{b:?}"),
                &got,
                is && &o.body == b,
            ));
        }
        if dr.status.is_none() && dr.body.is_none() {
            out.push(check("directResponse", "a direct response", &got, is));
        }
    }
    if let Some(f) = &e.fault {
        let spec = r.and_then(|r| r.extras.fault.as_ref());
        let got = spec.map_or_else(
            || "no fault".to_string(),
            |s| {
                format!(
                    "delay {} at {}%, abort {} at {}%",
                    s.delay_ms.map_or("none".into(), |d| format!("{d}ms")),
                    f64::from(s.delay_per_million) / 10_000.0,
                    opt(&s.abort_status),
                    f64::from(s.abort_per_million) / 10_000.0
                )
            },
        );
        if let Some(d) = f.delay {
            let ok = spec.is_some_and(|s| s.delay_ms == Some(ms(d)));
            out.push(check("fault.delay", format!("{}ms", ms(d)), &got, ok));
        }
        if let Some(p) = f.delay_percent {
            let ok = spec.is_some_and(|s| per_million(p) == s.delay_per_million);
            out.push(check("fault.delayPercent", format!("{p}%"), &got, ok));
        }
        if let Some(a) = f.abort {
            let ok = spec.is_some_and(|s| s.abort_status.map(u32::from) == Some(a));
            out.push(check("fault.abort", a, &got, ok));
        }
        if let Some(p) = f.abort_percent {
            let ok = spec.is_some_and(|s| per_million(p) == s.abort_per_million);
            out.push(check("fault.abortPercent", format!("{p}%"), &got, ok));
        }
        if f == &ExpectFault::default() {
            out.push(check("fault", "a fault", &got, spec.is_some()));
        }
    }
    if let Some(h) = &e.request_headers {
        header_checks(&mut out, "requestHeaders", h, &o.request_headers, None);
    }
    if let Some(h) = &e.response_headers {
        let reply = (!forwarded).then_some(o.reply_headers.as_slice());
        header_checks(&mut out, "responseHeaders", h, &o.response_headers, reply);
    }
    if let Some(t) = e.timeout {
        let got = if forwarded {
            format!("{}ms", o.timeout_ms)
        } else {
            happened()
        };
        out.push(check(
            "timeout",
            format!("{}ms", ms(t)),
            got,
            forwarded && o.timeout_ms == ms(t),
        ));
    }
    if let Some(want) = &e.retries {
        let spec = r
            .and_then(|r| r.extras.retry.as_ref())
            .filter(|_| forwarded);
        let got = spec.map_or_else(
            || "no retries".to_string(),
            |s| {
                format!(
                    "{} retries on {:?}, per try {}",
                    s.num_retries,
                    s.retry_on,
                    s.per_try_timeout_ms
                        .map_or("unset".into(), |m| format!("{m}ms"))
                )
            },
        );
        if let Some(a) = want.attempts {
            let ok = spec.map_or(a == 0, |s| s.num_retries == a);
            out.push(check("retries.attempts", a, &got, ok));
        }
        if let Some(on) = &want.retry_on {
            let ok = spec.is_some_and(|s| &s.retry_on == on);
            out.push(check("retries.retryOn", format!("{on:?}"), &got, ok));
        }
        if let Some(p) = want.per_try_timeout {
            let ok = spec.is_some_and(|s| s.per_try_timeout_ms == Some(ms(p)));
            out.push(check(
                "retries.perTryTimeout",
                format!("{}ms", ms(p)),
                &got,
                ok,
            ));
        }
    }
    if let Some(want) = &e.mirrors {
        let have: Vec<&str> = r
            .map(|r| {
                r.extras
                    .mirrors
                    .iter()
                    .map(|m| m.cluster_name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let got = format!("[{}]", have.join(", "));
        for m in want {
            let ok = have.iter().any(|c| names_cluster(m, c));
            out.push(check("mirrors", m, &got, ok));
        }
        if want.is_empty() {
            out.push(check("mirrors", "[]", &got, have.is_empty()));
        }
    }
    if let Some(c) = &e.cors {
        let got = pairs(&o.cors_headers);
        let allowed = o
            .cors_headers
            .iter()
            .any(|(k, _)| k == "access-control-allow-origin");
        if let Some(a) = c.allowed {
            out.push(check("cors.allowed", a, &got, allowed == a));
        }
        for (k, v) in &c.headers {
            let ok = o
                .cors_headers
                .iter()
                .any(|(a, b)| a.eq_ignore_ascii_case(k) && b == v);
            out.push(check(&format!("cors.headers.{k}"), v, &got, ok));
        }
    }
    out
}

fn pct(n: u32, total: u32) -> f64 {
    if total == 0 {
        0.0
    } else {
        f64::from(n) * 100.0 / f64::from(total)
    }
}

fn per_million(p: f64) -> u32 {
    (p * 10_000.0).round().clamp(0.0, 1_000_000.0) as u32
}

/// The request of a case, as a probe for `t`.
fn probe_for(t: &RouteTable, req: &TestRequest, defaults: &Defaults) -> Result<Probe, String> {
    let url_text = match (&req.url, &req.authority) {
        (Some(u), _) => u.clone(),
        (None, Some(a)) => format!(
            "{}://{a}{}",
            req.scheme.as_deref().unwrap_or("http"),
            req.path.as_deref().unwrap_or("/")
        ),
        (None, None) => return Err("the request needs `url` or `authority`".into()),
    };
    let url = parse_url(&url_text)?;
    let port = probe::listener_port(t, defaults.listener_port, req.listener_port, &url)?;
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    let source_ip = match &req.source_ip {
        Some(ip) => Some(
            ip.parse()
                .map_err(|_| format!("request.sourceIP must be an IP address, got {ip:?}"))?,
        ),
        None => None,
    };
    let method = req.method.as_deref().unwrap_or("GET");
    Ok(Probe::new(&url, port, method, &headers, source_ip))
}

/// The proxy and probe of a native case (None for a case that cannot run).
pub(super) fn native_probe(
    t: &TestCase,
    defaults: &Defaults,
    tables: &mut Tables,
) -> Result<(ProxyIdentity, Probe), String> {
    let mut proxy = match (&t.proxy, &defaults.proxy) {
        (Some(spec), _) => proxy_identity(spec)?,
        (None, Some(p)) => p.clone(),
        (None, None) => {
            return Err(
                "no proxy: give the case (or the test file) `proxy: {kind: gateway|sidecar, namespace, labels}`, or test against a meshroute config file".into(),
            )
        }
    };
    let Some(req) = &t.request else {
        return Err("the case has no request".into());
    };
    if proxy.kind == ProxyKind::Sidecar {
        proxy.labels.extend(req.source_labels.clone());
        if let Some(ns) = &req.source_namespace {
            proxy.namespace = ns.clone();
        }
    }
    let probe = probe_for(tables.get(&proxy), req, defaults)?;
    Ok((proxy, probe))
}

pub(super) fn run_native(
    case: &Case,
    t: &TestCase,
    defaults: &Defaults,
    tables: &mut Tables,
    hits: &mut Hits,
) -> CaseResult {
    let result = CaseResult::new(case, "meshroute");
    let (proxy, probe) = match native_probe(t, defaults, tables) {
        Ok(x) => x,
        Err(e) => return result.errored(e),
    };
    let table = tables.get(&proxy);
    run_probe(result, table, &probe, t, hits)
}

fn run_probe(
    mut result: CaseResult,
    table: &RouteTable,
    probe: &Probe,
    t: &TestCase,
    hits: &mut Hits,
) -> CaseResult {
    let headers = probe.header_bytes();
    let req = probe.request(&headers);
    let mut rng = SplitMix64(1);
    let d = route(table, &req, &mut rng, true);
    let o = observe(table, &d, probe);
    record(hits, table, &d, probe, &o);
    let r = route_of(table, &d, probe);
    let draws = [&t.expect, &t.not]
        .into_iter()
        .flatten()
        .find_map(|e| e.weights.as_ref())
        .map(|w| w.draws.unwrap_or(1000).max(1));
    let counts = draws.map(|n| shares(table, probe, n, hits));
    result.requests.push(probe.describe());
    if let Some(e) = &t.expect {
        for c in checks(e, &o, r, counts.as_ref()) {
            if !c.ok {
                result.failures.push(Failure {
                    assertion: c.what,
                    expected: c.want,
                    actual: c.got,
                });
            }
        }
    }
    if let Some(e) = &t.not {
        for c in checks(e, &o, r, counts.as_ref()) {
            if c.ok {
                result.failures.push(Failure {
                    assertion: format!("not {}", c.what),
                    expected: format!("not {}", c.want),
                    actual: c.got,
                });
            }
        }
    }
    result.passed = result.failures.is_empty();
    result.happened = o.summary();
    result.trace = o.trace;
    result
}

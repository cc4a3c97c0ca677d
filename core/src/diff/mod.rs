//! "What changes if I apply this": two sets of resources compiled for the same proxies, their
//! proxy-config rows compared (listeners, routes, clusters, endpoints added, removed, changed),
//! and **the requests that now route differently** — one probe request per route match block
//! of either side (plus any the caller adds), routed before and after (`meshroute diff`).
//!
//! A probe's outcome is what a reviewer cares about: the clusters it is sent to with their
//! shares (so a weight change shows), whether each exists and has endpoints, the path and
//! authority after rewrites, or the local reply (status, redirect location). Which route
//! produced it is shown but not compared: renaming a route changes no traffic.

use crate::config::{ProxyIdentity, ProxyKind};
use crate::lb::SplitMix64;
use crate::probe::Probe;
use crate::resources::Resources;
use crate::route::{route, Outcome, ReplyKind};
use crate::table::{Action, ClusterRef, PathMatch, Route, RouteMatch, RouteTable, StrMatch};
use crate::views;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};

#[cfg(test)]
mod tests;

/// The proxies a config implies: one gateway per distinct Gateway selector (in the Gateway's
/// namespace), one sidecar per namespace that has Services, Pods or mesh VirtualServices.
pub fn implied_proxies(sides: &[&Resources]) -> Vec<ProxyIdentity> {
    let mut gateways: BTreeSet<(String, BTreeMap<String, String>)> = BTreeSet::new();
    let mut sidecars: BTreeSet<String> = BTreeSet::new();
    for res in sides {
        for g in &res.gateways {
            gateways.insert((g.meta.namespace.clone(), g.spec.selector.clone()));
        }
        for s in &res.services {
            sidecars.insert(s.meta.namespace.clone());
        }
        for p in &res.pods {
            sidecars.insert(p.meta.namespace.clone());
        }
        for v in &res.virtual_services {
            let mesh = v.spec.gateways.is_empty() || v.spec.gateways.iter().any(|g| g == "mesh");
            if mesh && !v.spec.hosts.is_empty() {
                sidecars.insert(v.meta.namespace.clone());
            }
        }
    }
    // Istio's own namespace runs gateways, not application sidecars.
    sidecars.remove("istio-system");
    let mut out: Vec<ProxyIdentity> = gateways
        .into_iter()
        .map(|(namespace, labels)| ProxyIdentity {
            kind: ProxyKind::Gateway,
            namespace,
            labels,
        })
        .collect();
    out.extend(sidecars.into_iter().map(|namespace| ProxyIdentity {
        kind: ProxyKind::Sidecar,
        namespace,
        labels: BTreeMap::new(),
    }));
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    fn sign(self) -> &'static str {
        match self {
            Change::Added => "+",
            Change::Removed => "-",
            Change::Changed => "~",
        }
    }
}

/// One proxy-config row added, removed or changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowChange {
    /// `listeners`, `routes`, `clusters` or `endpoints`.
    pub table: &'static str,
    pub change: Change,
    /// What identifies the row (`outbound|8080|v2|web.default.svc.cluster.local`).
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// For a changed row: `field: before → after`, one per field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A cluster a probe is sent to, with its share of the route's weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Share {
    pub cluster: String,
    /// Percent of the route's weight, two decimals.
    pub percent: f64,
    /// The cluster does not exist (503 NC) or has no endpoints (503 UH).
    pub unavailable: bool,
}

/// What a probe gets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeOutcome {
    /// A local reply's status (404, a redirect, a direct response, an abort); none when sent
    /// on to clusters.
    pub status: Option<u16>,
    pub location: Option<String>,
    pub clusters: Vec<Share>,
    /// The path and authority sent upstream, when rewritten.
    pub path: Option<String>,
    pub authority: Option<String>,
    /// `route "api" of default/web` (shown, not compared).
    #[serde(skip)]
    pub via: String,
    /// Where that route was written (not compared).
    #[serde(skip)]
    pub origin: Option<crate::table::RouteOrigin>,
}

impl ProbeOutcome {
    fn same(&self, o: &ProbeOutcome) -> bool {
        (
            self.status,
            &self.location,
            &self.clusters,
            &self.path,
            &self.authority,
        ) == (o.status, &o.location, &o.clusters, &o.path, &o.authority)
    }

    /// One line: `forwarded to A 80%, B 20% (path /x)` or `local reply 301 to …`.
    pub fn describe(&self) -> String {
        let mut s = match self.status {
            Some(st) => match &self.location {
                Some(l) => format!("local reply {st} to {l}"),
                None => format!("local reply {st}"),
            },
            None => {
                let c: Vec<String> = self
                    .clusters
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {}%{}",
                            c.cluster,
                            c.percent,
                            if c.unavailable {
                                " (503: missing or no endpoints)"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect();
                format!("forwarded to {}", c.join(", "))
            }
        };
        if let Some(p) = &self.path {
            s.push_str(&format!(", path {p}"));
        }
        if let Some(a) = &self.authority {
            s.push_str(&format!(", authority {a}"));
        }
        if !self.via.is_empty() {
            s.push_str(&format!(" [{}]", self.via));
        }
        s
    }
}

/// A place in a YAML file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// A request that routes differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeChange {
    /// `GET http://web.example.com/api -H 'x-api: 1'`.
    pub request: String,
    /// The rule that now takes the request (or, when none does, the one that took it), as
    /// written: where a reviewer's annotation goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// Where the probe came from: `route "api" of default/web (new)`.
    pub from: String,
    pub before: ProbeOutcome,
    pub after: ProbeOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProxyDiff {
    pub proxy: ProxyIdentity,
    pub rows: Vec<RowChange>,
    pub requests: Vec<ProbeChange>,
    /// Probes that were sent (either side's match blocks, deduplicated).
    pub probes: usize,
    /// Match blocks no probe could be made for (a regex no simple string fits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unprobed: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Diff {
    pub proxies: Vec<ProxyDiff>,
}

impl Diff {
    /// Requests that route differently, over every proxy.
    pub fn changed_requests(&self) -> usize {
        self.proxies.iter().map(|p| p.requests.len()).sum()
    }
}

/// Diffs `before` and `after` for each of `proxies`; `extra` probes (e.g. test cases' requests)
/// are sent as well, per proxy.
pub fn diff(
    before: &Resources,
    after: &Resources,
    proxies: &[ProxyIdentity],
    extra: &[(ProxyIdentity, Probe)],
) -> Diff {
    let mut out = Diff::default();
    for p in proxies {
        let (old, _) = crate::compile::compile(before, p);
        let (new, _) = crate::compile::compile(after, p);
        let mut rows = Vec::new();
        rows_diff(
            &mut rows,
            "listeners",
            &views::listeners(&old),
            &views::listeners(&new),
            |r| r.name.clone(),
        );
        rows_diff(
            &mut rows,
            "routes",
            &views::routes(&old),
            &views::routes(&new),
            |r| {
                [
                    r.name.as_str(),
                    &r.vhost_name,
                    &r.match_,
                    &r.virtual_service,
                    r.route.as_deref().unwrap_or(""),
                ]
                .join(" ")
                .trim()
                .to_string()
            },
        );
        rows_diff(
            &mut rows,
            "clusters",
            &views::clusters(&old),
            &views::clusters(&new),
            |r| r.name.clone(),
        );
        rows_diff(
            &mut rows,
            "endpoints",
            &views::endpoints(&old),
            &views::endpoints(&new),
            |r| format!("{} {}", r.cluster, r.endpoint),
        );
        let mut probes: Vec<(Probe, String)> = Vec::new();
        let mut seen: HashSet<Probe> = HashSet::new();
        let mut unprobed = Vec::new();
        for (t, side) in [(&old, "before"), (&new, "after")] {
            for (probe, from) in route_probes(t, &mut unprobed, side) {
                if seen.insert(probe.clone()) {
                    probes.push((probe, from));
                }
            }
        }
        for (ep, probe) in extra {
            if ep == p && seen.insert(probe.clone()) {
                probes.push((probe.clone(), "a test case".into()));
            }
        }
        unprobed.sort();
        unprobed.dedup();
        let mut requests = Vec::new();
        for (probe, from) in &probes {
            let (mut b, rb) = outcome(&old, probe);
            let (mut a, ra) = outcome(&new, probe);
            if !b.same(&a) {
                // Only a changed probe says which route it took (most do not change).
                for (o, r) in [(&mut b, rb), (&mut a, ra)] {
                    o.via = r.map(route_label).unwrap_or_default();
                    o.origin = r.and_then(|r| r.origin.clone());
                }
                let location = rule_location(after, &a).or_else(|| rule_location(before, &b));
                requests.push(ProbeChange {
                    request: describe(probe),
                    location,
                    from: from.clone(),
                    before: b,
                    after: a,
                });
            }
        }
        out.proxies.push(ProxyDiff {
            proxy: p.clone(),
            rows,
            requests,
            probes: probes.len(),
            unprobed,
        });
    }
    out
}

/// Where the route of an outcome was written: its match block, else its rule.
fn rule_location(res: &Resources, o: &ProbeOutcome) -> Option<SourceLocation> {
    let origin = o.origin.as_ref()?;
    let (vs, path) = match (&origin.match_block, &origin.rule) {
        (Some((rp, mi)), _) => (
            &rp.virtual_service,
            format!("spec.http[{}].match[{mi}]", rp.rule),
        ),
        (None, Some(rp)) => (&rp.virtual_service, format!("spec.http[{}]", rp.rule)),
        (None, None) => return None,
    };
    let (file, line, column) = crate::coverage::locate(res, vs, &path)?;
    Some(SourceLocation { file, line, column })
}

/// Rows compared as typed values; only the rows that differ are turned into JSON.
fn rows_diff<T: Serialize + PartialEq>(
    out: &mut Vec<RowChange>,
    table: &'static str,
    old: &[T],
    new: &[T],
    key: impl Fn(&T) -> String,
) {
    let index = |rows: &'_ [T]| -> BTreeMap<String, usize> {
        rows.iter().enumerate().map(|(i, r)| (key(r), i)).collect()
    };
    let json = |r: &T| serde_json::to_value(r).unwrap_or_default();
    let (o, n) = (index(old), index(new));
    for (k, &i) in &o {
        match n.get(k) {
            None => out.push(RowChange {
                table,
                change: Change::Removed,
                key: k.clone(),
                before: Some(json(&old[i])),
                after: None,
                fields: Vec::new(),
            }),
            Some(&j) if new[j] != old[i] => {
                let (v, nv) = (json(&old[i]), json(&new[j]));
                let fields = match (&v, &nv) {
                    (Value::Object(a), Value::Object(b)) => a
                        .iter()
                        .filter(|(f, x)| b.get(*f) != Some(*x))
                        .map(|(f, x)| {
                            format!("{f}: {x} → {}", b.get(f).cloned().unwrap_or(Value::Null))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                out.push(RowChange {
                    table,
                    change: Change::Changed,
                    key: k.clone(),
                    before: Some(v),
                    after: Some(nv),
                    fields,
                });
            }
            Some(_) => {}
        }
    }
    for (k, &j) in &n {
        if !o.contains_key(k) {
            out.push(RowChange {
                table,
                change: Change::Added,
                key: k.clone(),
                before: None,
                after: Some(json(&new[j])),
                fields: Vec::new(),
            });
        }
    }
}

fn describe(p: &Probe) -> String {
    let mut s = p.describe();
    for (k, v) in &p.headers {
        s.push_str(&format!(" -H '{k}: {v}'"));
    }
    s
}

/// A string a regex source fully matches, when a simple one does: its literal prefix, then that
/// prefix followed by `x` or `/x`.
fn regex_example(src: &str) -> Option<String> {
    let re = regex::Regex::new(&format!("^(?:{src})$")).ok()?;
    let lit: String = src
        .trim_start_matches('^')
        .chars()
        .take_while(|c| !".*+?()[]{}|\\^$".contains(*c))
        .collect();
    [
        lit.clone(),
        format!("{lit}x"),
        format!("{lit}/x"),
        format!("{lit}/"),
    ]
    .into_iter()
    .find(|c| re.is_match(c))
}

fn str_example(m: &StrMatch) -> Option<String> {
    match m {
        StrMatch::Exact(e) => Some(e.clone()),
        StrMatch::Prefix(p) => Some(p.clone()),
        StrMatch::Regex(_, src) => regex_example(src),
        StrMatch::Present => Some("x".into()),
    }
}

/// A request the route's match block accepts, on `listener_port` and `host`.
fn probe_for(
    m: &RouteMatch,
    host: &str,
    listener_port: u32,
    sidecar: bool,
    filter_chain: &str,
) -> Option<Probe> {
    if m.never {
        return None;
    }
    let mut path = match &m.path {
        PathMatch::Prefix(p) if p.is_empty() => "/".to_string(),
        PathMatch::Prefix(p) | PathMatch::Exact(p) | PathMatch::PathSeparatedPrefix(p) => p.clone(),
        PathMatch::Regex(_, src) => regex_example(src)?,
    };
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let mut method = "GET".to_string();
    // A TLS filter chain's routes see https (Envoy sets :scheme from the connection).
    let mut scheme = if filter_chain.is_empty() {
        "http"
    } else {
        "https"
    }
    .to_string();
    let mut authority = if sidecar && listener_port != 80 {
        format!("{host}:{listener_port}")
    } else {
        host.to_string()
    };
    let mut headers = Vec::new();
    for h in &m.headers {
        if h.invert {
            continue;
        }
        let v = str_example(&h.matcher)?;
        match h.name.as_str() {
            ":method" => method = v,
            ":scheme" => scheme = v,
            ":authority" | "host" => authority = v,
            _ => headers.push((h.name.clone(), v)),
        }
    }
    let query: Vec<String> = m
        .query
        .iter()
        .map(|q| str_example(&q.matcher).map(|v| format!("{}={v}", q.name)))
        .collect::<Option<_>>()?;
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query.join("&"));
    }
    Some(Probe {
        listener_port,
        authority,
        path,
        method,
        scheme,
        headers,
        source_ip: None,
        filter_chain: filter_chain.to_string(),
    })
}

/// A host a virtual host's domains serve: the first without a wildcard, else the wildcard
/// filled in (`*.example.com` → `probe.example.com`).
fn vhost_host(domains: &[String]) -> String {
    let plain = |d: &String| !d.contains('*') && !d.contains(':');
    match domains.iter().find(|d| plain(d)) {
        Some(d) => d.clone(),
        None => domains.first().map_or("probe.invalid".into(), |d| {
            if d == "*" {
                "probe.invalid".into()
            } else {
                d.replace('*', "probe")
            }
        }),
    }
}

fn route_label(r: &Route) -> String {
    let name = if r.name.is_empty() {
        "(unnamed)"
    } else {
        r.name.as_str()
    };
    match &r.virtual_service {
        Some(vs) => format!("route {name:?} of {vs}"),
        None => format!("route {name:?}"),
    }
}

/// One probe per route match block of `t`.
fn route_probes(t: &RouteTable, unprobed: &mut Vec<String>, side: &str) -> Vec<(Probe, String)> {
    let sidecar = t.proxy.kind == ProxyKind::Sidecar;
    let mut out = Vec::new();
    // Every route configuration of a listener: the plaintext one and each HTTPS server's chain.
    let configs = t.listeners.iter().flat_map(|l| {
        let plain = (l.plaintext || l.filter_chains.is_empty()).then_some((l, l.route_config, ""));
        plain.into_iter().chain(
            l.filter_chains
                .iter()
                .map(move |c| (l, c.route_config, c.name.as_str())),
        )
    });
    for (l, rc, chain) in configs {
        let rc = &t.route_configs[rc];
        for vh in &rc.virtual_hosts {
            let host = vhost_host(&vh.domains);
            for r in &vh.routes {
                if r.virtual_service.is_none() {
                    continue; // default and allow_any routes: no match block of the user's
                }
                match probe_for(&r.matcher, &host, l.port, sidecar, chain) {
                    Some(p) => out.push((p, format!("{} ({side})", route_label(r)))),
                    None => unprobed.push(format!(
                        "{} on {} ({})",
                        route_label(r),
                        vh.name,
                        r.matcher.describe()
                    )),
                }
            }
        }
    }
    out
}

/// Routes `p` through `t` (a fixed seed: fault percentages draw the same on both sides); the
/// outcome without `via` and `origin`, and the route taken.
fn outcome<'t>(t: &'t RouteTable, p: &Probe) -> (ProbeOutcome, Option<&'t Route>) {
    let h = p.header_bytes();
    let req = p.request(&h);
    let d = route(t, &req, &mut SplitMix64(1), false);
    let r = crate::testcase::route_of(t, &d, p);
    let mut o = ProbeOutcome {
        status: None,
        location: None,
        clusters: Vec::new(),
        path: None,
        authority: None,
        via: String::new(),
        origin: None,
    };
    match &d.outcome {
        Outcome::Reply(rep)
            if !matches!(
                rep.kind,
                ReplyKind::ClusterNotFound | ReplyKind::NoHealthyUpstream
            ) =>
        {
            o.status = Some(rep.status);
            o.location = rep
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.clone());
            return (o, r);
        }
        Outcome::Forward(f) => {
            o.path = f.path.clone();
            o.authority = f.authority.clone();
        }
        Outcome::Reply(_) => {}
    }
    if let Some(Action::Forward(dests)) = r.map(|r| &r.action) {
        let total: u64 = dests
            .iter()
            .map(|d| u64::from(d.weight))
            .sum::<u64>()
            .max(1);
        for d in dests {
            let unavailable = match d.cluster {
                ClusterRef::Missing(_) => true,
                ClusterRef::Known(i) => t.clusters[i as usize].endpoints.is_empty(),
            };
            let pct = (u64::from(d.weight) * 10_000 / total) as f64 / 100.0;
            o.clusters.push(Share {
                cluster: d.cluster_name.clone(),
                percent: pct,
                unavailable,
            });
        }
    }
    (o, r)
}

/// The text report: per proxy, the rows that changed and the requests that route differently.
pub fn render(d: &Diff) -> String {
    let mut out = String::new();
    for p in &d.proxies {
        if p.rows.is_empty() && p.requests.is_empty() {
            continue;
        }
        out.push_str(&format!("proxy {}\n", p.proxy.describe()));
        for r in &p.rows {
            out.push_str(&format!("  {} {} {}\n", r.change.sign(), r.table, r.key));
            for f in &r.fields {
                out.push_str(&format!("      {f}\n"));
            }
        }
        if !p.requests.is_empty() {
            out.push_str("  requests that route differently:\n");
            for c in &p.requests {
                out.push_str(&format!("    {}   (probe of {})\n", c.request, c.from));
                out.push_str(&format!("      before: {}\n", c.before.describe()));
                out.push_str(&format!("      after:  {}\n", c.after.describe()));
            }
        }
        for u in &p.unprobed {
            out.push_str(&format!("  not probed: {u}\n"));
        }
    }
    let n = d.changed_requests();
    out.push_str(&match n {
        0 => "no request routes differently\n".to_string(),
        1 => "1 request routes differently\n".to_string(),
        n => format!("{n} requests route differently\n"),
    });
    out
}

/// Markdown for a pull-request comment: a table of changed requests per proxy, then the rows.
pub fn render_markdown(d: &Diff) -> String {
    let esc = |s: &str| s.replace('|', "\\|");
    let n = d.changed_requests();
    let mut out = format!(
        "### meshroute diff: {}\n\n",
        match n {
            0 => "no request routes differently".to_string(),
            1 => "1 request routes differently".to_string(),
            n => format!("{n} requests route differently"),
        }
    );
    for p in &d.proxies {
        if p.rows.is_empty() && p.requests.is_empty() {
            continue;
        }
        out.push_str(&format!("#### {}\n\n", esc(&p.proxy.describe())));
        if !p.requests.is_empty() {
            out.push_str("| request | before | after |\n| --- | --- | --- |\n");
            for c in &p.requests {
                out.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    esc(&c.request),
                    esc(&c.before.describe()),
                    esc(&c.after.describe())
                ));
            }
            out.push('\n');
        }
        if !p.rows.is_empty() {
            out.push_str("| | table | row | fields |\n| --- | --- | --- | --- |\n");
            for r in &p.rows {
                out.push_str(&format!(
                    "| {} | {} | `{}` | {} |\n",
                    r.change.sign(),
                    r.table,
                    esc(&r.key),
                    esc(&r.fields.join("; "))
                ));
            }
            out.push('\n');
        }
    }
    out
}

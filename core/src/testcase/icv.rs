//! istio-config-validator's test cases, run as its users run them: on VirtualService files
//! alone. Its tool finds the first VirtualService listing the authority, then the first rule
//! whose match fits, and compares that rule's `route` (and `rewrite`, `redirect`, `fault`,
//! `headers`, `delegate`) with the case; `wantMatch` says whether they must be equal.
//!
//! meshroute routes each request through a real sidecar table instead (so query, port, scheme
//! and header matches, delegates and merging are Istio's), then compares the fields of the rule
//! the request took **as written**:
//! - the view is a sidecar (in the VirtualServices' namespace when they share one, else
//!   `default`) that sees every VirtualService: `gateways` (and `match.gateways`) are set
//!   aside, since istio-config-validator ignores them (meshroute's own `tests:` format does
//!   not: there a gateway-bound VirtualService is tested on its gateway);
//! - a request without a port is tried on port 80, then on every other port the sidecar
//!   listens on, until a VirtualService routes it (istio-config-validator ignores ports);
//! - destinations compare by host (as written, or both resolved with the VirtualService's
//!   namespace), port and subset, and by weight and headers when the case gives them; no
//!   Service, Pod or DestinationRule is needed, and none of the registry's findings is
//!   reported.

use super::assert::{observe, record, route_of};
use super::*;
use crate::host;
use crate::lb::SplitMix64;
use crate::model::istio::HttpRoute;
use crate::probe::{parse_url, Probe};
use crate::route::route;
use crate::table::RulePath;

/// The sidecar view of the input that the cases run on.
pub(super) struct View {
    res: Resources,
    table: RouteTable,
}

impl View {
    pub(super) fn build(res: &Resources) -> View {
        let mut res = res.clone();
        for vs in &mut res.virtual_services {
            vs.spec.gateways.clear();
            for r in &mut vs.spec.http {
                for m in &mut r.matches {
                    m.gateways.clear();
                }
            }
        }
        let mut namespaces: Vec<&str> = res
            .virtual_services
            .iter()
            .filter(|v| !v.spec.hosts.is_empty())
            .map(|v| v.meta.namespace.as_str())
            .collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let ns = match namespaces.as_slice() {
            [one] => one.to_string(),
            _ => "default".to_string(),
        };
        let proxy = ProxyIdentity {
            kind: ProxyKind::Sidecar,
            namespace: ns,
            labels: BTreeMap::new(),
        };
        let (table, _) = crate::compile::compile(&res, &proxy);
        View { res, table }
    }

    fn rule(&self, p: &RulePath) -> Option<(&str, &HttpRoute)> {
        let vs = self
            .res
            .virtual_services
            .iter()
            .find(|v| format!("{}/{}", v.meta.namespace, v.meta.name) == p.virtual_service)?;
        Some((vs.meta.namespace.as_str(), vs.spec.http.get(p.rule)?))
    }
}

/// Every combination of the request's lists, as URLs (authority × method × uri, in that order).
fn unfold(r: &IcvRequest) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in &r.authority {
        for m in &r.method {
            for u in &r.uri {
                let path = if u.starts_with('/') {
                    u.clone()
                } else {
                    format!("/{u}")
                };
                out.push((format!("http://{a}{path}"), m.clone()));
            }
        }
    }
    out
}

fn same_destination(ns: &str, want: &HttpRouteDestination, got: &HttpRouteDestination) -> bool {
    let (w, g) = (
        want.destination.clone().unwrap_or_default(),
        got.destination.clone().unwrap_or_default(),
    );
    let host_ok = match (&w.host, &g.host) {
        (Some(a), Some(b)) => {
            a == b || host::resolve_short_name(a, ns) == host::resolve_short_name(b, ns)
        }
        (a, b) => a == b,
    };
    let port = |d: &crate::model::istio::Destination| d.port.as_ref().and_then(|p| p.number);
    host_ok
        && port(&w) == port(&g)
        && w.subset == g.subset
        && (want.weight.is_none() || want.weight == got.weight)
        && (want.headers.is_none() || want.headers == got.headers)
}

/// Compact JSON without the unset (null) fields.
fn json<T: Serialize>(v: &T) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(v).unwrap_or_default();
    strip(&mut v);
    v.to_string()
}

/// The comparisons of one request: (field, expected, actual, equal).
fn compare(
    t: &IcvCase,
    taken: Option<(&str, &HttpRoute)>,
    root: Option<&HttpRoute>,
) -> Vec<(&'static str, String, String, bool)> {
    let mut out = Vec::new();
    let none = "no route matched".to_string();
    let rule = taken.map(|(_, r)| r);
    if !t.route.is_empty() {
        let got = rule.map(|r| r.route.as_slice()).unwrap_or_default();
        let ns = taken.map_or("default", |(ns, _)| ns);
        let eq = rule.is_some()
            && got.len() == t.route.len()
            && t.route
                .iter()
                .zip(got)
                .all(|(w, g)| same_destination(ns, w, g));
        let actual = rule.map_or(none.clone(), |_| json(&got));
        out.push(("route", json(&t.route), actual, eq));
    }
    macro_rules! field {
        ($name:literal, $f:ident, $from:expr) => {
            if let Some(want) = &t.$f {
                let got = $from.and_then(|r: &HttpRoute| r.$f.as_ref());
                let actual = match ($from, got) {
                    (None, _) => none.clone(),
                    (Some(_), None) => "none".to_string(),
                    (Some(_), Some(g)) => json(g),
                };
                out.push(($name, json(want), actual, got == Some(want)));
            }
        };
    }
    field!("rewrite", rewrite, rule);
    field!("redirect", redirect, rule);
    field!("fault", fault, rule);
    field!("headers", headers, rule);
    field!("delegate", delegate, root.or(rule));
    out
}

pub(super) fn run_icv(case: &Case, t: &IcvCase, view: &View, hits: &mut Hits) -> CaseResult {
    let mut result = CaseResult::new(case, "istio-config-validator");
    let want_match = t.want_match.or(t.is_match).unwrap_or(false);
    let Some(req) = &t.request else {
        return result.errored("the case has no request".into());
    };
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    let table = &view.table;
    for (url_text, method) in unfold(req) {
        let url = match parse_url(&url_text) {
            Ok(u) => u,
            Err(e) => return result.errored(e),
        };
        // Tried on the URL's port, else 80 and then every other port the sidecar serves.
        let mut ports = vec![url.port.unwrap_or(80)];
        if url.port.is_none() {
            ports.extend(table.listeners.iter().map(|l| l.port).filter(|p| *p != 80));
        }
        let mut chosen = None;
        for port in ports {
            let mut u = url.clone();
            if u.port.is_none() && port != 80 {
                u.authority = format!("{}:{port}", u.authority);
            }
            let probe = Probe::new(&u, port, &method, &headers, None);
            let h = probe.header_bytes();
            let d = route(table, &probe.request(&h), &mut SplitMix64(1), true);
            let o = observe(table, &d, &probe);
            let origin = route_of(table, &d, &probe).and_then(|r| r.origin.clone());
            let routed = origin.as_ref().is_some_and(|o| o.rule.is_some());
            record(hits, table, &d, &probe, &o);
            if chosen.is_none() || routed {
                chosen = Some((probe, o, origin));
            }
            if routed {
                break;
            }
        }
        let Some((probe, o, origin)) = chosen else {
            continue;
        };
        result.requests.push(probe.describe());
        let taken = origin
            .as_ref()
            .and_then(|o| o.rule.as_ref())
            .and_then(|p| view.rule(p));
        let root = origin
            .as_ref()
            .and_then(|o| o.delegated_from.as_ref())
            .and_then(|p| view.rule(p))
            .map(|(_, r)| r);
        let cmp = compare(t, taken, root);
        let matched = if cmp.is_empty() {
            taken.is_some()
        } else {
            cmp.iter().all(|c| c.3)
        };
        if matched != want_match && result.passed {
            result.passed = false;
            for (field, want, got, eq) in cmp {
                if eq != want_match {
                    result.failures.push(Failure {
                        assertion: if want_match {
                            field.to_string()
                        } else {
                            format!("not {field}")
                        },
                        expected: if want_match {
                            want
                        } else {
                            format!("not {want}")
                        },
                        actual: got,
                    });
                }
            }
            if result.failures.is_empty() {
                result.failures.push(Failure {
                    assertion: "wantMatch".into(),
                    expected: if want_match {
                        "a VirtualService route".into()
                    } else {
                        "no VirtualService route".into()
                    },
                    actual: o.summary(),
                });
            }
            result.happened = o.summary();
            result.trace = o.trace.clone();
            // Keep the failing request first in the list, as the report shows the first.
            let failing = result.requests.pop().unwrap_or_default();
            result.requests.insert(0, failing);
        }
    }
    if result.passed {
        result.happened = format!("{} request(s) as expected", result.requests.len());
    }
    result
}

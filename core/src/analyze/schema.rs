//! The analysis part of Istio's VirtualService validation, reported by the
//! `schema.ValidationAnalyzer.VirtualService` analyzer as its own codes
//! (Istio: pkg/config/validation/validation.go — `analyzeUnreachableHTTPRules`,
//! `analyzeUnreachableTCPRules`, `analyzeUnreachableTLSRules`, `genMatchHTTPRoutes`,
//! `coveredValidation`).
//!
//! - IST0130: a rule can never be used — a rule without matches came before it, or every one of
//!   its matches already appeared in an earlier rule.
//! - IST0131: one match of a rule is identical to an earlier match (ignoring its `name`), or an
//!   earlier URI-prefix match covers it.
//!
//! The schema errors and warnings themselves (IST0106, IST0133) belong to `crate::validate`.

use crate::analyze::msg;
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use crate::model::istio::{HttpMatchRequest, HttpRoute, StringMatch, VirtualService};
use crate::resources::Object;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const ANALYZER: Analyzer = Analyzer {
    name: "schema.ValidationAnalyzer.VirtualService",
    codes: &["IST0130", "IST0131"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for vs in &ctx.res.virtual_services {
        let mut r = Reporter { ctx, vs, out };
        let http: Vec<(Option<&str>, Vec<String>)> = vs
            .spec
            .http
            .iter()
            .map(|h| {
                (
                    h.name.as_deref().filter(|n| !n.is_empty()),
                    h.matches.iter().map(http_match_key).collect(),
                )
            })
            .collect();
        let covered = unreachable_rules("http", &http, &mut r, &vs.spec.http);
        overlapping_prefixes(&vs.spec.http, &covered, &mut r);
        let tcp: Vec<(Option<&str>, Vec<String>)> = vs
            .spec
            .tcp
            .iter()
            .map(|t| {
                (
                    None,
                    t.matches
                        .iter()
                        .map(|m| {
                            let mut m = m.clone();
                            normalize_opt_i64(&mut m.port);
                            normalize_opt_str(&mut m.source_subnet);
                            normalize_opt_str(&mut m.source_namespace);
                            key(&m)
                        })
                        .collect(),
                )
            })
            .collect();
        unreachable_rules("tcp", &tcp, &mut r, &[]);
        let tls: Vec<(Option<&str>, Vec<String>)> = vs
            .spec
            .tls
            .iter()
            .map(|t| {
                (
                    None,
                    t.matches
                        .iter()
                        .map(|m| {
                            let mut m = m.clone();
                            normalize_opt_i64(&mut m.port);
                            normalize_opt_str(&mut m.source_namespace);
                            key(&m)
                        })
                        .collect(),
                )
            })
            .collect();
        unreachable_rules("tls", &tls, &mut r, &[]);
    }
}

struct Reporter<'a, 'b> {
    ctx: &'a Ctx<'a>,
    vs: &'a Object<VirtualService>,
    out: &'b mut Vec<Diagnostic>,
}

impl Reporter<'_, '_> {
    fn unreachable(&mut self, path: String, ruleno: &str, reason: &str) {
        let m = msg::VIRTUAL_SERVICE_UNREACHABLE_RULE;
        self.out.push(self.ctx.res.diag(
            self.vs,
            m.code,
            m.severity,
            &path,
            msg::virtual_service_unreachable_rule(ruleno, reason),
        ));
    }
    fn ineffective(&mut self, path: String, ruleno: &str, matchno: &str, dupno: &str) {
        let m = msg::VIRTUAL_SERVICE_INEFFECTIVE_MATCH;
        self.out.push(self.ctx.res.diag(
            self.vs,
            m.code,
            m.severity,
            &path,
            msg::virtual_service_ineffective_match(ruleno, matchno, dupno),
        ));
    }
}

/// `routeName`: `"name"` for a named HTTP route, else `#n`.
fn route_name(name: Option<&str>, n: usize) -> String {
    match name {
        Some(name) => msg::q(name),
        None => format!("#{n}"),
    }
}

/// `requestName`: `"name"` for a named HTTP match, else `#n`.
fn request_name(m: Option<&HttpMatchRequest>, n: usize) -> String {
    match m.and_then(|m| m.name.as_deref()).filter(|s| !s.is_empty()) {
        Some(name) => msg::q(name),
        None => format!("#{n}"),
    }
}

/// The shared loop of the three `analyzeUnreachable*Rules`. `rules` holds each rule's name and
/// the comparison keys of its matches (Istio compares `asJSON(match)`). Returns, for HTTP, the
/// `(rule, match)` pairs that were first occurrences (the input of the overlap check).
fn unreachable_rules(
    kind: &str,
    rules: &[(Option<&str>, Vec<String>)],
    r: &mut Reporter,
    http: &[HttpRoute],
) -> Vec<(usize, usize)> {
    let mut encountered: HashMap<&str, usize> = HashMap::new();
    let mut empty_match: Option<usize> = None;
    let mut first_occurrences = Vec::new();
    for (rulen, (name, matches)) in rules.iter().enumerate() {
        let rule_path = format!("spec.{kind}[{rulen}]");
        if matches.is_empty() {
            if empty_match.is_some() {
                r.unreachable(
                    rule_path,
                    &route_name(*name, rulen),
                    "only the last rule can have no matches",
                );
            }
            empty_match = Some(rulen);
            continue;
        }
        let mut duplicates = 0;
        for (matchn, k) in matches.iter().enumerate() {
            let match_path = format!("spec.{kind}[{rulen}].match[{matchn}]");
            if empty_match.is_some() {
                r.unreachable(
                    match_path,
                    &route_name(*name, rulen),
                    "route without matches defined before",
                );
                continue;
            }
            if let Some(&dupn) = encountered.get(k.as_str()) {
                let http_match = http.get(rulen).and_then(|h| h.matches.get(matchn));
                let matchno = if kind == "http" {
                    request_name(http_match, matchn)
                } else {
                    format!("#{matchn}")
                };
                r.ineffective(
                    match_path,
                    &route_name(*name, rulen),
                    &matchno,
                    &route_name(rules[dupn].0, dupn),
                );
                duplicates += 1;
                continue;
            }
            encountered.insert(k.as_str(), rulen);
            first_occurrences.push((rulen, matchn));
        }
        if duplicates == matches.len() {
            r.unreachable(
                rule_path,
                &route_name(*name, rulen),
                "all matches used by prior rules",
            );
        }
    }
    first_occurrences
}

/// `OverlappingMatchValidationForHTTPRoute`: what Istio compares for URI-prefix matches.
struct PrefixMatch {
    rulen: usize,
    matchn: usize,
    route: String,
    matchstr: String,
    prefix: String,
    port: i64,
    method: String,
    authority: String,
    headers: BTreeMap<String, String>,
    query_params: BTreeMap<String, String>,
    without_headers: BTreeMap<String, String>,
}

/// `assignExactOrPrefix`.
fn exact_or_prefix(m: Option<&StringMatch>) -> String {
    let exact = m.and_then(|m| m.exact.as_deref()).unwrap_or("");
    let prefix = m.and_then(|m| m.prefix.as_deref()).unwrap_or("");
    if !exact.is_empty() {
        format!("exact:{exact}")
    } else if !prefix.is_empty() {
        format!("prefix:{prefix}")
    } else {
        String::new()
    }
}

/// `genMatchHTTPRoutes`: only matches with a non-empty URI prefix take part.
fn prefix_match(
    route: &HttpRoute,
    m: &HttpMatchRequest,
    rulen: usize,
    matchn: usize,
) -> Option<PrefixMatch> {
    let prefix = m.uri.as_ref()?.prefix.as_deref().unwrap_or("");
    if prefix.is_empty() {
        return None;
    }
    let mut method = exact_or_prefix(m.method.as_ref());
    if method.is_empty() {
        // "if no method information, it should be GET by default"
        method = "exact:GET".to_string();
    }
    let map = |h: &BTreeMap<String, StringMatch>| {
        h.iter()
            .map(|(k, v)| (k.clone(), exact_or_prefix(Some(v))))
            .collect::<BTreeMap<_, _>>()
    };
    Some(PrefixMatch {
        rulen,
        matchn,
        route: route_name(route.name.as_deref().filter(|n| !n.is_empty()), rulen),
        matchstr: request_name(Some(m), matchn),
        prefix: prefix.to_string(),
        port: m.port.unwrap_or(0),
        method,
        authority: exact_or_prefix(m.authority.as_ref()),
        headers: map(&m.headers),
        query_params: map(&m.query_params),
        without_headers: map(&m.without_headers),
    })
}

/// `coveredValidation`: whether the earlier match `a` covers the later match `b`.
fn covered(a: &PrefixMatch, b: &PrefixMatch) -> bool {
    if !b.prefix.starts_with(&a.prefix) || a.port != b.port {
        return false;
    }
    // Istio compares the differing strings this way round (a's value starting with b's).
    let field_ok = |x: &str, y: &str| x == y || x.starts_with(y);
    if !field_ok(&a.method, &b.method) || !field_ok(&a.authority, &b.authority) {
        return false;
    }
    let maps_ok = |x: &BTreeMap<String, String>, y: &BTreeMap<String, String>| {
        x.len() == y.len()
            && x.iter()
                .all(|(k, v)| y.get(k).is_some_and(|w| field_ok(v, w)))
    };
    maps_ok(&a.headers, &b.headers)
        && maps_ok(&a.query_params, &b.query_params)
        && maps_ok(&a.without_headers, &b.without_headers)
}

/// The overlap part of `analyzeUnreachableHTTPRules`.
fn overlapping_prefixes(http: &[HttpRoute], first: &[(usize, usize)], r: &mut Reporter) {
    let list: Vec<PrefixMatch> = first
        .iter()
        .filter_map(|&(rulen, matchn)| {
            let route = http.get(rulen)?;
            prefix_match(route, route.matches.get(matchn)?, rulen, matchn)
        })
        .collect();
    if list.len() < 2 {
        return;
    }
    for (i, a) in list.iter().enumerate() {
        for b in &list[i + 1..] {
            if a.prefix == b.prefix {
                continue;
            }
            if covered(a, b) {
                r.ineffective(
                    format!("spec.http[{}].match[{}]", b.rulen, b.matchn),
                    &b.route,
                    &format!("{} of prefix {}", b.matchstr, b.prefix),
                    &format!("{} of prefix {} on {}", a.matchstr, a.prefix, a.route),
                );
            }
        }
    }
}

/// Comparison key of an HTTP match: every field but `name` (Istio: `asJSON`, which clears the
/// name), with protobuf zero values treated as unset.
fn http_match_key(m: &HttpMatchRequest) -> String {
    let mut m = m.clone();
    m.name = None;
    normalize_opt_i64(&mut m.port);
    normalize_opt_str(&mut m.source_namespace);
    normalize_opt_str(&mut m.stat_prefix);
    if m.ignore_uri_case == Some(false) {
        m.ignore_uri_case = None;
    }
    key(&m)
}

fn normalize_opt_i64(v: &mut Option<i64>) {
    if *v == Some(0) {
        *v = None;
    }
}

fn normalize_opt_str(v: &mut Option<String>) {
    if v.as_deref() == Some("") {
        *v = None;
    }
}

fn key<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

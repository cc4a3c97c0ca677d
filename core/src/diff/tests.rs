//! Config pairs with one known change each; the diff reports exactly the requests it changes.

use super::*;
use crate::testing::{load_ok as res, WEB_GATEWAY};

/// The gateway fixture with a VirtualService: `/api` to v2, the rest split 90/10.
fn base() -> String {
    format!("{WEB_GATEWAY}{VS}")
}

const VS: &str = r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web.example.com, shop.example.com]
  gateways: [istio-system/gw]
  http:
  - name: api
    match: [{uri: {prefix: /api}}]
    route: [{destination: {host: web, subset: v2}}]
  - name: split
    route:
    - {destination: {host: web, subset: v1}, weight: 90}
    - {destination: {host: web, subset: v2}, weight: 10}
"#;

const V1: &str = "outbound|8080|v1|web.default.svc.cluster.local";
const V2: &str = "outbound|8080|v2|web.default.svc.cluster.local";

/// BASE against BASE with each `(from, to)` replaced, for every proxy either implies.
fn changed(edits: &[(&str, &str)]) -> Diff {
    let base = base();
    let mut after = base.clone();
    for (from, to) in edits {
        assert!(after.contains(from), "{from}");
        after = after.replace(from, to);
    }
    let (a, b) = (res(&base), res(&after));
    diff(&a, &b, &implied_proxies(&[&a, &b]), &[])
}

/// (request, before, after) of every changed request, over all proxies.
fn requests(d: &Diff) -> Vec<(String, String, String)> {
    d.proxies
        .iter()
        .flat_map(|p| &p.requests)
        .map(|c| (c.request.clone(), c.before.describe(), c.after.describe()))
        .collect()
}

fn t(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn the_proxies_a_config_implies_are_its_gateways_and_its_namespaces_sidecars() {
    let p = implied_proxies(&[&res(&base())]);
    let d: Vec<String> = p.iter().map(ProxyIdentity::describe).collect();
    assert_eq!(
        d,
        [
            "gateway in namespace istio-system {istio=ingressgateway}",
            "sidecar in namespace default {}"
        ]
    );
}

#[test]
fn no_change_routes_no_request_differently() {
    let d = changed(&[]);
    assert_eq!(d.changed_requests(), 0);
    assert!(d.proxies.iter().all(|p| p.rows.is_empty()));
    assert!(render(&d).ends_with("no request routes differently\n"));
}

#[test]
fn a_weight_change_reports_the_request_of_that_route_only() {
    let d = changed(&[
        ("weight: 90}", "weight: 80}"),
        ("weight: 10}", "weight: 20}"),
    ]);
    assert_eq!(
        requests(&d),
        [t(
            "GET http://web.example.com/",
            &format!("forwarded to {V1} 90%, {V2} 10% [route \"split\" of default/web]"),
            &format!("forwarded to {V1} 80%, {V2} 20% [route \"split\" of default/web]"),
        )]
    );
    let rows: Vec<String> = d.proxies[0]
        .rows
        .iter()
        .map(|r| format!("{} {} {}", r.change.sign(), r.table, r.key))
        .collect();
    assert_eq!(
        rows,
        ["~ routes http.8080 web.example.com:80 /* web.default split"]
    );
    assert_eq!(d.changed_requests(), 1);
}

#[test]
fn a_new_match_block_ahead_of_an_old_one_reports_the_requests_it_takes() {
    let d = changed(&[(
        "  - name: api\n",
        "  - name: beta\n    match: [{uri: {prefix: /api/beta}}]\n    route: [{destination: {host: web, subset: v1}}]\n  - name: api\n",
    )]);
    assert_eq!(
        requests(&d),
        [t(
            "GET http://web.example.com/api/beta",
            &format!("forwarded to {V2} 100% [route \"api\" of default/web]"),
            &format!("forwarded to {V1} 100% [route \"beta\" of default/web]"),
        )]
    );
}

#[test]
fn a_removed_subset_reports_every_request_sent_to_it() {
    let d = changed(&[("  - {name: v2, labels: {version: v2}}\n", "")]);
    let unavailable = " (503: missing or no endpoints)";
    assert_eq!(
        requests(&d),
        [
            t(
                "GET http://web.example.com/api",
                &format!("forwarded to {V2} 100% [route \"api\" of default/web]"),
                &format!("forwarded to {V2} 100%{unavailable} [route \"api\" of default/web]"),
            ),
            t(
                "GET http://web.example.com/",
                &format!("forwarded to {V1} 90%, {V2} 10% [route \"split\" of default/web]"),
                &format!(
                    "forwarded to {V1} 90%, {V2} 10%{unavailable} [route \"split\" of default/web]"
                ),
            ),
        ]
    );
    let removed: Vec<String> = d
        .proxies
        .iter()
        .flat_map(|p| &p.rows)
        .filter(|r| r.change == Change::Removed)
        .map(|r| format!("{} {}", r.table, r.key))
        .collect();
    assert!(removed.contains(&format!("clusters {V2}")), "{removed:?}");
    assert!(
        removed.contains(&format!("endpoints {V2} 10.0.0.2:8080")),
        "{removed:?}"
    );
}

#[test]
fn a_gateway_host_added_reports_the_requests_for_that_host() {
    let d = changed(&[(
        "    hosts: [web.example.com]\n",
        "    hosts: [web.example.com, shop.example.com]\n",
    )]);
    assert_eq!(
        requests(&d),
        [
            t(
                "GET http://shop.example.com/api",
                "local reply 404",
                &format!("forwarded to {V2} 100% [route \"api\" of default/web]"),
            ),
            t(
                "GET http://shop.example.com/",
                "local reply 404",
                &format!("forwarded to {V1} 90%, {V2} 10% [route \"split\" of default/web]"),
            ),
        ]
    );
    let md = render_markdown(&d);
    assert!(
        md.starts_with("### meshroute diff: 2 requests route differently\n"),
        "{md}"
    );
    assert!(
        md.contains("| `GET http://shop.example.com/api` | local reply 404 | forwarded to"),
        "{md}"
    );
}

#[test]
fn a_changed_request_points_at_the_rule_that_now_takes_it() {
    let d = changed(&[(
        "  - name: api\n",
        "  - name: beta\n    match: [{uri: {prefix: /api/beta}}]\n    route: [{destination: {host: web, subset: v1}}]\n  - name: api\n",
    )]);
    let loc = d.proxies[0].requests[0].location.clone();
    assert_eq!(
        loc,
        Some(SourceLocation {
            file: "config.yaml".into(),
            line: 52,
            column: 13
        })
    );
}

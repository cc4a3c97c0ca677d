use super::delegate::{merge_http_matches, string_match_conflict};
use super::route::go_to_rust_replacement;
use super::virtual_service::vs_visibility_group;
use super::*;
use crate::resources::{load, LoadOptions};

fn table(proxy: &ProxyIdentity, yaml: &str) -> RouteTable {
    let (res, diags) = load(&[("t.yaml", yaml)], &LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    compile(&res, proxy).0
}

fn route_names(t: &RouteTable, port: u32, host: &str) -> Vec<String> {
    let l = t.listener(port).expect("listener");
    let rc = &t.route_configs[l.route_config];
    let vh = rc.find_virtual_host(host).expect("vhost");
    rc.virtual_hosts[vh]
        .routes
        .iter()
        .map(|r| r.name.clone())
        .collect()
}

fn sm(exact: Option<&str>, prefix: Option<&str>, regex: Option<&str>) -> StringMatch {
    StringMatch {
        exact: exact.map(str::to_string),
        prefix: prefix.map(str::to_string),
        regex: regex.map(str::to_string),
    }
}

#[test]
fn catch_all_routes_move_last_on_gateways() {
    let t = table(
        &ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]),
        r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [x.com]
  gateways: [istio-system/gw]
  http:
  - {name: a-all, match: [{uri: {prefix: /}}], directResponse: {status: 200}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [x.com]
  gateways: [istio-system/gw]
  http:
  - {name: b-api, match: [{uri: {prefix: /api}}], directResponse: {status: 200}}
  - {name: b-regex-all, match: [{uri: {regex: ".*"}}], directResponse: {status: 200}}
  - {name: b-unreachable, match: [{uri: {prefix: /x}}], directResponse: {status: 200}}
"#,
    );
    assert_eq!(
        route_names(&t, 80, "x.com"),
        ["b-api", "a-all", "b-regex-all"],
        "specific routes first, catch-alls in VS order, nothing after a catch-all"
    );
}

#[test]
fn oldest_virtual_service_wins_on_sidecar() {
    let t = table(
        &ProxyIdentity::sidecar("default", &[]),
        r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: newer, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [web]
  http: [{name: newer, directResponse: {status: 200}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: older, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [web]
  http: [{name: older, directResponse: {status: 200}}]
"#,
    );
    assert_eq!(
        route_names(&t, 80, "web"),
        ["older"],
        "no merging on sidecars"
    );
}

#[test]
fn zero_weight_destinations_are_dropped_when_several() {
    let t = table(
        &ProxyIdentity::sidecar("default", &[]),
        r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /several}}]
    route:
    - {destination: {host: a}, weight: 0}
    - {destination: {host: b}, weight: 3}
    - {destination: {host: c}, weight: 1}
  - route: [{destination: {host: a}, weight: 0}]
"#,
    );
    let rc = &t.route_configs[t.listener(80).unwrap().route_config];
    let vh = &rc.virtual_hosts[rc.find_virtual_host("web").unwrap()];
    let weights = |i: usize| match &vh.routes[i].action {
        Action::Forward(d) => d
            .iter()
            .map(|d| (d.cluster_name.clone(), d.weight))
            .collect::<Vec<_>>(),
        a => panic!("{a:?}"),
    };
    assert_eq!(
        weights(0),
        [
            ("outbound|80||b.default.svc.cluster.local".to_string(), 3),
            ("outbound|80||c.default.svc.cluster.local".to_string(), 1)
        ]
    );
    // A single destination keeps all traffic whatever its weight.
    assert_eq!(
        weights(1),
        [("outbound|80||a.default.svc.cluster.local".to_string(), 100)]
    );
}

#[test]
fn delegate_matches_conflict_like_string_match_conflict() {
    // (root, leaf, conflict) — virtualservice.go stringMatchConflict.
    let cases = [
        (None, Some(sm(None, Some("/a"), None)), false),
        (
            Some(sm(Some("/a"), None, None)),
            Some(sm(Some("/a"), None, None)),
            false,
        ),
        (
            Some(sm(Some("/a"), None, None)),
            Some(sm(Some("/b"), None, None)),
            true,
        ),
        (
            Some(sm(Some("/a"), None, None)),
            Some(sm(None, Some("/a"), None)),
            true,
        ),
        (
            Some(sm(None, Some("/a"), None)),
            Some(sm(None, Some("/a/b"), None)),
            false,
        ),
        (
            Some(sm(None, Some("/a/b"), None)),
            Some(sm(None, Some("/a"), None)),
            true,
        ),
        (
            Some(sm(None, Some("/a"), None)),
            Some(sm(Some("/a/x"), None, None)),
            false,
        ),
        (
            Some(sm(None, Some("/a"), None)),
            Some(sm(None, None, Some(".*"))),
            true,
        ),
        (
            Some(sm(None, None, Some(".*"))),
            Some(sm(None, Some("/a"), None)),
            true,
        ),
        (
            Some(sm(None, None, None)),
            Some(sm(Some("/a"), None, None)),
            true,
        ),
    ];
    for (root, leaf, want) in cases {
        assert_eq!(
            string_match_conflict(root.as_ref(), leaf.as_ref()),
            want,
            "root {root:?} leaf {leaf:?}"
        );
    }
}

#[test]
fn one_conflicting_delegate_match_drops_the_delegate_route() {
    let m = |p: &str| HttpMatchRequest {
        uri: Some(sm(None, Some(p), None)),
        ..Default::default()
    };
    let root = [m("/a")];
    assert!(merge_http_matches(&root, &[m("/a/1"), m("/b")]).is_none());
    let merged = merge_http_matches(&[m("/a"), m("/a/1")], &[m("/a/1")]).unwrap();
    assert_eq!(
        merged.len(),
        2,
        "one merged match per compatible root match"
    );
}

#[test]
fn virtual_service_visibility_groups_private_exported_public() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cases: [(&[&str], &str, &str, Option<u8>); 8] = [
        (&[], "a", "b", Some(2)),
        (&["*"], "a", "b", Some(2)),
        (&[".", "*"], "a", "a", Some(2)),
        (&["."], "a", "a", Some(0)),
        (&["a"], "a", "a", Some(0)),
        (&["b"], "a", "b", Some(1)),
        (&["."], "a", "b", None),
        (&["~"], "a", "a", None),
    ];
    for (export, vs_ns, proxy_ns, want) in cases {
        assert_eq!(
            vs_visibility_group(&s(export), vs_ns, proxy_ns),
            want,
            "{export:?} {vs_ns} {proxy_ns}"
        );
    }
}

#[test]
fn regex_rewrite_substitutions_are_re2() {
    for (istio, rust) in [
        (r"\2/instance/\1", "${2}/instance/${1}"),
        ("$1", "$$1"),
        (r"a\\b", r"a\b"),
        ("/plain", "/plain"),
    ] {
        assert_eq!(go_to_rust_replacement(istio), rust, "{istio}");
    }
}

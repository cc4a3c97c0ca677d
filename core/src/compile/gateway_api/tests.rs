//! Rule-named tests of the Gateway API translation: each loads a Gateway (namespace `infra`,
//! proxy `{gateway, infra, gateway-name: gw}`), the routes under test and a few Services, and
//! routes requests through the compiled table.

use crate::compile::compile;
use crate::config::ProxyIdentity;
use crate::diag::Diagnostic;
use crate::lb::SplitMix64;
use crate::resources::{load, LoadOptions, Resources};
use crate::route::{route, Outcome, Request};
use crate::table::RouteTable;

const BASE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: infra, labels: {team: infra}}
---
apiVersion: v1
kind: Namespace
metadata: {name: apps, labels: {team: apps}}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: infra}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: infra}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: c, namespace: infra}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: d, namespace: apps}
spec: {ports: [{port: 9090}]}
"#;

const GATEWAY: &str = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
"#;

fn proxy() -> ProxyIdentity {
    ProxyIdentity::gateway("infra", &[("gateway.networking.k8s.io/gateway-name", "gw")])
}

fn resources(yaml: &str) -> Resources {
    let text = format!("{BASE}---{yaml}");
    let (res, diags) = load(&[("t.yaml", &text)], &LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    res
}

fn table(yaml: &str) -> RouteTable {
    compile(&resources(yaml), &proxy()).0
}

/// What a request gets: the cluster (forwarded) or the status (local reply), the route name,
/// the rewritten path and authority, the Location.
#[derive(Debug, Default, PartialEq)]
struct Got {
    cluster: Option<String>,
    status: Option<u16>,
    route: Option<String>,
    path: Option<String>,
    authority: Option<String>,
    location: Option<String>,
    request_set: Vec<(String, String)>,
    request_add: Vec<(String, String)>,
    request_remove: Vec<String>,
    response_set: Vec<(String, String)>,
    mirrors: Vec<String>,
    timeout_ms: u64,
}

fn send(
    t: &RouteTable,
    port: u32,
    host: &str,
    path: &str,
    method: &str,
    headers: &[(&str, &str)],
) -> Got {
    let hs: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    let req = Request {
        filter_chain: b"",
        listener_port: port,
        authority: host.as_bytes(),
        path: path.as_bytes(),
        method: method.as_bytes(),
        scheme: b"http",
        headers: &hs,
        source_ip: None,
    };
    let mut rng = SplitMix64(7);
    let d = route(t, &req, &mut rng, false);
    let mut g = Got {
        route: d.route.map(str::to_string),
        ..Default::default()
    };
    match &d.outcome {
        Outcome::Forward(f) => {
            g.cluster = Some(f.cluster_name.to_string());
            g.path = f.path.clone();
            g.authority = f.authority.clone();
            g.request_set = f.request_headers.set.clone();
            g.request_add = f.request_headers.add.clone();
            g.request_remove = f.request_headers.remove.clone();
            g.response_set = f.response_headers.set.clone();
            g.mirrors = f
                .mirrors
                .iter()
                .map(|(c, _)| t.clusters[*c as usize].name.clone())
                .collect();
            g.timeout_ms = f.timeout_ms;
        }
        Outcome::Reply(r) => {
            g.status = Some(r.status);
            g.location = r
                .headers
                .iter()
                .find(|(k, _)| k == "location")
                .map(|(_, v)| v.clone());
        }
    }
    g
}

fn get(t: &RouteTable, host: &str, path: &str) -> Got {
    send(t, 80, host, path, "GET", &[])
}

fn cluster(svc: &str, ns: &str, port: u32) -> Option<String> {
    Some(format!("outbound|{port}||{svc}.{ns}.svc.cluster.local"))
}

fn route_yaml(name: &str, ns: &str, spec: &str) -> String {
    format!(
        "\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n{spec}\n"
    )
}

fn status_diags(yaml: &str) -> Vec<Diagnostic> {
    crate::compile::gateway_api_status(&resources(yaml))
}

// ---------------------------------------------------------------------------------------------
// Precedence (conversion.go sortHTTPRoutes, route_collections.go mergeHTTPRoutes)

#[test]
fn exact_path_beats_a_longer_prefix_across_routes() {
    let t = table(&format!(
        "{GATEWAY}---{}---{}",
        route_yaml(
            "prefix",
            "infra",
            "  rules:\n  - matches: [{path: {type: PathPrefix, value: /exact/and/longer}}]\n    backendRefs: [{name: a, port: 8080}]"
        ),
        route_yaml(
            "exact",
            "infra",
            "  rules:\n  - matches: [{path: {type: Exact, value: /exact}}]\n    backendRefs: [{name: b, port: 8080}]"
        )
    ));
    assert_eq!(get(&t, "x", "/exact").cluster, cluster("b", "infra", 8080));
    assert_eq!(
        get(&t, "x", "/exact/and/longer/x").cluster,
        cluster("a", "infra", 8080)
    );
}

#[test]
fn longest_prefix_wins_whatever_the_rule_order() {
    let t = table(&format!(
        "{GATEWAY}---{}",
        route_yaml(
            "r",
            "infra",
            "  rules:\n  - matches: [{path: {value: /}}]\n    backendRefs: [{name: a, port: 8080}]\n  - matches: [{path: {value: /v1}}]\n    backendRefs: [{name: b, port: 8080}]\n  - matches: [{path: {value: /v1/admin}}]\n    backendRefs: [{name: c, port: 8080}]"
        )
    ));
    assert_eq!(
        get(&t, "x", "/v1/admin/users").cluster,
        cluster("c", "infra", 8080)
    );
    assert_eq!(
        get(&t, "x", "/v1/users").cluster,
        cluster("b", "infra", 8080)
    );
    assert_eq!(get(&t, "x", "/other").cluster, cluster("a", "infra", 8080));
}

#[test]
fn with_equal_paths_a_method_match_beats_more_header_matches_and_headers_beat_query_params() {
    let t = table(&format!(
        "{GATEWAY}---{}",
        route_yaml(
            "r",
            "infra",
            "  rules:\n  - matches: [{path: {value: /p}, queryParams: [{name: q, value: '1'}]}]\n    backendRefs: [{name: c, port: 8080}]\n  - matches: [{path: {value: /p}, headers: [{name: h1, value: '1'}, {name: h2, value: '1'}]}]\n    backendRefs: [{name: b, port: 8080}]\n  - matches: [{path: {value: /p}, method: POST}]\n    backendRefs: [{name: a, port: 8080}]"
        )
    ));
    let all = [("h1", "1"), ("h2", "1")];
    assert_eq!(
        send(&t, 80, "x", "/p?q=1", "POST", &all).cluster,
        cluster("a", "infra", 8080),
        "method first"
    );
    assert_eq!(
        send(&t, 80, "x", "/p?q=1", "GET", &all).cluster,
        cluster("b", "infra", 8080),
        "then most headers"
    );
    assert_eq!(
        send(&t, 80, "x", "/p?q=1", "GET", &[]).cluster,
        cluster("c", "infra", 8080),
        "then most query parameters"
    );
}

#[test]
fn between_equal_rules_the_oldest_route_wins_then_the_alphabetically_first() {
    let rule = |svc: &str| {
        format!("  rules:\n  - matches: [{{path: {{value: /same}}}}]\n    backendRefs: [{{name: {svc}, port: 8080}}]")
    };
    let with_ts = |name: &str, ts: &str, svc: &str| {
        route_yaml(name, "infra", &rule(svc)).replace(
            &format!("metadata: {{name: {name}, namespace: infra}}"),
            &format!("metadata: {{name: {name}, namespace: infra, creationTimestamp: \"{ts}\"}}"),
        )
    };
    let t = table(&format!(
        "{GATEWAY}---{}---{}",
        with_ts("zzz-old", "2024-01-01T00:00:00Z", "a"),
        with_ts("aaa-new", "2024-06-01T00:00:00Z", "b")
    ));
    assert_eq!(
        get(&t, "x", "/same").cluster,
        cluster("a", "infra", 8080),
        "oldest"
    );
    let t = table(&format!(
        "{GATEWAY}---{}---{}",
        route_yaml("zzz", "infra", &rule("a")),
        route_yaml("aaa", "infra", &rule("b"))
    ));
    assert_eq!(
        get(&t, "x", "/same").cluster,
        cluster("b", "infra", 8080),
        "alphabetical"
    );
}

#[test]
fn path_prefix_is_segment_aware_and_ignores_a_trailing_slash() {
    let t = table(&format!(
        "{GATEWAY}---{}",
        route_yaml(
            "r",
            "infra",
            "  rules:\n  - matches: [{path: {value: /v2/}}]\n    backendRefs: [{name: b, port: 8080}]"
        )
    ));
    assert_eq!(get(&t, "x", "/v2").cluster, cluster("b", "infra", 8080));
    assert_eq!(get(&t, "x", "/v2/x").cluster, cluster("b", "infra", 8080));
    assert_eq!(get(&t, "x", "/v2?q").cluster, cluster("b", "infra", 8080));
    assert_eq!(get(&t, "x", "/v2example").status, Some(404));
}

#[test]
fn a_regex_rule_after_a_catch_all_is_dropped_as_istiod_drops_it() {
    let t = table(&format!(
        "{GATEWAY}---{}",
        route_yaml(
            "r",
            "infra",
            "  rules:\n  - matches: [{path: {type: RegularExpression, value: /re/.*}}]\n    backendRefs: [{name: b, port: 8080}]\n  - backendRefs: [{name: a, port: 8080}]"
        )
    ));
    // Prefix `/` ranks above any regex; istiod stops translating at the first catch-all.
    assert_eq!(get(&t, "x", "/re/x").cluster, cluster("a", "infra", 8080));
}

// ---------------------------------------------------------------------------------------------
// Hostnames (gateway.go host intersection, conversion.go referenceAllowed, isolation)

fn listener_gateway(listeners: &str) -> String {
    format!(
        "\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: infra}}\nspec:\n  gatewayClassName: istio\n  listeners:\n{listeners}\n"
    )
}

#[test]
fn hostname_intersection_keeps_the_more_specific_name() {
    let gw =
        listener_gateway("  - {name: wild, port: 80, protocol: HTTP, hostname: '*.example.com'}");
    let t =
        table(&format!(
        "{gw}---{}---{}",
        route_yaml(
            "specific",
            "infra",
            "  hostnames: [foo.example.com]\n  rules:\n  - backendRefs: [{name: a, port: 8080}]"
        )
        .replace("namespace: infra}]", "namespace: infra, sectionName: wild}]"),
        route_yaml(
            "broader",
            "infra",
            "  hostnames: ['*.com']\n  rules:\n  - backendRefs: [{name: b, port: 8080}]"
        )
    ));
    assert_eq!(
        get(&t, "foo.example.com", "/").cluster,
        cluster("a", "infra", 8080)
    );
    // `*.com` ∩ `*.example.com` is `*.example.com`: bar.example.com reaches the broader route,
    // another domain does not.
    assert_eq!(
        get(&t, "bar.example.com", "/").cluster,
        cluster("b", "infra", 8080)
    );
    assert_eq!(get(&t, "bar.other.com", "/").status, Some(404));
}

#[test]
fn a_route_whose_hostnames_match_no_listener_is_not_attached() {
    let gw =
        listener_gateway("  - {name: foo, port: 80, protocol: HTTP, hostname: foo.example.com}");
    let r = route_yaml(
        "r",
        "infra",
        "  hostnames: [bar.example.com]\n  rules:\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let t = table(&format!("{gw}---{r}"));
    assert_eq!(get(&t, "bar.example.com", "/").status, Some(404));
    assert_eq!(get(&t, "foo.example.com", "/").status, Some(404));
    let d = status_diags(&format!("{gw}---{r}"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "MR0801");
    assert_eq!(d[0].path, "spec.parentRefs[0]");
    assert!(
        d[0].message.contains("NoMatchingListenerHostname"),
        "{}",
        d[0].message
    );
}

#[test]
fn listener_isolation_sends_a_host_only_to_its_most_specific_listener() {
    let gw = listener_gateway(
        "  - {name: any, port: 80, protocol: HTTP}\n  - {name: wild, port: 80, protocol: HTTP, hostname: '*.example.com'}",
    );
    let t = table(&format!(
        "{gw}---{}---{}",
        route_yaml(
            "any",
            "infra",
            "  rules:\n  - backendRefs: [{name: a, port: 8080}]"
        )
        .replace("namespace: infra}]", "namespace: infra, sectionName: any}]"),
        route_yaml(
            "wild",
            "infra",
            "  rules:\n  - matches: [{path: {value: /wild}}]\n    backendRefs: [{name: b, port: 8080}]"
        )
        .replace("namespace: infra}]", "namespace: infra, sectionName: wild}]")
    ));
    assert_eq!(
        get(&t, "x.example.com", "/wild").cluster,
        cluster("b", "infra", 8080)
    );
    // The hostname-less listener's route does not serve hosts of the wildcard listener.
    assert_eq!(get(&t, "x.example.com", "/").status, Some(404));
    assert_eq!(
        get(&t, "other.org", "/").cluster,
        cluster("a", "infra", 8080)
    );
}

// ---------------------------------------------------------------------------------------------
// Attachment (allowedRoutes), ReferenceGrant, invalid backends

#[test]
fn a_route_in_a_namespace_the_listener_does_not_allow_is_not_attached_and_says_why() {
    let gw = GATEWAY.replace(
        "from: All",
        "from: Selector, selector: {matchLabels: {team: infra}}",
    );
    let r = route_yaml(
        "r",
        "apps",
        "  rules:\n  - backendRefs: [{name: d, port: 9090}]",
    );
    let t = table(&format!("{gw}---{r}"));
    assert_eq!(get(&t, "x", "/").status, Some(404));
    let d = status_diags(&format!("{gw}---{r}"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].code.as_str(), d[0].resource()),
        ("MR0801", "HTTPRoute apps/r".to_string())
    );
    assert_eq!(d[0].path, "spec.parentRefs[0]");
    assert!(
        d[0].message.contains("NotAllowedByListeners") && d[0].message.contains("\"apps\""),
        "{}",
        d[0].message
    );
    // The selector sees `kubernetes.io/metadata.name` without it being written.
    let gw = GATEWAY.replace(
        "from: All",
        "from: Selector, selector: {matchLabels: {kubernetes.io/metadata.name: apps}}",
    );
    let t = table(&format!("{gw}---{r}"));
    assert_eq!(get(&t, "x", "/").cluster, cluster("d", "apps", 9090));
}

#[test]
fn reference_grant_is_needed_for_a_backend_in_another_namespace() {
    let r = route_yaml(
        "r",
        "infra",
        "  rules:\n  - backendRefs: [{name: d, namespace: apps, port: 9090}]",
    );
    let t = table(&format!("{GATEWAY}---{r}"));
    assert_eq!(get(&t, "x", "/").status, Some(500), "no grant: 500");
    let d = status_diags(&format!("{GATEWAY}---{r}"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "MR0802");
    assert_eq!(d[0].path, "spec.rules[0].backendRefs[0].namespace");
    assert!(d[0].message.contains("RefNotPermitted"), "{}", d[0].message);

    let grant = |to_name: &str| {
        format!(
            "\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {{name: g, namespace: apps}}\nspec:\n  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}}]\n  to: [{{group: '', kind: Service{to_name}}}]\n"
        )
    };
    let t = table(&format!("{GATEWAY}---{r}---{}", grant("")));
    assert_eq!(
        get(&t, "x", "/").cluster,
        cluster("d", "apps", 9090),
        "grant for all Services"
    );
    let t = table(&format!("{GATEWAY}---{r}---{}", grant(", name: d")));
    assert_eq!(
        get(&t, "x", "/").cluster,
        cluster("d", "apps", 9090),
        "grant for d"
    );
    let t = table(&format!("{GATEWAY}---{r}---{}", grant(", name: other")));
    assert_eq!(
        get(&t, "x", "/").status,
        Some(500),
        "grant for another Service"
    );
}

#[test]
fn an_unknown_backend_kind_answers_500_and_names_route_rule_and_field() {
    let r = route_yaml(
        "r",
        "infra",
        "  rules:\n  - backendRefs: [{name: a, port: 8080}]\n  - matches: [{path: {value: /x}}]\n    backendRefs: [{group: example.com, kind: Thing, name: t, port: 80}]",
    );
    let t = table(&format!("{GATEWAY}---{r}"));
    assert_eq!(get(&t, "x", "/x").status, Some(500));
    let d = status_diags(&format!("{GATEWAY}---{r}"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].resource(), "HTTPRoute infra/r");
    assert_eq!(d[0].path, "spec.rules[1].backendRefs[0].kind");
    assert!(d[0].message.contains("InvalidKind"), "{}", d[0].message);
    assert!(d[0].line > 0);
}

#[test]
fn a_missing_service_answers_500_and_names_route_rule_and_field() {
    let r = route_yaml(
        "r",
        "infra",
        "  rules:\n  - backendRefs: [{name: nowhere, port: 8080}]",
    );
    let t = table(&format!("{GATEWAY}---{r}"));
    assert_eq!(get(&t, "x", "/").status, Some(500));
    let d = status_diags(&format!("{GATEWAY}---{r}"));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].path, "spec.rules[0].backendRefs[0].name");
    assert!(
        d[0].message.contains("BackendNotFound")
            && d[0].message.contains("nowhere.infra.svc.cluster.local"),
        "{}",
        d[0].message
    );
}

#[test]
fn a_rule_without_backends_answers_500_as_a_direct_response() {
    let t = table(&format!(
        "{GATEWAY}---{}",
        route_yaml("r", "infra", "  rules:\n  - matches: [{path: {value: /}}]")
    ));
    let g = get(&t, "x", "/");
    assert_eq!((g.status, g.cluster), (Some(500), None));
}

#[test]
fn weights_split_between_backends_and_zero_weights_are_dropped() {
    let t = table(&format!(
        "{GATEWAY}---{}",
        route_yaml(
            "r",
            "infra",
            "  rules:\n  - backendRefs: [{name: a, port: 8080, weight: 3}, {name: b, port: 8080, weight: 1}, {name: c, port: 8080, weight: 0}]"
        )
    ));
    let l = t.listener(80).unwrap();
    let rc = &t.route_configs[l.route_config];
    let vh = &rc.virtual_hosts[rc.find_virtual_host("x").unwrap()];
    match &vh.routes[0].action {
        crate::table::Action::Forward(d) => {
            let w: Vec<(String, u32)> = d
                .iter()
                .map(|d| (d.cluster_name.clone(), d.weight))
                .collect();
            assert_eq!(
                w,
                [
                    ("outbound|8080||a.infra.svc.cluster.local".to_string(), 3),
                    ("outbound|8080||b.infra.svc.cluster.local".to_string(), 1)
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Filters (conversion.go create*Filter, route.go translation)

fn one_rule(rule: &str) -> RouteTable {
    table(&format!(
        "{GATEWAY}---{}",
        route_yaml("r", "infra", &format!("  rules:\n{rule}"))
    ))
}

#[test]
fn request_header_modifier_sets_adds_and_removes_lower_cased_headers() {
    let t = one_rule(
        "  - filters:\n    - type: RequestHeaderModifier\n      requestHeaderModifier:\n        set: [{name: X-Set, value: s}]\n        add: [{name: X-Add, value: a}]\n        remove: [X-Remove]\n    backendRefs: [{name: a, port: 8080}]",
    );
    let g = get(&t, "x", "/");
    assert_eq!(g.request_set, [("x-set".to_string(), "s".to_string())]);
    assert_eq!(g.request_add, [("x-add".to_string(), "a".to_string())]);
    assert_eq!(g.request_remove, ["x-remove".to_string()]);
}

#[test]
fn response_header_modifier_sets_response_headers() {
    let t = one_rule(
        "  - filters:\n    - type: ResponseHeaderModifier\n      responseHeaderModifier: {set: [{name: X-Resp, value: r}]}\n    backendRefs: [{name: a, port: 8080}]",
    );
    assert_eq!(
        get(&t, "x", "/").response_set,
        [("x-resp".to_string(), "r".to_string())]
    );
}

#[test]
fn request_redirect_defaults_to_302_and_keeps_the_listener_port() {
    let t = one_rule(
        "  - matches: [{path: {value: /old}}]\n    filters:\n    - type: RequestRedirect\n      requestRedirect: {hostname: example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}\n  - matches: [{path: {value: /secure}}]\n    filters:\n    - type: RequestRedirect\n      requestRedirect: {scheme: https, statusCode: 301}",
    );
    let g = get(&t, "gw.local", "/old/page?q=1");
    assert_eq!(g.status, Some(302));
    assert_eq!(
        g.location.as_deref(),
        Some("http://example.org/new/page?q=1")
    );
    let g = get(&t, "gw.local", "/secure");
    assert_eq!(g.status, Some(301));
    assert_eq!(g.location.as_deref(), Some("https://gw.local/secure"));
}

#[test]
fn url_rewrite_replaces_the_prefix_the_full_path_and_the_host() {
    let t = one_rule(
        "  - matches: [{path: {value: /strip}}]\n    filters:\n    - type: URLRewrite\n      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}\n    backendRefs: [{name: a, port: 8080}]\n  - matches: [{path: {value: /prefix}}]\n    filters:\n    - type: URLRewrite\n      urlRewrite: {hostname: rewritten.example, path: {type: ReplacePrefixMatch, replacePrefixMatch: /other/}}\n    backendRefs: [{name: a, port: 8080}]\n  - matches: [{path: {value: /full}}]\n    filters:\n    - type: URLRewrite\n      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /fixed}}\n    backendRefs: [{name: a, port: 8080}]",
    );
    assert_eq!(get(&t, "x", "/strip/a/b").path.as_deref(), Some("/a/b"));
    assert_eq!(get(&t, "x", "/strip").path.as_deref(), Some("/"));
    let g = get(&t, "x", "/prefix/a?q=1");
    assert_eq!(g.path.as_deref(), Some("/other/a?q=1"));
    assert_eq!(g.authority.as_deref(), Some("rewritten.example"));
    assert_eq!(get(&t, "x", "/full/a/b").path.as_deref(), Some("/fixed"));
}

#[test]
fn request_mirror_copies_requests_to_the_mirror_backend() {
    let t = one_rule(
        "  - filters:\n    - type: RequestMirror\n      requestMirror: {backendRef: {name: c, port: 8080}}\n    backendRefs: [{name: a, port: 8080}]",
    );
    let g = get(&t, "x", "/");
    assert_eq!(g.cluster, cluster("a", "infra", 8080));
    assert_eq!(
        g.mirrors,
        ["outbound|8080||c.infra.svc.cluster.local".to_string()]
    );
    // A mirror to a missing Service is dropped; the route still forwards.
    let t = one_rule(
        "  - filters:\n    - type: RequestMirror\n      requestMirror: {backendRef: {name: nowhere, port: 8080}}\n    backendRefs: [{name: a, port: 8080}]",
    );
    let g = get(&t, "x", "/");
    assert_eq!(
        (g.cluster, g.mirrors.len()),
        (cluster("a", "infra", 8080), 0)
    );
}

#[test]
fn timeouts_request_sets_the_route_timeout() {
    let t = one_rule("  - timeouts: {request: 2s}\n    backendRefs: [{name: a, port: 8080}]");
    assert_eq!(get(&t, "x", "/").timeout_ms, 2000);
    // Without retries, backendRequest is the route timeout (conversion.go convertHTTPRoute).
    let t = one_rule(
        "  - timeouts: {request: 5s, backendRequest: 1s}\n    backendRefs: [{name: a, port: 8080}]",
    );
    assert_eq!(get(&t, "x", "/").timeout_ms, 1000);
}

#[test]
fn rule_names_default_to_namespace_route_and_index() {
    let t = one_rule(
        "  - name: first\n    matches: [{path: {value: /one}}]\n    backendRefs: [{name: a, port: 8080}]\n  - matches: [{path: {value: /two}}]\n    backendRefs: [{name: a, port: 8080}]",
    );
    assert_eq!(get(&t, "x", "/one").route.as_deref(), Some("first"));
    assert_eq!(get(&t, "x", "/two").route.as_deref(), Some("infra.r.1"));
}

#[test]
fn an_unsupported_filter_drops_every_rule_of_the_route() {
    let r = route_yaml(
        "r",
        "infra",
        "  rules:\n  - backendRefs: [{name: a, port: 8080}]\n  - matches: [{path: {value: /ext}}]\n    filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Thing, name: x}}]\n    backendRefs: [{name: a, port: 8080}]",
    );
    let t = table(&format!("{GATEWAY}---{r}"));
    assert_eq!(get(&t, "x", "/").status, Some(404));
    let d = status_diags(&format!("{GATEWAY}---{r}"));
    assert!(
        d.iter().any(|d| d.code == "MR0802"
            && d.path == "spec.rules[1].filters[0].type"
            && d.message.contains("InvalidFilter")),
        "{d:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// GRPCRoute, deployment model

#[test]
fn grpc_method_matches_become_path_matches() {
    let r = "\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: g, namespace: infra}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n  - matches: [{method: {service: pkg.Svc, method: Get}}]\n    backendRefs: [{name: a, port: 8080}]\n  - matches: [{method: {service: pkg.Svc}}]\n    backendRefs: [{name: b, port: 8080}]\n";
    let t = table(&format!("{GATEWAY}---{r}"));
    assert_eq!(
        send(&t, 80, "x", "/pkg.Svc/Get", "POST", &[]).cluster,
        cluster("a", "infra", 8080)
    );
    assert_eq!(
        send(&t, 80, "x", "/pkg.Svc/List", "POST", &[]).cluster,
        cluster("b", "infra", 8080)
    );
    assert_eq!(
        send(&t, 80, "x", "/pkg.Other/Get", "POST", &[]).status,
        Some(404)
    );
}

#[test]
fn only_the_proxy_of_a_gateway_serves_it_on_its_listener_ports() {
    let gw = listener_gateway(
        "  - {name: a, port: 8080, protocol: HTTP}\n  - {name: b, port: 8090, protocol: HTTP}",
    );
    let r = route_yaml(
        "r",
        "infra",
        "  rules:\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let t = table(&format!("{gw}---{r}"));
    let ports: Vec<u32> = t.listeners.iter().map(|l| l.port).collect();
    assert_eq!(ports, [8080, 8090]);
    assert_eq!(
        send(&t, 8090, "x", "/", "GET", &[]).cluster,
        cluster("a", "infra", 8080)
    );
    let other = ProxyIdentity::gateway(
        "infra",
        &[("gateway.networking.k8s.io/gateway-name", "other")],
    );
    let t = compile(&resources(&format!("{gw}---{r}")), &other).0;
    assert!(t.listeners.is_empty());
}

#[test]
fn a_gateway_of_another_class_is_not_served() {
    let gw = GATEWAY.replace("gatewayClassName: istio", "gatewayClassName: nginx");
    let r = route_yaml(
        "r",
        "infra",
        "  rules:\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let t = table(&format!("{gw}---{r}"));
    assert!(t.listeners.is_empty());
    let d = status_diags(&format!("{gw}---{r}"));
    assert!(
        d.iter()
            .any(|d| d.code == "MR0803" && d.path == "spec.gatewayClassName"),
        "{d:?}"
    );
}

#[test]
fn conflicting_listeners_keep_the_first() {
    let gw = listener_gateway(
        "  - {name: one, port: 80, protocol: HTTP, hostname: a.example}\n  - {name: two, port: 80, protocol: HTTP, hostname: a.example}",
    );
    let d = status_diags(&gw);
    assert!(
        d.iter()
            .any(|d| d.path == "spec.listeners[1]" && d.message.contains("HostnameConflict")),
        "{d:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Validation (the CRDs' schema and CEL rules)

fn validation(yaml: &str) -> Vec<Diagnostic> {
    let (res, diags) = load(&[("t.yaml", yaml)], &LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    crate::validate::validate(&res)
}

#[test]
fn crd_rules_are_errors_at_the_field() {
    let d = validation(&route_yaml(
        "r",
        "infra",
        "  rules:\n  - matches: [{path: {type: PathPrefix, value: foo}}, {method: FETCH}]\n    filters:\n    - {type: RequestRedirect, requestRedirect: {statusCode: 304}}\n    - {type: URLRewrite, urlRewrite: {hostname: a.b}}\n  - backendRefs: [{name: a}, {name: b, port: 80, weight: -1}]",
    ));
    let got: Vec<(&str, &str)> = d
        .iter()
        .map(|d| (d.code.as_str(), d.path.as_str()))
        .collect();
    for want in [
        ("IST0106", "spec.rules[0].matches[0].path.value"),
        ("IST0106", "spec.rules[0].matches[1].method"),
        ("IST0106", "spec.rules[0].filters"),
        (
            "IST0106",
            "spec.rules[0].filters[0].requestRedirect.statusCode",
        ),
        ("IST0106", "spec.rules[1].backendRefs[0]"),
        ("IST0106", "spec.rules[1].backendRefs[1].weight"),
    ] {
        assert!(got.contains(&want), "missing {want:?} in {got:?}");
    }
    assert!(d
        .iter()
        .all(|d| d.line > 0 && d.resource() == "HTTPRoute infra/r"));
}

#[test]
fn gateway_listener_rules_are_errors() {
    let d = validation(&listener_gateway(
        "  - {name: a, port: 80, protocol: HTTP, tls: {certificateRefs: [{name: s}]}}\n  - {name: a, port: 0, protocol: HTTPS, tls: {mode: Passthrough, certificateRefs: [{name: s}]}}",
    ));
    let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
    for want in [
        "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
        "Listener name must be unique within the Gateway",
        "tls mode must be Terminate for protocol HTTPS",
    ] {
        assert!(msgs.contains(&want), "missing {want:?} in {msgs:?}");
    }
    assert!(
        d.iter().any(|d| d.path == "spec.listeners[1].port"),
        "{d:?}"
    );
}

#[test]
fn unknown_fields_in_gateway_api_resources_are_refused() {
    let (_, diags) = load(
        &[(
            "t.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - backendRef: []\n",
        )],
        &LoadOptions::default(),
    );
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, "MR0101");
    assert!(
        diags[0].message.contains("did you mean \"backendRefs\""),
        "{}",
        diags[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Mesh (GAMMA) routes on sidecars (route_collections.go mesh parents)

fn sidecar(ns: &str) -> ProxyIdentity {
    ProxyIdentity::sidecar(ns, &[("app", "client")])
}

fn mesh_route(ns: &str, rules: &str) -> String {
    format!(
        "\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: m, namespace: {ns}}}\nspec:\n  parentRefs: [{{group: '', kind: Service, name: a, namespace: infra, port: 8080}}]\n  rules:\n{rules}\n"
    )
}

#[test]
fn a_route_with_a_service_parent_applies_on_sidecars_for_that_service() {
    let r = mesh_route(
        "infra",
        "  - matches: [{path: {value: /v2}}]\n    backendRefs: [{name: b, port: 8080}]\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let t = compile(&resources(&r), &sidecar("apps")).0;
    let to =
        |path: &str| send(&t, 8080, "a.infra.svc.cluster.local:8080", path, "GET", &[]).cluster;
    assert_eq!(to("/v2/x"), cluster("b", "infra", 8080));
    assert_eq!(
        to("/v2example"),
        cluster("a", "infra", 8080),
        "segment-aware prefix"
    );
    // Other services keep their default routes.
    assert_eq!(
        send(
            &t,
            8080,
            "b.infra.svc.cluster.local:8080",
            "/v2/x",
            "GET",
            &[]
        )
        .cluster,
        cluster("b", "infra", 8080)
    );
    assert!(status_diags(&r).is_empty(), "{:?}", status_diags(&r));
}

#[test]
fn a_consumer_mesh_route_applies_only_in_its_own_namespace_and_needs_no_reference_grant() {
    let r = mesh_route(
        "apps",
        "  - backendRefs: [{name: d, namespace: apps, port: 9090}]",
    );
    let in_apps = compile(&resources(&r), &sidecar("apps")).0;
    assert_eq!(
        send(
            &in_apps,
            8080,
            "a.infra.svc.cluster.local:8080",
            "/",
            "GET",
            &[]
        )
        .cluster,
        cluster("d", "apps", 9090)
    );
    let elsewhere = compile(&resources(&r), &sidecar("infra")).0;
    assert_eq!(
        send(
            &elsewhere,
            8080,
            "a.infra.svc.cluster.local:8080",
            "/",
            "GET",
            &[]
        )
        .cluster,
        cluster("a", "infra", 8080)
    );
}

#[test]
fn a_mesh_route_to_a_missing_service_parent_is_not_accepted() {
    let r = mesh_route("infra", "  - backendRefs: [{name: a, port: 8080}]").replace(
        "name: a, namespace: infra, port",
        "name: nowhere, namespace: infra, port",
    );
    let d = status_diags(&r);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains("parent service: \"nowhere\" not found"),
        "{}",
        d[0].message
    );
}

// ---------------------------------------------------------------------------------------------
// Mixed configs: VirtualServices next to Gateway API routes on one gateway

#[test]
fn a_virtual_service_naming_the_internal_gateway_joins_its_listener_and_is_warned_about() {
    let vs = "\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: infra}\nspec:\n  hosts: [legacy.example]\n  gateways: [infra/gw~istio-autogenerated-k8s-gateway~http]\n  http:\n  - route: [{destination: {host: c, port: {number: 8080}}}]\n";
    let r = route_yaml(
        "r",
        "infra",
        "  hostnames: [new.example]\n  rules:\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let text = format!("{GATEWAY}---{r}---{vs}");
    let t = table(&text);
    assert_eq!(
        get(&t, "new.example", "/").cluster,
        cluster("a", "infra", 8080)
    );
    assert_eq!(
        get(&t, "legacy.example", "/").cluster,
        cluster("c", "infra", 8080)
    );
    let d = crate::analyze::analyze(&resources(&text), &Default::default());
    assert!(
        d.iter()
            .any(|d| d.code == "IST0165" && d.path == "spec.gateways[0]"),
        "{d:?}"
    );
}

#[test]
fn an_istio_gateway_on_the_same_proxy_and_port_shares_the_route_configuration() {
    let istio = "\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: igw, namespace: infra}\nspec:\n  selector: {gateway.networking.k8s.io/gateway-name: gw}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*/same.example']}]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: infra}\nspec:\n  hosts: [same.example]\n  gateways: [infra/igw]\n  http:\n  - match: [{uri: {prefix: /vs}}]\n    route: [{destination: {host: c, port: {number: 8080}}}]\n";
    let r = route_yaml(
        "r",
        "infra",
        "  hostnames: [same.example]\n  rules:\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let t = table(&format!("{GATEWAY}---{r}---{istio}"));
    assert_eq!(t.listeners.len(), 1);
    assert_eq!(
        get(&t, "same.example", "/vs/x").cluster,
        cluster("c", "infra", 8080)
    );
    // The HTTPRoute's catch-all still moves after the VirtualService's prefix.
    assert_eq!(
        get(&t, "same.example", "/other").cluster,
        cluster("a", "infra", 8080)
    );
}

// ---------------------------------------------------------------------------------------------
// Absurd input: compile (without validation) and route never panic

#[test]
fn absurd_gateway_api_input_compiles_and_routes_without_panicking() {
    let cases = [
        "  rules:\n  - backendRefs: [{name: a, port: 8080, weight: 9223372036854775807}, {name: b, port: 8080, weight: 9223372036854775807}]",
        "  rules:\n  - backendRefs: [{name: a, port: -5, weight: -3}, {name: '', port: 99999999999}]",
        "  rules:\n  - matches: [{path: {type: Nonsense, value: ''}}, {path: {type: RegularExpression, value: '(['}}]\n    backendRefs: [{name: a, port: 8080}]",
        "  rules:\n  - matches: [{headers: [{name: '', value: ''}], queryParams: [{type: RegularExpression, name: q, value: '*'}]}]",
        "  rules:\n  - filters: [{type: RequestRedirect}, {type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch}}}, {type: RequestMirror, requestMirror: {fraction: {numerator: 5, denominator: 0}}}]",
        "  rules:\n  - filters: [{type: RequestRedirect, requestRedirect: {statusCode: 999, port: -1, path: {type: ReplaceFullPath}}}]",
        "  rules:\n  - timeouts: {request: 99999h99999h, backendRequest: x}\n    retry: {attempts: -7, codes: [-1, 99999]}\n    backendRefs: [{name: a, port: 8080}]",
        "  hostnames: ['', '*', '*.*', '...']\n  rules:\n  - filters: [{type: CORS, cors: {allowOrigins: ['*a*b*', ''], maxAge: -4}}]\n    backendRefs: [{name: a, port: 8080}]",
    ];
    let gateways = [
        GATEWAY.to_string(),
        listener_gateway("  - {name: '', port: -80, protocol: ''}\n  - {port: 0}\n  - {name: x, port: 80, protocol: HTTPS}"),
        listener_gateway("  - {name: a, port: 80, protocol: HTTP, hostname: '*', allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: k, operator: Bogus}]}}, kinds: [{kind: ''}]}}"),
    ];
    for gw in &gateways {
        for c in &cases {
            let text = format!("{BASE}---{gw}---{}", route_yaml("r", "infra", c));
            let (res, _) = load(&[("t.yaml", &text)], &LoadOptions::default());
            let _ = crate::validate::validate(&res);
            let _ = crate::compile::gateway_api_status(&res);
            for p in [proxy(), sidecar("infra")] {
                let t = compile(&res, &p).0;
                for path in ["/", "/x/y?q=1", "", "//", "/%2f"] {
                    let _ = send(&t, 80, "x.example", path, "GET", &[("q", "1")]);
                }
            }
        }
    }
}

#[test]
fn an_https_listener_terminates_tls_with_its_certificate_refs_secret_and_keeps_its_own_routes() {
    let pem = |label: &str| format!("-----BEGIN {label}-----\n    MIIB\n    -----END {label}-----");
    let secret = format!(
        "\napiVersion: v1\nkind: Secret\nmetadata: {{name: shop-cert, namespace: infra}}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n    {}\n  tls.key: |\n    {}\n",
        pem("CERTIFICATE"),
        pem("PRIVATE KEY")
    );
    let gw = listener_gateway(
        "  - {name: web, port: 80, protocol: HTTP, hostname: shop.example.com}\n  - {name: secure, port: 443, protocol: HTTPS, hostname: shop.example.com, tls: {mode: Terminate, certificateRefs: [{name: shop-cert}]}}",
    );
    let route = route_yaml(
        "shop",
        "infra",
        "  hostnames: [shop.example.com]\n  rules:\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let (t, diags) = compile(&resources(&format!("{secret}---{gw}---{route}")), &proxy());
    assert!(
        !diags.iter().any(|d| d.code.starts_with("MR05")),
        "{diags:?}"
    );
    let l = t.listener(443).expect("the HTTPS listener");
    assert!(!l.plaintext, "only an HTTPS listener on 443");
    assert_eq!(l.filter_chains.len(), 1);
    let c = &l.filter_chains[0];
    assert_eq!(c.name, "https.443.secure.gw.infra");
    assert_eq!(c.server_names, ["shop.example.com"]);
    assert_eq!(c.tls.certificate, "kubernetes://shop-cert");
    let rc = &t.route_configs[l.route_config_for(c.name.as_bytes())];
    assert!(rc.find_virtual_host("shop.example.com").is_some());
    // The plaintext listener on 80 is untouched.
    assert!(t
        .listener(80)
        .is_some_and(|l| l.plaintext && l.filter_chains.is_empty()));
}

#[test]
fn an_https_listener_whose_secret_is_missing_is_mr0501() {
    let gw = listener_gateway(
        "  - {name: secure, port: 443, protocol: HTTPS, tls: {mode: Terminate, certificateRefs: [{name: nowhere}]}}",
    );
    let route = route_yaml(
        "shop",
        "infra",
        "  rules:\n  - backendRefs: [{name: a, port: 8080}]",
    );
    let (t, diags) = compile(&resources(&format!("{gw}---{route}")), &proxy());
    let d = diags
        .iter()
        .find(|d| d.code == crate::compile::TLS_CREDENTIAL)
        .unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(d.path, "spec.listeners[0].tls.certificateRefs[0]");
    assert!(t.listener(443).is_none_or(|l| l.filter_chains.is_empty()));
}

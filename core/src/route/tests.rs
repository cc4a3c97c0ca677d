use super::*;
use regex::bytes::Regex;

fn req<'a>(authority: &'a str, path: &'a str, headers: &'a [(&'a [u8], &'a [u8])]) -> Request<'a> {
    Request {
        filter_chain: b"",
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
    let rd =
        |uri: Option<&str>, authority: Option<&str>, scheme: Option<&str>, port| RedirectAction {
            uri: uri.map(str::to_string),
            prefix_rewrite: None,
            authority: authority.map(str::to_string),
            scheme: scheme.map(str::to_string),
            port,
            code: 301,
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

#[test]
fn passthrough_original_dst_is_an_ip_authority_only() {
    use super::endpoint::original_dst;
    assert_eq!(
        original_dst(b"10.1.2.3:8080", b"http").as_deref(),
        Some("10.1.2.3:8080")
    );
    assert_eq!(
        original_dst(b"10.1.2.3", b"http").as_deref(),
        Some("10.1.2.3:80")
    );
    assert_eq!(
        original_dst(b"10.1.2.3", b"https").as_deref(),
        Some("10.1.2.3:443")
    );
    assert_eq!(
        original_dst(b"[::1]:99", b"http").as_deref(),
        Some("[::1]:99")
    );
    assert_eq!(original_dst(b"[::1]", b"http").as_deref(), Some("[::1]:80"));
    for bad in [
        &b"example.com"[..],
        b"example.com:80",
        b"\xff\x00",
        b"",
        b"1.2.3.4:99999",
    ] {
        assert_eq!(original_dst(bad, b"http"), None, "{bad:?}");
    }
}

/// Istio's httproute.go: ALLOW_ANY's `allow_any` virtual host routes to PassthroughCluster;
/// REGISTRY_ONLY's `block_all` answers 502 (telemetry: BlackHoleCluster).
#[test]
fn outbound_traffic_policy_allow_any_and_registry_only() {
    const CFG: &str = "proxy: {kind: sidecar, namespace: default}\nMESH\nresources: |\n  apiVersion: v1\n  kind: Service\n  metadata: {name: web, namespace: default}\n  spec: {clusterIP: 10.96.0.5, selector: {app: web}, ports: [{name: http, port: 80}]}\n";
    let decide_for = |mesh: &str, authority: &str| {
        let cfg = CFG.replace("MESH", mesh);
        let p = crate::check::prepare("c.yaml", cfg.as_bytes(), &Default::default())
            .unwrap_or_else(|d| panic!("{d:#?}"));
        let r = req(authority, "/", &[]);
        let mut st = LbState::for_table(&p.table);
        let d = decide(
            &p.table,
            &r,
            &mut st,
            0,
            &mut crate::lb::SplitMix64(1),
            true,
        );
        match d.outcome {
            Outcome::Forward(f) => (None, f.cluster_name.to_string(), f.original_dst.clone()),
            Outcome::Reply(r) => (Some(r.status), r.cluster.unwrap_or_default(), None),
        }
    };
    for mesh in ["", "mesh: {outboundTrafficPolicy: {mode: ALLOW_ANY}}"] {
        assert_eq!(
            decide_for(mesh, "10.9.9.9:80"),
            (
                None,
                "PassthroughCluster".into(),
                Some("10.9.9.9:80".into())
            ),
            "{mesh:?}"
        );
        assert_eq!(
            decide_for(mesh, "example.com"),
            (None, "PassthroughCluster".into(), None)
        );
    }
    let ro = "mesh: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}";
    assert_eq!(
        decide_for(ro, "example.com"),
        (Some(502), "BlackHoleCluster".into(), None)
    );
    // A known service still goes to its cluster (no pods here: 503 UH naming it).
    assert_eq!(
        decide_for(ro, "web"),
        (
            Some(503),
            "outbound|80||web.default.svc.cluster.local".into(),
            None
        )
    );
    let bad = CFG.replace("MESH", "mesh: {outboundTrafficPolicy: {mode: DENY}}");
    assert!(crate::check::prepare("c.yaml", bad.as_bytes(), &Default::default()).is_err());
}

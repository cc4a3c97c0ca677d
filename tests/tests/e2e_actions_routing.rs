//! Issue 5, points 1, 2, 3 and 7 in real Envoy: redirects and rewrites, weighted routing,
//! header operations, CORS. Each test runs its example from `examples/actions/` (the frontend
//! pod's sidecar calling demoapp).

mod actions_support;

use actions_support::{by_pod, echo, echoed, get, get_with, on_one_connection, start, DEMOAPP};
use meshroute_tests::harness::http::{parallel, Conn, Response};

/// Point 1: `redirect` (uri, authority, port, scheme, redirectCode, derivePort) and `rewrite`
/// (prefix with the `//` gotcha, query kept, uriRegexRewrite, authority).
#[test]
fn e2e_redirect_and_rewrite() {
    let Some(s) = start("e2e_redirect_and_rewrite", "01-redirect-rewrite", &[]) else {
        return;
    };
    let no_pod = |r: &Response| assert_eq!(r.pod(), None, "a pod answered: {}", r.summary());

    // redirect.uri + redirectCode 302; the query string is kept.
    let r = get(&s, "/old?x=1&y=2");
    assert_eq!(r.status, 302, "{}", r.summary());
    assert_eq!(
        r.header("location"),
        Some("http://demoapp:8080/new?x=1&y=2")
    );
    no_pod(&r);
    // scheme + authority + port + 308; the path is kept.
    let r = get(&s, "/moved/a/b?q=1");
    assert_eq!(r.status, 308, "{}", r.summary());
    assert_eq!(
        r.header("location"),
        Some("https://demoapp.magedu.com:8443/moved/a/b?q=1")
    );
    no_pod(&r);
    // prefixRewrite: the matched prefix swapped, the query kept.
    let r = get(&s, "/legacy/docs/a?page=2");
    assert_eq!(r.status, 301, "{}", r.summary());
    assert_eq!(
        r.header("location"),
        Some("http://demoapp:8080/v2/docs/a?page=2")
    );
    no_pod(&r);
    // Default 301; derivePort FROM_REQUEST_PORT keeps the port the request came in on.
    let r = get(&s, "/derive/x");
    assert_eq!(r.status, 301, "{}", r.summary());
    assert_eq!(r.header("location"), Some("http://frontend:8080/derive/x"));
    no_pod(&r);

    // The `//` gotcha: prefix /gotcha replaced by / leaves //echo.
    let r = get(&s, "/gotcha/echo?k=v");
    assert_eq!(r.status, 200, "{}", r.summary());
    assert_eq!(r.header("x-demoapp-path"), Some("//echo?k=v"));
    // The right form: /api/ → /, the query kept.
    let r = get(&s, "/api/echo?x=1&y=a%20b");
    assert_eq!(r.status, 200, "{}", r.summary());
    assert_eq!(r.header("x-demoapp-path"), Some("/echo?x=1&y=a%20b"));
    assert_eq!(echo(&r)["path"], "/echo?x=1&y=a%20b");
    assert_eq!(r.header("x-demoapp-host"), Some(DEMOAPP));
    // uriRegexRewrite with a group.
    let r = get(&s, "/users/alice/profile");
    assert_eq!(r.status, 200, "{}", r.summary());
    assert_eq!(r.header("x-demoapp-path"), Some("/echo/alice"));
    // rewrite.authority: the pod sees the new Host (routing still by the original one).
    let r = get(&s, "/authority");
    assert_eq!(r.status, 200, "{}", r.summary());
    assert_eq!(r.header("x-demoapp-path"), Some("/echo"));
    assert_eq!(r.header("x-demoapp-host"), Some("demoapp.internal"));
    assert_eq!(echoed(&r, "host"), vec!["demoapp.internal".to_string()]);
    // Untouched otherwise.
    let r = get(&s, "/hostname?z=9");
    assert_eq!(r.header("x-demoapp-path"), Some("/hostname?z=9"));
    assert_eq!(r.header("x-demoapp-host"), Some(DEMOAPP));
}

fn v11_share(rs: &[Response]) -> f64 {
    for r in rs {
        assert_eq!(r.status, 200, "{}", r.summary());
    }
    let v11 = rs
        .iter()
        .filter(|r| r.pod().is_some_and(|p| p.starts_with("demoappv11-")))
        .count();
    v11 as f64 * 100.0 / rs.len() as f64
}

/// Point 2: 90/10 between two subsets, and weights 3/1 that do not sum to 100 (relative: 25 %).
#[test]
fn e2e_weighted_routing_90_10_and_relative_weights() {
    let Some(s) = start("e2e_weighted_routing", "02-weights", &[]) else {
        return;
    };
    let addr = s.addr();
    let load = |path: &'static str| -> Vec<Response> {
        parallel(4, |_| {
            let mut c = Conn::open(addr).expect("connect");
            (0..150)
                .map(|_| c.request("GET", path, DEMOAPP, &[], true).expect("request"))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
    };
    let rs = load("/");
    let share = v11_share(&rs);
    println!(
        "90/10: v1.1 share {share:.1}% of {}: {:?}",
        rs.len(),
        by_pod(&rs)
    );
    assert!(
        (share - 10.0).abs() <= 5.0,
        "v1.1 took {share:.1}% (10 ± 5)"
    );
    assert_eq!(by_pod(&rs).len(), 5, "every pod of both subsets served");
    let rs = load("/canary");
    let share = v11_share(&rs);
    println!(
        "3:1: v1.1 share {share:.1}% of {}: {:?}",
        rs.len(),
        by_pod(&rs)
    );
    assert!(
        (share - 25.0).abs() <= 6.0,
        "weights 3 and 1: v1.1 took {share:.1}% (25 ± 6)"
    );
}

/// Point 3: request set/add/remove seen by the pod, response set/add/remove seen by the client,
/// at the route and the destination level.
#[test]
fn e2e_header_operations_route_and_destination_level() {
    let Some(s) = start("e2e_header_operations", "03-headers", &[]) else {
        return;
    };
    let r = get_with(
        &s,
        "/echo",
        &[
            ("x-route", "from-client"),
            ("x-trace-tag", "client"),
            ("x-debug-token", "secret"),
            ("x-destination", "from-client"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.summary());
    assert!(r.pod().is_some_and(|p| p.starts_with("demoappv10-")));
    // Request, route level: set replaces, add appends, remove drops.
    assert_eq!(echoed(&r, "x-route"), vec!["default"]);
    assert_eq!(echoed(&r, "x-trace-tag"), vec!["client", "meshroute"]);
    assert_eq!(echoed(&r, "x-debug-token"), Vec::<String>::new());
    // Request, destination level.
    assert_eq!(echoed(&r, "x-destination"), vec!["v10"]);
    // Response, route level: set, add; remove drops the pod's own header.
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-frontend-hint"), Some("a"));
    assert_eq!(r.header("x-demoapp-server-ip"), None, "removed");
    assert!(
        r.header("x-demoapp-name").is_some(),
        "other pod headers stay"
    );
    // Response, destination level.
    assert_eq!(r.header("x-served-by"), Some("demoapp-v10"));

    // The other route and destination: their own operations only.
    let r = get_with(&s, "/echo", &[("x-canary", "true"), ("x-debug-token", "t")]);
    assert_eq!(r.status, 200, "{}", r.summary());
    assert!(r.pod().is_some_and(|p| p.starts_with("demoappv11-")));
    assert_eq!(echoed(&r, "x-route"), vec!["canary"]);
    assert_eq!(echoed(&r, "x-destination"), vec!["v11"]);
    assert_eq!(
        echoed(&r, "x-debug-token"),
        vec!["t"],
        "not this route's op"
    );
    assert_eq!(r.header("x-served-by"), Some("demoapp-v11"));
    assert_eq!(r.header("cache-control"), None);
    assert!(r.header("x-demoapp-server-ip").is_some());

    // Keep-alive requests on one connection each get the operations once.
    for r in on_one_connection(&s, "/echo", 5) {
        assert_eq!(echoed(&r, "x-trace-tag"), vec!["meshroute"]);
        let adds: Vec<_> = r
            .headers
            .iter()
            .filter(|(k, _)| k == "x-frontend-hint")
            .collect();
        assert_eq!(adds.len(), 1, "{:?}", r.headers);
    }
}

fn options(s: &meshroute_tests::harness::Scenario, origin: &str, method: &str) -> Response {
    let mut c = Conn::open(s.addr()).expect("connect");
    c.request(
        "OPTIONS",
        "/api/items",
        DEMOAPP,
        &[
            ("origin", origin),
            ("access-control-request-method", method),
            ("access-control-request-headers", "x-custom"),
        ],
        false,
    )
    .expect("preflight")
}

/// Point 7: preflights from allowed origins (exact, prefix, regex) are answered per corsPolicy;
/// actual responses carry the headers; other origins get none.
#[test]
fn e2e_cors_preflight_actual_and_unmatched_origins() {
    let Some(s) = start("e2e_cors", "07-cors", &[]) else {
        return;
    };
    let before: u64 = s.pods.iter().map(|p| p.requests()).sum();
    for origin in [
        "https://fe.magedu.com",
        "https://dev.magedu.com",
        "https://shop.example.org",
    ] {
        let r = options(&s, origin, "POST");
        assert_eq!(r.status, 200, "preflight from {origin}: {}", r.summary());
        assert_eq!(r.pod(), None, "preflight answered by the sidecar");
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            r.header("access-control-allow-methods"),
            Some("GET,POST,PUT")
        );
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("x-custom,content-type")
        );
        assert_eq!(r.header("access-control-max-age"), Some("86400"));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    }
    let preflights: u64 = s.pods.iter().map(|p| p.requests()).sum();
    assert_eq!(preflights, before, "no preflight reached a pod");

    // Actual request from an allowed origin.
    let r = get_with(&s, "/", &[("origin", "https://fe.magedu.com")]);
    assert_eq!(r.status, 200, "{}", r.summary());
    assert!(r.pod().is_some());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://fe.magedu.com")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("x-demoapp-name,x-demoapp-version")
    );

    // Not allowed: `http://` instead of https, a regex that must match the whole origin,
    // a prefix that is not one.
    for origin in [
        "http://fe.magedu.com",
        "https://shop.example.org.evil.com",
        "https://prod.magedu.com",
    ] {
        let r = get_with(&s, "/", &[("origin", origin)]);
        assert_eq!(r.status, 200, "{}", r.summary());
        let cors: Vec<_> = r
            .headers
            .iter()
            .filter(|(k, _)| k.starts_with("access-control-"))
            .collect();
        assert!(cors.is_empty(), "{origin}: {cors:?}");
        // Its preflight is not answered by the sidecar: it goes to the pod (Envoy's default,
        // unmatchedPreflights FORWARD), which gives no CORS headers.
        let r = options(&s, origin, "GET");
        assert!(r.pod().is_some(), "{origin}: {}", r.summary());
        assert_eq!(r.header("access-control-allow-origin"), None, "{origin}");
    }
    // Without Origin: no CORS headers.
    let r = get(&s, "/");
    assert_eq!(r.header("access-control-allow-origin"), None);
}

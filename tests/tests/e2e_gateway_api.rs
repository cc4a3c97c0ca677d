//! Issue 17 in real Envoy: `examples/gateway-api/shop.yaml` — a Gateway API `Gateway` of class `istio`
//! and two HTTPRoutes for one host (weights, a header match, a redirect, a URL rewrite with a
//! header added, a mirror) — served by the filter on the seed's demoapp pods, the proxy being
//! the one Istio deploys for the Gateway (listener port 80).

mod actions_support;

use actions_support::{echo, echoed, write_config};
use meshroute_tests::harness::http::{tally, Response};
use meshroute_tests::harness::{eventually, Net, Scenario};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

const HOST: &str = "shop.example.com";

/// Writes the example and what it includes into `dir`, pod IPs moved into `net`.
fn write(net: &Net, dir: &Path) -> io::Result<PathBuf> {
    write_config("gateway-api/shop.yaml", &["gateway-api"], net, dir)
}

fn is_v11(r: &Response) -> bool {
    r.pod().is_some_and(|p| p.starts_with("demoappv11-"))
}

#[test]
fn e2e_gateway_api_routes() {
    run("e2e_gateway_api_routes", false);
}

/// The same through `meshroute bootstrap --native` (Envoy's own routes: `path_separated_prefix`,
/// `cluster_not_found_response_code`, weighted clusters, request mirror policies).
#[test]
fn e2e_gateway_api_routes_native() {
    run("e2e_gateway_api_routes_native", true);
}

fn run(test: &str, native: bool) {
    let Some(s) = Scenario::start_config(test, &[], write, |o| o.listener_port(80).native(native))
    else {
        return;
    };

    // Weights 3:1 between the two Services.
    let rs: Vec<Response> = (0..200).map(|_| s.get(HOST, "/")).collect();
    assert!(rs.iter().all(|r| r.status == 200), "{:?}", tally(&rs));
    let v11 = rs.iter().filter(|r| is_v11(r)).count();
    println!("weights 3:1: v1.1 answered {v11} of 200 ({:?})", tally(&rs));
    assert!((25..=80).contains(&v11), "{v11} of 200 went to v1.1");
    if !native {
        assert_eq!(
            rs[0]
                .header("x-meshroute-route")
                .map(|r| r.starts_with("default.shop.")),
            Some(true),
            "{}",
            rs[0].summary()
        );
    }

    // The header match beats the catch-all.
    for _ in 0..10 {
        let r = s.get_with(HOST, "/", &[("x-canary", "yes")]);
        assert_eq!(r.status, 200, "{}", r.summary());
        assert!(is_v11(&r), "answered by {:?}", r.pod());
    }

    // RequestRedirect: 301, prefix replaced, query kept, no pod.
    let r = s.get(HOST, "/old/page?q=1");
    assert_eq!(r.status, 301, "{}", r.summary());
    assert_eq!(
        r.header("location"),
        Some("http://shop.example.com/new/page?q=1")
    );
    assert_eq!(r.pod(), None);

    // URLRewrite ReplacePrefixMatch `/` strips /api; RequestHeaderModifier adds x-via.
    let r = s.get(HOST, "/api/echo/x?a=b");
    assert_eq!(r.status, 200, "{}", r.summary());
    assert!(
        r.pod().is_some_and(|p| p.starts_with("demoappv10-")),
        "{}",
        r.summary()
    );
    assert_eq!(echo(&r)["path"], "/echo/x?a=b");
    assert_eq!(echoed(&r, "x-via"), ["gateway-api"]);

    // RequestMirror: v1.0 answers, v1.1 gets a copy of each request.
    let v11_pods: Vec<_> = s
        .pods
        .iter()
        .filter(|p| p.name.starts_with("demoappv11-"))
        .collect();
    let count = || v11_pods.iter().map(|p| p.requests()).sum::<u64>();
    let before = count();
    for _ in 0..20 {
        let r = s.get(HOST, "/mirror");
        assert_eq!(r.status, 200, "{}", r.summary());
        assert!(!is_v11(&r), "answered by {:?}", r.pod());
    }
    let got = eventually(Duration::from_secs(5), || {
        (count() >= before + 20).then_some(())
    });
    assert!(
        got.is_some(),
        "v1.1 got {} mirrored of 20",
        count() - before
    );

    // A host the listener's `*.example.com` covers but no route names: 404; another domain too.
    assert_eq!(s.get("other.example.com", "/").status, 404);
    assert_eq!(s.get("shop.example.org", "/").status, 404);
}

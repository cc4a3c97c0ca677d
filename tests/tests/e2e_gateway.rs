//! The seed's ingress gateway in real Envoy 1.40: host matching, the VirtualService's effect,
//! and the answers real Istio gives (404 for hosts nobody routes, 503 for a destination that
//! names no service).

use meshroute_tests::harness::http::tally;
use meshroute_tests::harness::seed::{self, Seed, HOST};
use meshroute_tests::harness::{Reload, Role, Scenario};
use std::collections::BTreeSet;
use std::time::Duration;

const V10_PODS: [&str; 3] = ["demoappv10-1", "demoappv10-2", "demoappv10-3"];

/// `n` requests on fresh connections; every one must be a 200 from a v1.0 pod. Returns the
/// pods that answered.
fn all_from_v10_pods(s: &Scenario, host: &str, n: usize) -> BTreeSet<String> {
    let responses: Vec<_> = (0..n).map(|_| s.get(host, "/")).collect();
    for r in &responses {
        assert_eq!(r.status, 200, "Host {host}: {}", r.summary());
        assert!(
            V10_PODS.contains(&r.pod().unwrap_or("")),
            "Host {host}: answered by {:?}, not a v1.0 pod",
            r.pod()
        );
        let body = r.text();
        assert!(
            body.starts_with("iKubernetes demoapp v1.0 !! ClientIP: "),
            "body {body:?}"
        );
    }
    tally(&responses).into_keys().collect()
}

#[test]
fn gateway_answers_404_before_the_virtual_service_and_all_three_pods_after() {
    let Some(mut s) = Scenario::start(
        "gateway_answers_404_before_the_virtual_service",
        Role::Gateway,
        |net| Seed::new(net).without_virtual_service(),
    ) else {
        return;
    };
    // The walkthrough, step one: Gateway applied, VirtualService not yet.
    let r = s.get(HOST, "/");
    assert_eq!(r.status, 404, "before the VirtualService: {}", r.summary());
    assert_eq!(r.pod(), None);

    // Step two: apply the VirtualService (ECDS reload, no restart).
    let config = Seed::new(&s.net)
        .write_gateway_config(s.dir.path())
        .expect("write config");
    assert_eq!(s.envoy.reload(&config), Ok(Reload::Applied));
    let first = meshroute_tests::harness::eventually(Duration::from_secs(5), || {
        let r = s.get(HOST, "/");
        (r.status == 200).then_some(r)
    })
    .expect("200 after the VirtualService was applied");
    assert_eq!(
        first.header("x-meshroute-virtual-service"),
        Some("default/demoappv10")
    );
    assert_eq!(
        first.header("x-meshroute-cluster"),
        Some("outbound|8080||demoappv10.default.svc.cluster.local")
    );
    let pods = all_from_v10_pods(&s, HOST, 30);
    assert_eq!(
        pods,
        V10_PODS.iter().map(|p| p.to_string()).collect(),
        "all three v1.0 pods answer"
    );
    s.assert_live();
}

#[test]
fn gateway_matches_hosts_like_istio() {
    let Some(mut s) = Scenario::start("gateway_matches_hosts_like_istio", Role::Gateway, |net| {
        Seed::new(net).gateway_hosts(&[HOST, "unrouted.magedu.com"])
    }) else {
        return;
    };
    all_from_v10_pods(&s, HOST, 6);
    // The port in the authority is the Gateway server port (80): still the same virtual host.
    let r = s.get(&format!("{HOST}:80"), "/");
    assert_eq!(r.status, 200, "{HOST}:80: {}", r.summary());
    assert_eq!(r.header("x-demoapp-host"), Some("demoappv10.magedu.com:80"));
    // Host names are case-insensitive.
    let r = s.get("DemoAppV10.Magedu.COM", "/");
    assert_eq!(r.status, 200, "upper case: {}", r.summary());
    // A host the Gateway does not accept.
    let r = s.get("www.magedu.com", "/");
    assert_eq!(r.status, 404, "unknown host: {}", r.summary());
    assert_eq!(r.pod(), None);
    // A host the Gateway accepts but no VirtualService routes: Istio has no virtual host → 404.
    let r = s.get("unrouted.magedu.com", "/");
    assert_eq!(
        r.status,
        404,
        "gateway host without a VirtualService: {}",
        r.summary()
    );
    assert_eq!(r.pod(), None);
    s.assert_live();
}

#[test]
fn walkthrough_literal_destination_answers_503() {
    // `host: demoappv10.default.svc` has a dot, so Istio takes it literally: no such service.
    let Some(mut s) = Scenario::start(
        "walkthrough_literal_destination_answers_503",
        Role::Gateway,
        |net| Seed::new(net).destination("demoappv10.default.svc"),
    ) else {
        return;
    };
    for _ in 0..3 {
        let r = s.get(HOST, "/");
        assert_eq!(r.status, 503, "{}", r.summary());
        assert_eq!(r.pod(), None);
    }
    // Nothing reached a pod.
    assert!(s.pods.iter().all(|p| p.requests() == 0));
    s.assert_live();
}

#[test]
fn shipped_seed_files_route_through_envoy() {
    // examples/configs/seed-gateway.yaml + examples/seed/*.yaml, only the pod IPs moved to this
    // test's range.
    let Some(s) = Scenario::start_config(
        "shipped_seed_files_route_through_envoy",
        &[],
        seed::shipped,
        |o| o,
    ) else {
        return;
    };
    let pods = all_from_v10_pods(&s, HOST, 30);
    assert_eq!(pods, V10_PODS.iter().map(|p| p.to_string()).collect());
    let r = s.get("www.magedu.com", "/");
    assert_eq!(r.status, 404, "{}", r.summary());
}

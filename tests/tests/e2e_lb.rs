//! Endpoint choice through real Envoy: LEAST_REQUEST against a slow pod, weighted subsets,
//! consistent hashing. Envoy runs two workers, each with its own LB state (as Envoy's own
//! balancers); the client spreads its connections over both.

use meshroute_tests::harness::http::{self, parallel, tally, Conn};
use meshroute_tests::harness::seed::{Seed, HOST};
use meshroute_tests::harness::{Role, Scenario};
use std::collections::{BTreeMap, BTreeSet};

/// `per_thread` keep-alive requests on each of `threads` connections; the answering pods.
fn load(s: &Scenario, host: &str, threads: usize, per_thread: usize) -> BTreeMap<String, usize> {
    let addr = s.addr();
    let responses = parallel(threads, |_| {
        let mut c = Conn::open(addr).expect("connect to envoy");
        (0..per_thread)
            .map(|_| c.request("GET", "/", host, &[], true).expect("request"))
            .collect::<Vec<_>>()
    });
    let all: Vec<_> = responses.into_iter().flatten().collect();
    for r in &all {
        assert_eq!(r.status, 200, "{}", r.summary());
    }
    tally(&all)
}

#[test]
fn least_request_sends_less_traffic_to_a_slow_pod() {
    // The seed's DestinationRule: LEAST_CONN, which Istio configures as Envoy's LEAST_REQUEST
    // (power of two choices on active requests).
    let Some(s) = Scenario::start(
        "least_request_sends_less_traffic_to_a_slow_pod",
        Role::Gateway,
        Seed::new,
    ) else {
        return;
    };
    let slow = s.pod("demoappv10-2");
    let r = http::get(slow.addr, "x", "/admin/latency?ms=150", &[]).expect("set latency");
    assert_eq!(r.status, 200, "{}", r.summary());
    let counts = load(&s, HOST, 10, 50);
    let n = |p: &str| counts.get(p).copied().unwrap_or(0);
    println!("concurrent requests per pod with demoappv10-2 slow (150 ms): {counts:?}");
    for fast in ["demoappv10-1", "demoappv10-3"] {
        assert!(
            n(fast) >= 2 * n("demoappv10-2"),
            "{fast} should take clearly more than the slow pod: {counts:?}"
        );
    }
}

const SUBSETS: &str = "apiVersion: v1
kind: Service
metadata: {name: demoapp, namespace: default}
spec:
  clusterIP: 10.96.10.20
  selector: {app: demoapp}
  ports: [{name: http, port: 8080, targetPort: 8080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: demoapp, namespace: default}
spec:
  host: demoapp
  subsets:
  - name: v10
    labels: {version: v1.0}
  - name: v11
    labels: {version: v1.1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: demoapp, namespace: default}
spec:
  hosts: [demoapp.magedu.com]
  gateways: [istio-system/demoappv10-gateway]
  http:
  - route:
    - destination: {host: demoapp, subset: v10}
      weight: 90
    - destination: {host: demoapp, subset: v11}
      weight: 10
";

#[test]
fn subsets_split_90_10_within_5_percent_over_1000_requests() {
    let Some(s) = Scenario::start(
        "subsets_split_90_10_within_5_percent",
        Role::Gateway,
        |net| {
            Seed::new(net)
                .gateway_hosts(&[HOST, "demoapp.magedu.com"])
                .with(SUBSETS)
        },
    ) else {
        return;
    };
    let counts = load(&s, "demoapp.magedu.com", 4, 250);
    let total: usize = counts.values().sum();
    assert_eq!(total, 1000);
    let v11: usize = counts
        .iter()
        .filter(|(p, _)| p.starts_with("demoappv11-"))
        .map(|(_, n)| n)
        .sum();
    let share = v11 as f64 * 100.0 / total as f64;
    println!("v1.1 share {share:.1}% over {total} requests: {counts:?}");
    assert!(
        (share - 10.0).abs() <= 5.0,
        "v1.1 took {share:.1}% (expected 10 ± 5): {counts:?}"
    );
    // Every pod of each subset served (the subset's own LB spreads inside it).
    assert_eq!(counts.len(), 5, "{counts:?}");
}

#[test]
fn consistent_hash_on_x_user_pins_each_user_to_one_pod() {
    let Some(s) = Scenario::start(
        "consistent_hash_on_x_user_pins_each_user_to_one_pod",
        Role::Gateway,
        |net| Seed::new(net).load_balancer(Some("{consistentHash: {httpHeaderName: x-user}}")),
    ) else {
        return;
    };
    let mut pods_used = BTreeSet::new();
    for u in 0..12 {
        let user = format!("user-{u}");
        // Fresh connections: both Envoy workers must agree on the pod.
        let seen: BTreeSet<String> = (0..8)
            .map(|_| {
                let r = s.get_with(HOST, "/", &[("x-user", &user)]);
                assert_eq!(r.status, 200, "{}", r.summary());
                r.pod().unwrap_or("").to_string()
            })
            .collect();
        assert_eq!(seen.len(), 1, "{user} was served by {seen:?}");
        pods_used.extend(seen);
    }
    assert!(
        pods_used.len() >= 2,
        "12 users all hashed to {pods_used:?}: the hash does not spread"
    );
    // No header, no hash: still served.
    assert_eq!(s.get(HOST, "/").status, 200);
}

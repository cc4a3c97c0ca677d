//! Where a request's retries go: one endpoint per attempt, drawn when the request is routed
//! (the filter lists them for Envoy's override_host policy). Istio's retry policy carries the
//! `previous_hosts` predicate (retries avoid the endpoints already tried) unless
//! `retryIgnorePreviousHosts: false`, and never for a consistent-hash destination
//! (pilot/pkg/networking/core/route/retry/retry.go).

use meshroute_core::check::prepare;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::{decide, LbState, Outcome, Request};
use meshroute_core::table::RouteTable;

const CONFIG: &str = "proxy: {kind: sidecar, namespace: default, labels: {app: sleep}}
resources: |
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec:
    selector: {app: web}
    ports: [{name: http, port: 80}]
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: default, labels: {app: web}}
  status: {podIP: 10.0.0.1}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: web-2, namespace: default, labels: {app: web}}
  status: {podIP: 10.0.0.2}
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: web-3, namespace: default, labels: {app: web}}
  status: {podIP: 10.0.0.3}
  ---
  apiVersion: v1
  kind: Service
  metadata: {name: sticky, namespace: default}
  spec:
    selector: {app: web}
    ports: [{name: http, port: 80}]
  ---
  apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: sticky, namespace: default}
  spec:
    host: sticky
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpHeaderName: x-user}
  ---
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: web, namespace: default}
  spec:
    hosts: [web]
    http:
    - match: [{uri: {prefix: /own}}]
      retries: {attempts: 3, retryOn: 5xx}
      route: [{destination: {host: web}}]
    - match: [{uri: {prefix: /same}}]
      retries: {attempts: 3, retryOn: 5xx, retryIgnorePreviousHosts: false}
      route: [{destination: {host: web}}]
    - match: [{uri: {prefix: /none}}]
      retries: {attempts: 0}
      route: [{destination: {host: web}}]
    - route: [{destination: {host: web}}]
";

fn table() -> RouteTable {
    prepare("c.yaml", CONFIG.as_bytes(), &LoadOptions::default())
        .map(|p| p.table)
        .unwrap_or_else(|d| panic!("{d:#?}"))
}

/// The attempts' endpoint addresses of `n` requests to `authority` `path`.
fn attempts(t: &RouteTable, authority: &str, path: &str, user: &str, n: u64) -> Vec<Vec<String>> {
    let mut lb = LbState::for_table(t);
    let mut rng = SplitMix64(99);
    let headers: [(&[u8], &[u8]); 1] = [(b"x-user", user.as_bytes())];
    (0..n)
        .map(|_| {
            let req = Request {
                filter_chain: b"",
                listener_port: 80,
                authority: authority.as_bytes(),
                path: path.as_bytes(),
                method: b"GET",
                scheme: b"http",
                headers: &headers,
                source_ip: None,
            };
            match decide(t, &req, &mut lb, 0, &mut rng, false).outcome {
                Outcome::Forward(f) => {
                    let c = &t.clusters[f.cluster as usize];
                    f.attempt_endpoints
                        .iter()
                        .map(|&i| c.endpoints[i].address.clone())
                        .collect()
                }
                Outcome::Reply(r) => panic!("{r:?}"),
            }
        })
        .collect()
}

fn distinct(a: &[String]) -> usize {
    let mut v = a.to_vec();
    v.sort();
    v.dedup();
    v.len()
}

#[test]
fn default_policy_retries_twice_on_other_endpoints() {
    let t = table();
    let runs = attempts(&t, "web", "/", "", 500);
    assert!(runs.iter().all(|a| a.len() == 3), "{:?}", runs[0]);
    // LEAST_REQUEST draws at random here (nothing in flight) and a retry draws again, up to six
    // times, while it meets an endpoint already tried: the first retry repeats the first
    // endpoint in (1/3)^6 ≈ 0.14 % of requests, the second finds the one left in all but
    // (2/3)^6 ≈ 8.8 %.
    let first_again = runs.iter().filter(|a| a[1] == a[0]).count();
    assert!(
        first_again <= 5,
        "{first_again} of 500 retried the first endpoint"
    );
    let all_three = runs.iter().filter(|a| distinct(a) == 3).count();
    assert!(
        (410..=490).contains(&all_three),
        "{all_three} of 500 tried three endpoints"
    );
}

#[test]
fn own_policy_lists_every_attempt_and_attempts_zero_none() {
    let t = table();
    let runs = attempts(&t, "web", "/own", "", 100);
    assert!(runs.iter().all(|a| a.len() == 4), "{:?}", runs[0]);
    // Three endpoints, four attempts: the last retry has no endpoint left to try and takes its
    // last draw.
    assert!(runs.iter().all(|a| distinct(a) < 4));
    assert!(runs.iter().filter(|a| a[1] != a[0]).count() >= 98);
    assert!(attempts(&t, "web", "/none", "", 20)
        .iter()
        .all(Vec::is_empty));
}

#[test]
fn retry_ignore_previous_hosts_false_lets_retries_repeat_an_endpoint() {
    let t = table();
    let runs = attempts(&t, "web", "/same", "", 500);
    let repeated = runs.iter().filter(|a| distinct(a) < a.len()).count();
    // Four plain draws over three endpoints always repeat one.
    assert_eq!(repeated, 500);
    let first_again = runs.iter().filter(|a| a[1] == a[0]).count();
    assert!(
        (100..=250).contains(&first_again),
        "{first_again} of 500 first retries went where the first attempt went"
    );
}

#[test]
fn consistent_hash_retries_stay_on_the_users_endpoint() {
    let t = table();
    for user in ["alice", "bob", "carol", "dave"] {
        let runs = attempts(&t, "sticky", "/", user, 20);
        let first = &runs[0][0];
        for a in &runs {
            assert_eq!(a.len(), 3);
            assert!(a.iter().all(|e| e == first), "{user}: {a:?}");
        }
    }
}

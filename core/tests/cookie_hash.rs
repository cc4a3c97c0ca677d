//! The consistent-hash cookie Envoy generates (`session="<hex>"`, quoted) must hash like its
//! value when the client sends it back: Envoy strips the quotes (`Http::Utility::
//! parseCookieValue`, source/common/http/utility.cc, RFC 6265 §4.1.1).

use meshroute_core::check::prepare;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::{decide, LbState, Outcome, Request};

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
  apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: web, namespace: default}
  spec:
    host: web
    trafficPolicy:
      loadBalancer:
        consistentHash:
          httpCookie: {name: session, path: /, ttl: 60s}
";

#[test]
fn generated_cookie_sent_back_quoted_hashes_like_the_generating_request() {
    let table = prepare("c.yaml", CONFIG.as_bytes(), &LoadOptions::default())
        .map(|p| p.table)
        .unwrap_or_else(|d| panic!("{d:#?}"));
    let mut lb = LbState::for_table(&table);
    let run = |lb: &mut LbState, headers: &[(&[u8], &[u8])]| {
        let req = Request {
            filter_chain: b"",
            listener_port: 80,
            authority: b"web",
            path: b"/",
            method: b"GET",
            scheme: b"http",
            headers,
            source_ip: Some("10.1.2.3".parse().unwrap()),
        };
        match decide(&table, &req, lb, 0, &mut SplitMix64(1), false).outcome {
            Outcome::Forward(f) => (f.hash, f.set_cookie),
            Outcome::Reply(r) => panic!("{r:?}"),
        }
    };
    let (hash, set) = run(&mut lb, &[]);
    let set = set.expect("a cookie is generated when absent and ttl is set");
    let sent = set.split(';').next().unwrap().to_string();
    assert!(sent.starts_with("session=\""), "{set}");
    let value = sent["session=".len()..].trim_matches('"').to_string();
    let quoted = format!("other=1; {sent}");
    let (h_quoted, again) = run(&mut lb, &[(b"cookie", quoted.as_bytes())]);
    assert_eq!(again, None, "no new cookie when the client has one");
    assert_eq!(h_quoted, hash, "quoted cookie value");
    let bare = format!("session={value}");
    assert_eq!(
        run(&mut lb, &[(b"cookie", bare.as_bytes())]).0,
        hash,
        "unquoted"
    );
}

/// The filter asks Envoy for the client's address only when a table can use it (source-IP
/// hashing, or a generated hash cookie, whose value hashes the address), and for the time only
/// when a cluster has outlier detection.
#[test]
fn tables_say_whether_they_use_the_source_address_and_the_clock() {
    let original = "    trafficPolicy:\n      loadBalancer:\n        consistentHash:\n          httpCookie: {name: session, path: /, ttl: 60s}\n";
    assert!(CONFIG.ends_with(original));
    let with = |traffic_policy: &str| {
        let cfg = CONFIG.replace(original, traffic_policy);
        prepare("c.yaml", cfg.as_bytes(), &LoadOptions::default())
            .map(|p| p.table)
            .unwrap_or_else(|d| panic!("{d:#?}"))
    };
    let t = with("    trafficPolicy:\n      loadBalancer:\n        consistentHash:\n          httpCookie: {name: session, path: /, ttl: 60s}\n");
    assert!(t.uses_source_ip() && !t.uses_clock());
    let t = with("    trafficPolicy:\n      loadBalancer:\n        consistentHash:\n          httpCookie: {name: session, path: /}\n");
    assert!(!t.uses_source_ip(), "a cookie that is never generated");
    let t = with(
        "    trafficPolicy:\n      loadBalancer:\n        consistentHash: {useSourceIp: true}\n",
    );
    assert!(t.uses_source_ip());
    let t = with("    trafficPolicy:\n      loadBalancer: {simple: LEAST_REQUEST}\n      outlierDetection: {consecutive5xxErrors: 1}\n");
    assert!(!t.uses_source_ip() && t.uses_clock());
    let t = with("    trafficPolicy:\n      loadBalancer: {simple: ROUND_ROBIN}\n");
    assert!(!t.uses_source_ip() && !t.uses_clock());
}

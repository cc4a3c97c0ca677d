//! Hostile requests through the filter's per-request plan (`plan::plan`, the whole request path
//! minus the hostcalls): spoofed steering, router and debug headers, `Host` vs `:authority`,
//! absolute-form targets, non-UTF-8 and NUL bytes, huge and numerous headers. Recorded in
//! docs/RELIABILITY.md ("Adversarial input").
use meshroute_core::check::prepare;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::LoadOptions;
use meshroute_core::route::LbState;
use meshroute_core::table::RouteTable;
use meshroute_filter::plan::{
    plan, Edit, Incoming, Plan, CLUSTER_HEADER, CONTROL_HEADERS, DEBUG_HEADERS, ENDPOINT_HEADER,
};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
proxy: {kind: gateway, namespace: istio-system, labels: {istio: ingressgateway}}
listenerPort: 8080
resources: |
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec:
    selector: {app: web}
    ports: [{name: http, port: 8080}]
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: default, labels: {app: web}}
  status: {podIP: 10.0.0.1}
  ---
  apiVersion: v1
  kind: Service
  metadata: {name: admin, namespace: default}
  spec:
    selector: {app: admin}
    ports: [{name: http, port: 8080}]
  ---
  apiVersion: v1
  kind: Pod
  metadata: {name: admin-1, namespace: default, labels: {app: admin}}
  status: {podIP: 10.0.9.1}
  ---
  apiVersion: v1
  kind: Service
  metadata: {name: istio-ingressgateway, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    ports: [{name: http2, port: 80, targetPort: 8080}]
  ---
  apiVersion: networking.istio.io/v1
  kind: Gateway
  metadata: {name: gw, namespace: istio-system}
  spec:
    selector: {istio: ingressgateway}
    servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
  ---
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: web, namespace: default}
  spec:
    hosts: [web.example.com]
    gateways: [istio-system/gw]
    http:
    - match: [{uri: {prefix: /v1/}}]
      rewrite: {uri: /}
      route: [{destination: {host: web}}]
    - route: [{destination: {host: web}}]
  ---
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: admin, namespace: default}
  spec:
    hosts: [admin.example.com]
    gateways: [istio-system/gw]
    http:
    - route: [{destination: {host: admin}}]
"#;

const WEB: &str = "10.0.0.1:8080";
const ADMIN: &str = "10.0.9.1:8080";

fn table() -> RouteTable {
    prepare("adv.yaml", CONFIG.as_bytes(), &LoadOptions::default())
        .map(|p| p.table)
        .unwrap_or_else(|d| panic!("{d:#?}"))
}

fn req(authority: &[u8], path: &[u8], extra: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    let mut h = vec![
        (":authority".to_string(), authority.to_vec()),
        (":path".to_string(), path.to_vec()),
        (":method".to_string(), b"GET".to_vec()),
        (":scheme".to_string(), b"http".to_vec()),
    ];
    h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_vec())));
    h
}

fn run(t: &RouteTable, debug: bool, h: &[(String, Vec<u8>)]) -> Plan {
    let mut lb = LbState::for_table(t);
    let inc = Incoming {
        filter_chain: b"",
        headers: h,
        source: None,
        listener_port: 8080,
    };
    plan(t, debug, &inc, &mut lb, 0, &mut SplitMix64(3))
}

/// The request headers after the plan's edits, applied as Envoy does (names case-insensitive).
fn applied(h: &[(String, Vec<u8>)], p: &Plan) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = h
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    for e in &p.request {
        match e {
            Edit::Set(k, v) => {
                out.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
                if let Some(v) = v {
                    out.push((k.clone(), v.clone().into_bytes()));
                }
            }
            Edit::Add(k, v) => out.push((k.clone(), v.clone().into_bytes())),
        }
    }
    out
}

fn value<'a>(h: &'a [(String, Vec<u8>)], name: &str) -> Vec<&'a [u8]> {
    h.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
        .collect()
}

fn steered(t: &RouteTable, h: &[(String, Vec<u8>)]) -> Option<String> {
    let p = run(t, false, h);
    let after = applied(h, &p);
    let v = value(&after, ENDPOINT_HEADER);
    assert!(v.len() <= 1);
    // One endpoint per attempt (Istio's default policy retries twice): the table has one
    // endpoint, so every entry must be it.
    let v = v.first().map(|v| String::from_utf8_lossy(v).into_owned())?;
    let entries: Vec<&str> = v.split(',').collect();
    assert!(entries.iter().all(|e| *e == entries[0]), "{v}");
    Some(entries[0].to_string())
}

/// Every control header, in any letter case, is removed or overwritten — on a forwarded request
/// and on a local reply alike.
#[test]
fn spoofed_control_headers_never_survive() {
    let t = table();
    for host in [&b"web.example.com"[..], b"nobody.example.com"] {
        for upper in [false, true] {
            let spoofed: Vec<(String, Vec<u8>)> = CONTROL_HEADERS
                .iter()
                .map(|h| {
                    let name = if upper {
                        h.to_ascii_uppercase()
                    } else {
                        h.to_string()
                    };
                    (name, b"6.6.6.6:22".to_vec())
                })
                .collect();
            let extra: Vec<(&str, &[u8])> = spoofed
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice()))
                .collect();
            let h = req(host, b"/", &extra);
            let p = run(&t, false, &h);
            let after = applied(&h, &p);
            for c in CONTROL_HEADERS {
                for v in value(&after, c) {
                    assert_ne!(v, b"6.6.6.6:22", "{c} survived (upper={upper})");
                }
            }
            if host == b"web.example.com" {
                assert_eq!(steered(&t, &h).as_deref(), Some(WEB));
                // The shared upstream cluster is the bootstrap routes' default: no cluster
                // header at all (a client's is gone).
                assert!(value(&after, CLUSTER_HEADER).is_empty());
            } else {
                assert_eq!(p.reply.as_ref().map(|r| r.status), Some(404));
                assert!(value(&after, ENDPOINT_HEADER).is_empty());
            }
        }
    }
}

/// Router controls beyond retries and timeouts (hedging, the timeout reply, the expected
/// timeout, stream duration, alternate stats) are stripped too.
#[test]
fn router_request_controls_are_stripped() {
    let t = table();
    for name in [
        "x-envoy-hedge-on-per-try-timeout",
        "x-envoy-upstream-rq-timeout-alt-response",
        "x-envoy-expected-rq-timeout-ms",
        "x-envoy-upstream-stream-duration-ms",
        "x-envoy-upstream-alt-stat-name",
    ] {
        let h = req(b"web.example.com", b"/", &[(name, b"1")]);
        let after = applied(&h, &run(&t, false, &h));
        assert!(value(&after, name).is_empty(), "{name} not stripped");
    }
}

/// Debug headers are response headers the filter sets; a client sending them on the request
/// changes nothing, and with `debug` on the response values are the filter's own.
#[test]
fn spoofed_debug_headers_change_nothing() {
    let t = table();
    let spoof: Vec<(&str, &[u8])> = DEBUG_HEADERS.iter().map(|h| (*h, &b"evil"[..])).collect();
    let plain = req(b"web.example.com", b"/", &[]);
    let spoofed = req(b"web.example.com", b"/", &spoof);
    assert_eq!(steered(&t, &spoofed), steered(&t, &plain));
    let p = run(&t, true, &spoofed);
    for h in DEBUG_HEADERS {
        let set: Vec<&Option<String>> = p
            .response
            .edits
            .iter()
            .filter_map(|e| match e {
                Edit::Set(k, v) if k == h => Some(v),
                _ => None,
            })
            .collect();
        assert_eq!(set.len(), 1, "{h}");
        assert_ne!(set[0].as_deref(), Some("evil"), "{h}");
    }
}

/// `:authority` decides the virtual host; `host` is used only when `:authority` is empty (Envoy
/// always fills `:authority`, from `Host` for HTTP/1).
#[test]
fn host_header_does_not_override_authority() {
    let t = table();
    let h = req(b"web.example.com", b"/", &[("host", b"admin.example.com")]);
    assert_eq!(steered(&t, &h).as_deref(), Some(WEB));
    let h = req(b"", b"/", &[("host", b"admin.example.com")]);
    assert_eq!(steered(&t, &h).as_deref(), Some(ADMIN));
    let h = req(
        b"WEB.example.COM:80",
        b"/",
        &[("host", b"admin.example.com")],
    );
    assert_eq!(steered(&t, &h).as_deref(), Some(WEB));
}

/// Envoy turns an absolute-form target into `:authority` + origin-form `:path`
/// (`allow_absolute_url`); a full URL left in `:path` routes nowhere and steers nothing.
#[test]
fn absolute_form_path_steers_nowhere() {
    let t = table();
    let h = req(b"web.example.com", b"http://admin.example.com/", &[]);
    let p = run(&t, false, &h);
    assert_eq!(p.reply.as_ref().map(|r| r.status), Some(404));
    assert!(value(&applied(&h, &p), ENDPOINT_HEADER).is_empty());
}

/// Non-UTF-8 and NUL bytes anywhere: no panic; the request routes by bytes.
#[test]
fn binary_bytes_in_headers_path_and_authority() {
    let t = table();
    let h = req(
        b"web.example.com",
        b"/\xff\x00/x",
        &[("x-bin", b"\x00\xfe\xff"), ("cookie", b"\x80=\x81")],
    );
    assert_eq!(steered(&t, &h).as_deref(), Some(WEB));
    let h = req(b"web.example.com\x00", b"/", &[]);
    assert_eq!(steered(&t, &h), None);
    let h = req(b"\xff\xfe", b"\x00", &[("\u{0}", b"\x00")]);
    assert_eq!(steered(&t, &h), None);
    // A rewrite of a non-UTF-8 path: the plan's header values are strings, so invalid bytes
    // become U+FFFD. Envoy's `normalize_path` percent-encodes such bytes before the filter, so
    // in Envoy the path the filter sees (and rewrites) is ASCII.
    let h = req(b"web.example.com", b"/v1/caf\xe9", &[]);
    let p = run(&t, false, &h);
    let path = applied(&h, &p);
    assert_eq!(value(&path, ":path"), vec!["/caf\u{fffd}".as_bytes()]);
    let h = req(b"web.example.com", b"/v1/caf%E9", &[]);
    let path = applied(&h, &run(&t, false, &h));
    assert_eq!(value(&path, ":path"), vec![&b"/caf%E9"[..]]);
}

/// 64 KB values and thousands of headers: bounded time, correct answer. (Envoy's own limits,
/// 60 KiB of headers and 100 headers by default, come first in practice.)
#[test]
fn huge_and_numerous_headers() {
    let t = table();
    let big = vec![b'x'; 65_536];
    let names: Vec<String> = (0..10_000).map(|i| format!("x-h{i}")).collect();
    let mut extra: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &big[..64])).collect();
    extra.push(("x-big", &big));
    extra.push((ENDPOINT_HEADER, b"6.6.6.6:22"));
    let h = req(b"web.example.com", b"/", &extra);
    let start = Instant::now();
    let got = steered(&t, &h);
    let took = start.elapsed();
    println!("10k headers + one 64 KB value: {took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(got.as_deref(), Some(WEB));
}

//! The filter's per-request logic as a pure function: request headers in, a [`Plan`] of header
//! edits or a local reply out. No hostcalls here, so it runs (and is tested, and fuzzed)
//! natively; `lib.rs` only applies the plan through proxy-wasm.

use meshroute_core::lb::Rng;
use meshroute_core::route::{decide, Decision, LbState, Outcome, ReplyKind, Request};
use meshroute_core::table::{RouteTable, PASSTHROUGH_CLUSTER};
use std::net::IpAddr;

// The header and cluster names the bootstrap (envoy-config/src/filter.rs) reads: one definition.
pub use meshroute_core::wire::{
    CLUSTER_HEADER, DELAY_PSEUDO_HEADER, ENDPOINT_HEADER, MAX_MIRRORS, MIRROR_CLUSTERS,
    MIRROR_CLUSTER_HEADERS, MIRROR_ENDPOINT_HEADERS, RETRY_ROUTE_HEADER, UPSTREAM_CLUSTER,
};

/// Headers a client must never be able to set: steering, mirroring and the router/fault
/// controls the filter owns. They are removed from every request before anything else.
pub const CONTROL_HEADERS: &[&str] = &[
    ENDPOINT_HEADER,
    CLUSTER_HEADER,
    RETRY_ROUTE_HEADER,
    MIRROR_CLUSTER_HEADERS[0],
    MIRROR_CLUSTER_HEADERS[1],
    MIRROR_CLUSTER_HEADERS[2],
    MIRROR_CLUSTER_HEADERS[3],
    MIRROR_ENDPOINT_HEADERS[0],
    MIRROR_ENDPOINT_HEADERS[1],
    MIRROR_ENDPOINT_HEADERS[2],
    MIRROR_ENDPOINT_HEADERS[3],
    "x-envoy-upstream-rq-timeout-ms",
    "x-envoy-upstream-rq-per-try-timeout-ms",
    "x-envoy-retry-on",
    "x-envoy-retry-grpc-on",
    "x-envoy-max-retries",
    "x-envoy-retriable-status-codes",
    "x-envoy-retriable-header-names",
    "x-envoy-fault-delay-request",
    "x-envoy-fault-delay-request-percentage",
    "x-envoy-fault-abort-request",
    "x-envoy-fault-abort-request-percentage",
    "x-envoy-fault-abort-grpc-request",
    "x-envoy-fault-throughput-response",
    // The router's other request controls (Envoy docs, router filter "HTTP header
    // manipulation"): a client must not turn on hedging, change the timeout reply or the
    // timeout Envoy assumes downstream.
    "x-envoy-hedge-on-per-try-timeout",
    "x-envoy-upstream-rq-timeout-alt-response",
    "x-envoy-expected-rq-timeout-ms",
    "x-envoy-upstream-stream-duration-ms",
    "x-envoy-upstream-alt-stat-name",
];

/// Debug response headers (config `debug: true`).
pub const DEBUG_HEADERS: &[&str] = &[
    "x-meshroute-virtual-service",
    "x-meshroute-route",
    CLUSTER_HEADER,
    ENDPOINT_HEADER,
];

/// A request-header edit, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Set (replace all values) or, with `None`, remove.
    Set(String, Option<String>),
    Add(String, String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What to do to the response (on_http_response_headers).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponsePlan {
    pub edits: Vec<Edit>,
}

/// Everything the filter does for one request.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub request: Vec<Edit>,
    pub reply: Option<LocalReply>,
    pub response: ResponsePlan,
    /// (cluster, endpoint) whose in-flight count was taken and must be released at stream end.
    pub in_flight: Option<(u32, usize)>,
    /// With retries: the endpoint of every attempt in order (the first is `in_flight`'s), as
    /// listed in the endpoint header; the response's upstream address says how far Envoy got.
    pub attempts: Vec<usize>,
    /// A one-line reason for local replies (logged).
    pub reason: Option<String>,
    /// For stats and the access log: outcome, VirtualService, route, cluster.
    pub outcome: &'static str,
    pub virtual_service: Option<String>,
    pub route: Option<String>,
    pub cluster: Option<String>,
    /// Mirror clusters a copy was sent to.
    pub mirrored: Vec<u32>,
    /// Fault delay applied (ms).
    pub delayed: bool,
}

/// The request as read from Envoy.
pub struct Incoming<'a> {
    pub headers: &'a [(String, Vec<u8>)],
    pub source: Option<IpAddr>,
    pub listener_port: u32,
    /// The TLS filter chain Envoy chose (`xds.filter_chain_name`); read only on listeners with
    /// HTTPS servers, empty elsewhere.
    pub filter_chain: &'a [u8],
}

fn find<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map_or(&[][..], |(_, v)| v.as_slice())
}

/// gRPC retry conditions: in a route's `retry_on` Envoy reads them with the HTTP ones, but as
/// headers it parses them only from `x-envoy-retry-grpc-on` (`x-envoy-retry-on` ignores them;
/// source/common/router/retry_state_impl.cc `parseRetryOn` / `parseRetryGrpcOn`).
const GRPC_RETRY_ON: [&str; 5] = [
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/// Istio's `retryOn` list (as compiled) → (`x-envoy-retry-on`, `x-envoy-retry-grpc-on`) values.
pub fn split_retry_on(retry_on: &str) -> (String, String) {
    let (mut http, mut grpc) = (Vec::new(), Vec::new());
    for c in retry_on.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        if GRPC_RETRY_ON.contains(&c) {
            grpc.push(c);
        } else {
            http.push(c);
        }
    }
    (http.join(","), grpc.join(","))
}

/// The control header `name` is (any case), if it is one.
fn control_header(name: &str) -> Option<&'static str> {
    let b = name.as_bytes();
    let candidate = (b.len() > 8 && b[..8].eq_ignore_ascii_case(b"x-envoy-"))
        || meshroute_core::validate::is_reserved_header(name);
    if !candidate {
        return None;
    }
    CONTROL_HEADERS
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(name))
}

/// Decides and plans one request. Never panics, whatever the header bytes.
pub fn plan(
    table: &RouteTable,
    debug: bool,
    inc: &Incoming,
    lb: &mut LbState,
    now_ms: u64,
    rng: &mut dyn Rng,
) -> Plan {
    let mut p = Plan::default();
    // Strip every control header a client may have sent, first, whatever happens next. One pass
    // over the request's headers; only `x-envoy-*` / `x-meshroute-*` names are looked up.
    let mut headers: Vec<(&[u8], &[u8])> = Vec::with_capacity(inc.headers.len());
    for (k, v) in inc.headers {
        if k.starts_with(':') {
            continue;
        }
        if let Some(c) = control_header(k) {
            let stripped = Edit::Set(c.to_string(), None);
            if !p.request.contains(&stripped) {
                p.request.push(stripped);
            }
            continue;
        }
        headers.push((k.as_bytes(), v.as_slice()));
    }
    let mut authority = find(inc.headers, ":authority");
    if authority.is_empty() {
        authority = find(inc.headers, "host");
    }
    let req = Request {
        filter_chain: inc.filter_chain,
        listener_port: inc.listener_port,
        authority,
        path: find(inc.headers, ":path"),
        method: find(inc.headers, ":method"),
        scheme: find(inc.headers, ":scheme"),
        headers: &headers,
        source_ip: inc.source,
    };
    let d = decide(table, &req, lb, now_ms, rng, false);
    if debug {
        debug_headers(&d, &mut p.response.edits);
    }
    p.virtual_service = d.virtual_service.map(str::to_string);
    p.route = d.route.filter(|r| !r.is_empty()).map(str::to_string);
    match d.outcome {
        Outcome::Reply(r) if r.kind == ReplyKind::FaultAbort => {
            // Envoy's fault filter aborts (after the delay, if any) natively.
            let delay = r
                .headers
                .iter()
                .find(|(k, _)| k == DELAY_PSEUDO_HEADER)
                .map(|(_, v)| v.clone());
            if let Some(ms) = delay {
                p.request
                    .push(Edit::Set("x-envoy-fault-delay-request".into(), Some(ms)));
            }
            match r.grpc_status {
                Some(g) => p.request.push(Edit::Set(
                    "x-envoy-fault-abort-grpc-request".into(),
                    Some(g.to_string()),
                )),
                None => p.request.push(Edit::Set(
                    "x-envoy-fault-abort-request".into(),
                    Some(r.status.to_string()),
                )),
            }
            p.reason = Some(format!("fault abort {}", r.status));
            p.outcome = "abort";
        }
        Outcome::Reply(r) => {
            p.reason = Some(format!("{} {:?}: {}", r.status, r.kind, r.body.trim_end()));
            p.outcome = outcome_of(r.kind);
            p.cluster = r.cluster.clone();
            let mut headers = r.headers;
            if !r.body.is_empty() {
                headers.push(("content-type".into(), "text/plain".into()));
            }
            p.reply = Some(LocalReply {
                status: r.status,
                headers,
                body: r.body,
            });
        }
        Outcome::Forward(f) => {
            p.outcome = "forwarded";
            p.cluster = Some(f.cluster_name.to_string());
            if f.cluster_name == PASSTHROUGH_CLUSTER {
                // ALLOW_ANY: the bootstrap's PassthroughCluster is ORIGINAL_DST on the endpoint
                // metadata (header_to_metadata copies the endpoint header), so the request goes
                // to the address its authority names. A name cannot be: Envoy's ORIGINAL_DST does
                // not resolve, and there is no iptables original destination here.
                let Some(dst) = f.original_dst else {
                    p.outcome = "passthrough";
                    p.reason = Some("502 PassthroughCluster: the authority is a name".into());
                    p.reply = Some(LocalReply {
                        status: 502,
                        headers: vec![("content-type".into(), "text/plain".into())],
                        body: "meshroute: PassthroughCluster needs an IP:port authority; \
                               names are not resolved\n"
                            .into(),
                    });
                    return p;
                };
                p.request.push(Edit::Set(ENDPOINT_HEADER.into(), Some(dst)));
                p.request.push(Edit::Set(
                    CLUSTER_HEADER.into(),
                    Some(PASSTHROUGH_CLUSTER.into()),
                ));
                return p;
            }
            let Some(ep) = f.endpoint_address else {
                p.reply = Some(LocalReply {
                    status: 503,
                    headers: Vec::new(),
                    body: "meshroute: no endpoint\n".into(),
                });
                return p;
            };
            // Clusters with DestinationRule connection-pool settings have an Envoy cluster of their
            // own (named like Istio's) carrying those circuit breakers, named by the cluster
            // header; the rest share UPSTREAM_CLUSTER, the bootstrap routes' default, and need
            // only the endpoint (which every bootstrap route requires).
            if let Some(c) = table.clusters.get(f.cluster as usize) {
                if c.needs_own_envoy_cluster() {
                    p.request
                        .push(Edit::Set(CLUSTER_HEADER.into(), Some(c.name.clone())));
                }
            }
            // Every attempt's endpoint, in order: Envoy's override_host policy walks the list, one
            // entry per attempt (envoy-config/src/filter.rs).
            let endpoints = match table.clusters.get(f.cluster as usize) {
                Some(c) if f.attempt_endpoints.len() > 1 => {
                    let mut list =
                        String::with_capacity(f.attempt_endpoints.len() * (ep.len() + 1));
                    for (n, &i) in f.attempt_endpoints.iter().enumerate() {
                        if n > 0 {
                            list.push(',');
                        }
                        list.push_str(c.endpoints.get(i).map_or(ep, |e| e.address.as_str()));
                    }
                    list
                }
                _ => ep.to_string(),
            };
            p.request
                .push(Edit::Set(ENDPOINT_HEADER.into(), Some(endpoints)));
            p.attempts = f.attempt_endpoints;
            if let Some(i) = f.endpoint {
                p.in_flight = Some((f.cluster, i));
                if let Some(c) = lb.clusters.get_mut(f.cluster as usize) {
                    if let Some(n) = c.in_flight.get_mut(i) {
                        *n = n.saturating_add(1);
                    }
                }
            }
            if let Some(path) = f.path {
                p.request.push(Edit::Set(":path".into(), Some(path)));
            }
            if let Some(a) = f.authority {
                p.request.push(Edit::Set(":authority".into(), Some(a)));
            }
            // Envoy's header parser removes before it adds.
            for r in &f.request_headers.remove {
                p.request.push(Edit::Set(r.clone(), None));
            }
            for (k, v) in &f.request_headers.set {
                p.request.push(Edit::Set(k.clone(), Some(v.clone())));
            }
            for (k, v) in &f.request_headers.add {
                p.request.push(Edit::Add(k.clone(), v.clone()));
            }
            // Istio's default route timeout is 0 (disabled), and so is the bootstrap route's:
            // only a VirtualService timeout needs the header.
            if f.timeout_ms != 0 {
                p.request.push(Edit::Set(
                    "x-envoy-upstream-rq-timeout-ms".into(),
                    Some(f.timeout_ms.to_string()),
                ));
            }
            match &f.retry {
                // Istio's default policy: the bootstrap's default route has it.
                Some(r) if r.is_default => {}
                retry => {
                    p.request
                        .push(Edit::Set(RETRY_ROUTE_HEADER.into(), Some("custom".into())));
                    if let Some(r) = retry {
                        let (http, grpc) = split_retry_on(&r.retry_on);
                        if !http.is_empty() {
                            p.request
                                .push(Edit::Set("x-envoy-retry-on".into(), Some(http)));
                        }
                        if !grpc.is_empty() {
                            p.request
                                .push(Edit::Set("x-envoy-retry-grpc-on".into(), Some(grpc)));
                        }
                        p.request.push(Edit::Set(
                            "x-envoy-max-retries".into(),
                            Some(r.num_retries.to_string()),
                        ));
                        if !r.retriable_status_codes.is_empty() {
                            let codes: Vec<String> = r
                                .retriable_status_codes
                                .iter()
                                .map(u32::to_string)
                                .collect();
                            p.request.push(Edit::Set(
                                "x-envoy-retriable-status-codes".into(),
                                Some(codes.join(",")),
                            ));
                        }
                        if let Some(t) = r.per_try_timeout_ms {
                            p.request.push(Edit::Set(
                                "x-envoy-upstream-rq-per-try-timeout-ms".into(),
                                Some(t.to_string()),
                            ));
                        }
                    }
                }
            }
            if let Some(ms) = f.delay_ms {
                p.request.push(Edit::Set(
                    "x-envoy-fault-delay-request".into(),
                    Some(ms.to_string()),
                ));
                p.delayed = true;
            }
            let mut slot = 0;
            for (mc, mi) in &f.mirrors {
                let Some(mi) = mi else { continue };
                if slot == MAX_MIRRORS {
                    break;
                }
                if let Some(ep) = table
                    .clusters
                    .get(*mc as usize)
                    .and_then(|c| c.endpoints.get(*mi))
                {
                    p.request.push(Edit::Set(
                        MIRROR_CLUSTER_HEADERS[slot].into(),
                        Some(MIRROR_CLUSTERS[slot].into()),
                    ));
                    p.request.push(Edit::Set(
                        MIRROR_ENDPOINT_HEADERS[slot].into(),
                        Some(ep.address.clone()),
                    ));
                    p.mirrored.push(*mc);
                    slot += 1;
                }
            }
            for r in &f.response_headers.remove {
                p.response.edits.push(Edit::Set(r.clone(), None));
            }
            for (k, v) in &f.response_headers.set {
                p.response.edits.push(Edit::Set(k.clone(), Some(v.clone())));
            }
            for (k, v) in &f.response_headers.add {
                p.response.edits.push(Edit::Add(k.clone(), v.clone()));
            }
            for (k, v) in f.cors_headers {
                p.response.edits.push(Edit::Set(k, Some(v)));
            }
            if let Some(c) = f.set_cookie {
                p.response.edits.push(Edit::Add("set-cookie".into(), c));
            }
        }
    }
    p
}

/// Stats outcome names (the `outcome` of `meshroute.requests.*` counters).
pub fn outcome_of(kind: ReplyKind) -> &'static str {
    match kind {
        ReplyKind::NoListener | ReplyKind::NoVirtualHost | ReplyKind::NoRoute => "not_found",
        ReplyKind::ClusterNotFound | ReplyKind::NoHealthyUpstream => "unavailable",
        ReplyKind::Passthrough => "passthrough",
        ReplyKind::Redirect => "redirect",
        ReplyKind::DirectResponse => "direct",
        ReplyKind::FaultAbort => "abort",
        ReplyKind::CorsPreflight => "cors_preflight",
    }
}

fn debug_headers(d: &Decision, out: &mut Vec<Edit>) {
    let vals = [
        d.virtual_service.map(str::to_string),
        d.route.filter(|r| !r.is_empty()).map(str::to_string),
        match &d.outcome {
            Outcome::Forward(f) => Some(f.cluster_name.to_string()),
            Outcome::Reply(r) => r.cluster.clone(),
        },
        match &d.outcome {
            Outcome::Forward(f) => f.endpoint_address.map(str::to_string),
            Outcome::Reply(_) => None,
        },
    ];
    for (name, v) in DEBUG_HEADERS.iter().zip(vals) {
        out.push(Edit::Set(
            (*name).to_string(),
            Some(v.unwrap_or_else(|| "-".into())),
        ));
    }
}

/// Releases an in-flight count taken by [`plan`].
pub fn release(lb: &mut LbState, taken: Option<(u32, usize)>) {
    if let Some((c, i)) = taken {
        if let Some(n) = lb
            .clusters
            .get_mut(c as usize)
            .and_then(|c| c.in_flight.get_mut(i))
        {
            *n = n.saturating_sub(1);
        }
    }
}

/// Parses Envoy's `source.address` property (`ip:port`, IPv6 bracketed).
pub fn parse_source(bytes: &[u8]) -> Option<IpAddr> {
    let s = std::str::from_utf8(bytes).ok()?;
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    s.parse().ok()
}

/// Envoy encodes integer properties as 8 little-endian bytes.
pub fn parse_port(bytes: &[u8]) -> Option<u32> {
    let arr: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    u32::try_from(u64::from_le_bytes(arr)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshroute_core::check::prepare;
    use meshroute_core::lb::SplitMix64;
    use meshroute_core::resources::LoadOptions;

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
    servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [web.example.com]}]
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
      timeout: 3s
      headers: {request: {set: {x-added: "yes", x-meshroute-endpoint: "6.6.6.6:22"}}, response: {remove: [x-internal]}}
      route: [{destination: {host: web}}]
    - match: [{uri: {prefix: /retry/}}]
      retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,418"}
      route: [{destination: {host: web}}]
    - match: [{uri: {prefix: /grpc-retry/}}]
      retries: {attempts: 2, retryOn: "unavailable,connect-failure,cancelled"}
      route: [{destination: {host: web}}]
    - match: [{uri: {prefix: /no-retry/}}]
      retries: {attempts: 0}
      route: [{destination: {host: web}}]
    - route: [{destination: {host: web}}]
"#;

    fn table() -> RouteTable {
        prepare("t.yaml", CONFIG.as_bytes(), &LoadOptions::default())
            .map(|p| p.table)
            .unwrap_or_else(|d| panic!("{d:#?}"))
    }

    fn headers(extra: &[(&str, &[u8])], host: &str, path: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut h = vec![
            (":authority".to_string(), host.as_bytes().to_vec()),
            (":path".to_string(), path.to_vec()),
            (":method".to_string(), b"GET".to_vec()),
            (":scheme".to_string(), b"http".to_vec()),
        ];
        h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_vec())));
        h
    }

    fn run(t: &RouteTable, h: &[(String, Vec<u8>)]) -> (Plan, LbState) {
        let mut lb = LbState::for_table(t);
        let inc = Incoming {
            filter_chain: b"",
            headers: h,
            source: None,
            listener_port: 8080,
        };
        let p = plan(t, false, &inc, &mut lb, 0, &mut SplitMix64(7));
        (p, lb)
    }

    fn set_value<'a>(p: &'a Plan, name: &str) -> Option<&'a Option<String>> {
        p.request.iter().rev().find_map(|e| match e {
            Edit::Set(k, v) if k == name => Some(v),
            _ => None,
        })
    }

    #[test]
    fn client_steering_header_is_always_overwritten() {
        let t = table();
        let h = headers(
            &[(ENDPOINT_HEADER, b"6.6.6.6:22"), (CLUSTER_HEADER, b"evil")],
            "web.example.com",
            b"/",
        );
        let (p, _) = run(&t, &h);
        assert!(p.reply.is_none(), "{:?}", p.reason);
        // Istio's default policy retries twice; the only endpoint is listed for every attempt
        // (previous_hosts takes the last choice when all are rejected).
        assert_eq!(
            set_value(&p, ENDPOINT_HEADER),
            Some(&Some(
                "10.0.0.1:8080,10.0.0.1:8080,10.0.0.1:8080".to_string()
            ))
        );
        // The shared cluster is the bootstrap routes' default: the client's header is removed
        // and none is written.
        assert_eq!(set_value(&p, CLUSTER_HEADER), Some(&None));
    }

    #[test]
    fn no_endpoints_answers_503_naming_the_chosen_cluster() {
        // Istio (IST0173): a route to a subset selecting no pods fails 503 UH; the access log,
        // and here the debug header and the stats, still name the chosen cluster.
        let cfg = CONFIG.replace("status: {podIP: 10.0.0.1}", "status: {phase: Pending}");
        let t = prepare("t.yaml", cfg.as_bytes(), &LoadOptions::default())
            .map(|p| p.table)
            .unwrap_or_else(|d| panic!("{d:#?}"));
        let h = headers(&[], "web.example.com", b"/");
        let mut lb = LbState::for_table(&t);
        let inc = Incoming {
            filter_chain: b"",
            headers: &h,
            source: None,
            listener_port: 8080,
        };
        let p = plan(&t, true, &inc, &mut lb, 0, &mut SplitMix64(7));
        assert_eq!(p.reply.as_ref().map(|r| r.status), Some(503));
        let name = "outbound|8080||web.default.svc.cluster.local";
        assert_eq!(p.cluster.as_deref(), Some(name));
        assert!(p
            .response
            .edits
            .contains(&Edit::Set(CLUSTER_HEADER.into(), Some(name.into()))));
    }

    #[test]
    fn control_headers_are_stripped_even_on_local_replies() {
        let t = table();
        let h = headers(
            &[
                (ENDPOINT_HEADER, b"6.6.6.6:22"),
                ("x-envoy-fault-abort-request", b"500"),
                ("x-envoy-retry-on", b"5xx"),
            ],
            "unknown.example.com",
            b"/",
        );
        let (p, _) = run(&t, &h);
        assert_eq!(p.reply.as_ref().map(|r| r.status), Some(404));
        for name in [
            ENDPOINT_HEADER,
            "x-envoy-fault-abort-request",
            "x-envoy-retry-on",
        ] {
            assert_eq!(set_value(&p, name), Some(&None), "{name} not removed");
        }
    }

    #[test]
    fn non_utf8_header_bytes_do_not_panic_and_still_route() {
        let t = table();
        let h = headers(
            &[("x-bin", b"caf\xe9 \xff\xfe\x00"), ("cookie", b"\x80\x81")],
            "web.example.com",
            b"/\xff/x",
        );
        let (p, _) = run(&t, &h);
        assert!(p.reply.is_none());
        let garbage = headers(&[], "\u{0}\u{7f}:99999999999", b"\x00");
        let (p, _) = run(&t, &garbage);
        assert_eq!(p.reply.map(|r| r.status), Some(404));
    }

    #[test]
    fn rewrite_headers_timeout_and_default_retries_become_header_edits() {
        let t = table();
        let (p, _) = run(&t, &headers(&[], "web.example.com", b"/v1/items?q=1"));
        assert_eq!(
            set_value(&p, ":path"),
            Some(&Some("/items?q=1".to_string()))
        );
        assert_eq!(set_value(&p, "x-added"), Some(&Some("yes".to_string())));
        // A VirtualService cannot steer through meshroute's own headers (MR0203): the filter's
        // list, one entry per attempt of Istio's default policy.
        assert_eq!(
            set_value(&p, ENDPOINT_HEADER),
            Some(&Some(
                "10.0.0.1:8080,10.0.0.1:8080,10.0.0.1:8080".to_string()
            ))
        );
        assert_eq!(
            set_value(&p, "x-envoy-upstream-rq-timeout-ms"),
            Some(&Some("3000".to_string()))
        );
        // Istio's default retry policy when `retries` is unset: the bootstrap's default route
        // has it, so no retry header and no mark for the route without a policy.
        for h in [
            RETRY_ROUTE_HEADER,
            "x-envoy-retry-on",
            "x-envoy-max-retries",
            "x-envoy-retriable-status-codes",
        ] {
            assert_eq!(set_value(&p, h), None, "{h}");
        }
        assert_eq!(p.response.edits, vec![Edit::Set("x-internal".into(), None)]);
        // The catch-all route: no timeout (Istio's default 0 = disabled, the bootstrap
        // route's too) and the default retry policy: no router header at all.
        let (p, _) = run(&t, &headers(&[], "web.example.com:80", b"/other"));
        assert_eq!(set_value(&p, "x-envoy-upstream-rq-timeout-ms"), None);
        assert!(
            p.request.iter().all(|e| match e {
                Edit::Set(k, _) | Edit::Add(k, _) => k == CLUSTER_HEADER || k == ENDPOINT_HEADER,
            }),
            "only the steering headers: {:?}",
            p.request
        );
    }

    #[test]
    fn own_retry_policies_take_the_route_without_one() {
        let t = table();
        // retries set: marked, and the whole policy in headers (Envoy ORs x-envoy-retry-on with
        // a route's retry_on, so it must not meet the default route's).
        let (p, _) = run(&t, &headers(&[], "web.example.com", b"/retry/x"));
        let v = |h| set_value(&p, h).cloned().flatten();
        assert_eq!(v(RETRY_ROUTE_HEADER).as_deref(), Some("custom"));
        assert_eq!(
            v("x-envoy-retry-on").as_deref(),
            Some("5xx,retriable-status-codes")
        );
        assert_eq!(v("x-envoy-max-retries").as_deref(), Some("3"));
        assert_eq!(v("x-envoy-retriable-status-codes").as_deref(), Some("418"));
        assert_eq!(
            v("x-envoy-upstream-rq-per-try-timeout-ms").as_deref(),
            Some("2000")
        );
        assert_eq!(v("x-envoy-retry-grpc-on"), None);
        // gRPC conditions only work as x-envoy-retry-grpc-on.
        let (p, _) = run(&t, &headers(&[], "web.example.com", b"/grpc-retry/x"));
        let v = |h| set_value(&p, h).cloned().flatten();
        assert_eq!(v("x-envoy-retry-on").as_deref(), Some("connect-failure"));
        assert_eq!(
            v("x-envoy-retry-grpc-on").as_deref(),
            Some("unavailable,cancelled")
        );
        // attempts: 0 disables retries: the route without a policy, and no retry header.
        let (p, _) = run(&t, &headers(&[], "web.example.com", b"/no-retry/x"));
        assert_eq!(
            set_value(&p, RETRY_ROUTE_HEADER)
                .cloned()
                .flatten()
                .as_deref(),
            Some("custom")
        );
        assert_eq!(set_value(&p, "x-envoy-retry-on"), None);
        assert_eq!(set_value(&p, "x-envoy-max-retries"), None);
        // A client cannot pick the route without retries itself.
        let (p, _) = run(
            &t,
            &headers(&[(RETRY_ROUTE_HEADER, b"custom")], "web.example.com", b"/"),
        );
        assert_eq!(set_value(&p, RETRY_ROUTE_HEADER), Some(&None));
    }

    #[test]
    fn in_flight_is_taken_on_forward_and_released_at_stream_end() {
        let t = table();
        let (p, mut lb) = run(&t, &headers(&[], "web.example.com", b"/"));
        let (c, i) = p.in_flight.expect("forwarded");
        assert_eq!(lb.clusters[c as usize].in_flight[i], 1);
        release(&mut lb, p.in_flight);
        assert_eq!(lb.clusters[c as usize].in_flight[i], 0);
        release(&mut lb, p.in_flight);
        assert_eq!(lb.clusters[c as usize].in_flight[i], 0, "release saturates");
    }

    #[test]
    fn envoy_property_encodings_parse() {
        assert_eq!(
            parse_source(b"127.0.0.1:5000"),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(parse_source(b"[::1]:5000"), Some("::1".parse().unwrap()));
        assert_eq!(parse_source(b"\xff"), None);
        assert_eq!(parse_port(&8080u64.to_le_bytes()), Some(8080));
        assert_eq!(parse_port(b"short"), None);
    }
}

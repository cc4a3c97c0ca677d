//! After routing: per-worker load-balancer state, the consistent-hash key of a request, the
//! endpoint choice for a forward (its retries and mirrors too) and outlier detection feedback.

use super::decision::{reply, Decision, Forward, Outcome, ReplyKind};
use super::matching::Request;
use super::route;
use crate::lb::{self, ClusterState, Rng};
use crate::table::*;

/// Per-worker LB state for every cluster of a table.
#[derive(Debug, Clone, Default)]
pub struct LbState {
    pub clusters: Vec<ClusterState>,
}

impl LbState {
    pub fn for_table(t: &RouteTable) -> LbState {
        LbState {
            clusters: t
                .clusters
                .iter()
                .map(|c| ClusterState {
                    in_flight: vec![0; c.endpoints.len()],
                    ..Default::default()
                })
                .collect(),
        }
    }
}

/// The consistent-hash key of a request for the cluster's hash policy (Envoy `hash_policy`).
pub(super) fn hash_for(c: &Cluster, req: &Request) -> (Option<u64>, Option<String>) {
    match &c.hash {
        None => (None, None),
        Some(HashPolicy::Header(h)) => (req.header(h).map(|v| lb::hash_key(&v)), None),
        Some(HashPolicy::Query(q)) => {
            for pair in req.query().split(|&b| b == b'&') {
                let (k, v) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &b""[..]),
                };
                if k == q.as_bytes() {
                    return (Some(lb::hash_key(v)), None);
                }
            }
            (None, None)
        }
        Some(HashPolicy::SourceIp) => (
            req.source_ip
                .map(|ip| lb::hash_key(ip.to_string().as_bytes())),
            None,
        ),
        Some(HashPolicy::Cookie { name, path, ttl_ms }) => {
            if let Some(cookies) = req.header("cookie") {
                for part in cookies.split(|&b| b == b';') {
                    let part = part.trim_ascii();
                    if let Some(i) = part.iter().position(|&b| b == b'=') {
                        if &part[..i] == name.as_bytes() {
                            // Envoy `Http::Utility::parseCookieValue` (source/common/http/
                            // utility.cc): "Cookie values may be wrapped in double quotes"
                            // (RFC 6265 §4.1.1) — they are stripped before hashing, so the
                            // quoted cookie Envoy generates hashes like its unquoted value.
                            let mut v = &part[i + 1..];
                            if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
                                v = &v[1..v.len() - 1];
                            }
                            return (Some(lb::hash_key(v)), None);
                        }
                    }
                }
            }
            // Envoy generates the cookie when absent and a ttl is set (ttl 0: session cookie).
            match ttl_ms {
                Some(ttl) => {
                    let seed = format!(
                        "{}{}",
                        req.source_ip.map(|i| i.to_string()).unwrap_or_default(),
                        String::from_utf8_lossy(req.authority)
                    );
                    let value = format!("{:016x}", lb::hash_key(seed.as_bytes()));
                    let mut cookie = format!("{name}=\"{value}\"");
                    if *ttl > 0 {
                        cookie.push_str(&format!("; Max-Age={}", ttl / 1000));
                    }
                    if let Some(p) = path {
                        cookie.push_str(&format!("; Path={p}"));
                    }
                    cookie.push_str("; HttpOnly");
                    (Some(lb::hash_key(value.as_bytes())), Some(cookie))
                }
                None => (None, None),
            }
        }
    }
}

/// Chooses the endpoint for a forward decision (and for its mirrors). Returns false when the
/// cluster has no usable endpoint — the caller answers 503 (UH).
pub fn pick_endpoints(
    table: &RouteTable,
    fwd: &mut Forward,
    state: &mut LbState,
    now_ms: u64,
    rng: &mut dyn Rng,
) -> bool {
    if state.clusters.len() != table.clusters.len() {
        *state = LbState::for_table(table);
    }
    let c = &table.clusters[fwd.cluster as usize];
    let st = &mut state.clusters[fwd.cluster as usize];
    let i = lb::pick_with(
        &c.selector,
        &c.endpoints,
        st,
        fwd.hash,
        c.outlier.as_ref(),
        now_ms,
        rng,
    );
    fwd.endpoint = i;
    fwd.attempt_endpoints.clear();
    if let (Some(first), Some(r)) = (i, fwd.retry) {
        if r.num_retries > 0 {
            fwd.attempt_endpoints.push(first);
            lb::retry_picks(
                &c.selector,
                st,
                fwd.hash,
                c.outlier.as_ref(),
                r.previous_hosts,
                (r.num_retries as usize).min(crate::wire::MAX_LISTED_RETRIES),
                rng,
                &mut fwd.attempt_endpoints,
            );
        }
    }
    for m in &mut fwd.mirrors {
        let mc = &table.clusters[m.0 as usize];
        let ms = &mut state.clusters[m.0 as usize];
        m.1 = lb::pick_with(
            &mc.selector,
            &mc.endpoints,
            ms,
            None,
            mc.outlier.as_ref(),
            now_ms,
            rng,
        );
    }
    i.is_some()
}

/// Route + pick in one call: what the filter and the simulator do per request.
pub fn decide<'t>(
    table: &'t RouteTable,
    req: &Request,
    state: &mut LbState,
    now_ms: u64,
    rng: &mut dyn Rng,
    trace: bool,
) -> Decision<'t> {
    let mut d = route(table, req, rng, trace);
    if let Outcome::Forward(f) = &mut d.outcome {
        if f.cluster_name == PASSTHROUGH_CLUSTER {
            // ORIGINAL_DST: the request's own destination (Istio's sidecar PassthroughCluster
            // uses the connection's original destination; here the authority names it).
            f.original_dst = original_dst(req.authority, req.scheme);
            if trace {
                d.trace.push(match &f.original_dst {
                    Some(a) => format!("no service matches this host; outboundTrafficPolicy ALLOW_ANY: PassthroughCluster to {a}"),
                    None => "no service matches this host; outboundTrafficPolicy ALLOW_ANY: PassthroughCluster (the authority is a name: its address is the client's DNS answer)".into(),
                });
            }
            return d;
        }
        if pick_endpoints(table, f, state, now_ms, rng) {
            let c = &table.clusters[f.cluster as usize];
            f.endpoint_address = f.endpoint.map(|i| c.endpoints[i].address.as_str());
            if trace {
                d.trace.push(format!(
                    "{} picked endpoint {}",
                    c.selector.policy.envoy_name(),
                    f.endpoint_address.unwrap_or("-")
                ));
                if f.attempt_endpoints.len() > 1 {
                    let retries: Vec<&str> = f.attempt_endpoints[1..]
                        .iter()
                        .map(|&i| c.endpoints[i].address.as_str())
                        .collect();
                    d.trace
                        .push(format!("retries would go to {}", retries.join(", ")));
                }
            }
        } else {
            let c = &table.clusters[f.cluster as usize];
            if trace {
                d.trace.push(format!(
                    "cluster {} has no healthy endpoint: 503 UH",
                    c.name
                ));
            }
            let body = if c.endpoints.is_empty() {
                format!("meshroute: cluster {} has no endpoints\n", c.name)
            } else {
                format!("meshroute: no healthy upstream in cluster {}\n", c.name)
            };
            let mut r = reply(ReplyKind::NoHealthyUpstream, 503, body);
            r.cluster = Some(c.name.clone());
            d.outcome = Outcome::Reply(r);
        }
    }
    d
}

/// `IP:PORT` of an authority whose host is an IP literal (port: the authority's, else the
/// scheme's default); `None` for a name or anything malformed.
pub fn original_dst(authority: &[u8], scheme: &[u8]) -> Option<String> {
    let a = std::str::from_utf8(authority).ok()?;
    if let Ok(sa) = a.parse::<std::net::SocketAddr>() {
        return Some(sa.to_string());
    }
    let default_port = if scheme.eq_ignore_ascii_case(b"https") {
        443
    } else {
        80
    };
    let host = a
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(a);
    let ip: std::net::IpAddr = host.parse().ok()?;
    Some(std::net::SocketAddr::new(ip, default_port).to_string())
}

/// Feeds a response (status; 0 for a connect failure or reset) to passive outlier detection.
pub fn record_response(
    table: &RouteTable,
    state: &mut LbState,
    cluster: u32,
    endpoint: usize,
    status: u16,
    now_ms: u64,
) {
    let Some(c) = table.clusters.get(cluster as usize) else {
        return;
    };
    let Some(policy) = &c.outlier else { return };
    if let Some(st) = state.clusters.get_mut(cluster as usize) {
        lb::record_response(policy, st, endpoint, status, now_ms);
    }
}

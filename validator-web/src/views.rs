//! Temporary private copy of `meshroute_core::views` (istioctl-style rows and the simulator's
//! decision JSON), taken from the `cli` branch where that module is being written. When it
//! lands in main, delete this file and `use meshroute_core::views` instead; the JSON is the same.
#![allow(dead_code)]

use meshroute_core::lb::LbPolicy;
use meshroute_core::route::{Decision, Outcome, Request};
use meshroute_core::table::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// How many domains the DOMAINS column shows before abbreviating with `+N more`.
const MAX_DOMAINS: usize = 3;

// ---------------------------------------------------------------------------------------------
// Rows

/// One row of `proxy-config listeners`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerRow {
    /// Envoy listener name, `0.0.0.0_8080`.
    pub name: String,
    pub addresses: String,
    pub port: u32,
    /// Filter-chain match; meshroute listeners are plain HTTP, so always `ALL`.
    #[serde(rename = "match")]
    pub match_: String,
    /// `Route: http.8080`.
    pub destination: String,
    pub route_config: String,
    /// Gateway server ports served by this listener (`match.port` and `derivePort` use them).
    pub server_ports: Vec<u32>,
    pub gateways: Vec<String>,
}

/// One row of `proxy-config routes`: one per route of every virtual host, as istioctl prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRow {
    /// Route configuration name (`http.8080` on a gateway, `8080` on a sidecar).
    pub name: String,
    pub vhost_name: String,
    pub domains: Vec<String>,
    /// istioctl's MATCH column (`/*`, `/exact`, `~regex`, `(+N more)`).
    #[serde(rename = "match")]
    pub match_: String,
    /// `name.namespace` of the VirtualService, or the status of a direct response, or empty.
    pub virtual_service: String,
    /// Envoy route name; absent for the placeholder row of a virtual host without routes.
    pub route: Option<String>,
    /// What the route does: weighted clusters, redirect, direct response, passthrough, 404.
    pub action: String,
}

/// Load-balancing and resilience settings of a cluster, as `proxy-config cluster -o json` holds them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LbDetail {
    /// Envoy's `lb_policy`: `LEAST_REQUEST`, `ROUND_ROBIN`, `RANDOM`, `RING_HASH`, `MAGLEV`,
    /// `CLUSTER_PROVIDED`.
    pub lb_policy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_hash_lb_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maglev_lb_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_policy: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breakers: Option<Value>,
}

/// One row of `proxy-config clusters`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRow {
    /// `outbound|PORT|SUBSET|FQDN`.
    pub name: String,
    pub service_fqdn: String,
    pub port: u32,
    /// Subset name; `-` when none (istioctl's spelling).
    pub subset: String,
    pub direction: &'static str,
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// `name.namespace` of the DestinationRule(s) applied, comma-separated; empty when none.
    pub destination_rule: String,
    pub endpoints: usize,
    pub lb: LbDetail,
}

/// One row of `proxy-config endpoints`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointRow {
    /// `ip:port`.
    pub endpoint: String,
    /// `HEALTHY` or `UNHEALTHY` (not-ready pod).
    pub status: &'static str,
    /// Outlier detection state. A compiled table has no runtime state, so always `OK`.
    pub outlier_check: &'static str,
    pub cluster: String,
    pub weight: u32,
    /// `Pod ns/name`, `WorkloadEntry ns/name`, `ServiceEntry ns/name`.
    pub source: String,
}

// ---------------------------------------------------------------------------------------------
// Building rows

/// `ns/name` (or a comma-separated list of them) → `name.ns`, istioctl's spelling of configs.
pub fn istioctl_name(ids: &str) -> String {
    ids.split(',')
        .filter(|s| !s.is_empty())
        .map(|id| match id.split_once('/') {
            Some((ns, name)) => format!("{name}.{ns}"),
            None => id.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The DOMAINS column: comma-separated, abbreviated beyond three with `+N more`.
pub fn describe_domains(domains: &[String]) -> String {
    if domains.len() <= MAX_DOMAINS {
        return domains.join(", ");
    }
    format!(
        "{} +{} more",
        domains[..MAX_DOMAINS].join(", "),
        domains.len() - MAX_DOMAINS
    )
}

pub fn listeners(t: &RouteTable) -> Vec<ListenerRow> {
    t.listeners
        .iter()
        .map(|l| ListenerRow {
            name: l.name.clone(),
            addresses: l
                .name
                .rsplit_once('_')
                .map(|(a, _)| a.to_string())
                .unwrap_or_else(|| "0.0.0.0".into()),
            port: l.port,
            match_: "ALL".into(),
            destination: format!("Route: {}", l.route_config_name),
            route_config: l.route_config_name.clone(),
            server_ports: l.server_ports.clone(),
            gateways: l.gateways.clone(),
        })
        .collect()
}

fn describe_action(t: &RouteTable, r: &Route) -> String {
    match &r.action {
        Action::Forward(dests) => {
            let many = dests.len() > 1;
            dests
                .iter()
                .map(|d| {
                    let missing = match d.cluster {
                        ClusterRef::Known(_) => "",
                        ClusterRef::Missing(_) => " (missing)",
                    };
                    if many {
                        format!("{}{missing} weight {}", d.cluster_name, d.weight)
                    } else {
                        format!("{}{missing}", d.cluster_name)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
        Action::Redirect(rd) => {
            let mut s = format!("redirect {}", rd.code);
            if let Some(a) = &rd.authority {
                s.push_str(&format!(" authority {a}"));
            }
            if let Some(u) = &rd.uri {
                s.push_str(&format!(" uri {u}"));
            }
            s
        }
        Action::DirectResponse { status, .. } => format!("direct response {status}"),
        Action::Passthrough => {
            let _ = t;
            "PassthroughCluster (not supported: 502)".into()
        }
    }
}

pub fn routes(t: &RouteTable) -> Vec<RouteRow> {
    let mut rows = Vec::new();
    for rc in &t.route_configs {
        for vh in &rc.virtual_hosts {
            if vh.routes.is_empty() {
                // istiod gives such a vhost (gateway blackhole, httpsRedirect-only) a single
                // catch-all; istioctl shows it as `/*` with the local reply it produces.
                let (vs, action) = if vh.require_tls {
                    ("301".to_string(), "redirect 301 to https".to_string())
                } else {
                    ("404".to_string(), "404 (no route)".to_string())
                };
                rows.push(RouteRow {
                    name: rc.name.clone(),
                    vhost_name: vh.name.clone(),
                    domains: vh.domains.clone(),
                    match_: "/*".into(),
                    virtual_service: vs,
                    route: None,
                    action,
                });
                continue;
            }
            for r in &vh.routes {
                let vs = match (&r.virtual_service, &r.action) {
                    (Some(id), _) => istioctl_name(id),
                    // istioctl prints the status of a direct response without metadata.
                    (None, Action::DirectResponse { status, .. }) => status.to_string(),
                    (None, _) => String::new(),
                };
                rows.push(RouteRow {
                    name: rc.name.clone(),
                    vhost_name: vh.name.clone(),
                    domains: vh.domains.clone(),
                    match_: r.matcher.describe(),
                    virtual_service: vs,
                    route: Some(r.name.clone()),
                    action: describe_action(t, r),
                });
            }
        }
    }
    rows
}

/// The LB detail of a cluster (Envoy's field names, camelCase as in `-o json`).
pub fn lb_detail(c: &Cluster) -> LbDetail {
    let policy = &c.selector.policy;
    LbDetail {
        lb_policy: policy.envoy_name(),
        ring_hash_lb_config: match policy {
            LbPolicy::RingHash { minimum_ring_size } => {
                Some(json!({ "minimumRingSize": minimum_ring_size }))
            }
            _ => None,
        },
        maglev_lb_config: match policy {
            LbPolicy::Maglev { table_size } => Some(json!({ "tableSize": table_size })),
            _ => None,
        },
        hash_policy: c.hash.as_ref().map(|h| match h {
            HashPolicy::Header(n) => json!({ "header": { "headerName": n } }),
            HashPolicy::Cookie { name, path, ttl_ms } => json!({ "cookie": {
                "name": name,
                "path": path,
                "ttlMs": ttl_ms,
            } }),
            HashPolicy::Query(q) => json!({ "queryParameter": { "name": q } }),
            HashPolicy::SourceIp => json!({ "connectionProperties": { "sourceIp": true } }),
        }),
        outlier_detection: c.outlier.as_ref().map(|o| {
            json!({
                "consecutive5xx": o.consecutive_5xx,
                "consecutiveGatewayFailure": o.consecutive_gateway_errors,
                "intervalMs": o.interval_ms,
                "baseEjectionTimeMs": o.base_ejection_ms,
                "maxEjectionPercent": o.max_ejection_percent,
                "minHealthPercent": o.min_health_percent,
            })
        }),
        circuit_breakers: c.pool.as_ref().map(|p| {
            json!({
                "maxConnections": p.max_connections,
                "maxPendingRequests": p.http1_max_pending_requests,
                "maxRequests": p.http2_max_requests,
                "maxRequestsPerConnection": p.max_requests_per_connection,
            })
        }),
    }
}

pub fn clusters(t: &RouteTable) -> Vec<ClusterRow> {
    t.clusters
        .iter()
        .map(|c| ClusterRow {
            name: c.name.clone(),
            service_fqdn: c.service.clone(),
            port: c.port,
            subset: if c.subset.is_empty() {
                "-".into()
            } else {
                c.subset.clone()
            },
            direction: "outbound",
            type_: c.discovery,
            destination_rule: c
                .destination_rule
                .as_deref()
                .map(istioctl_name)
                .unwrap_or_default(),
            endpoints: c.endpoints.len(),
            lb: lb_detail(c),
        })
        .collect()
}

pub fn endpoints(t: &RouteTable) -> Vec<EndpointRow> {
    t.clusters
        .iter()
        .flat_map(|c| {
            c.endpoints.iter().map(move |e| EndpointRow {
                endpoint: e.address.clone(),
                status: if e.healthy { "HEALTHY" } else { "UNHEALTHY" },
                outlier_check: "OK",
                cluster: c.name.clone(),
                weight: e.weight,
                source: e.source.clone(),
            })
        })
        .collect()
}

/// All four views in one JSON object (`listeners`, `routes`, `clusters`, `endpoints`).
pub fn tables_json(t: &RouteTable) -> Value {
    json!({
        "proxy": t.proxy,
        "listeners": listeners(t),
        "routes": routes(t),
        "clusters": clusters(t),
        "endpoints": endpoints(t),
    })
}

// ---------------------------------------------------------------------------------------------
// Text rendering

// ---------------------------------------------------------------------------------------------
// Decisions

fn header_ops_json(ops: &HeaderOps) -> Value {
    let pairs = |v: &[(String, String)]| -> Value {
        v.iter()
            .map(|(k, v)| json!({ "name": k, "value": v }))
            .collect()
    };
    json!({ "set": pairs(&ops.set), "add": pairs(&ops.add), "remove": ops.remove })
}

/// The simulator's JSON for one decision. `path` and `authority` are the rewritten values (null
/// when the route does not rewrite them); [`decision_json_for`] fills in the request's own.
///
/// Keys: `status` (local reply code, null when forwarded), `virtualService` (`ns/name`),
/// `route`, `cluster` (`outbound|PORT|SUBSET|FQDN`), `endpoint` (`ip:port`), `path`,
/// `authority`, `location` (redirect target), `trace`, and `outcome`, `listener`,
/// `routeConfig`, `virtualHost`, `reply`, `lbPolicy`, `endpointSource`, `requestHeaders`,
/// `responseHeaders`, `timeoutMs`, `retry`, `delayMs`, `mirrors`, `corsHeaders`, `setCookie`.
pub fn decision_json(d: &Decision, t: &RouteTable) -> Value {
    let mut m = Map::new();
    m.insert("status".into(), json!(d.status()));
    m.insert(
        "outcome".into(),
        json!(match d.outcome {
            Outcome::Forward(_) => "forward",
            Outcome::Reply(_) => "local_reply",
        }),
    );
    m.insert("listener".into(), json!(d.listener));
    m.insert("routeConfig".into(), json!(d.route_config));
    m.insert("virtualHost".into(), json!(d.virtual_host));
    m.insert("virtualService".into(), json!(d.virtual_service));
    m.insert("route".into(), json!(d.route));
    match &d.outcome {
        Outcome::Forward(f) => {
            let c = t.clusters.get(f.cluster as usize);
            m.insert("cluster".into(), json!(f.cluster_name));
            m.insert("endpoint".into(), json!(f.endpoint_address));
            m.insert(
                "endpointSource".into(),
                json!(c
                    .zip(f.endpoint)
                    .and_then(|(c, i)| c.endpoints.get(i))
                    .map(|e| e.source.as_str())),
            );
            m.insert(
                "lbPolicy".into(),
                json!(c.map(|c| c.selector.policy.envoy_name())),
            );
            m.insert("path".into(), json!(f.path));
            m.insert("authority".into(), json!(f.authority));
            m.insert("location".into(), Value::Null);
            m.insert("reply".into(), Value::Null);
            m.insert("requestHeaders".into(), header_ops_json(&f.request_headers));
            m.insert(
                "responseHeaders".into(),
                header_ops_json(&f.response_headers),
            );
            m.insert("timeoutMs".into(), json!(f.timeout_ms));
            m.insert(
                "retry".into(),
                match f.retry {
                    Some(r) => json!({
                        "numRetries": r.num_retries,
                        "retryOn": r.retry_on,
                        "retriableStatusCodes": r.retriable_status_codes,
                        "perTryTimeoutMs": r.per_try_timeout_ms,
                        "default": r.is_default,
                    }),
                    None => Value::Null,
                },
            );
            m.insert("delayMs".into(), json!(f.delay_ms));
            m.insert(
                "mirrors".into(),
                f.mirrors
                    .iter()
                    .map(|(ci, ei)| {
                        let mc = t.clusters.get(*ci as usize);
                        json!({
                            "cluster": mc.map(|c| c.name.as_str()),
                            "endpoint": mc.zip(*ei).and_then(|(c, i)| c.endpoints.get(i)).map(|e| e.address.as_str()),
                        })
                    })
                    .collect(),
            );
            m.insert(
                "corsHeaders".into(),
                f.cors_headers
                    .iter()
                    .map(|(k, v)| json!({ "name": k, "value": v }))
                    .collect(),
            );
            m.insert("setCookie".into(), json!(f.set_cookie));
        }
        Outcome::Reply(r) => {
            m.insert("cluster".into(), Value::Null);
            m.insert("endpoint".into(), Value::Null);
            m.insert("path".into(), Value::Null);
            m.insert("authority".into(), Value::Null);
            let location = r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.as_str());
            m.insert("location".into(), json!(location));
            m.insert(
                "reply".into(),
                json!({
                    "kind": r.kind,
                    "flag": r.kind.flag(),
                    "body": r.body,
                    "headers": r.headers.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect::<Vec<_>>(),
                    "grpcStatus": r.grpc_status,
                }),
            );
        }
    }
    m.insert("trace".into(), json!(d.trace));
    Value::Object(m)
}

/// [`decision_json`] with `path` and `authority` as sent upstream: rewritten, or the request's
/// own when forwarded unchanged; plus the request itself under `request`.
pub fn decision_json_for(d: &Decision, t: &RouteTable, req: &Request) -> Value {
    let mut v = decision_json(d, t);
    if let (Outcome::Forward(_), Value::Object(m)) = (&d.outcome, &mut v) {
        if m.get("path").is_none_or(Value::is_null) {
            m.insert(
                "path".into(),
                json!(String::from_utf8_lossy(req.path).into_owned()),
            );
        }
        if m.get("authority").is_none_or(Value::is_null) {
            m.insert(
                "authority".into(),
                json!(String::from_utf8_lossy(req.authority).into_owned()),
            );
        }
    }
    if let Value::Object(m) = &mut v {
        m.insert(
            "request".into(),
            json!({
                "listenerPort": req.listener_port,
                "method": String::from_utf8_lossy(req.method),
                "scheme": String::from_utf8_lossy(req.scheme),
                "authority": String::from_utf8_lossy(req.authority),
                "path": String::from_utf8_lossy(req.path),
                "headers": req.headers.iter().map(|(k, v)| json!({
                    "name": String::from_utf8_lossy(k),
                    "value": String::from_utf8_lossy(v),
                })).collect::<Vec<_>>(),
                "sourceIp": req.source_ip.map(|i| i.to_string()),
            }),
        );
    }
    v
}

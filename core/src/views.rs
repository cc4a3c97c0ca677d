//! Views: the compiled [`RouteTable`] as `istioctl proxy-config listeners|routes|clusters|endpoints`
//! prints it, and a routing [`Decision`] as the JSON the simulator (CLI and browser) shows.
//!
//! Every view is a list of serde-serializable rows (the JSON output) plus a text renderer with
//! aligned columns (the text output). Column names follow istioctl 1.2x:
//!
//! ```text
//! ADDRESSES  PORT  MATCH  DESTINATION
//! 0.0.0.0    8080  ALL    Route: http.8080
//! ```
//!
//! ```
//! use meshroute_core::{compile::compile, config::ProxyIdentity, resources::{load, LoadOptions}, views};
//! let (res, _) = load(&[("s.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {ports: [{name: http, port: 80}]}\n")],
//!                     &LoadOptions::default());
//! let (table, _) = compile(&res, &ProxyIdentity::sidecar("default", &[]));
//! let text = views::render_clusters(&views::clusters(&table));
//! assert!(text.starts_with("SERVICE FQDN"));
//! assert!(text.contains("web.default.svc.cluster.local"));
//! ```

use crate::lb::LbPolicy;
use crate::route::{Decision, Outcome, Request};
use crate::table::*;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

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

/// Aligned columns separated by two spaces (kubectl's tabwriter padding); no trailing spaces.
pub fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, cell) in cells.enumerate() {
            l.push_str(cell);
            if i + 1 < widths.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                l.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
    out
}

pub fn render_listeners(rows: &[ListenerRow]) -> String {
    render_table(
        &["ADDRESSES", "PORT", "MATCH", "DESTINATION"],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.addresses.clone(),
                    r.port.to_string(),
                    r.match_.clone(),
                    r.destination.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

pub fn render_routes(rows: &[RouteRow]) -> String {
    render_table(
        &["NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.vhost_name.clone(),
                    describe_domains(&r.domains),
                    r.match_.clone(),
                    r.virtual_service.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

pub fn render_clusters(rows: &[ClusterRow]) -> String {
    render_table(
        &[
            "SERVICE FQDN",
            "PORT",
            "SUBSET",
            "DIRECTION",
            "TYPE",
            "DESTINATION RULE",
        ],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.service_fqdn.clone(),
                    r.port.to_string(),
                    r.subset.clone(),
                    r.direction.to_string(),
                    r.type_.to_string(),
                    r.destination_rule.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

pub fn render_endpoints(rows: &[EndpointRow]) -> String {
    render_table(
        &["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.endpoint.clone(),
                    r.status.to_string(),
                    r.outlier_check.to_string(),
                    r.cluster.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

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
    m.insert("routeIndex".into(), json!(d.route_index));
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

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A person-readable rendering of [`decision_json`] / [`decision_json_for`] output.
pub fn render_decision(v: &Value) -> String {
    let mut out = String::new();
    let mut field = |k: &str, val: &str| out.push_str(&format!("  {k:<16} {val}\n"));
    let mut head = String::new();
    if let Some(req) = v.get("request") {
        head = format!(
            "{} {}://{}{} (listener port {})\n",
            s(req, "method").unwrap_or("GET"),
            s(req, "scheme").unwrap_or("http"),
            s(req, "authority").unwrap_or(""),
            s(req, "path").unwrap_or("/"),
            req.get("listenerPort").and_then(Value::as_u64).unwrap_or(0),
        );
    }
    let verdict = match v.get("status").and_then(Value::as_u64) {
        None => format!(
            "FORWARD to {} ({})",
            s(v, "endpoint").unwrap_or("-"),
            s(v, "cluster").unwrap_or("-")
        ),
        Some(code) => {
            let reply = v.get("reply");
            let kind = reply.and_then(|r| s(r, "kind")).unwrap_or("local_reply");
            let flag = reply.and_then(|r| s(r, "flag")).unwrap_or("-");
            match s(v, "location") {
                Some(loc) => format!("LOCAL REPLY {code} ({kind}) location: {loc}"),
                None => format!("LOCAL REPLY {code} ({kind}, {flag})"),
            }
        }
    };
    // Unnamed VirtualService rules give Envoy routes an empty name: show their position.
    let route_label = match (s(v, "route"), v.get("routeIndex").and_then(Value::as_u64)) {
        (Some(""), Some(i)) => Some(format!("#{i} (unnamed)")),
        (Some(r), Some(i)) => Some(format!("{r} (#{i})")),
        (Some(r), None) => Some(r.to_string()),
        _ => None,
    };
    for (k, key) in [
        ("listener", "listener"),
        ("route config", "routeConfig"),
        ("virtual host", "virtualHost"),
        ("virtual service", "virtualService"),
        ("route", "-"),
        ("cluster", "cluster"),
        ("lb policy", "lbPolicy"),
        ("endpoint", "endpoint"),
        ("endpoint source", "endpointSource"),
        ("path", "path"),
        ("authority", "authority"),
        ("set-cookie", "setCookie"),
    ] {
        if key == "-" {
            if let Some(r) = &route_label {
                field(k, r);
            }
        } else if let Some(val) = s(v, key) {
            field(k, val);
        }
    }
    if let Some(ms) = v.get("timeoutMs").and_then(Value::as_u64) {
        field(
            "timeout",
            &if ms == 0 {
                "none".to_string()
            } else {
                format!("{ms} ms")
            },
        );
    }
    if let Some(r) = v.get("retry").filter(|r| !r.is_null()) {
        field(
            "retry",
            &format!(
                "{} retries on {}{}",
                r.get("numRetries").and_then(Value::as_u64).unwrap_or(0),
                s(r, "retryOn").unwrap_or(""),
                if r.get("default").and_then(Value::as_bool) == Some(true) {
                    " (Istio default)"
                } else {
                    ""
                }
            ),
        );
    }
    if let Some(ms) = v.get("delayMs").and_then(Value::as_u64) {
        field("fault delay", &format!("{ms} ms"));
    }
    for (label, key) in [
        ("request headers", "requestHeaders"),
        ("response headers", "responseHeaders"),
    ] {
        if let Some(ops) = v.get(key) {
            let mut parts = Vec::new();
            for (op, sym) in [("set", "="), ("add", "+=")] {
                for h in ops.get(op).and_then(Value::as_array).into_iter().flatten() {
                    parts.push(format!(
                        "{}{sym}{}",
                        s(h, "name").unwrap_or(""),
                        s(h, "value").unwrap_or("")
                    ));
                }
            }
            for h in ops
                .get("remove")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                parts.push(format!("-{}", h.as_str().unwrap_or("")));
            }
            if !parts.is_empty() {
                field(label, &parts.join(", "));
            }
        }
    }
    for m in v
        .get("mirrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        field(
            "mirror",
            &format!(
                "{} → {}",
                s(m, "cluster").unwrap_or("-"),
                s(m, "endpoint").unwrap_or("-")
            ),
        );
    }
    if let Some(body) = v
        .get("reply")
        .and_then(|r| s(r, "body"))
        .filter(|b| !b.is_empty())
    {
        field("body", body.trim_end());
    }
    let mut text = String::new();
    text.push_str(&head);
    text.push_str(&verdict);
    text.push('\n');
    text.push_str(&out);
    let trace: Vec<&str> = v
        .get("trace")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !trace.is_empty() {
        text.push_str("trace:\n");
        for (i, l) in trace.iter().enumerate() {
            text.push_str(&format!("  {}. {l}\n", i + 1));
        }
    }
    text
}

/// Counts of many decisions (`simulate --requests N`): per cluster, endpoint and status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub requests: u64,
    pub cluster: BTreeMap<String, u64>,
    pub endpoint: BTreeMap<String, u64>,
    /// `forwarded` or the local reply code.
    pub status: BTreeMap<String, u64>,
}

impl Tally {
    pub fn add(&mut self, d: &Decision) {
        self.requests += 1;
        match &d.outcome {
            Outcome::Forward(f) => {
                *self.cluster.entry(f.cluster_name.to_string()).or_default() += 1;
                if let Some(a) = f.endpoint_address {
                    *self.endpoint.entry(a.to_string()).or_default() += 1;
                }
                *self.status.entry("forwarded".into()).or_default() += 1;
            }
            Outcome::Reply(r) => {
                *self.status.entry(r.status.to_string()).or_default() += 1;
            }
        }
    }

    /// `{"requests": N, "counts": {"cluster": {..}, "endpoint": {..}, "status": {..}}}`.
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "counts": {
                "cluster": self.cluster,
                "endpoint": self.endpoint,
                "status": self.status,
            }
        })
    }

    pub fn render(&self) -> String {
        let mut out = format!("{} requests\n", self.requests);
        let pct = |n: u64| {
            if self.requests == 0 {
                0.0
            } else {
                n as f64 * 100.0 / self.requests as f64
            }
        };
        for (title, map) in [
            ("STATUS", &self.status),
            ("CLUSTER", &self.cluster),
            ("ENDPOINT", &self.endpoint),
        ] {
            if map.is_empty() {
                continue;
            }
            out.push('\n');
            let rows: Vec<Vec<String>> = map
                .iter()
                .map(|(k, n)| vec![k.clone(), n.to_string(), format!("{:.1}%", pct(*n))])
                .collect();
            out.push_str(&render_table(&[title, "COUNT", "SHARE"], &rows));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::config::ProxyIdentity;
    use crate::lb::SplitMix64;
    use crate::resources::{load, LoadOptions};
    use crate::route::{decide, LbState};

    const SEED: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: demoappv10, namespace: default}
spec:
  clusterIP: 10.96.10.10
  selector: {app: demoapp, version: v1.0}
  ports: [{name: http, port: 8080, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: demoappv10-1, namespace: default, labels: {app: demoapp, version: v1.0}}
status: {podIP: 127.0.10.31}
---
apiVersion: v1
kind: Pod
metadata: {name: demoappv10-2, namespace: default, labels: {app: demoapp, version: v1.0}}
status: {podIP: 127.0.10.32}
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
metadata: {name: demoappv10-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [demoappv10.magedu.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: demoappv10, namespace: default}
spec:
  hosts: [demoappv10.magedu.com]
  gateways: [istio-system/demoappv10-gateway]
  http:
  - name: default
    route:
    - destination: {host: demoappv10}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: demoappv10, namespace: default}
spec:
  host: demoappv10
  trafficPolicy:
    loadBalancer: {simple: LEAST_CONN}
"#;

    const CLUSTER: &str = "outbound|8080||demoappv10.default.svc.cluster.local";

    fn gateway_table() -> RouteTable {
        let (res, diags) = load(&[("seed.yaml", SEED)], &LoadOptions::default());
        assert!(diags.is_empty(), "{diags:?}");
        let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
        compile(&res, &proxy).0
    }

    fn req(authority: &[u8]) -> Request<'_> {
        Request {
            listener_port: 8080,
            authority,
            path: b"/hello?x=1",
            method: b"GET",
            scheme: b"http",
            headers: &[],
            source_ip: None,
        }
    }

    #[test]
    fn istioctl_names_are_name_dot_namespace() {
        assert_eq!(istioctl_name("default/demoappv10"), "demoappv10.default");
        assert_eq!(istioctl_name("a/x,b/y"), "x.a,y.b");
        assert_eq!(istioctl_name(""), "");
    }

    #[test]
    fn domains_beyond_three_are_abbreviated() {
        let d: Vec<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(describe_domains(&d[..1]), "a");
        assert_eq!(describe_domains(&d[..3]), "a, b, c");
        assert_eq!(describe_domains(&d), "a, b, c +2 more");
    }

    #[test]
    fn table_columns_are_aligned_without_trailing_spaces() {
        let t = render_table(
            &["A", "LONG HEADER", "C"],
            &[
                vec!["xxxx".into(), "".into(), "z".into()],
                vec!["y".into(), "b".into(), "".into()],
            ],
        );
        assert_eq!(t, "A     LONG HEADER  C\nxxxx               z\ny     b\n");
    }

    #[test]
    fn gateway_listener_shows_target_port_and_route_config() {
        let t = gateway_table();
        let rows = listeners(&t);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].addresses, "0.0.0.0");
        assert_eq!(rows[0].port, 8080);
        assert_eq!(rows[0].destination, "Route: http.8080");
        assert_eq!(rows[0].server_ports, vec![80]);
        let text = render_listeners(&rows);
        assert!(text.starts_with("ADDRESSES  PORT  MATCH  DESTINATION\n"));
        assert!(text.contains("0.0.0.0    8080  ALL    Route: http.8080"));
    }

    #[test]
    fn routes_show_vhost_domains_and_virtual_service_like_istioctl() {
        let t = gateway_table();
        let rows = routes(&t);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.name, "http.8080");
        assert_eq!(r.vhost_name, "demoappv10.magedu.com:80");
        assert_eq!(r.domains, vec!["demoappv10.magedu.com".to_string()]);
        assert_eq!(r.match_, "/*");
        assert_eq!(r.virtual_service, "demoappv10.default");
        assert_eq!(r.action, CLUSTER);
        let text = render_routes(&rows);
        assert!(text.starts_with("NAME       VHOST NAME"), "{text}");
        assert!(text.contains("demoappv10.default"));
    }

    #[test]
    fn gateway_without_virtual_service_shows_a_404_blackhole_row() {
        let seed = SEED.split("kind: VirtualService").next().unwrap_or("");
        let seed = seed.rsplit_once("---").map(|(a, _)| a).unwrap_or(seed);
        let (res, _) = load(&[("seed.yaml", seed)], &LoadOptions::default());
        let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
        let (t, _) = compile(&res, &proxy);
        let rows = routes(&t);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].virtual_service, "404");
        assert_eq!(rows[0].route, None);
    }

    #[test]
    fn clusters_show_destination_rule_and_least_request_for_least_conn() {
        let t = gateway_table();
        let rows = clusters(&t);
        let c = rows
            .iter()
            .find(|c| c.name == CLUSTER)
            .expect("seed cluster");
        assert_eq!(c.service_fqdn, "demoappv10.default.svc.cluster.local");
        assert_eq!(c.port, 8080);
        assert_eq!(c.subset, "-");
        assert_eq!(c.direction, "outbound");
        assert_eq!(c.type_, "EDS");
        assert_eq!(c.destination_rule, "demoappv10.default");
        assert_eq!(c.lb.lb_policy, "LEAST_REQUEST");
        let v = serde_json::to_value(c).unwrap_or_default();
        assert_eq!(v["lb"]["lbPolicy"], "LEAST_REQUEST");
        assert_eq!(v["serviceFqdn"], "demoappv10.default.svc.cluster.local");
        let text = render_clusters(&rows);
        assert!(text.starts_with("SERVICE FQDN"));
        assert!(text
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == [
                    "demoappv10.default.svc.cluster.local",
                    "8080",
                    "-",
                    "outbound",
                    "EDS",
                    "demoappv10.default"
                ]));
    }

    #[test]
    fn endpoints_list_pod_addresses_healthy() {
        let t = gateway_table();
        let rows: Vec<EndpointRow> = endpoints(&t)
            .into_iter()
            .filter(|e| e.cluster == CLUSTER)
            .collect();
        let addrs: Vec<&str> = rows.iter().map(|e| e.endpoint.as_str()).collect();
        assert_eq!(addrs, ["127.0.10.31:8080", "127.0.10.32:8080"]);
        assert!(rows
            .iter()
            .all(|e| e.status == "HEALTHY" && e.outlier_check == "OK"));
        let text = render_endpoints(&rows);
        assert!(
            text.contains(&format!(
                "127.0.10.31:8080  HEALTHY  OK             {CLUSTER}"
            )),
            "{text}"
        );
    }

    #[test]
    fn decision_json_for_a_forward_names_cluster_endpoint_and_original_path() {
        let t = gateway_table();
        let mut st = LbState::for_table(&t);
        let r = req(b"demoappv10.magedu.com");
        let d = decide(&t, &r, &mut st, 0, &mut SplitMix64(7), true);
        let v = decision_json_for(&d, &t, &r);
        assert_eq!(v["status"], Value::Null);
        assert_eq!(v["cluster"], CLUSTER);
        assert_eq!(v["virtualService"], "default/demoappv10");
        assert_eq!(v["route"], "default");
        assert_eq!(v["path"], "/hello?x=1");
        assert_eq!(v["authority"], "demoappv10.magedu.com");
        assert_eq!(v["location"], Value::Null);
        assert_eq!(v["lbPolicy"], "LEAST_REQUEST");
        assert!(v["endpoint"]
            .as_str()
            .is_some_and(|e| e.starts_with("127.0.10.3")));
        assert!(v["trace"].as_array().is_some_and(|t| !t.is_empty()));
        // Without the request, unrewritten path/authority are null.
        let bare = decision_json(&d, &t);
        assert_eq!(bare["path"], Value::Null);
        let text = render_decision(&v);
        assert!(text.contains("FORWARD to 127.0.10.3"), "{text}");
        assert!(text.contains("trace:"));
    }

    #[test]
    fn decision_json_for_unknown_host_is_a_404_local_reply() {
        let t = gateway_table();
        let mut st = LbState::for_table(&t);
        let r = req(b"nope.example.com");
        let d = decide(&t, &r, &mut st, 0, &mut SplitMix64(7), true);
        let v = decision_json_for(&d, &t, &r);
        assert_eq!(v["status"], 404);
        assert_eq!(v["cluster"], Value::Null);
        assert_eq!(v["endpoint"], Value::Null);
        assert_eq!(v["virtualService"], Value::Null);
        assert_eq!(v["path"], Value::Null);
        assert_eq!(v["reply"]["flag"], "NR");
        assert!(render_decision(&v).contains("LOCAL REPLY 404"));
    }

    #[test]
    fn tally_counts_clusters_endpoints_and_statuses() {
        let t = gateway_table();
        let mut st = LbState::for_table(&t);
        let mut rng = SplitMix64(1);
        let mut tally = Tally::default();
        for a in [
            &b"demoappv10.magedu.com"[..],
            b"demoappv10.magedu.com",
            b"x.com",
        ] {
            let r = req(a);
            tally.add(&decide(&t, &r, &mut st, 0, &mut rng, false));
        }
        let v = tally.to_json();
        assert_eq!(v["requests"], 3);
        assert_eq!(v["counts"]["cluster"][CLUSTER], 2);
        assert_eq!(v["counts"]["status"]["forwarded"], 2);
        assert_eq!(v["counts"]["status"]["404"], 1);
        let n: u64 = tally.endpoint.values().sum();
        assert_eq!(n, 2);
        assert!(tally.render().contains("forwarded"));
    }
}

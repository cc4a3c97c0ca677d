//! `meshroute bootstrap --native`: the same meshroute config as **native Envoy configuration**,
//! without the wasm filter — the virtual hosts, routes, weighted clusters and STATIC clusters
//! istiod would generate, built from core's compiled [`RouteTable`]. The benchmark compares the
//! filter against it, and it is the differential oracle for the filter (same table, Envoy's own
//! matching and load balancing).
//!
//! Translated (Istio's `route/route.go`, `cluster_traffic_policy.go`):
//! - the listener's route configuration: virtual hosts (domains, `require_tls` for
//!   `httpsRedirect`), routes in order with path prefix/exact/safe_regex, `case_sensitive`,
//!   header matchers (exact/prefix/regex/present, `invert_match`,
//!   `treat_missing_header_as_empty`), query matchers; `ignore_port_in_host_matching`;
//! - actions: cluster or weighted clusters (per-destination header operations and host
//!   rewrite), redirect, direct response; `prefix_rewrite`/`regex_rewrite`, host rewrite,
//!   request/response header operations, timeout, retry policy, fault (per-route fault
//!   filter config), mirrors (runtime fraction), CORS (per-route CORS policy), hash policies;
//! - clusters: STATIC, one per compiled cluster, with its endpoints (weights, unhealthy
//!   endpoints marked), `lb_policy` (ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV;
//!   PASSTHROUGH → ORIGINAL_DST), ring/maglev sizes, the panic threshold, outlier detection and
//!   connection-pool limits (Istio's MaxUint32 defaults).
//!
//! Not translated (commented where it would go): JWT-claim matches (such routes never match
//! without RequestAuthentication, so they are left out), TLS origination, locality LB, the
//! sidecar's per-port listeners (one listener serves the `--listener-port` route configuration).

use crate::bootstrap::Options;
use meshroute_core::lb::{LbPolicy, OutlierPolicy};
use meshroute_core::table::{
    Action, Cluster, ClusterRef, CorsSpec, HashPolicy, HeaderOps, PathMatch, Route, RouteTable,
    StrMatch, UriRewrite, VirtualHost, WeightedDest,
};
use serde_json::{json, Map, Value};

/// Istio's "unlimited" circuit-breaker threshold.
const MAX: u64 = 4_294_967_295;

fn duration_ms(ms: u64) -> String {
    format!("{}s", ms as f64 / 1000.0)
}

fn string_match(m: &StrMatch) -> Value {
    match m {
        StrMatch::Exact(e) => json!({"exact": e}),
        StrMatch::Prefix(p) => json!({"prefix": p}),
        StrMatch::Regex(_, s) => json!({"safe_regex": {"regex": s}}),
        // Callers turn `Present` into `present_match`.
        StrMatch::Present => json!({"safe_regex": {"regex": ".*"}}),
    }
}

/// Header operations: `set` replaces (OVERWRITE_IF_EXISTS_OR_ADD), `add` appends.
fn headers_to_add(ops: &HeaderOps) -> Vec<Value> {
    let set = ops.set.iter().map(|(k, v)| {
        json!({"header": {"key": k, "value": v}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"})
    });
    let add = ops.add.iter().map(|(k, v)| {
        json!({"header": {"key": k, "value": v}, "append_action": "APPEND_IF_EXISTS_OR_ADD"})
    });
    set.chain(add).collect()
}

fn put_header_ops(obj: &mut Map<String, Value>, prefix: &str, ops: &HeaderOps) {
    let add = headers_to_add(ops);
    if !add.is_empty() {
        obj.insert(format!("{prefix}_headers_to_add"), Value::Array(add));
    }
    if !ops.remove.is_empty() {
        obj.insert(format!("{prefix}_headers_to_remove"), json!(ops.remove));
    }
}

fn route_match(r: &Route) -> Value {
    let m = &r.matcher;
    let mut out = Map::new();
    match &m.path {
        PathMatch::Prefix(p) => out.insert("prefix".into(), json!(p)),
        PathMatch::Exact(p) => out.insert("path".into(), json!(p)),
        PathMatch::Regex(_, s) => out.insert("safe_regex".into(), json!({"regex": s})),
    };
    if !m.case_sensitive {
        out.insert("case_sensitive".into(), json!(false));
    }
    let headers: Vec<Value> = m
        .headers
        .iter()
        .map(|h| {
            let mut hm = Map::new();
            hm.insert("name".into(), json!(h.name));
            match &h.matcher {
                StrMatch::Present => hm.insert("present_match".into(), json!(true)),
                other => hm.insert("string_match".into(), string_match(other)),
            };
            if h.invert {
                hm.insert("invert_match".into(), json!(true));
            }
            if h.missing_as_empty {
                hm.insert("treat_missing_header_as_empty".into(), json!(true));
            }
            Value::Object(hm)
        })
        .collect();
    if !headers.is_empty() {
        out.insert("headers".into(), Value::Array(headers));
    }
    let query: Vec<Value> = m
        .query
        .iter()
        .map(|q| match &q.matcher {
            StrMatch::Present => json!({"name": q.name, "present_match": true}),
            other => json!({"name": q.name, "string_match": string_match(other)}),
        })
        .collect();
    if !query.is_empty() {
        out.insert("query_parameters".into(), Value::Array(query));
    }
    Value::Object(out)
}

fn hash_policy(h: &HashPolicy) -> Value {
    match h {
        HashPolicy::Header(name) => json!({"header": {"header_name": name}}),
        HashPolicy::Cookie { name, path, ttl_ms } => {
            let mut c = Map::new();
            c.insert("name".into(), json!(name));
            if let Some(p) = path {
                c.insert("path".into(), json!(p));
            }
            if let Some(t) = ttl_ms {
                c.insert("ttl".into(), json!(duration_ms(*t)));
            }
            json!({ "cookie": c })
        }
        HashPolicy::Query(name) => json!({"query_parameter": {"name": name}}),
        HashPolicy::SourceIp => json!({"connection_properties": {"source_ip": true}}),
    }
}

/// `\1` (RE2/Envoy) from core's Rust-syntax replacement (`${1}`, `$$`).
fn envoy_substitution(rust: &str) -> String {
    let mut out = String::new();
    let mut rest = rust;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        if let Some(t) = tail.strip_prefix('$') {
            out.push('$');
            rest = t;
        } else if let Some(end) = tail.strip_prefix('{').and_then(|t| t.find('}')) {
            out.push('\\');
            out.push_str(&tail[1..=end]);
            rest = &tail[end + 2..];
        } else {
            out.push('$');
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

fn cors_policy(c: &CorsSpec) -> Value {
    let mut p = Map::new();
    p.insert(
        "@type".into(),
        json!("type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy"),
    );
    let origins: Vec<Value> = c.allow_origins.iter().map(string_match).collect();
    p.insert("allow_origin_string_match".into(), Value::Array(origins));
    for (k, v) in [
        ("allow_methods", &c.allow_methods),
        ("allow_headers", &c.allow_headers),
        ("expose_headers", &c.expose_headers),
    ] {
        if !v.is_empty() {
            p.insert(k.into(), json!(v));
        }
    }
    if let Some(m) = &c.max_age {
        p.insert("max_age".into(), json!(m));
    }
    if c.allow_credentials {
        p.insert("allow_credentials".into(), json!(true));
    }
    if c.ignore_unmatched_preflights {
        p.insert("forward_not_matching_preflights".into(), json!(false));
    }
    Value::Object(p)
}

fn known_hash(table: &RouteTable, dests: &[WeightedDest]) -> Vec<Value> {
    // Every destination's consistent-hash policy, first destination first, without duplicates
    // (Envoy uses the first policy that yields a hash).
    let mut out: Vec<Value> = Vec::new();
    for d in dests {
        if let ClusterRef::Known(i) = d.cluster {
            if let Some(h) = table.clusters.get(i as usize).and_then(|c| c.hash.as_ref()) {
                let v = hash_policy(h);
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

fn route(table: &RouteTable, r: &Route) -> Option<Value> {
    if r.matcher.never {
        // A JWT-claim match: never true without RequestAuthentication (istiod emits a
        // metadata matcher that cannot match). Leaving the route out is equivalent.
        return None;
    }
    let mut out = Map::new();
    if !r.name.is_empty() {
        out.insert("name".into(), json!(r.name));
    }
    out.insert("match".into(), route_match(r));
    let x = &r.extras;
    let mut per_filter = Map::new();
    if let Some(f) = &x.fault {
        let mut fault = Map::new();
        fault.insert(
            "@type".into(),
            json!("type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"),
        );
        if let Some(ms) = f.delay_ms {
            fault.insert(
                "delay".into(),
                json!({"fixed_delay": duration_ms(ms),
                "percentage": {"numerator": f.delay_per_million, "denominator": "MILLION"}}),
            );
        }
        let pct = json!({"numerator": f.abort_per_million, "denominator": "MILLION"});
        if let Some(s) = f.abort_status {
            fault.insert("abort".into(), json!({"http_status": s, "percentage": pct}));
        } else if let Some(g) = f.abort_grpc_status {
            fault.insert("abort".into(), json!({"grpc_status": g, "percentage": pct}));
        }
        per_filter.insert("envoy.filters.http.fault".into(), Value::Object(fault));
    }
    if let Some(c) = &x.cors {
        per_filter.insert("envoy.filters.http.cors".into(), cors_policy(c));
    }
    match &r.action {
        Action::Forward(dests) => {
            let mut ra = Map::new();
            if dests.len() == 1 {
                ra.insert("cluster".into(), json!(dests[0].cluster_name));
                if x.authority_rewrite.is_none() {
                    if let Some(a) = &dests[0].authority {
                        ra.insert("host_rewrite_literal".into(), json!(a));
                    }
                }
                // A single destination's header operations go on the route itself (after the
                // route-level ones; core has already layered them in the decision).
                put_header_ops(&mut out, "request", &dests[0].request_headers);
                put_header_ops(&mut out, "response", &dests[0].response_headers);
            } else {
                let clusters: Vec<Value> = dests
                    .iter()
                    .map(|d| {
                        let mut wc = Map::new();
                        wc.insert("name".into(), json!(d.cluster_name));
                        wc.insert("weight".into(), json!(d.weight));
                        put_header_ops(&mut wc, "request", &d.request_headers);
                        put_header_ops(&mut wc, "response", &d.response_headers);
                        if x.authority_rewrite.is_none() {
                            if let Some(a) = &d.authority {
                                wc.insert("host_rewrite_literal".into(), json!(a));
                            }
                        }
                        Value::Object(wc)
                    })
                    .collect();
                ra.insert("weighted_clusters".into(), json!({ "clusters": clusters }));
            }
            match &x.uri_rewrite {
                Some(UriRewrite::Prefix(p)) => {
                    ra.insert("prefix_rewrite".into(), json!(p));
                }
                Some(UriRewrite::Regex(re, sub)) => {
                    ra.insert(
                        "regex_rewrite".into(),
                        json!({"pattern": {"regex": re.as_str()}, "substitution": envoy_substitution(sub)}),
                    );
                }
                None => {}
            }
            if let Some(a) = &x.authority_rewrite {
                ra.insert("host_rewrite_literal".into(), json!(a));
            }
            // Istio's default route timeout is 0 (disabled), Envoy's 15 s.
            ra.insert("timeout".into(), json!(duration_ms(x.timeout_ms)));
            if let Some(rt) = &x.retry {
                let mut rp = Map::new();
                rp.insert("retry_on".into(), json!(rt.retry_on));
                rp.insert("num_retries".into(), json!(rt.num_retries));
                if !rt.retriable_status_codes.is_empty() {
                    rp.insert(
                        "retriable_status_codes".into(),
                        json!(rt.retriable_status_codes),
                    );
                }
                if let Some(p) = rt.per_try_timeout_ms {
                    rp.insert("per_try_timeout".into(), json!(duration_ms(p)));
                }
                rp.insert(
                    "retry_host_predicate".into(),
                    json!([{"name": "envoy.retry_host_predicates.previous_hosts",
                        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"}}]),
                );
                rp.insert("host_selection_retry_max_attempts".into(), json!(5));
                ra.insert("retry_policy".into(), Value::Object(rp));
            }
            let mirrors: Vec<Value> = x
                .mirrors
                .iter()
                .filter(|m| matches!(m.cluster, ClusterRef::Known(_)))
                .map(|m| {
                    json!({"cluster": m.cluster_name, "runtime_fraction": {"default_value":
                        {"numerator": m.per_million, "denominator": "MILLION"}}})
                })
                .collect();
            if !mirrors.is_empty() {
                ra.insert("request_mirror_policies".into(), Value::Array(mirrors));
            }
            let hp = known_hash(table, dests);
            if !hp.is_empty() {
                ra.insert("hash_policy".into(), Value::Array(hp));
            }
            out.insert("route".into(), Value::Object(ra));
        }
        Action::Redirect(rd) => {
            let mut a = Map::new();
            if let Some(u) = &rd.uri {
                a.insert("path_redirect".into(), json!(u));
            }
            if let Some(h) = &rd.authority {
                a.insert("host_redirect".into(), json!(h));
            }
            if let Some(s) = &rd.scheme {
                a.insert("scheme_redirect".into(), json!(s));
            }
            if let Some(p) = rd.port {
                a.insert("port_redirect".into(), json!(p));
            }
            let code = match rd.code {
                302 => "FOUND",
                303 => "SEE_OTHER",
                307 => "TEMPORARY_REDIRECT",
                308 => "PERMANENT_REDIRECT",
                _ => "MOVED_PERMANENTLY",
            };
            a.insert("response_code".into(), json!(code));
            out.insert("redirect".into(), Value::Object(a));
        }
        Action::DirectResponse { status, body } => {
            let mut d = Map::new();
            d.insert("status".into(), json!(status));
            if let Some(b) = body {
                d.insert("body".into(), json!({ "inline_string": b }));
            }
            out.insert("direct_response".into(), Value::Object(d));
        }
        Action::Passthrough => {
            out.insert(
                "route".into(),
                json!({"cluster": "PassthroughCluster", "timeout": "0s"}),
            );
        }
    }
    // Route-level header operations (core keeps destination-level ones separate).
    let mut route_level = Map::new();
    put_header_ops(&mut route_level, "request", &x.request_headers);
    put_header_ops(&mut route_level, "response", &x.response_headers);
    for (k, v) in route_level {
        match (out.get_mut(&k), v) {
            // Envoy applies the route's list after the weighted cluster's; on a single
            // destination both end up in one list: route-level first.
            (Some(Value::Array(existing)), Value::Array(mut mine)) => {
                mine.append(existing);
                *existing = mine;
            }
            (_, v) => {
                out.insert(k, v);
            }
        }
    }
    if !per_filter.is_empty() {
        out.insert("typed_per_filter_config".into(), Value::Object(per_filter));
    }
    Some(Value::Object(out))
}

fn virtual_host(table: &RouteTable, vh: &VirtualHost) -> Value {
    let routes: Vec<Value> = vh.routes.iter().filter_map(|r| route(table, r)).collect();
    let mut v = json!({"name": vh.name, "domains": vh.domains, "routes": routes});
    if vh.require_tls {
        v["require_tls"] = json!("ALL");
    }
    v
}

fn outlier(o: &OutlierPolicy) -> Value {
    let mut v = json!({
        "interval": duration_ms(o.interval_ms.max(1)),
        "base_ejection_time": duration_ms(o.base_ejection_ms),
        "max_ejection_percent": o.max_ejection_percent,
        // Istio: consecutive_5xx 0 disables 5xx ejection by setting its enforcement to 0.
        "consecutive_5xx": o.consecutive_5xx,
        "enforcing_consecutive_5xx": if o.consecutive_5xx == 0 { 0 } else { 100 },
        "enforcing_success_rate": 0,
    });
    if o.consecutive_gateway_errors > 0 {
        v["consecutive_gateway_failure"] = json!(o.consecutive_gateway_errors);
        v["enforcing_consecutive_gateway_failure"] = json!(100);
    } else {
        v["enforcing_consecutive_gateway_failure"] = json!(0);
    }
    v
}

fn socket_address(addr: &str) -> Option<Value> {
    let (h, p) = addr.rsplit_once(':')?;
    let port: u16 = p.parse().ok()?;
    Some(json!({"socket_address": {"address": h.trim_matches(['[', ']']), "port_value": port}}))
}

fn cluster(c: &Cluster) -> Value {
    let policy = &c.selector.policy;
    let pool = c.pool.clone().unwrap_or_default();
    let lim = |v: Option<u32>| v.map_or(MAX, u64::from);
    let mut common = json!({
        "idle_timeout": duration_ms(pool.idle_timeout_ms.unwrap_or(3_600_000)),
    });
    if let Some(n) = pool.max_requests_per_connection {
        common["max_requests_per_connection"] = json!(n);
    }
    let mut v = json!({
        "name": c.name,
        "connect_timeout": duration_ms(pool.connect_timeout_ms.unwrap_or(10_000)),
        "circuit_breakers": {"thresholds": [{
            "max_connections": lim(pool.max_connections),
            "max_pending_requests": lim(pool.http1_max_pending_requests),
            "max_requests": lim(pool.http2_max_requests),
            "max_retries": lim(pool.max_retries),
        }]},
        "common_lb_config": {"healthy_panic_threshold": {"value": c.selector.panic_threshold}},
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "common_http_protocol_options": common,
                "explicit_http_config": {"http_protocol_options": {}}
            }
        }
    });
    if let LbPolicy::Passthrough = policy {
        v["type"] = json!("ORIGINAL_DST");
        v["lb_policy"] = json!("CLUSTER_PROVIDED");
        v["original_dst_lb_config"] = json!({"use_http_header": false});
        return v;
    }
    v["type"] = json!("STATIC");
    v["lb_policy"] = json!(policy.envoy_name());
    match policy {
        LbPolicy::RingHash { minimum_ring_size } if *minimum_ring_size > 0 => {
            v["ring_hash_lb_config"] = json!({"minimum_ring_size": minimum_ring_size});
        }
        LbPolicy::Maglev { table_size } if *table_size > 0 => {
            v["maglev_lb_config"] = json!({"table_size": table_size});
        }
        _ => {}
    }
    if let Some(o) = &c.outlier {
        v["outlier_detection"] = outlier(o);
    }
    let endpoints: Vec<Value> = c
        .endpoints
        .iter()
        .filter_map(|e| {
            let mut ep = json!({"endpoint": {"address": socket_address(&e.address)?},
                "load_balancing_weight": e.weight.max(1)});
            if !e.healthy {
                ep["health_status"] = json!("UNHEALTHY");
            }
            Some(ep)
        })
        .collect();
    v["load_assignment"] =
        json!({"cluster_name": c.name, "endpoints": [{"lb_endpoints": endpoints}]});
    v
}

fn split_addr(a: &str) -> Result<(String, u16), String> {
    let (h, p) = a
        .rsplit_once(':')
        .ok_or_else(|| format!("{a:?}: expected IP:PORT"))?;
    let port = p.parse::<u16>().map_err(|_| format!("{a:?}: bad port"))?;
    Ok((h.trim_matches(['[', ']']).to_string(), port))
}

/// The native bootstrap (JSON, which is valid YAML) for the listener serving the logical port
/// (`--listener-port`, default the real port; else the table's first listener).
pub fn bootstrap(o: &Options, table: &RouteTable) -> Result<String, String> {
    let (lh, lp) = split_addr(&o.listen)?;
    let (ah, ap) = split_addr(&o.admin)?;
    let logical = o.listener_port.unwrap_or(u32::from(lp));
    let listener = table
        .listener(logical)
        .or_else(|| table.listeners.first())
        .ok_or("the config gives this proxy no listener")?;
    let rc = &table.route_configs[listener.route_config];
    let vhosts: Vec<Value> = rc
        .virtual_hosts
        .iter()
        .map(|vh| virtual_host(table, vh))
        .collect();
    let mut clusters: Vec<Value> = table.clusters.iter().map(cluster).collect();
    clusters.push(json!({
        "name": "PassthroughCluster", "type": "ORIGINAL_DST", "lb_policy": "CLUSTER_PROVIDED",
        "connect_timeout": "10s", "original_dst_lb_config": {"use_http_header": false}
    }));
    let mut hcm = json!({
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "native",
        "codec_type": "AUTO",
        "normalize_path": true,
        "http_protocol_options": {"allow_absolute_url": true},
        "route_config": {
            "name": listener.route_config_name,
            // istiod: unknown clusters are routed to (503 NC), not rejected.
            "validate_clusters": false,
            "ignore_port_in_host_matching": true,
            "virtual_hosts": vhosts,
        },
        // istiod's HTTP filter chain (gateway/sidecar), less telemetry and mTLS metadata.
        "http_filters": [
            {"name": "envoy.filters.http.cors", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"}},
            {"name": "envoy.filters.http.fault", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"}},
            {"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
        ],
    });
    if let Some(p) = &o.access_log {
        hcm["access_log"] = json!([{"name": "envoy.access_loggers.file", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
            "path": p.display().to_string(),
            "log_format": {"text_format_source": {"inline_string":
                "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% authority=%REQ(:AUTHORITY)% route=%ROUTE_NAME% cluster=%UPSTREAM_CLUSTER% endpoint=%UPSTREAM_HOST% attempts=%UPSTREAM_REQUEST_ATTEMPT_COUNT% duration=%DURATION%ms\n"}}}}]);
    }
    let b = json!({
        "node": {"id": "meshroute-native", "cluster": "meshroute"},
        // istiod's bootstrap keeps per-cluster stats out (an inclusion list); so does this one,
        // or thousands of clusters would cost mostly stats memory.
        "stats_config": {"stats_matcher": {"inclusion_list": {"patterns": [
            {"prefix": "cluster_manager"}, {"prefix": "listener_manager"}, {"prefix": "server"},
            {"prefix": "http.native."}, {"prefix": "listener."}
        ]}}},
        "admin": {"address": {"socket_address": {"address": ah, "port_value": ap}}},
        "static_resources": {
            "listeners": [{
                "name": listener.name,
                "address": {"socket_address": {"address": lh, "port_value": lp}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": hcm,
                }]}],
            }],
            "clusters": clusters,
        },
    });
    let json = serde_json::to_string(&b).map_err(|e| e.to_string())?;
    if o.envoy_file.ends_with(".json") {
        // Envoy reads `.json` with its JSON parser (much faster than YAML for large configs),
        // which allows no comments.
        return Ok(json);
    }
    Ok(format!(
        "# Generated by `meshroute bootstrap --native` — Envoy 1.40 with the native configuration\n# istiod would generate for this meshroute config (no wasm filter). JSON, which is YAML.\n{json}\n"
    ))
}

/// Writes DIR/ENVOY_FILE for `--native`.
pub fn write(o: &Options, table: &RouteTable, out: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let text = bootstrap(o, table)?;
    let path = out.join(&o.envoy_file);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::envoy_substitution;

    #[test]
    fn substitution_back_to_re2() {
        assert_eq!(envoy_substitution("/v2/${1}/x"), "/v2/\\1/x");
        assert_eq!(envoy_substitution("a$$b"), "a$b");
        assert_eq!(envoy_substitution("plain"), "plain");
    }
}

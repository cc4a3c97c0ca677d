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

use crate::clusters::{protocol_options, MAX};
use crate::model::{self, *};
use crate::{split_addr, to_json, Options};
use meshroute_core::lb::{LbPolicy, OutlierPolicy};
use meshroute_core::table::{
    self, Action, ClusterRef, CorsSpec, PathMatch, RouteTable, StrMatch, UriRewrite, WeightedDest,
};

const NATIVE_ACCESS_LOG_FORMAT: &str = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% authority=%REQ(:AUTHORITY)% route=%ROUTE_NAME% cluster=%UPSTREAM_CLUSTER% endpoint=%UPSTREAM_HOST% attempts=%UPSTREAM_REQUEST_ATTEMPT_COUNT% duration=%DURATION%ms\n";

fn string_match(m: &StrMatch) -> StringMatcher {
    match m {
        StrMatch::Exact(e) => StringMatcher::Exact(e.clone()),
        StrMatch::Prefix(p) => StringMatcher::Prefix(p.clone()),
        StrMatch::Regex(_, s) => StringMatcher::SafeRegex(RegexMatcher { regex: s.clone() }),
        // Callers turn `Present` into `present_match`.
        StrMatch::Present => StringMatcher::SafeRegex(RegexMatcher { regex: ".*".into() }),
    }
}

/// `Present` → `present_match`, anything else → `string_match`.
fn match_or_present(m: &StrMatch) -> (Option<StringMatcher>, Option<bool>) {
    match m {
        StrMatch::Present => (None, Some(true)),
        other => (Some(string_match(other)), None),
    }
}

/// Header operations: `set` replaces (OVERWRITE_IF_EXISTS_OR_ADD), `add` appends.
fn header_ops(request: &table::HeaderOps, response: &table::HeaderOps) -> model::HeaderOps {
    let to_add = |ops: &table::HeaderOps| -> Vec<HeaderValueOption> {
        let one = |(k, v): &(String, String), append_action| HeaderValueOption {
            header: HeaderValue {
                key: k.clone(),
                value: v.clone(),
            },
            append_action,
        };
        let set = ops
            .set
            .iter()
            .map(|kv| one(kv, "OVERWRITE_IF_EXISTS_OR_ADD"));
        let add = ops.add.iter().map(|kv| one(kv, "APPEND_IF_EXISTS_OR_ADD"));
        set.chain(add).collect()
    };
    model::HeaderOps {
        request_headers_to_add: to_add(request),
        request_headers_to_remove: request.remove.clone(),
        response_headers_to_add: to_add(response),
        response_headers_to_remove: response.remove.clone(),
    }
}

fn route_match(r: &table::Route) -> RouteMatch {
    let m = &r.matcher;
    let path = match &m.path {
        PathMatch::Prefix(p) => PathSpecifier::Prefix(p.clone()),
        PathMatch::Exact(p) => PathSpecifier::Path(p.clone()),
        PathMatch::Regex(_, s) => PathSpecifier::SafeRegex(RegexMatcher { regex: s.clone() }),
        PathMatch::PathSeparatedPrefix(p) => PathSpecifier::PathSeparatedPrefix(p.clone()),
    };
    let headers = m
        .headers
        .iter()
        .map(|h| {
            let (string_match, present_match) = match_or_present(&h.matcher);
            HeaderMatcher {
                name: h.name.clone(),
                string_match,
                present_match,
                invert_match: h.invert.then_some(true),
                treat_missing_header_as_empty: h.missing_as_empty.then_some(true),
            }
        })
        .collect();
    let query_parameters = m
        .query
        .iter()
        .map(|q| {
            let (string_match, present_match) = match_or_present(&q.matcher);
            QueryParameterMatcher {
                name: q.name.clone(),
                string_match,
                present_match,
            }
        })
        .collect();
    RouteMatch {
        path,
        case_sensitive: (!m.case_sensitive).then_some(false),
        headers,
        query_parameters,
    }
}

fn hash_policy(h: &table::HashPolicy) -> HashPolicy {
    match h {
        table::HashPolicy::Header(name) => HashPolicy::Header {
            header_name: name.clone(),
        },
        table::HashPolicy::Cookie { name, path, ttl_ms } => HashPolicy::Cookie {
            name: name.clone(),
            path: path.clone(),
            ttl: ttl_ms.map(duration_ms),
        },
        table::HashPolicy::Query(name) => HashPolicy::QueryParameter { name: name.clone() },
        table::HashPolicy::SourceIp => HashPolicy::ConnectionProperties { source_ip: true },
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

fn cors_policy(c: &CorsSpec) -> CorsPolicy {
    CorsPolicy {
        allow_origin_string_match: c.allow_origins.iter().map(string_match).collect(),
        allow_methods: c.allow_methods.clone(),
        allow_headers: c.allow_headers.clone(),
        expose_headers: c.expose_headers.clone(),
        max_age: c.max_age.clone(),
        allow_credentials: c.allow_credentials.then_some(true),
        forward_not_matching_preflights: c.ignore_unmatched_preflights.then_some(false),
    }
}

/// Every destination's consistent-hash policy, first destination first, without duplicates
/// (Envoy uses the first policy that yields a hash).
fn known_hash(table: &RouteTable, dests: &[WeightedDest]) -> Vec<HashPolicy> {
    let mut out: Vec<HashPolicy> = Vec::new();
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

fn fault(f: &table::FaultSpec) -> HttpFault {
    let percentage = FractionalPercent::per_million(f.abort_per_million);
    let abort = |http_status, grpc_status| FaultAbort {
        http_status,
        grpc_status,
        header_abort: None,
        percentage: percentage.clone(),
    };
    HttpFault {
        delay: f.delay_ms.map(|ms| FaultDelay {
            fixed_delay: Some(duration_ms(ms)),
            header_delay: None,
            percentage: FractionalPercent::per_million(f.delay_per_million),
        }),
        abort: match (f.abort_status, f.abort_grpc_status) {
            (Some(s), _) => Some(abort(Some(u32::from(s)), None)),
            (None, Some(g)) => Some(abort(None, Some(g))),
            (None, None) => None,
        },
    }
}

fn retry_policy(rt: &table::RetrySpec) -> RetryPolicy {
    RetryPolicy {
        retry_on: Some(rt.retry_on.clone()),
        num_retries: rt.num_retries,
        retriable_status_codes: rt.retriable_status_codes.clone(),
        per_try_timeout: rt.per_try_timeout_ms.map(duration_ms),
        retry_host_predicate: vec![TypedExtensionConfig::new(
            "envoy.retry_host_predicates.previous_hosts",
            Any::PreviousHostsPredicate(Empty {}),
        )],
        host_selection_retry_max_attempts: Some(5),
        retry_back_off: None,
    }
}

fn forward(table: &RouteTable, r: &table::Route, dests: &[WeightedDest], out: &mut Route) {
    let x = &r.extras;
    let target = if dests.len() == 1 {
        // A single destination's header operations go on the route itself, after the
        // route-level ones (core has already layered them in the decision).
        let d = header_ops(&dests[0].request_headers, &dests[0].response_headers);
        append(&mut out.headers, d);
        ClusterSpecifier::Cluster(dests[0].cluster_name.clone())
    } else {
        let clusters = dests
            .iter()
            .map(|d| ClusterWeight {
                name: d.cluster_name.clone(),
                weight: d.weight,
                headers: header_ops(&d.request_headers, &d.response_headers),
                host_rewrite_literal: d
                    .authority
                    .clone()
                    .filter(|_| x.authority_rewrite.is_none()),
            })
            .collect();
        ClusterSpecifier::WeightedClusters(WeightedClusters { clusters })
    };
    // Istio's default route timeout is 0 (disabled), Envoy's 15 s.
    let mut ra = RouteAction::to(target, duration_ms(x.timeout_ms));
    ra.host_rewrite_literal = match (&x.authority_rewrite, dests) {
        (Some(a), _) => Some(a.clone()),
        (None, [one]) => one.authority.clone(),
        (None, _) => None,
    };
    match &x.uri_rewrite {
        Some(UriRewrite::Prefix(p)) => ra.prefix_rewrite = Some(p.clone()),
        Some(UriRewrite::Regex(re, sub)) => {
            ra.regex_rewrite = Some(RegexRewrite {
                pattern: RegexMatcher {
                    regex: re.as_str().into(),
                },
                substitution: envoy_substitution(sub),
            })
        }
        None => {}
    }
    ra.retry_policy = x.retry.as_ref().map(retry_policy);
    ra.request_mirror_policies = x
        .mirrors
        .iter()
        .filter(|m| matches!(m.cluster, ClusterRef::Known(_)))
        .map(|m| RequestMirrorPolicy {
            cluster: ClusterSpecifier::Cluster(m.cluster_name.clone()),
            runtime_fraction: Some(RuntimeFractionalPercent {
                default_value: FractionalPercent::per_million(m.per_million),
            }),
        })
        .collect();
    ra.hash_policy = known_hash(table, dests);
    ra.cluster_not_found_response_code = match x.cluster_not_found_status {
        Some(500) => Some("INTERNAL_SERVER_ERROR"),
        Some(404) => Some("NOT_FOUND"),
        _ => None,
    };
    out.route = Some(ra);
}

/// `to` after `first`, list by list (Envoy applies a route's own list after the weighted
/// cluster's; on a single destination both end up in one list, route-level first).
fn append(first: &mut model::HeaderOps, to: model::HeaderOps) {
    first
        .request_headers_to_add
        .extend(to.request_headers_to_add);
    first
        .request_headers_to_remove
        .extend(to.request_headers_to_remove);
    first
        .response_headers_to_add
        .extend(to.response_headers_to_add);
    first
        .response_headers_to_remove
        .extend(to.response_headers_to_remove);
}

fn redirect(rd: &table::RedirectAction) -> RedirectAction {
    RedirectAction {
        // route.go ApplyRedirect: prefixRewrite wins over uri (a oneof in Envoy).
        path_redirect: rd.uri.clone().filter(|_| rd.prefix_rewrite.is_none()),
        prefix_rewrite: rd.prefix_rewrite.clone(),
        host_redirect: rd.authority.clone(),
        scheme_redirect: rd.scheme.clone(),
        port_redirect: rd.port,
        response_code: match rd.code {
            302 => "FOUND",
            303 => "SEE_OTHER",
            307 => "TEMPORARY_REDIRECT",
            308 => "PERMANENT_REDIRECT",
            _ => "MOVED_PERMANENTLY",
        },
    }
}

fn route(table: &RouteTable, r: &table::Route) -> Option<Route> {
    if r.matcher.never {
        // A JWT-claim match: never true without RequestAuthentication (istiod emits a
        // metadata matcher that cannot match). Leaving the route out is equivalent.
        return None;
    }
    let x = &r.extras;
    let mut out = Route {
        name: (!r.name.is_empty()).then(|| r.name.clone()),
        matcher: route_match(r),
        // Route-level header operations (core keeps destination-level ones separate).
        headers: header_ops(&x.request_headers, &x.response_headers),
        ..Route::default()
    };
    if let Some(f) = &x.fault {
        out.typed_per_filter_config
            .insert("envoy.filters.http.fault".into(), Any::HttpFault(fault(f)));
    }
    if let Some(c) = &x.cors {
        out.typed_per_filter_config.insert(
            "envoy.filters.http.cors".into(),
            Any::CorsPolicy(cors_policy(c)),
        );
    }
    match &r.action {
        Action::Forward(dests) => forward(table, r, dests, &mut out),
        Action::Redirect(rd) => out.redirect = Some(redirect(rd)),
        Action::DirectResponse { status, body } => {
            out.direct_response = Some(DirectResponseAction {
                status: u32::from(*status),
                body: body.as_deref().map(DataSource::inline),
            })
        }
        Action::Passthrough => {
            out.route = Some(RouteAction::to(
                ClusterSpecifier::Cluster("PassthroughCluster".into()),
                "0s".into(),
            ))
        }
    }
    Some(out)
}

fn virtual_host(table: &RouteTable, vh: &table::VirtualHost) -> VirtualHost {
    VirtualHost {
        name: vh.name.clone(),
        domains: vh.domains.clone(),
        routes: vh.routes.iter().filter_map(|r| route(table, r)).collect(),
        require_tls: vh.require_tls.then_some("ALL"),
    }
}

fn outlier(o: &OutlierPolicy) -> OutlierDetection {
    let gateway = o.consecutive_gateway_errors > 0;
    OutlierDetection {
        interval: duration_ms(o.interval_ms.max(1)),
        base_ejection_time: duration_ms(o.base_ejection_ms),
        max_ejection_percent: o.max_ejection_percent,
        // Istio: consecutive_5xx 0 disables 5xx ejection by setting its enforcement to 0.
        consecutive_5xx: o.consecutive_5xx,
        enforcing_consecutive_5xx: if o.consecutive_5xx == 0 { 0 } else { 100 },
        enforcing_success_rate: 0,
        consecutive_gateway_failure: gateway.then_some(o.consecutive_gateway_errors),
        enforcing_consecutive_gateway_failure: if gateway { 100 } else { 0 },
    }
}

fn socket_address(addr: &str) -> Option<Address> {
    let (h, p) = addr.rsplit_once(':')?;
    let port: u16 = p.parse().ok()?;
    Some(Address::socket(h.trim_matches(['[', ']']), port))
}

pub(crate) fn cluster(c: &table::Cluster) -> Cluster {
    let policy = &c.selector.policy;
    let pool = c.pool.clone().unwrap_or_default();
    let lim = |v: Option<u32>| v.map_or(MAX, u64::from);
    let mut v = Cluster {
        name: c.name.clone(),
        connect_timeout: duration_ms(pool.connect_timeout_ms.unwrap_or(10_000)),
        circuit_breakers: Some(CircuitBreakers::of(
            lim(pool.max_connections),
            lim(pool.http1_max_pending_requests),
            lim(pool.http2_max_requests),
            lim(pool.max_retries),
        )),
        common_lb_config: Some(CommonLbConfig {
            healthy_panic_threshold: Percent {
                value: c.selector.panic_threshold,
            },
        }),
        typed_extension_protocol_options: protocol_options(
            pool.idle_timeout_ms.unwrap_or(3_600_000),
            pool.max_requests_per_connection,
        ),
        ..Cluster::default()
    };
    if let LbPolicy::Passthrough = policy {
        v.discovery_type = Some("ORIGINAL_DST");
        v.lb_policy = Some("CLUSTER_PROVIDED");
        v.original_dst_lb_config = Some(OriginalDstLbConfig {
            use_http_header: false,
            http_header_name: None,
            metadata_key: None,
        });
        return v;
    }
    v.discovery_type = Some("STATIC");
    v.lb_policy = Some(policy.envoy_name());
    match policy {
        LbPolicy::RingHash { minimum_ring_size } if *minimum_ring_size > 0 => {
            v.ring_hash_lb_config = Some(RingHashLbConfig {
                minimum_ring_size: *minimum_ring_size,
            });
        }
        LbPolicy::Maglev { table_size } if *table_size > 0 => {
            v.maglev_lb_config = Some(MaglevLbConfig {
                table_size: *table_size,
            });
        }
        _ => {}
    }
    v.outlier_detection = c.outlier.as_ref().map(outlier);
    let endpoints = c
        .endpoints
        .iter()
        .filter_map(|e| {
            Some(LbEndpoint {
                endpoint: Endpoint {
                    address: socket_address(&e.address)?,
                },
                load_balancing_weight: Some(e.weight.max(1)),
                health_status: (!e.healthy).then_some("UNHEALTHY"),
                metadata: None,
            })
        })
        .collect();
    v.load_assignment = Some(ClusterLoadAssignment {
        cluster_name: c.name.clone(),
        endpoints: vec![LocalityLbEndpoints {
            lb_endpoints: endpoints,
        }],
    });
    v
}

/// The native bootstrap (JSON, which is valid YAML) for the listener serving the logical port
/// (`listener_port`, default the real port; else the table's first listener).
pub fn native_bootstrap(table: &RouteTable, o: &Options) -> Result<String, String> {
    let (lh, lp) = split_addr(&o.listen)?;
    let (ah, ap) = split_addr(&o.admin)?;
    let logical = o.listener_port.unwrap_or(u32::from(lp));
    let listener = table
        .listener(logical)
        .or_else(|| table.listeners.first())
        .ok_or("the config gives this proxy no listener")?;
    let rc = &table.route_configs[listener.route_config];
    let mut clusters: Vec<Cluster> = table.clusters.iter().map(cluster).collect();
    // ALLOW_ANY's PassthroughCluster is in the table (ORIGINAL_DST already); else add it.
    if !table
        .cluster_index
        .contains_key(meshroute_core::table::PASSTHROUGH_CLUSTER)
    {
        clusters.push(Cluster {
            name: "PassthroughCluster".into(),
            discovery_type: Some("ORIGINAL_DST"),
            lb_policy: Some("CLUSTER_PROVIDED"),
            connect_timeout: "10s".into(),
            original_dst_lb_config: Some(OriginalDstLbConfig {
                use_http_header: false,
                http_header_name: None,
                metadata_key: None,
            }),
            ..Cluster::default()
        });
    }
    let filter = |name: &str, any: Any| HttpFilter::typed(name, any);
    let hcm = HttpConnectionManager::new(
        "native",
        o.access_log
            .iter()
            .map(|p| AccessLog::file(p.clone(), NATIVE_ACCESS_LOG_FORMAT))
            .collect(),
        RouteConfiguration {
            name: listener.route_config_name.clone(),
            // istiod: unknown clusters are routed to (503 NC), not rejected.
            validate_clusters: false,
            ignore_port_in_host_matching: Some(true),
            virtual_hosts: rc
                .virtual_hosts
                .iter()
                .map(|vh| virtual_host(table, vh))
                .collect(),
        },
        // istiod's HTTP filter chain (gateway/sidecar), less telemetry and mTLS metadata.
        vec![
            filter("envoy.filters.http.cors", Any::Cors(Empty {})),
            filter(
                "envoy.filters.http.fault",
                Any::HttpFault(HttpFault::default()),
            ),
            filter("envoy.filters.http.router", Any::Router(Empty {})),
        ],
    );
    let prefixes = [
        "cluster_manager",
        "listener_manager",
        "server",
        "http.native.",
        "listener.",
    ];
    let b = Bootstrap {
        node: Node {
            id: "meshroute-native".into(),
            cluster: "meshroute".into(),
        },
        // istiod's bootstrap keeps per-cluster stats out (an inclusion list); so does this one,
        // or thousands of clusters would cost mostly stats memory.
        stats_config: Some(StatsConfig {
            stats_matcher: StatsMatcher {
                inclusion_list: ListStringMatcher {
                    patterns: prefixes
                        .iter()
                        .map(|p| StringMatcher::Prefix(p.to_string()))
                        .collect(),
                },
            },
        }),
        dynamic_resources: None,
        admin: Admin {
            address: Address::socket(ah, ap),
        },
        static_resources: StaticResources {
            listeners: vec![Listener::http(
                listener.name.clone(),
                Address::socket(lh, lp),
                hcm,
            )],
            clusters,
        },
    };
    let json = to_json(&b);
    if o.json {
        // Envoy reads `.json` with its JSON parser (much faster than YAML for large configs),
        // which allows no comments.
        return Ok(json);
    }
    Ok(format!(
        "# Generated by `meshroute bootstrap --native` — Envoy 1.40 with the native configuration\n# istiod would generate for this meshroute config (no wasm filter). JSON, which is YAML.\n{json}\n"
    ))
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

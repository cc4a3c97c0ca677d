//! Filter mode: the bootstrap around the meshroute wasm filter and the ECDS file that carries
//! its configuration. Every mechanism here was verified on Envoy 1.40
//! (envoy-configs/NOTES-spike.md).

use crate::clusters::{cds, eds, MAX};
use crate::model::*;
use crate::{join, split_addr, to_json_pretty, Files, Options, CDS_FILE, ECDS_FILE, LDS_FILE};
use meshroute_core::table::{RouteTable, PASSTHROUGH_CLUSTER};
use meshroute_core::wire::{
    CLUSTER_HEADER, ENDPOINT_HEADER, ENDPOINT_METADATA_KEY, ENDPOINT_METADATA_NAMESPACE,
    FAULT_HEADERS, MAX_MIRRORS, MIRROR_CLUSTERS, MIRROR_CLUSTER_HEADERS, MIRROR_ENDPOINT_HEADERS,
    RETRY_ROUTE_HEADER, UPSTREAM_CLUSTER,
};
use std::net::SocketAddr;

const WASM_TYPE_URL: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";

/// The access log's format: what the filter decided (its filter state) beside Envoy's view.
const ACCESS_LOG_FORMAT: &str = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% authority=%REQ(:AUTHORITY)% %FILTER_STATE(wasm.meshroute:PLAIN)% endpoint=%UPSTREAM_HOST% attempts=%UPSTREAM_REQUEST_ATTEMPT_COUNT% duration=%DURATION%ms\n";

/// Every file of filter mode. `plugin_config` is the meshroute config the filter reads (the
/// CLI inlines `include:` files into it); `previous` gives the endpoints each cluster's EDS file
/// listed as current before (empty on a first write), for the retiring generation.
pub fn filter_files(
    table: &RouteTable,
    o: &Options,
    plugin_config: &str,
    previous: impl Fn(&str) -> Vec<SocketAddr>,
) -> Result<Files, String> {
    let listeners = crate::listeners::listeners(table, o, || hcm(o))?;
    Ok(Files {
        bootstrap: bootstrap(o, table.cluster_index.contains_key(PASSTHROUGH_CLUSTER))?,
        ecds: ecds(o, plugin_config),
        cds: cds(table, &o.cds_dir),
        eds: eds(table, previous),
        lds: crate::listeners::lds(listeners),
        sds: crate::listeners::sds(table),
    })
}

/// The ECDS file: the wasm filter with the meshroute config inline. Replacing it atomically
/// reloads the filter without a restart; a configuration the filter refuses leaves the running
/// one in place.
fn ecds(o: &Options, plugin_config: &str) -> String {
    let wasm = Wasm {
        config: PluginConfig {
            name: "meshroute".into(),
            root_id: "meshroute".into(),
            failure_policy: o.failure_policy.clone(),
            reload_config: ReloadConfig {
                backoff: BackOff {
                    base_interval: "1s".into(),
                    max_interval: "10s".into(),
                },
            },
            vm_config: VmConfig {
                vm_id: "meshroute".into(),
                runtime: o.runtime.clone(),
                code: VmCode {
                    local: LocalFile {
                        filename: o.wasm.clone(),
                    },
                },
            },
            configuration: Any::StringValue(StringValue {
                value: plugin_config.into(),
            }),
        },
    };
    let resource = TypedExtensionConfig::new("meshroute", Any::Wasm(Box::new(wasm)));
    to_json_pretty(&DiscoveryResponse {
        version_info: "1".into(),
        resources: vec![Any::TypedExtensionConfig(Box::new(resource))],
    })
}

/// The catch-all routes. Every forwarded request carries the endpoint the filter chose
/// (`x-meshroute-endpoint`, filter/src/plan.rs): no route matches without it, so a request the
/// filter did not steer is never forwarded. The filter writes as little as it can, and the
/// routes supply the rest:
/// - the Envoy cluster: `x-meshroute-cluster` only for services with a cluster of their own
///   (connection-pool limits); everything else goes to the shared `meshroute_upstream`;
/// - retries: Istio's default policy (pilot `retry.DefaultPolicy`) is on the routes; a
///   VirtualService route with its own policy (or `attempts: 0`) is marked `x-meshroute-retry`
///   and takes a route without one, its policy in `x-envoy-retry-*` headers (Envoy ORs
///   `x-envoy-retry-on` with a route's `retry_on`, source/common/router/retry_state_impl.cc, so
///   the two must not meet);
/// - the timeout: 0 (disabled, Istio's default) on every route; a VirtualService timeout comes
///   as `x-envoy-upstream-rq-timeout-ms`;
/// - mirrors: up to four destinations; the filter names each one's cluster and endpoint
///   (shadows do not see the parent's dynamic metadata);
/// - the fault filter has consumed its headers; the mirror headers must stay (shadows re-read
///   them).
fn routes() -> Vec<Route> {
    let default = meshroute_core::compile::default_retry();
    let mut out = Vec::new();
    for own_cluster in [true, false] {
        for own_retries in [true, false] {
            let mut headers = vec![HeaderMatcher::present(ENDPOINT_HEADER)];
            if own_cluster {
                headers.push(HeaderMatcher::present(CLUSTER_HEADER));
            }
            if own_retries {
                headers.push(HeaderMatcher::present(RETRY_ROUTE_HEADER));
            }
            let target = if own_cluster {
                ClusterSpecifier::ClusterHeader(CLUSTER_HEADER.into())
            } else {
                ClusterSpecifier::Cluster(UPSTREAM_CLUSTER.into())
            };
            let retry = if own_retries {
                RetryPolicy::default()
            } else {
                RetryPolicy {
                    retry_on: Some(default.retry_on.clone()),
                    num_retries: default.num_retries,
                    retriable_status_codes: default.retriable_status_codes.clone(),
                    ..RetryPolicy::default()
                }
            };
            let mut action = RouteAction::to(target, "0s".into());
            action.retry_policy = Some(RetryPolicy {
                retry_back_off: Some(BackOff {
                    base_interval: "0.025s".into(),
                    max_interval: "0.25s".into(),
                }),
                ..retry
            });
            action.request_mirror_policies = MIRROR_CLUSTER_HEADERS
                .iter()
                .map(|h| RequestMirrorPolicy {
                    cluster: ClusterSpecifier::ClusterHeader(h.to_string()),
                    runtime_fraction: None,
                })
                .collect();
            let remove = [ENDPOINT_HEADER, RETRY_ROUTE_HEADER]
                .iter()
                .chain(FAULT_HEADERS.iter())
                .map(|h| h.to_string())
                .collect();
            out.push(Route {
                matcher: RouteMatch {
                    headers,
                    ..RouteMatch::default()
                },
                route: Some(action),
                headers: crate::model::HeaderOps {
                    request_headers_to_remove: remove,
                    ..Default::default()
                },
                ..Route::default()
            });
        }
    }
    out
}

/// The mirror clusters: `ORIGINAL_DST`, reading the endpoint from the header the filter set
/// (shadow requests do not see the parent's dynamic metadata).
fn mirror_cluster(i: usize) -> Cluster {
    Cluster {
        name: MIRROR_CLUSTERS[i].into(),
        discovery_type: Some("ORIGINAL_DST"),
        lb_policy: Some("CLUSTER_PROVIDED"),
        connect_timeout: "10s".into(),
        cleanup_interval: Some("60s".into()),
        original_dst_lb_config: Some(OriginalDstLbConfig {
            use_http_header: true,
            http_header_name: Some(MIRROR_ENDPOINT_HEADERS[i].into()),
            metadata_key: None,
        }),
        circuit_breakers: Some(CircuitBreakers::of(MAX, MAX, MAX, MAX)),
        ..Cluster::default()
    }
}

/// Istio's sidecar `PassthroughCluster` (ALLOW_ANY; pilot/pkg/networking/core/cluster.go
/// `buildDefaultPassthroughCluster`: ORIGINAL_DST, CLUSTER_PROVIDED, connect timeout from the
/// mesh config, 10 s by default). Istio's uses the connection's original destination (iptables);
/// here the filter names it: the endpoint header's address, read from the dynamic metadata
/// header_to_metadata copied it to (the route removes the header itself).
fn passthrough_cluster() -> Cluster {
    Cluster {
        name: PASSTHROUGH_CLUSTER.into(),
        discovery_type: Some("ORIGINAL_DST"),
        lb_policy: Some("CLUSTER_PROVIDED"),
        connect_timeout: "10s".into(),
        cleanup_interval: Some("60s".into()),
        original_dst_lb_config: Some(OriginalDstLbConfig {
            use_http_header: false,
            http_header_name: None,
            metadata_key: Some(MetadataKey {
                key: ENDPOINT_METADATA_NAMESPACE.into(),
                path: vec![PathSegment {
                    key: ENDPOINT_METADATA_KEY.into(),
                }],
            }),
        }),
        circuit_breakers: Some(CircuitBreakers::of(MAX, MAX, MAX, MAX)),
        ..Cluster::default()
    }
}

/// The connection manager of every listener and filter chain: [meshroute (ECDS),
/// header_to_metadata, fault, router] over the catch-all routes.
fn hcm(o: &Options) -> HttpConnectionManager {
    let ecds_file = join(&o.ecds_dir, ECDS_FILE);
    HttpConnectionManager::new(
        "meshroute",
        o.access_log
            .iter()
            .map(|p| AccessLog::file(p.clone(), ACCESS_LOG_FORMAT))
            .collect(),
        RouteConfiguration {
            name: "meshroute".into(),
            // The routes' clusters come from the CDS file, loaded after this listener.
            validate_clusters: false,
            ignore_port_in_host_matching: None,
            virtual_hosts: vec![VirtualHost {
                name: "meshroute".into(),
                domains: vec!["*".into()],
                routes: routes(),
                require_tls: None,
            }],
        },
        vec![
            HttpFilter {
                name: "meshroute".into(),
                typed_config: None,
                config_discovery: Some(ExtensionConfigSource {
                    config_source: ConfigSource::file(ecds_file.clone(), Some(o.ecds_dir.clone())),
                    type_urls: vec![WASM_TYPE_URL.into()],
                }),
            },
            // The endpoints the filter chose (one per attempt) are copied into dynamic
            // metadata, where the clusters' override_host policy reads them; the header is kept
            // for route matching (every route requires it) and the routes remove it, so the
            // upstream never sees it.
            HttpFilter::typed(
                "envoy.filters.http.header_to_metadata",
                Any::HeaderToMetadata(HeaderToMetadata {
                    request_rules: vec![HeaderToMetadataRule {
                        header: ENDPOINT_HEADER.into(),
                        on_header_present: KeyValuePair {
                            metadata_namespace: ENDPOINT_METADATA_NAMESPACE.into(),
                            key: ENDPOINT_METADATA_KEY.into(),
                            value_type: "STRING",
                        },
                        remove: false,
                    }],
                }),
            ),
            // Fault injection decided by the filter (x-envoy-fault-* headers it sets; client
            // copies are stripped by the filter first).
            HttpFilter::typed(
                "envoy.filters.http.fault",
                Any::HttpFault(HttpFault {
                    delay: Some(FaultDelay {
                        fixed_delay: None,
                        header_delay: Some(Empty {}),
                        percentage: FractionalPercent::per_hundred(100),
                    }),
                    abort: Some(FaultAbort {
                        http_status: None,
                        grpc_status: None,
                        header_abort: Some(Empty {}),
                        percentage: FractionalPercent::per_hundred(100),
                    }),
                }),
            ),
            HttpFilter::typed("envoy.filters.http.router", Any::Router(Empty {})),
        ],
    )
}

/// The bootstrap: node, admin, the static mirror clusters; listeners (LDS) and clusters (CDS)
/// come from watched files, so re-running `meshroute bootstrap` changes them in place.
fn bootstrap(o: &Options, passthrough: bool) -> Result<String, String> {
    let (ah, ap) = split_addr(&o.admin)?;
    let ecds_file = join(&o.ecds_dir, ECDS_FILE);
    let cds_file = join(&o.cds_dir, CDS_FILE);
    let lds_file = join(&o.cds_dir, LDS_FILE);
    let b = Bootstrap {
        node: Node {
            id: "meshroute".into(),
            cluster: "meshroute".into(),
        },
        stats_config: None,
        dynamic_resources: Some(DynamicResources {
            lds_config: Some(ConfigSource::file(
                lds_file.clone(),
                Some(o.cds_dir.clone()),
            )),
            cds_config: ConfigSource::file(cds_file.clone(), Some(o.cds_dir.clone())),
        }),
        admin: Admin {
            address: Address::socket(ah.clone(), ap),
        },
        static_resources: StaticResources {
            listeners: Vec::new(),
            clusters: (0..MAX_MIRRORS)
                .map(mirror_cluster)
                .chain(passthrough.then(passthrough_cluster))
                .collect(),
        },
    };
    let logical = match o.listener_port {
        Some(p) => format!(" (logical listener port {p})"),
        None => String::new(),
    };
    Ok(format!(
        "# Generated by `meshroute bootstrap` — Envoy 1.40 running the meshroute filter.\n\
         # Listeners{logical} from LDS file {lds_file}; admin {ah}:{ap}.\n\
         # The filter's configuration comes from ECDS file {ecds_file}; replace that file atomically to reload.\n\
         # The upstream clusters (every endpoint of the config; own clusters for services whose\n\
         # DestinationRule sets connection-pool limits) come from {cds_file}, rewritten before the\n\
         # ECDS file on reload. JSON, which is YAML.\n{}\n",
        to_json_pretty(&b)
    ))
}

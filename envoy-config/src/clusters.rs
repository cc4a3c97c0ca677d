//! The CDS and EDS files of filter mode: the Envoy clusters the filter steers, each reading its
//! endpoints from a file of its own, balanced by Envoy's `override_host` policy.

use crate::model::*;
use crate::{join, to_json_pretty};
use meshroute_core::table::{PoolLimits, RouteTable};
use meshroute_core::wire::{ENDPOINT_METADATA_KEY, ENDPOINT_METADATA_NAMESPACE, UPSTREAM_CLUSTER};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;

/// Istio's "unlimited" circuit-breaker threshold (MaxUint32, not Envoy's 1024).
pub(crate) const MAX: u64 = 4_294_967_295;

/// Envoy's `override_host` load-balancing policy (Envoy ≥ 1.36): the host of each attempt is
/// the next entry of the `IP:PORT,…` list the filter wrote (copied from the endpoint header into
/// dynamic metadata, as the routes remove the header), so retries go where the filter's
/// balancer sends them ([`meshroute_core::lb::retry_picks`]) instead of back to the first
/// endpoint (load_balancer.cc: the list is read once per request, a cursor moves on every
/// `chooseHost`, entries not in the cluster are skipped). Listed hosts are used whatever their
/// health: ejection is the filter's. A request with no usable entry gets nothing: the fallback
/// is a subset balancer no host belongs to (NO_FALLBACK), so Envoy answers 503 (`UH`) rather
/// than send it to some other service's endpoint.
fn override_host_policy() -> LoadBalancingPolicy {
    let round_robin = LoadBalancingPolicy::one(
        "envoy.load_balancing_policies.round_robin",
        Any::RoundRobin(Empty {}),
    );
    let no_host = Any::Subset(Box::new(SubsetLb {
        fallback_policy: "NO_FALLBACK",
        subset_selectors: vec![SubsetSelector {
            keys: vec!["meshroute-no-host".into()],
        }],
        subset_lb_policy: round_robin,
    }));
    LoadBalancingPolicy::one(
        "envoy.load_balancing_policies.override_host",
        Any::OverrideHost(Box::new(OverrideHost {
            override_host_sources: vec![OverrideHostSource {
                metadata: MetadataKey {
                    key: ENDPOINT_METADATA_NAMESPACE.into(),
                    path: vec![PathSegment {
                        key: ENDPOINT_METADATA_KEY.into(),
                    }],
                },
            }],
            fallback_policy: LoadBalancingPolicy::one(
                "envoy.load_balancing_policies.subset",
                no_host,
            ),
        })),
    )
}

/// Endpoints that were current (not retiring) in an EDS file being replaced.
pub fn current_endpoints(eds_text: &str) -> Vec<SocketAddr> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(eds_text) else {
        return Vec::new();
    };
    let empty = Vec::new();
    let mut eps = Vec::new();
    for cla in v["resources"].as_array().unwrap_or(&empty) {
        for group in cla["endpoints"].as_array().unwrap_or(&empty) {
            for e in group["lb_endpoints"].as_array().unwrap_or(&empty) {
                if e["metadata"]["filter_metadata"]["meshroute"]["retiring"] == true {
                    continue;
                }
                let sa = &e["endpoint"]["address"]["socket_address"];
                let ip = sa["address"].as_str().and_then(|a| a.parse().ok());
                let port = sa["port_value"]
                    .as_u64()
                    .and_then(|p| u16::try_from(p).ok());
                if let (Some(ip), Some(port)) = (ip, port) {
                    eps.push(SocketAddr::new(ip, port));
                }
            }
        }
    }
    eps
}

/// A ClusterLoadAssignment of `addresses` (`IP:PORT`, IPv6 bracketed), each once; anything
/// else is skipped (the filter only ever lists IP endpoints). `retiring` are the cluster's
/// current endpoints in the EDS file being replaced: those no longer current stay one more
/// generation, marked, because the running filter configuration still lists them until Envoy
/// has applied the new one (the endpoints are written first): a reload never sends a request to
/// 503 `UH`.
fn load_assignment<'a>(
    name: &str,
    addresses: impl Iterator<Item = &'a str>,
    retiring: &[SocketAddr],
) -> ClusterLoadAssignment {
    let mut seen = HashSet::new();
    let endpoint = |a: &SocketAddr, metadata: Option<Metadata>| LbEndpoint {
        endpoint: Endpoint {
            address: Address::socket(a.ip().to_string(), a.port()),
        },
        load_balancing_weight: None,
        health_status: None,
        metadata,
    };
    let mut endpoints: Vec<LbEndpoint> = addresses
        .filter_map(|a| a.parse::<SocketAddr>().ok())
        .filter(|a| seen.insert(*a))
        .map(|a| endpoint(&a, None))
        .collect();
    for a in retiring {
        if seen.insert(*a) {
            let retiring = serde_json::json!({"retiring": true});
            endpoints.push(endpoint(
                a,
                Some(Metadata {
                    filter_metadata: BTreeMap::from([("meshroute".to_string(), retiring)]),
                }),
            ));
        }
    }
    ClusterLoadAssignment {
        cluster_name: name.into(),
        endpoints: vec![LocalityLbEndpoints {
            lb_endpoints: endpoints,
        }],
    }
}

/// The Envoy clusters meshroute's bootstrap uses, with their endpoints: `meshroute_upstream`
/// (every endpoint of the config, which most requests use) and one per meshroute cluster that
/// carries DestinationRule connection-pool settings, named like Istio's (`outbound|P|S|FQDN`).
fn envoy_clusters(table: &RouteTable) -> Vec<(&str, Option<&PoolLimits>, Vec<&str>)> {
    let all = table
        .clusters
        .iter()
        .flat_map(|c| c.endpoints.iter().map(|e| e.address.as_str()))
        .collect();
    let own = table
        .clusters
        .iter()
        .filter(|c| c.needs_own_envoy_cluster())
        .filter_map(|c| c.pool.as_ref().map(|p| (c, p)))
        .map(|(c, p)| {
            let eps = c.endpoints.iter().map(|e| e.address.as_str()).collect();
            (c.name.as_str(), Some(p), eps)
        });
    std::iter::once((UPSTREAM_CLUSTER, None, all))
        .chain(own)
        .collect()
}

/// The EDS file of an Envoy cluster, in the CDS directory: its name made safe for a file name,
/// and a hash of the exact name (Istio's names have `|`; two names could clean up alike).
pub fn eds_file_name(cluster: &str) -> String {
    safe_file_name("eds", cluster)
}

/// `PREFIX-<name made safe for a file name>-<hash of the exact name>.yaml`.
pub(crate) fn safe_file_name(prefix: &str, name: &str) -> String {
    let clean: String = name
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{prefix}-{clean}-{:08x}.yaml",
        meshroute_core::lb::hash_key(name.as_bytes()) as u32
    )
}

/// The EDS files: one per Envoy cluster, `(file name, text)`. `previous` gives the endpoints a
/// cluster's file listed as current before (for the retiring generation).
pub(crate) fn eds(
    table: &RouteTable,
    previous: impl Fn(&str) -> Vec<SocketAddr>,
) -> Vec<(String, String)> {
    envoy_clusters(table)
        .into_iter()
        .map(|(name, _, eps)| {
            let cla = load_assignment(name, eps.into_iter(), &previous(name));
            let file = DiscoveryResponse {
                version_info: "1".into(),
                resources: vec![Any::ClusterLoadAssignment(Box::new(cla))],
            };
            (eds_file_name(name), to_json_pretty(&file))
        })
        .collect()
}

/// The upstream HTTP protocol options of a cluster (HTTP/1.1).
pub(crate) fn protocol_options(
    idle_ms: u64,
    max_requests_per_connection: Option<u32>,
) -> BTreeMap<String, Any> {
    BTreeMap::from([(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions".to_string(),
        Any::HttpProtocolOptions(HttpProtocolOptions {
            common_http_protocol_options: CommonHttpProtocolOptions {
                idle_timeout: duration_ms(idle_ms),
                max_requests_per_connection,
            },
            explicit_http_config: ExplicitHttpConfig {
                http_protocol_options: Empty {},
            },
        }),
    )])
}

/// The CDS file: the [`envoy_clusters`], each an EDS cluster whose endpoints come from its own
/// file next to this one (so a reload that changes endpoints updates them in place and keeps
/// the connection pools of the others; the cluster definitions change only with pool
/// settings), with [`override_host_policy`]; pool clusters with Istio's translation of their
/// settings (`applyConnectionPool`, cluster_traffic_policy.go: unset limits are MaxUint32;
/// connect timeout 10 s; idle timeout 1 h). `cds_dir` is the directory as the bootstrap names
/// it.
pub(crate) fn cds(table: &RouteTable, cds_dir: &str) -> String {
    let mut resources: Vec<Any> = envoy_clusters(table)
        .into_iter()
        .map(|(name, pool, _)| {
            let eds_config = ConfigSource::file(join(cds_dir, &eds_file_name(name)), None);
            // The shared cluster carries every service: Istio's own thresholds (MaxUint32, not
            // Envoy's 1024), connect timeout 10 s, idle timeout 60 s.
            let (connect_ms, idle_ms, limits, per_connection) = match pool {
                None => (10_000, 60_000, [None; 4], None),
                Some(p) => (
                    p.connect_timeout_ms.unwrap_or(10_000),
                    p.idle_timeout_ms.unwrap_or(3_600_000),
                    [
                        p.max_connections,
                        p.http1_max_pending_requests,
                        p.http2_max_requests,
                        p.max_retries,
                    ],
                    p.max_requests_per_connection,
                ),
            };
            let [connections, pending, requests, retries] =
                limits.map(|v| v.map_or(MAX, u64::from));
            Any::Cluster(Box::new(Cluster {
                name: name.into(),
                discovery_type: Some("EDS"),
                eds_cluster_config: Some(EdsClusterConfig { eds_config }),
                connect_timeout: duration_ms(connect_ms),
                load_balancing_policy: Some(override_host_policy()),
                circuit_breakers: Some(CircuitBreakers::of(
                    connections,
                    pending,
                    requests,
                    retries,
                )),
                typed_extension_protocol_options: protocol_options(idle_ms, per_connection),
                ..Cluster::default()
            }))
        })
        .collect();
    // The clusters TCP routes use: Envoy balances them itself, with the DestinationRule's
    // policy, outlier detection and limits (as --native writes them).
    let mut seen = std::collections::HashSet::new();
    for t in &table.tcp_listeners {
        for d in t.chains.iter().flat_map(|c| &c.destinations) {
            let meshroute_core::table::ClusterRef::Known(i) = d.cluster else {
                continue;
            };
            let Some(c) = table.clusters.get(i as usize) else {
                continue;
            };
            let name = crate::listeners::tcp_cluster_name(table, &c.name);
            if seen.insert(name.clone()) {
                let mut envoy = crate::native::cluster(c);
                envoy.name = name.clone();
                if let Some(la) = &mut envoy.load_assignment {
                    la.cluster_name = name;
                }
                resources.push(Any::Cluster(Box::new(envoy)));
            }
        }
    }
    to_json_pretty(&DiscoveryResponse {
        version_info: "1".into(),
        resources,
    })
}

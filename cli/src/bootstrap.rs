//! `meshroute bootstrap`: writes an Envoy bootstrap (and the ECDS file it watches) that runs a
//! meshroute config in stock Envoy.
//!
//! Layout of DIR:
//! - `envoy.yaml`: listener → HCM → [meshroute wasm (ECDS), header_to_metadata, fault, router];
//!   one catch-all route whose cluster comes from the filter (`x-meshroute-cluster`), two
//!   `ORIGINAL_DST` clusters (upstream, mirror) steered by the endpoint the filter chose.
//! - `ecds/meshroute.yaml`: the wasm filter config with the meshroute config inline. Replace it
//!   atomically (`meshroute bootstrap --ecds-only …` or write + `mv`) to reload without restart.
//!
//! Every mechanism here was verified on Envoy 1.40 (envoy-configs/NOTES-spike.md).

use meshroute_core::check::{prepare, rejects};
use meshroute_core::node::Value;
use meshroute_core::resources::LoadOptions;
use meshroute_core::wire::{
    CLUSTER_HEADER, ENDPOINT_HEADER, ENDPOINT_METADATA_KEY, ENDPOINT_METADATA_NAMESPACE,
    FAULT_HEADERS, MAX_MIRRORS, MIRROR_CLUSTERS, MIRROR_CLUSTER_HEADERS, MIRROR_ENDPOINT_HEADERS,
    RETRY_ROUTE_HEADER, UPSTREAM_CLUSTER,
};
use meshroute_core::yaml::{parse_documents, Limits};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub struct Options {
    pub config: PathBuf,
    pub out: PathBuf,
    pub wasm: PathBuf,
    pub listen: String,
    pub listener_port: Option<u32>,
    pub admin: String,
    pub runtime: String,
    pub failure_policy: String,
    pub access_log: Option<PathBuf>,
    pub ecds_only: bool,
    /// Where the ECDS file goes (default DIR/ecds).
    pub ecds_dir: Option<PathBuf>,
    /// Bootstrap file name inside DIR (default envoy.yaml).
    pub envoy_file: String,
    /// Keep paths as given (relative to where Envoy is started) instead of making them absolute.
    pub relative: bool,
    /// `--native`: write the equivalent native Envoy configuration instead (no wasm filter).
    pub native: bool,
}

/// Reads `include:` entries relative to the config file: a file, or a directory whose
/// `*.yaml`, `*.yml`, `*.json` files are read in name order.
pub fn resolver(base: &Path) -> impl Fn(&str) -> Result<Vec<(String, Vec<u8>)>, String> + '_ {
    move |p: &str| {
        let path = base.join(p);
        let mut out = Vec::new();
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|x| x.to_str()),
                        Some("yaml" | "yml" | "json")
                    )
                })
                .collect();
            entries.sort();
            for e in entries {
                let bytes = std::fs::read(&e).map_err(|err| format!("{}: {err}", e.display()))?;
                out.push((e.display().to_string(), bytes));
            }
        } else {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            out.push((path.display().to_string(), bytes));
        }
        Ok(out)
    }
}

/// Produces the self-contained config the filter reads: `include:` files inlined into
/// `resources`, `listenerPort` overridden when asked, and without an access log
/// `accessLogState: false` (unless set). Output is JSON (valid YAML).
pub fn inline_config(
    path: &Path,
    listener_port: Option<u32>,
    access_log: bool,
) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))?;
    let docs = parse_documents(&text, &Limits::default());
    let Some(root) = docs.into_iter().find_map(|d| d.node) else {
        return Err(format!("{}: empty or unparsable config", path.display()));
    };
    let Value::Map(entries) = root.value else {
        return Err(format!("{}: config must be a mapping", path.display()));
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = resolver(base);
    let mut out = serde_json::Map::new();
    let mut resources = String::new();
    for (k, v) in entries {
        match k.name.as_str() {
            "include" => {
                let paths: Vec<String> = match &v.value {
                    Value::Str(s) => vec![s.clone()],
                    Value::Seq(items) => items
                        .iter()
                        .filter_map(|n| n.as_str().map(String::from))
                        .collect(),
                    _ => Vec::new(),
                };
                for p in paths {
                    for (name, bytes) in resolve(&p)? {
                        let t =
                            String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8"))?;
                        resources.push_str(&format!("# {name}\n---\n{t}\n---\n"));
                    }
                }
            }
            "resources" => match &v.value {
                Value::Str(s) => {
                    resources.push_str(s);
                    resources.push_str("\n---\n");
                }
                _ => {
                    out.insert(
                        "resources".into(),
                        serde_json::to_value(&v).map_err(|e| e.to_string())?,
                    );
                }
            },
            other => {
                out.insert(
                    other.to_string(),
                    serde_json::to_value(&v).map_err(|e| e.to_string())?,
                );
            }
        }
    }
    if !resources.is_empty() {
        out.insert("resources".into(), serde_json::Value::String(resources));
    }
    if let Some(p) = listener_port {
        out.insert("listenerPort".into(), serde_json::Value::from(p));
    }
    // Without an access log nothing reads the filter state: save its host call per request
    // (unless the config says otherwise).
    if !access_log {
        out.entry("accessLogState")
            .or_insert(serde_json::Value::Bool(false));
    }
    Ok(serde_json::Value::Object(out).to_string())
}

fn ecds(o: &Options, plugin_config: &str) -> String {
    let cfg = serde_json::json!({
        "version_info": "1",
        "resources": [{
            "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
            "name": "meshroute",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                "config": {
                    "name": "meshroute",
                    "root_id": "meshroute",
                    "failure_policy": o.failure_policy,
                    "reload_config": {"backoff": {"base_interval": "1s", "max_interval": "10s"}},
                    "vm_config": {
                        "vm_id": "meshroute",
                        "runtime": o.runtime,
                        "code": {"local": {"filename": o.wasm.display().to_string()}}
                    },
                    "configuration": {
                        "@type": "type.googleapis.com/google.protobuf.StringValue",
                        "value": plugin_config
                    }
                }
            }
        }]
    });
    serde_json::to_string_pretty(&cfg).unwrap_or_default()
}

fn split_addr(a: &str) -> Result<(String, u16), String> {
    let (h, p) = a
        .rsplit_once(':')
        .ok_or_else(|| format!("{a:?}: expected IP:PORT"))?;
    let port = p.parse::<u16>().map_err(|_| format!("{a:?}: bad port"))?;
    Ok((h.trim_matches(['[', ']']).to_string(), port))
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
///   as `x-envoy-upstream-rq-timeout-ms`.
fn routes() -> String {
    let default = meshroute_core::compile::default_retry();
    let codes = default
        .retriable_status_codes
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::new();
    for own_cluster in [true, false] {
        for own_retries in [true, false] {
            let mut headers = vec![format!(
                "{{ name: {ENDPOINT_HEADER}, present_match: true }}"
            )];
            if own_cluster {
                headers.push(format!("{{ name: {CLUSTER_HEADER}, present_match: true }}"));
            }
            if own_retries {
                headers.push(format!(
                    "{{ name: {RETRY_ROUTE_HEADER}, present_match: true }}"
                ));
            }
            let target = if own_cluster {
                format!("cluster_header: {CLUSTER_HEADER}")
            } else {
                format!("cluster: {UPSTREAM_CLUSTER}")
            };
            let retry = if own_retries {
                "num_retries: 0".to_string()
            } else {
                format!(
                    "retry_on: {}\n                    num_retries: {}\n                    retriable_status_codes: [{codes}]",
                    default.retry_on, default.num_retries
                )
            };
            let mirrors: String = MIRROR_CLUSTER_HEADERS
                .iter()
                .map(|h| format!("\n                  - cluster_header: {h}"))
                .collect();
            out.push_str(&format!(
                r#"
              - match: {{ prefix: "/", headers: [{headers}] }}
                # The fault filter has consumed its headers; the mirror headers must stay (shadows
                # re-read them).
                request_headers_to_remove: [{ENDPOINT_HEADER}, {RETRY_ROUTE_HEADER}, {faults}]
                route:
                  {target}
                  timeout: 0s
                  retry_policy:
                    {retry}
                    retry_back_off: {{ base_interval: 0.025s, max_interval: 0.25s }}
                  # Up to four mirror destinations; the filter names each one's cluster and
                  # endpoint (shadows do not see the parent's dynamic metadata).
                  request_mirror_policies:{mirrors}"#,
                headers = headers.join(", "),
                faults = FAULT_HEADERS.join(", "),
            ));
        }
    }
    out
}

/// The Envoy bootstrap. `ecds_dir` is where `meshroute.yaml` lives.
pub fn envoy_yaml(o: &Options, ecds_dir: &Path, cds_dir: &Path) -> Result<String, String> {
    let cds_file = cds_dir.join("clusters.yaml");
    let (lh, lp) = split_addr(&o.listen)?;
    let (ah, ap) = split_addr(&o.admin)?;
    let access_log = match &o.access_log {
        Some(p) => format!(
            r#"
          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: {}
              log_format:
                text_format_source:
                  inline_string: "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% authority=%REQ(:AUTHORITY)% %FILTER_STATE(wasm.meshroute:PLAIN)% endpoint=%UPSTREAM_HOST% attempts=%UPSTREAM_REQUEST_ATTEMPT_COUNT% duration=%DURATION%ms\n""#,
            p.display()
        ),
        None => String::new(),
    };
    let ecds_file = ecds_dir.join("meshroute.yaml");
    Ok(format!(
        r#"# Generated by `meshroute bootstrap` — Envoy 1.40 running the meshroute filter.
# Listener {lh}:{lp} (logical listener port {logical}); admin {ah}:{ap}.
# The filter's configuration comes from ECDS file {ecds}; replace that file atomically to reload.
node: {{ id: meshroute, cluster: meshroute }}
# The upstream clusters (every endpoint of the config; own clusters for services whose
# DestinationRule sets connection-pool limits) come from this file, rewritten before the ECDS file
# on reload.
dynamic_resources:
  cds_config:
    resource_api_version: V3
    path_config_source:
      path: {cds}
      watched_directory: {{ path: {cds_dir} }}
admin:
  address: {{ socket_address: {{ address: {ah}, port_value: {ap} }} }}
static_resources:
  listeners:
  - name: meshroute_{lp}
    address: {{ socket_address: {{ address: {lh}, port_value: {lp} }} }}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: meshroute
          codec_type: AUTO
          # Istio's default path normalization (BASE): RFC 3986 normalization before routing.
          normalize_path: true
          http_protocol_options: {{ allow_absolute_url: true }}{access_log}
          route_config:
            name: meshroute
            # The routes' clusters come from the CDS file, loaded after this listener.
            validate_clusters: false
            virtual_hosts:
            - name: meshroute
              domains: ["*"]
              routes:{routes}
          http_filters:
          - name: meshroute
            config_discovery:
              config_source:
                resource_api_version: V3
                path_config_source:
                  path: {ecds}
                  watched_directory: {{ path: {dir} }}
              type_urls: [type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm]
          # The endpoints the filter chose (one per attempt) are copied into dynamic metadata, where
          # the clusters' override_host policy reads them (the route removes the header, so the
          # upstream never sees it).
          - name: envoy.filters.http.header_to_metadata
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config
              request_rules:
              - header: {ENDPOINT_HEADER}
                on_header_present: {{ metadata_namespace: {ENDPOINT_METADATA_NAMESPACE}, key: {ENDPOINT_METADATA_KEY}, type: STRING }}
                # Kept for route matching (every route requires it); the routes remove it.
                remove: false
          # Fault injection decided by the filter (x-envoy-fault-* headers it sets; client copies
          # are stripped by the filter first).
          - name: envoy.filters.http.fault
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault
              delay: {{ header_delay: {{}}, percentage: {{ numerator: 100, denominator: HUNDRED }} }}
              abort: {{ header_abort: {{}}, percentage: {{ numerator: 100, denominator: HUNDRED }} }}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
{mirrors}"#,
        logical = o
            .listener_port
            .map_or_else(|| lp.to_string(), |p| p.to_string()),
        ecds = ecds_file.display(),
        dir = ecds_dir.display(),
        mirrors = (0..MAX_MIRRORS).map(mirror_cluster).collect::<String>(),
        routes = routes(),
        cds = cds_file.display(),
        cds_dir = cds_dir.display(),
    ))
}

fn mirror_cluster(i: usize) -> String {
    format!(
        r#"  - name: {cluster}
    type: ORIGINAL_DST
    lb_policy: CLUSTER_PROVIDED
    connect_timeout: 10s
    cleanup_interval: 60s
    # Shadow requests do not see the parent's dynamic metadata: the mirror reads the header.
    original_dst_lb_config: {{ use_http_header: true, http_header_name: {header} }}
    circuit_breakers:
      thresholds:
      - {{ max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295 }}
"#,
        cluster = MIRROR_CLUSTERS[i],
        header = MIRROR_ENDPOINT_HEADERS[i],
    )
}

/// Envoy's `override_host` load-balancing policy (Envoy ≥ 1.36): the host of each attempt is
/// the next entry of the `IP:PORT,…` list the filter wrote (copied from the endpoint header into
/// dynamic metadata, as the routes remove the header), so retries go where the filter's
/// balancer sends them ([`meshroute_core::lb::retry_picks`]) instead of back to the first
/// endpoint (load_balancer.cc: the list is read once per request, a cursor moves on every
/// `chooseHost`, entries not in the cluster are skipped). Listed hosts are used whatever their
/// health: ejection is the filter's. A request with no usable entry gets nothing: the fallback
/// is a subset balancer no host belongs to (NO_FALLBACK), so Envoy answers 503 (`UH`) rather
/// than send it to some other service's endpoint.
fn override_host_policy() -> serde_json::Value {
    serde_json::json!({"policies": [{"typed_extension_config": {
        "name": "envoy.load_balancing_policies.override_host",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost",
            "override_host_sources": [{"metadata": {
                "key": ENDPOINT_METADATA_NAMESPACE,
                "path": [{"key": ENDPOINT_METADATA_KEY}]
            }}],
            "fallback_policy": {"policies": [{"typed_extension_config": {
                "name": "envoy.load_balancing_policies.subset",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.load_balancing_policies.subset.v3.Subset",
                    "fallback_policy": "NO_FALLBACK",
                    "subset_selectors": [{"keys": ["meshroute-no-host"]}],
                    "subset_lb_policy": {"policies": [{"typed_extension_config": {
                        "name": "envoy.load_balancing_policies.round_robin",
                        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin"}
                    }}]}
                }
            }}]}
        }
    }}]})
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
) -> serde_json::Value {
    let mut seen = HashSet::new();
    let endpoint = |a: &SocketAddr| {
        serde_json::json!({"address": {"socket_address": {
            "address": a.ip().to_string(), "port_value": a.port()
        }}})
    };
    let mut endpoints: Vec<serde_json::Value> = addresses
        .filter_map(|a| a.parse::<SocketAddr>().ok())
        .filter(|a| seen.insert(*a))
        .map(|a| serde_json::json!({"endpoint": endpoint(&a)}))
        .collect();
    for a in retiring {
        if seen.insert(*a) {
            endpoints.push(serde_json::json!({
                "endpoint": endpoint(a),
                "metadata": {"filter_metadata": {"meshroute": {"retiring": true}}}
            }));
        }
    }
    serde_json::json!({
        "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
        "cluster_name": name,
        "endpoints": [{"lb_endpoints": endpoints}]
    })
}

/// The Envoy clusters meshroute's bootstrap uses, with their endpoints: `meshroute_upstream`
/// (every endpoint of the config, which most requests use) and one per meshroute cluster that
/// carries DestinationRule connection-pool settings, named like Istio's (`outbound|P|S|FQDN`).
fn envoy_clusters(
    table: &meshroute_core::table::RouteTable,
) -> Vec<(&str, Option<&meshroute_core::table::PoolLimits>, Vec<&str>)> {
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
    let clean: String = cluster
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
        "eds-{clean}-{:08x}.yaml",
        meshroute_core::lb::hash_key(cluster.as_bytes()) as u32
    )
}

/// The EDS files: one per Envoy cluster, `(file name, text)`. `previous` reads the file a
/// cluster had before (for the retiring generation).
pub fn eds(
    table: &meshroute_core::table::RouteTable,
    previous: impl Fn(&str) -> Vec<SocketAddr>,
) -> Vec<(String, String)> {
    envoy_clusters(table)
        .into_iter()
        .map(|(name, _, eps)| {
            let cla = load_assignment(name, eps.into_iter(), &previous(name));
            let text = serde_json::to_string_pretty(
                &serde_json::json!({"version_info": "1", "resources": [cla]}),
            )
            .unwrap_or_default();
            (eds_file_name(name), text)
        })
        .collect()
}

/// The CDS file: the [`envoy_clusters`], each an EDS cluster whose endpoints come from its own
/// file next to this one (so a reload that changes endpoints updates them in place and keeps
/// the connection pools of the others; the cluster definitions change only with pool
/// settings), with [`override_host_policy`]; pool clusters with Istio's translation of their
/// settings (`applyConnectionPool`, cluster_traffic_policy.go: unset limits are MaxUint32;
/// connect timeout 10 s; idle timeout 1 h). `cds_dir` is the directory as the bootstrap names
/// it (relative with `--relative`).
pub fn cds(table: &meshroute_core::table::RouteTable, cds_dir: &Path) -> String {
    const MAX: u64 = 4_294_967_295;
    let protocol = |common: serde_json::Value| {
        serde_json::json!({
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "common_http_protocol_options": common,
                "explicit_http_config": {"http_protocol_options": {}}
            }
        })
    };
    let resources: Vec<serde_json::Value> = envoy_clusters(table)
        .into_iter()
        .map(|(name, pool, _)| {
            let eds_config = serde_json::json!({"eds_config": {
                "resource_api_version": "V3",
                "path_config_source": {"path": cds_dir.join(eds_file_name(name)).display().to_string()}
            }});
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
            let [connections, pending, requests, retries] = limits.map(|v| v.map_or(MAX, u64::from));
            let seconds = |ms: u64| format!("{}s", ms as f64 / 1000.0);
            let mut common = serde_json::json!({"idle_timeout": seconds(idle_ms)});
            if let Some(n) = per_connection {
                common["max_requests_per_connection"] = serde_json::json!(n);
            }
            serde_json::json!({
                "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                "name": name,
                "type": "EDS",
                "eds_cluster_config": eds_config,
                "connect_timeout": seconds(connect_ms),
                "load_balancing_policy": override_host_policy(),
                "circuit_breakers": {"thresholds": [{
                    "max_connections": connections,
                    "max_pending_requests": pending,
                    "max_requests": requests,
                    "max_retries": retries,
                }]},
                "typed_extension_protocol_options": protocol(common),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({"version_info": "1", "resources": resources}))
        .unwrap_or_default()
}

/// Writes a file atomically into a watched directory (temp file + rename), as Envoy's file
/// watches require. World-readable whatever the umask: the Envoy that reads it often runs as
/// another user (the official envoyproxy/envoy image's entrypoint drops to `envoy`, Istio's
/// proxy runs as 1337), and it reads the file the moment the rename lands.
fn write_atomic(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("cannot make {} readable: {e}", tmp.display()))?;
    }
    std::fs::rename(&tmp, dir.join(name))
        .map_err(|e| format!("cannot rename into {}: {e}", dir.display()))
}

/// Writes DIR/envoy.yaml and DIR/ecds/meshroute.yaml. Checks the config first: a config the
/// filter would refuse is refused here, with the same diagnostics.
pub fn write(o: &Options) -> Result<Vec<String>, String> {
    let plugin = inline_config(&o.config, o.listener_port, o.access_log.is_some())?;
    // Check exactly what the filter will read.
    let mut warnings = Vec::new();
    let prepared = match prepare(
        &o.config.display().to_string(),
        plugin.as_bytes(),
        &LoadOptions::default(),
    ) {
        Err(diags) => {
            let shown = |d: &meshroute_core::diag::Diagnostic| {
                rejects(d) || d.severity == meshroute_core::diag::Severity::Error
            };
            // Locate the errors in the files they come from: the line numbers of the inlined
            // copy (every `include:` file concatenated) mean nothing to the user.
            let located = crate::common::read_config(&o.config.display().to_string())
                .map(|(_, d)| d)
                .unwrap_or_default();
            let diags = if located.iter().any(rejects) {
                located
            } else {
                diags
            };
            let lines: Vec<String> = diags
                .iter()
                .filter(|d| shown(d))
                .map(|d| d.to_string())
                .collect();
            return Err(format!(
                "the config has errors the filter would refuse:\n{}",
                lines.join("\n")
            ));
        }
        Ok(p) => {
            for d in p
                .diagnostics
                .iter()
                .filter(|d| d.severity != meshroute_core::diag::Severity::Info)
            {
                warnings.push(d.to_string());
            }
            p
        }
    };
    let (out, ecds_dir) = output_dirs(o);
    if o.native {
        crate::native::write(o, &prepared.table, &out)?;
        return Ok(warnings);
    }
    let cds_dir = cds_dir_for(&ecds_dir);
    for d in [&out, &ecds_dir, &cds_dir] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    // Endpoints first, then the clusters that read them (the new filter config may name a
    // cluster only the new CDS file defines), then the filter configuration that lists them.
    let files = eds(&prepared.table, |name| {
        std::fs::read_to_string(cds_dir.join(eds_file_name(name)))
            .map(|t| current_endpoints(&t))
            .unwrap_or_default()
    });
    for (name, text) in &files {
        write_atomic(&cds_dir, name, text)?;
    }
    write_atomic(&cds_dir, "clusters.yaml", &cds(&prepared.table, &cds_dir))?;
    write_atomic(&ecds_dir, "meshroute.yaml", &ecds(o, &plugin))?;
    // The endpoints of clusters the new CDS file no longer has: nothing reads them any more.
    if let Ok(dir) = std::fs::read_dir(&cds_dir) {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("eds-")
                && name.ends_with(".yaml")
                && !files.iter().any(|(f, _)| *f == name)
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    if !o.ecds_only {
        let y = envoy_yaml(o, &ecds_dir, &cds_dir)?;
        std::fs::write(out.join(&o.envoy_file), y)
            .map_err(|e| format!("cannot write {}: {e}", o.envoy_file))?;
    }
    Ok(warnings)
}

/// Where the bootstrap and the ECDS file go: as given with `--relative`, else absolute.
fn output_dirs(o: &Options) -> (PathBuf, PathBuf) {
    let out = if o.relative {
        o.out.clone()
    } else {
        absolute(&o.out)
    };
    let ecds_dir = match &o.ecds_dir {
        Some(d) if o.relative => d.clone(),
        Some(d) => absolute(d),
        None => out.join("ecds"),
    };
    (out, ecds_dir)
}

/// The CDS directory that goes with an ECDS directory: `DIR/ecds` → `DIR/cds`, `X` → `X-cds`.
pub fn cds_dir_for(ecds_dir: &Path) -> PathBuf {
    let parent = ecds_dir.parent().unwrap_or(Path::new("."));
    match ecds_dir.file_name().and_then(|n| n.to_str()) {
        Some("ecds") | None => parent.join("cds"),
        Some(n) => parent.join(format!("{n}-cds")),
    }
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Where to find the built filter when `--wasm` is not given: `$MESHROUTE_WASM`, then the
/// repository layout next to this binary (`target/<profile>/meshroute` →
/// `target/wasm32-wasip1/wasm-release/`), then `DEFAULT_WASM` under the current directory.
fn default_wasm() -> PathBuf {
    if let Some(p) = std::env::var_os("MESHROUTE_WASM") {
        return PathBuf::from(p);
    }
    if let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(Path::to_path_buf))
    {
        let p = target.join("wasm32-wasip1/wasm-release/meshroute_filter.wasm");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from(DEFAULT_WASM)
}

/// Default location of the built filter, relative to the repository root.
pub const DEFAULT_WASM: &str = "target/wasm32-wasip1/wasm-release/meshroute_filter.wasm";

const USAGE: &str = "usage: meshroute bootstrap -c CONFIG -o DIR [--wasm PATH] [--listen IP:PORT] [--listener-port N] [--admin IP:PORT] [--runtime v8] [--failure-policy FAIL_RELOAD|FAIL_CLOSED] [--access-log FILE] [--ecds-only] [--ecds-dir DIR] [--envoy-file NAME] [--relative] [--native]";

pub fn run(args: &[String]) -> i32 {
    let mut o = Options {
        config: PathBuf::new(),
        out: PathBuf::new(),
        wasm: default_wasm(),
        listen: "127.0.0.1:8080".into(),
        listener_port: None,
        admin: "127.0.0.1:15000".into(),
        runtime: "envoy.wasm.runtime.v8".into(),
        failure_policy: "FAIL_RELOAD".into(),
        access_log: None,
        ecds_only: false,
        ecds_dir: None,
        envoy_file: "envoy.yaml".into(),
        relative: false,
        native: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| -> Result<String, i32> {
            it.next().cloned().ok_or_else(|| {
                eprintln!("meshroute bootstrap: {name} needs a value\n{USAGE}");
                2
            })
        };
        let r = match a.as_str() {
            "-c" | "--config" => val(a).map(|v| o.config = v.into()),
            "-o" | "--out" => val(a).map(|v| o.out = v.into()),
            "--wasm" => val(a).map(|v| o.wasm = v.into()),
            "--listen" => val(a).map(|v| o.listen = v),
            "--admin" => val(a).map(|v| o.admin = v),
            "--runtime" => val(a).map(|v| {
                o.runtime = if v.contains('.') {
                    v
                } else {
                    format!("envoy.wasm.runtime.{v}")
                }
            }),
            "--failure-policy" => val(a).map(|v| o.failure_policy = v),
            "--access-log" => val(a).map(|v| o.access_log = Some(v.into())),
            "--ecds-dir" => val(a).map(|v| o.ecds_dir = Some(v.into())),
            "--envoy-file" => val(a).map(|v| o.envoy_file = v),
            "--native" => {
                o.native = true;
                Ok(())
            }
            "--relative" => {
                o.relative = true;
                Ok(())
            }
            "--ecds-only" | "--reload" => {
                o.ecds_only = true;
                Ok(())
            }
            "--listener-port" => match val(a) {
                Ok(v) => match v.parse::<u32>() {
                    Ok(p) if (1..=65535).contains(&p) => {
                        o.listener_port = Some(p);
                        Ok(())
                    }
                    _ => {
                        eprintln!("meshroute bootstrap: --listener-port must be 1-65535");
                        Err(2)
                    }
                },
                Err(c) => Err(c),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return 0;
            }
            other => {
                eprintln!("meshroute bootstrap: unknown argument {other:?}\n{USAGE}");
                Err(2)
            }
        };
        if let Err(code) = r {
            return code;
        }
    }
    if o.config.as_os_str().is_empty() || o.out.as_os_str().is_empty() {
        eprintln!("{USAGE}");
        return 2;
    }
    if !o.relative {
        o.wasm = absolute(&o.wasm);
    }
    if !o.wasm.exists() && !o.native {
        eprintln!(
            "meshroute bootstrap: filter {} not found; build it with `cargo build -p meshroute-filter --target wasm32-wasip1 --profile wasm-release`",
            o.wasm.display()
        );
        return 2;
    }
    if let Some(p) = &o.access_log {
        o.access_log = Some(absolute(p));
    }
    match write(&o) {
        Ok(warnings) => {
            for w in warnings {
                eprintln!("{w}");
            }
            let (out, ecds_dir) = output_dirs(&o);
            let ecds = ecds_dir.join("meshroute.yaml");
            let cds = cds_dir_for(&ecds_dir).join("clusters.yaml");
            if o.native {
                println!(
                    "wrote {} (native Envoy config, no filter)",
                    out.join(&o.envoy_file).display()
                );
            } else if o.ecds_only {
                println!(
                    "wrote {} and {} (Envoy reloads them within a second)",
                    cds.display(),
                    ecds.display()
                );
            } else {
                let boot = out.join(&o.envoy_file);
                println!(
                    "wrote {}, {} and {}",
                    boot.display(),
                    cds.display(),
                    ecds.display()
                );
                println!("run: envoy -c {} --concurrency 2", boot.display());
            }
            0
        }
        Err(e) => {
            eprintln!("meshroute bootstrap: {e}");
            1
        }
    }
}

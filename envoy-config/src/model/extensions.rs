//! `google.protobuf.Any`: every typed config meshroute writes, tagged with its type URL.

use super::*;
use serde::Serialize;

/// A `google.protobuf.Any`: `{"@type": URL, ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "@type")]
pub enum Any {
    #[serde(rename = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig")]
    TypedExtensionConfig(Box<TypedExtensionConfig>),
    #[serde(rename = "type.googleapis.com/envoy.config.cluster.v3.Cluster")]
    Cluster(Box<Cluster>),
    #[serde(rename = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment")]
    ClusterLoadAssignment(Box<ClusterLoadAssignment>),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
    )]
    HttpConnectionManager(Box<HttpConnectionManager>),
    #[serde(rename = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm")]
    Wasm(Box<Wasm>),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config"
    )]
    HeaderToMetadata(HeaderToMetadata),
    #[serde(rename = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault")]
    HttpFault(HttpFault),
    #[serde(rename = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router")]
    Router(Empty),
    #[serde(rename = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors")]
    Cors(Empty),
    #[serde(rename = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy")]
    CorsPolicy(CorsPolicy),
    #[serde(rename = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog")]
    FileAccessLog(FileAccessLog),
    #[serde(rename = "type.googleapis.com/envoy.config.listener.v3.Listener")]
    Listener(Box<Listener>),
    #[serde(rename = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")]
    TcpProxy(TcpProxy),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
    )]
    DownstreamTlsContext(Box<DownstreamTlsContext>),
    #[serde(rename = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret")]
    Secret(Box<Secret>),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
    )]
    TlsInspector(Empty),
    #[serde(rename = "type.googleapis.com/google.protobuf.StringValue")]
    StringValue(StringValue),
    #[serde(rename = "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions")]
    HttpProtocolOptions(HttpProtocolOptions),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost"
    )]
    OverrideHost(Box<OverrideHost>),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.load_balancing_policies.subset.v3.Subset"
    )]
    Subset(Box<SubsetLb>),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin"
    )]
    RoundRobin(Empty),
    #[serde(
        rename = "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
    )]
    PreviousHostsPredicate(Empty),
}

/// `google.protobuf.StringValue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StringValue {
    pub value: String,
}

/// `envoy.extensions.filters.http.wasm.v3.Wasm` (its `config`, a `PluginConfig`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wasm {
    pub config: PluginConfig,
}

/// `envoy.extensions.wasm.v3.PluginConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginConfig {
    pub name: String,
    pub root_id: String,
    pub failure_policy: String,
    pub reload_config: ReloadConfig,
    pub vm_config: VmConfig,
    pub configuration: Any,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReloadConfig {
    pub backoff: BackOff,
}

/// `envoy.config.core.v3.BackoffStrategy` / the router's `RetryBackOff`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackOff {
    pub base_interval: String,
    pub max_interval: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VmConfig {
    pub vm_id: String,
    pub runtime: String,
    pub code: VmCode,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VmCode {
    pub local: LocalFile,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalFile {
    pub filename: String,
}

/// `envoy.extensions.filters.http.header_to_metadata.v3.Config`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderToMetadata {
    pub request_rules: Vec<HeaderToMetadataRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderToMetadataRule {
    pub header: String,
    pub on_header_present: KeyValuePair,
    pub remove: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValuePair {
    pub metadata_namespace: String,
    pub key: String,
    #[serde(rename = "type")]
    pub value_type: &'static str,
}

/// `envoy.extensions.filters.http.fault.v3.HTTPFault` (the filter, or a route's override).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HttpFault {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<FaultDelay>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort: Option<FaultAbort>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultDelay {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_delay: Option<String>,
    /// Present (empty) when the delay comes from the `x-envoy-fault-delay-request` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_delay: Option<Empty>,
    pub percentage: FractionalPercent,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultAbort {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpc_status: Option<u32>,
    /// Present (empty) when the abort comes from the `x-envoy-fault-abort-request` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_abort: Option<Empty>,
    pub percentage: FractionalPercent,
}

/// `envoy.extensions.access_loggers.file.v3.FileAccessLog` with a text format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileAccessLog {
    pub path: String,
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogFormat {
    pub text_format_source: DataSource,
}

/// `envoy.config.core.v3.DataSource`: inline text or a file Envoy reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

impl DataSource {
    pub fn inline(text: &str) -> DataSource {
        DataSource {
            inline_string: Some(text.into()),
            filename: None,
        }
    }
    pub fn file(path: &str) -> DataSource {
        DataSource {
            inline_string: None,
            filename: Some(path.into()),
        }
    }
}

/// `envoy.extensions.upstreams.http.v3.HttpProtocolOptions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpProtocolOptions {
    pub common_http_protocol_options: CommonHttpProtocolOptions,
    pub explicit_http_config: ExplicitHttpConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommonHttpProtocolOptions {
    pub idle_timeout: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_requests_per_connection: Option<u32>,
}

/// The upstream protocol: HTTP/1.1 (`http_protocol_options`) today.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplicitHttpConfig {
    pub http_protocol_options: Empty,
}

/// `envoy.config.cluster.v3.LoadBalancingPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadBalancingPolicy {
    pub policies: Vec<LbPolicyEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LbPolicyEntry {
    pub typed_extension_config: TypedExtensionConfig,
}

impl LoadBalancingPolicy {
    pub fn one(name: &str, typed_config: Any) -> LoadBalancingPolicy {
        LoadBalancingPolicy {
            policies: vec![LbPolicyEntry {
                typed_extension_config: TypedExtensionConfig::new(name, typed_config),
            }],
        }
    }
}

/// `envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideHost {
    pub override_host_sources: Vec<OverrideHostSource>,
    pub fallback_policy: LoadBalancingPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideHostSource {
    pub metadata: MetadataKey,
}

/// `envoy.type.metadata.v3.MetadataKey`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetadataKey {
    pub key: String,
    pub path: Vec<PathSegment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathSegment {
    pub key: String,
}

/// `envoy.extensions.load_balancing_policies.subset.v3.Subset`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubsetLb {
    pub fallback_policy: &'static str,
    pub subset_selectors: Vec<SubsetSelector>,
    pub subset_lb_policy: LoadBalancingPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubsetSelector {
    pub keys: Vec<String>,
}

/// `envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcpProxy {
    pub stat_prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted_clusters: Option<TcpWeightedClusters>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcpWeightedClusters {
    pub clusters: Vec<TcpClusterWeight>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcpClusterWeight {
    pub name: String,
    pub weight: u32,
}

//! `envoy.config.cluster.v3.Cluster` and `envoy.config.endpoint.v3.ClusterLoadAssignment`.

use super::*;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cluster {
    pub name: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub discovery_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eds_cluster_config: Option<EdsClusterConfig>,
    pub connect_timeout: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lb_policy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancing_policy: Option<LoadBalancingPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_hash_lb_config: Option<RingHashLbConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maglev_lb_config: Option<MaglevLbConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_dst_lb_config: Option<OriginalDstLbConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_lb_config: Option<CommonLbConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breakers: Option<CircuitBreakers>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<OutlierDetection>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub typed_extension_protocol_options: BTreeMap<String, Any>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_assignment: Option<ClusterLoadAssignment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EdsClusterConfig {
    pub eds_config: ConfigSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingHashLbConfig {
    pub minimum_ring_size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MaglevLbConfig {
    pub table_size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginalDstLbConfig {
    pub use_http_header: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_header_name: Option<String>,
    /// Envoy ≥ 1.27: read the destination (`IP:PORT`) from this dynamic metadata key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_key: Option<MetadataKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommonLbConfig {
    pub healthy_panic_threshold: Percent,
}

/// `envoy.type.v3.Percent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percent {
    pub value: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CircuitBreakers {
    pub thresholds: Vec<Thresholds>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub max_connections: u64,
    pub max_pending_requests: u64,
    pub max_requests: u64,
    pub max_retries: u64,
}

impl CircuitBreakers {
    /// One default-priority threshold set.
    pub fn of(max_connections: u64, pending: u64, requests: u64, retries: u64) -> Self {
        CircuitBreakers {
            thresholds: vec![Thresholds {
                max_connections,
                max_pending_requests: pending,
                max_requests: requests,
                max_retries: retries,
            }],
        }
    }
}

/// `envoy.config.cluster.v3.OutlierDetection`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlierDetection {
    pub interval: String,
    pub base_ejection_time: String,
    pub max_ejection_percent: u32,
    pub consecutive_5xx: u32,
    pub enforcing_consecutive_5xx: u32,
    pub enforcing_success_rate: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consecutive_gateway_failure: Option<u32>,
    pub enforcing_consecutive_gateway_failure: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterLoadAssignment {
    pub cluster_name: String,
    pub endpoints: Vec<LocalityLbEndpoints>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalityLbEndpoints {
    pub lb_endpoints: Vec<LbEndpoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LbEndpoint {
    pub endpoint: Endpoint,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_balancing_weight: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    pub address: Address,
}

/// `envoy.config.core.v3.Metadata`: free-form `google.protobuf.Struct`s per filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    pub filter_metadata: BTreeMap<String, serde_json::Value>,
}

//! `envoy.config.bootstrap.v3.Bootstrap`.

use super::*;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Bootstrap {
    pub node: Node,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats_config: Option<StatsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_resources: Option<DynamicResources>,
    pub admin: Admin,
    pub static_resources: StaticResources,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: String,
    pub cluster: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Admin {
    pub address: Address,
}

#[derive(Debug, Clone, Serialize)]
pub struct DynamicResources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lds_config: Option<ConfigSource>,
    pub cds_config: ConfigSource,
}

#[derive(Debug, Clone, Serialize)]
pub struct StaticResources {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<Listener>,
    pub clusters: Vec<Cluster>,
}

/// `envoy.config.metrics.v3.StatsConfig` with an inclusion list.
#[derive(Debug, Clone, Serialize)]
pub struct StatsConfig {
    pub stats_matcher: StatsMatcher,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatsMatcher {
    pub inclusion_list: ListStringMatcher,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListStringMatcher {
    pub patterns: Vec<StringMatcher>,
}

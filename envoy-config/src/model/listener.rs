//! `envoy.config.listener.v3.Listener` and the HTTP connection manager inside it.

use super::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listener {
    pub name: String,
    pub address: Address,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listener_filters: Vec<ListenerFilter>,
    pub filter_chains: Vec<FilterChain>,
}

/// `envoy.config.listener.v3.ListenerFilter` (`tls_inspector` reads the SNI).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListenerFilter {
    pub name: String,
    pub typed_config: Any,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterChain {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_chain_match: Option<FilterChainMatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_socket: Option<TransportSocket>,
    pub filters: Vec<NetworkFilter>,
}

/// `envoy.config.listener.v3.FilterChainMatch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FilterChainMatch {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub server_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_protocol: Option<&'static str>,
}

/// `envoy.config.core.v3.TransportSocket`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransportSocket {
    pub name: String,
    pub typed_config: Any,
}

/// `envoy.config.listener.v3.Filter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkFilter {
    pub name: String,
    pub typed_config: Any,
}

/// `envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpConnectionManager {
    pub stat_prefix: String,
    pub codec_type: &'static str,
    pub normalize_path: bool,
    pub http_protocol_options: Http1ProtocolOptions,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_log: Vec<AccessLog>,
    pub route_config: RouteConfiguration,
    pub http_filters: Vec<HttpFilter>,
}

impl HttpConnectionManager {
    /// The HCM istiod writes for HTTP listeners: codec AUTO, Istio's default path
    /// normalization (BASE: RFC 3986 normalization before routing), absolute URLs accepted.
    pub fn new(
        stat_prefix: &str,
        access_log: Vec<AccessLog>,
        route_config: RouteConfiguration,
        http_filters: Vec<HttpFilter>,
    ) -> HttpConnectionManager {
        HttpConnectionManager {
            stat_prefix: stat_prefix.into(),
            codec_type: "AUTO",
            normalize_path: true,
            http_protocol_options: Http1ProtocolOptions {
                allow_absolute_url: true,
            },
            access_log,
            route_config,
            http_filters,
        }
    }
}

impl Listener {
    /// A listener with one filter chain: the HTTP connection manager.
    pub fn http(name: String, address: Address, hcm: HttpConnectionManager) -> Listener {
        Listener {
            name,
            address,
            listener_filters: Vec::new(),
            filter_chains: vec![FilterChain::http(hcm)],
        }
    }
}

impl FilterChain {
    /// A plaintext chain with the HTTP connection manager.
    pub fn http(hcm: HttpConnectionManager) -> FilterChain {
        FilterChain {
            name: None,
            filter_chain_match: None,
            transport_socket: None,
            filters: vec![NetworkFilter {
                name: "envoy.filters.network.http_connection_manager".into(),
                typed_config: Any::HttpConnectionManager(Box::new(hcm)),
            }],
        }
    }
}

/// `envoy.config.core.v3.Http1ProtocolOptions` (downstream).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Http1ProtocolOptions {
    pub allow_absolute_url: bool,
}

/// `envoy.config.accesslog.v3.AccessLog`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessLog {
    pub name: String,
    pub typed_config: Any,
}

impl AccessLog {
    /// A file access log in Envoy's text format.
    pub fn file(path: String, format: &str) -> AccessLog {
        AccessLog {
            name: "envoy.access_loggers.file".into(),
            typed_config: Any::FileAccessLog(FileAccessLog {
                path,
                log_format: LogFormat {
                    text_format_source: DataSource::inline(format),
                },
            }),
        }
    }
}

/// `envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter`: a typed config,
/// or one Envoy discovers (ECDS).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpFilter {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typed_config: Option<Any>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_discovery: Option<ExtensionConfigSource>,
}

impl HttpFilter {
    pub fn typed(name: &str, typed_config: Any) -> HttpFilter {
        HttpFilter {
            name: name.into(),
            typed_config: Some(typed_config),
            config_discovery: None,
        }
    }
}

/// `envoy.config.core.v3.ExtensionConfigSource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtensionConfigSource {
    pub config_source: ConfigSource,
    pub type_urls: Vec<String>,
}

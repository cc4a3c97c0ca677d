//! Typed Envoy v3 configuration: the subset of Envoy's protobuf API that meshroute writes, as
//! serde values named like Envoy's fields (`envoy/config/**/v3/*.proto`), so a generated document
//! is built from types, not templates, and serialised once ([`crate::to_json_pretty`]).
//!
//! Optional fields are skipped when unset, exactly as the proto3 JSON mapping omits defaults
//! the documents never set. `google.protobuf.Any` values are [`Any`]: the `@type` URL and the
//! message's fields side by side.

mod bootstrap;
mod cluster;
mod extensions;
mod listener;
mod route;
mod tls;

pub use bootstrap::*;
pub use cluster::*;
pub use extensions::*;
pub use listener::*;
pub use route::*;
pub use tls::*;

use serde::Serialize;

/// A file Envoy's path-based xDS reads: a `DiscoveryResponse` with its resources
/// (envoy/service/discovery/v3/discovery.proto).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoveryResponse<T> {
    pub version_info: String,
    pub resources: Vec<T>,
}

/// `envoy.config.core.v3.Address` with a socket address (the only kind meshroute writes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Address {
    pub socket_address: SocketAddress,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SocketAddress {
    pub address: String,
    pub port_value: u16,
}

impl Address {
    pub fn socket(address: impl Into<String>, port_value: u16) -> Address {
        Address {
            socket_address: SocketAddress {
                address: address.into(),
                port_value,
            },
        }
    }
}

/// `envoy.config.core.v3.ConfigSource` reading a watched file (path-based xDS).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigSource {
    pub resource_api_version: &'static str,
    pub path_config_source: PathConfigSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathConfigSource {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watched_directory: Option<WatchedDirectory>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchedDirectory {
    pub path: String,
}

impl ConfigSource {
    /// A V3 file source; `watched_directory` makes Envoy reload on a rename into it.
    pub fn file(path: String, watched_directory: Option<String>) -> ConfigSource {
        ConfigSource {
            resource_api_version: "V3",
            path_config_source: PathConfigSource {
                path,
                watched_directory: watched_directory.map(|path| WatchedDirectory { path }),
            },
        }
    }
}

/// `envoy.config.core.v3.TypedExtensionConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypedExtensionConfig {
    pub name: String,
    pub typed_config: Any,
}

impl TypedExtensionConfig {
    pub fn new(name: impl Into<String>, typed_config: Any) -> TypedExtensionConfig {
        TypedExtensionConfig {
            name: name.into(),
            typed_config,
        }
    }
}

/// `envoy.type.v3.FractionalPercent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FractionalPercent {
    pub numerator: u32,
    pub denominator: &'static str,
}

impl FractionalPercent {
    pub fn per_million(numerator: u32) -> FractionalPercent {
        FractionalPercent {
            numerator,
            denominator: "MILLION",
        }
    }
    pub fn per_hundred(numerator: u32) -> FractionalPercent {
        FractionalPercent {
            numerator,
            denominator: "HUNDRED",
        }
    }
}

/// `envoy.config.core.v3.RuntimeFractionalPercent` (only its default).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuntimeFractionalPercent {
    pub default_value: FractionalPercent,
}

/// A `google.protobuf.Duration` as proto3 JSON writes it: seconds with an `s`.
pub fn duration_ms(ms: u64) -> String {
    format!("{}s", ms as f64 / 1000.0)
}

/// An empty message (`{}`), for extensions configured by their presence.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Empty {}

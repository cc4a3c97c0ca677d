//! # meshroute-envoy-config
//!
//! The Envoy configuration around meshroute, as a pure library: core's compiled
//! [`RouteTable`] plus [`Options`] → the documents Envoy reads, built as typed values
//! ([`model`]) and serialised once. No I/O: the CLI resolves paths and writes the files; the
//! browser checker shows the same documents.
//!
//! - filter mode ([`filter_files`]): the bootstrap (listener → HCM → the meshroute wasm filter
//!   from ECDS, `header_to_metadata`, `fault`, `router`; catch-all routes steered by the
//!   filter), the ECDS file with the filter's configuration, the CDS file (EDS clusters with
//!   Envoy's `override_host` policy) and one EDS file per cluster;
//! - `--native` ([`native_bootstrap`]): the virtual hosts, routes and STATIC clusters istiod
//!   would generate, without the filter (the benchmark baseline and the differential oracle).
//!
//! ```
//! use meshroute_core::{compile::compile, config::ProxyIdentity, resources::{load, LoadOptions}};
//! let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {ports: [{port: 80}]}\n";
//! let (res, _) = load(&[("svc.yaml", yaml)], &LoadOptions::default());
//! let (table, _) = compile(&res, &ProxyIdentity::default());
//! let files = meshroute_envoy_config::filter_files(
//!     &table,
//!     &meshroute_envoy_config::Options::default(),
//!     "{}",
//!     |_| Vec::new(),
//! )
//! .unwrap();
//! assert!(files.lds.contains("envoy.filters.network.http_connection_manager"));
//! assert_eq!(files.eds.len(), 1); // meshroute_upstream
//! ```
#![forbid(unsafe_code)]

mod clusters;
mod filter;
mod listeners;
pub mod model;
mod native;

pub use clusters::{current_endpoints, eds_file_name};
pub use filter::filter_files;
pub use listeners::sds_file_name;
pub use native::native_bootstrap;

use serde::Serialize;

/// What the generated files depend on besides the table. Paths are written as given: the CLI
/// makes them absolute unless asked for relative ones.
#[derive(Debug, Clone)]
pub struct Options {
    /// The filter's `.wasm` file.
    pub wasm: String,
    /// `IP:PORT` of the one listener, when [`Options::bind`] is not set (and for sidecars).
    pub listen: String,
    /// Gateways: one listener per port the proxy listens on, each bound to this IP.
    pub bind: Option<String>,
    /// The logical listener port (the gateway Service's target port); default the bound port.
    pub listener_port: Option<u32>,
    /// `IP:PORT` of Envoy's admin interface.
    pub admin: String,
    /// The wasm runtime (`envoy.wasm.runtime.v8`).
    pub runtime: String,
    /// The wasm filter's `failure_policy` (`FAIL_RELOAD`, `FAIL_CLOSED`, …).
    pub failure_policy: String,
    /// An access-log file, if any.
    pub access_log: Option<String>,
    /// The directory of the ECDS file (`meshroute.yaml`).
    pub ecds_dir: String,
    /// The directory of the CDS and EDS files.
    pub cds_dir: String,
    /// `--native` only: the bootstrap is a `.json` file (no comment header).
    pub json: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            wasm: "meshroute_filter.wasm".into(),
            listen: "127.0.0.1:8080".into(),
            bind: None,
            listener_port: None,
            admin: "127.0.0.1:15000".into(),
            runtime: "envoy.wasm.runtime.v8".into(),
            failure_policy: "FAIL_RELOAD".into(),
            access_log: None,
            ecds_dir: "ecds".into(),
            cds_dir: "cds".into(),
            json: false,
        }
    }
}

/// The files of filter mode, each as its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Files {
    /// The bootstrap (`envoy.yaml`).
    pub bootstrap: String,
    /// `ECDS_DIR/meshroute.yaml`: the filter and its configuration.
    pub ecds: String,
    /// `CDS_DIR/clusters.yaml`.
    pub cds: String,
    /// `CDS_DIR/listeners.yaml`: the listeners (LDS).
    pub lds: String,
    /// `CDS_DIR/<file name>`: one SDS file per certificate or CA bundle (private keys inside:
    /// write them readable by Envoy's user only).
    pub sds: Vec<(String, String)>,
    /// `CDS_DIR/<file name>`: one EDS file per cluster, in write order.
    pub eds: Vec<(String, String)>,
}

/// The ECDS file's name inside [`Options::ecds_dir`].
pub const ECDS_FILE: &str = "meshroute.yaml";
/// The CDS file's name inside [`Options::cds_dir`].
pub const CDS_FILE: &str = "clusters.yaml";
/// The LDS file's name inside [`Options::cds_dir`].
pub const LDS_FILE: &str = "listeners.yaml";

/// `IP:PORT` (IPv6 bracketed) → host and port.
pub fn split_addr(a: &str) -> Result<(String, u16), String> {
    let (h, p) = a
        .rsplit_once(':')
        .ok_or_else(|| format!("{a:?}: expected IP:PORT"))?;
    let port = p.parse::<u16>().map_err(|_| format!("{a:?}: bad port"))?;
    Ok((h.trim_matches(['[', ']']).to_string(), port))
}

/// Pretty JSON with the keys of every object in sorted order (protobuf JSON has no order; a
/// stable one keeps generated files diffable).
pub fn to_json_pretty<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_default()
}

/// Compact JSON, keys sorted as in [`to_json_pretty`].
pub fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .and_then(|v| serde_json::to_string(&v))
        .unwrap_or_default()
}

/// A path inside a directory, as the files name it.
fn join(dir: &str, name: &str) -> String {
    std::path::Path::new(dir).join(name).display().to_string()
}

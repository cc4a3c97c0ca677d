//! Cross-resource analysis, as `istioctl analyze` (`pkg/config/analysis/analyzers/**`).
//!
//! One module per Istio analyzer, named and ordered as Istio registers them
//! (`pkg/config/analysis/analyzers/all.go`). Each analyzer reads the loaded [`Resources`] and
//! reports Istio's message codes (`pkg/config/analysis/msg/messages.yaml`) with the same
//! message text; every diagnostic points at the field that causes it.
//!
//! ```
//! use meshroute_core::analyze::{analyze, AnalyzeOptions};
//! use meshroute_core::resources::{load, LoadOptions};
//! let vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\n\
//!           spec:\n  hosts: [a]\n  http:\n  - route:\n    - destination: {host: nowhere}\n";
//! let (res, _) = load(&[("vs.yaml", vs)], &LoadOptions::default());
//! let diags = analyze(&res, &AnalyzeOptions::default());
//! assert_eq!(diags[0].code, "IST0101");
//! assert_eq!(diags[0].message, "Referenced host not found: \"nowhere\"");
//! assert_eq!(diags[0].path, "spec.http[0].route[0].destination.host");
//! ```
//!
//! Scope: Istio networking resources plus the Kubernetes Services, Pods and Nodes they
//! reference, and the Kubernetes Gateway API resources (whose status conditions
//! [`gateway_api`] reports, meshroute's own analyzer). Secrets, Sidecars and EnvoyFilters are
//! not loaded, so the checks about them (IST0161, the Sidecar part of IST0002, …) are not made.

use crate::diag::Diagnostic;
use crate::node::Node;
use crate::resources::Resources;

pub mod defaults;
pub mod deprecation;
pub mod destinationrule;
pub mod gateway;
pub mod gateway_api;
pub mod msg;
pub mod schema;
pub mod service;
pub mod serviceentry;
pub mod util;
pub mod virtualservice;

#[cfg(test)]
mod tests;

/// Options that change what the analyzers see (mesh config).
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Mesh root namespace (`istio-system`).
    pub root_namespace: String,
    /// Mesh config `defaultConfig.proxyMetadata` turns on DNS capture with address
    /// auto-allocation (`ISTIO_META_DNS_CAPTURE` and `ISTIO_META_DNS_AUTO_ALLOCATE` or
    /// `PILOT_ENABLE_IP_AUTOALLOCATE`), so ServiceEntries need no addresses (IST0134).
    pub auto_allocate_addresses: bool,
    /// Run only these analyzers (Istio's registered names, see [`ANALYZERS`]); `None` runs all.
    pub only: Option<Vec<String>>,
    /// Mesh config `ingressService`: the name of the default ingress gateway Service.
    pub ingress_service: String,
    /// Mesh config `ingressControllerMode` is not `OFF`: files-only analysis adds a default
    /// ingress gateway ([`defaults::add_default_resources`]).
    pub default_ingress: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            root_namespace: crate::host::ROOT_NAMESPACE.to_string(),
            auto_allocate_addresses: false,
            only: None,
            ingress_service: "istio-ingressgateway".to_string(),
            default_ingress: true,
        }
    }
}

impl AnalyzeOptions {
    /// Merges a MeshConfig YAML document (as `istioctl analyze --meshConfigFile`) over the
    /// current options. Only the fields the analyzers read are looked at.
    pub fn apply_mesh_config(&mut self, text: &str) -> Result<(), String> {
        let docs = crate::yaml::parse_documents(text, &crate::yaml::Limits::default());
        for doc in docs {
            if let Some(e) = doc.errors.iter().find(|e| e.fatal) {
                return Err(format!("mesh config line {}: {}", e.pos.line, e.message));
            }
            let Some(node) = doc.node else { continue };
            if let Some(ns) = node.get("rootNamespace").and_then(Node::as_str) {
                self.root_namespace = ns.to_string();
            }
            if let Some(s) = node.get("ingressService").and_then(Node::as_str) {
                self.ingress_service = s.to_string();
            }
            if let Some(m) = node.get("ingressControllerMode").and_then(Node::as_str) {
                self.default_ingress = m != "OFF";
            }
            // Istio: pkg/config/analysis/analyzers/serviceentry/protocoladdresses.go — auto
            // allocation only counts when DNS capture is on.
            let meta = node
                .get("defaultConfig")
                .and_then(|d| d.get("proxyMetadata"));
            let is_true = |k: &str| {
                meta.and_then(|m| m.get(k))
                    .and_then(Node::as_str)
                    .is_some_and(|v| v == "true")
            };
            if is_true("ISTIO_META_DNS_CAPTURE")
                && (is_true("ISTIO_META_DNS_AUTO_ALLOCATE")
                    || is_true("PILOT_ENABLE_IP_AUTOALLOCATE"))
            {
                self.auto_allocate_addresses = true;
            }
        }
        Ok(())
    }

    fn runs(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| n == name))
    }
}

/// What an analyzer sees: the resources, the options and the service registry index.
pub struct Ctx<'a> {
    pub res: &'a Resources,
    pub opts: &'a AnalyzeOptions,
    /// Istio: `util.InitServiceEntryHostMap` — ServiceEntries and Kubernetes Services by
    /// `scope/fqdn`.
    pub services: util::ServiceIndex,
}

/// One analyzer: Istio's registered name, the codes it can report and its entry point.
pub struct Analyzer {
    pub name: &'static str,
    pub codes: &'static [&'static str],
    pub run: fn(&Ctx, &mut Vec<Diagnostic>),
}

/// Every analyzer, in Istio's registration order (`pkg/config/analysis/analyzers/all.go`).
pub const ANALYZERS: &[Analyzer] = &[
    deprecation::ANALYZER,
    gateway::ingress_port::ANALYZER,
    gateway::certificate::ANALYZER,
    gateway::conflicting::ANALYZER,
    schema::ANALYZER,
    service::port_name::ANALYZER,
    destinationrule::ca_certificate::ANALYZER,
    destinationrule::subset::ANALYZER,
    virtualservice::conflicting_mesh_gateway_hosts::ANALYZER,
    virtualservice::destination_hosts::ANALYZER,
    virtualservice::destination_rules::ANALYZER,
    virtualservice::gateways::ANALYZER,
    serviceentry::protocol_addresses::ANALYZER,
    serviceentry::conflicting_protocol::ANALYZER,
    gateway_api::ANALYZER,
];

/// Runs every analyzer (or those named in `opts.only`) over the loaded resources.
///
/// Identical findings from two analyzers (both gateway analyzers report a selector that
/// matches no pod) are reported once, as istioctl does (`SortedDedupedCopy`).
pub fn analyze(res: &Resources, opts: &AnalyzeOptions) -> Vec<Diagnostic> {
    let ctx = Ctx {
        res,
        opts,
        services: util::ServiceIndex::build(res),
    };
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for a in ANALYZERS {
        if !opts.runs(a.name) {
            continue;
        }
        let mut found = Vec::new();
        (a.run)(&ctx, &mut found);
        for d in found {
            let key = (
                d.code.clone(),
                d.resource(),
                d.file.clone(),
                d.path.clone(),
                d.message.clone(),
            );
            if seen.insert(key) {
                out.push(d);
            }
        }
    }
    out
}

/// The analyzer that reports `code`, for callers that group findings (one code may come from
/// several analyzers; the first is returned).
pub fn analyzer_for_code(code: &str) -> Option<&'static Analyzer> {
    ANALYZERS.iter().find(|a| a.codes.contains(&code))
}

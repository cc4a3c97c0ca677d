//! Istio's webhook validation rules (reference §6; `pkg/config/validation/validation.go`,
//! `virtualservice.go`, `agent/validation.go`, and the CRD's CEL rules in
//! `manifests/charts/base/files/crd-all.gen.yaml`). Errors are IST0106, warnings IST0133;
//! fields meshroute accepts but does not enforce are MR0201 (see [`enforcement`]).
//!
//! Every resource is validated on its own (no cross-resource checks: those are
//! [`crate::analyze`]). Each diagnostic names the resource, the field path
//! (`spec.http[0].route[1].weight`) and the line and column of that field.
//!
//! ```
//! use meshroute_core::resources::{load, LoadOptions};
//! let yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\n\
//!             spec:\n  hosts: [r]\n  http:\n  - route:\n    - destination: {host: r}\n      weight: -1\n";
//! let (res, _) = load(&[("vs.yaml", yaml)], &LoadOptions::default());
//! let diags = meshroute_core::validate::validate(&res);
//! assert_eq!(diags[0].path, "spec.http[0].route[0].weight");
//! assert_eq!((diags[0].line, diags[0].column), (9, 15));
//! ```

use crate::diag::{codes, Diagnostic, Severity};
use crate::node::{parse_path, Node, Seg, Value};
use crate::resources::{Object, Resources};

pub mod common;
mod destination_rule;
pub mod enforcement;
mod gateway;
pub mod gateway_api;
mod service_entry;
mod virtual_service;

#[cfg(test)]
mod tests;

pub use enforcement::not_enforced_table;

/// meshroute's own code: a StringMatch with none of exact/prefix/regex where Istio treats it
/// as "match anything" (`uri: {}`, `method: {}`): Istio accepts it, but it is almost always
/// a mistake.
pub const EMPTY_STRING_MATCH: &str = "MR0202";

/// meshroute's own code: a request header operation on an `x-meshroute-*` header. Those names
/// steer the filter's Envoy (endpoint, cluster, retry route, mirrors), so meshroute does not
/// apply such operations; Istio would pass the header to the upstream.
pub const RESERVED_HEADER: &str = "MR0203";

/// Request headers meshroute reserves: its steering headers all start with this.
pub const RESERVED_HEADER_PREFIX: &str = "x-meshroute-";

/// Whether a request header operation names a header meshroute reserves (case-insensitive).
pub fn is_reserved_header(name: &str) -> bool {
    name.len() >= RESERVED_HEADER_PREFIX.len()
        && name.as_bytes()[..RESERVED_HEADER_PREFIX.len()]
            .eq_ignore_ascii_case(RESERVED_HEADER_PREFIX.as_bytes())
}

/// Validates every loaded Istio resource on its own (no cross-resource checks).
pub fn validate(res: &Resources) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for obj in &res.virtual_services {
        let mut s = Sink::new(res, obj, &mut out);
        virtual_service::validate(&mut s, &obj.spec);
        enforcement::check(&mut s, crate::resources::Kind::VirtualService);
    }
    for obj in &res.destination_rules {
        let mut s = Sink::new(res, obj, &mut out);
        destination_rule::validate(&mut s, &obj.spec);
        enforcement::check(&mut s, crate::resources::Kind::DestinationRule);
    }
    for obj in &res.gateways {
        let mut s = Sink::new(res, obj, &mut out);
        gateway::validate(&mut s, &obj.spec);
        enforcement::check(&mut s, crate::resources::Kind::Gateway);
    }
    for obj in &res.service_entries {
        let mut s = Sink::new(res, obj, &mut out);
        service_entry::validate_service_entry(&mut s, &obj.spec);
        enforcement::check(&mut s, crate::resources::Kind::ServiceEntry);
    }
    for obj in &res.workload_entries {
        let mut s = Sink::new(res, obj, &mut out);
        service_entry::validate_workload_entry(&mut s, &obj.spec);
        enforcement::check(&mut s, crate::resources::Kind::WorkloadEntry);
    }
    validate_gateway_api(res, &mut out);
    out
}

/// The Gateway API kinds: their CRDs' schema and CEL rules ([`gateway_api`]).
fn validate_gateway_api(res: &Resources, out: &mut Vec<Diagnostic>) {
    for obj in &res.gateway_classes {
        gateway_api::validate_gateway_class(&mut Sink::new(res, obj, out), &obj.spec);
    }
    for obj in &res.kube_gateways {
        gateway_api::validate_gateway(&mut Sink::new(res, obj, out), &obj.spec);
    }
    for obj in &res.http_routes {
        gateway_api::validate_http_route(&mut Sink::new(res, obj, out), &obj.spec);
    }
    for obj in &res.grpc_routes {
        gateway_api::validate_grpc_route(&mut Sink::new(res, obj, out), &obj.spec);
    }
    for obj in &res.reference_grants {
        gateway_api::validate_reference_grant(&mut Sink::new(res, obj, out), &obj.spec);
    }
}

type MakeDiag<'a> = Box<dyn Fn(&str, Severity, &str, String) -> Diagnostic + 'a>;

/// Collects the diagnostics of one resource.
pub(crate) struct Sink<'a> {
    make: MakeDiag<'a>,
    /// The resource's document (for presence checks the typed spec cannot answer).
    pub root: &'a Node,
    pub name: &'a str,
    pub namespace: &'a str,
    pub annotations: &'a std::collections::BTreeMap<String, String>,
    pub labels: &'a std::collections::BTreeMap<String, String>,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    pub fn new<T>(res: &'a Resources, obj: &'a Object<T>, out: &'a mut Vec<Diagnostic>) -> Self {
        let root = &res.docs[obj.src.doc as usize].node;
        let mut s = Sink {
            make: Box::new(move |code, sev, path, msg| res.diag(obj, code, sev, path, msg)),
            root,
            name: &obj.meta.name,
            namespace: &obj.meta.namespace,
            annotations: &obj.meta.annotations,
            labels: &obj.meta.labels,
            out,
        };
        s.metadata();
        s
    }

    /// Istio: validation.go `validateMetadata` / `checkDryRunAnnotation` (the networking kinds
    /// do not support `istio.io/dry-run`; internal annotations are refused).
    fn metadata(&mut self) {
        let ann = self.annotations;
        if ann.contains_key("istio.io/dry-run") {
            self.err(
                "metadata.annotations[istio.io/dry-run]",
                format!(
                    "{}/{} has the unsupported annotation istio.io/dry-run (only AuthorizationPolicy supports it); remove the annotation",
                    self.namespace, self.name
                ),
            );
        }
        for a in [
            "internal.istio.io/webhook-always-reject",
            "internal.istio.io/parent-namespace",
            "internal.istio.io/parents",
        ] {
            if ann.contains_key(a) {
                self.err(
                    &format!("metadata.annotations[{a}]"),
                    format!("the annotation {a:?} may not be set by users"),
                );
            }
        }
    }

    pub fn emit(&mut self, code: &str, sev: Severity, path: &str, msg: impl Into<String>) {
        let d = (self.make)(code, sev, path, msg.into());
        self.out.push(d);
    }

    /// An Istio validation error (IST0106).
    pub fn err(&mut self, path: &str, msg: impl Into<String>) {
        self.emit(codes::SCHEMA_ERROR, Severity::Error, path, msg);
    }

    /// An Istio validation warning (IST0133).
    pub fn warn(&mut self, path: &str, msg: impl Into<String>) {
        self.emit(codes::SCHEMA_WARNING, Severity::Warning, path, msg);
    }

    /// Reports `Err` as an error at `path`.
    pub fn check(&mut self, path: &str, r: common::Check) {
        if let Err(e) = r {
            self.err(path, e);
        }
    }

    /// The raw node at a field path (keys matched in camelCase and snake_case), if present.
    pub fn node(&self, path: &str) -> Option<&'a Node> {
        find(self.root, path)
    }

    /// Whether the field is written as an explicit `null` (Istio: "may not be null").
    pub fn is_null(&self, path: &str) -> bool {
        matches!(
            self.node(path),
            Some(Node {
                value: Value::Null,
                ..
            })
        )
    }
}

/// Walks a field path in a document tree.
pub(crate) fn find<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    let mut node = root;
    for seg in parse_path(path) {
        node = match (seg, &node.value) {
            (Seg::Field(name), Value::Map(entries)) => entries
                .iter()
                .find(|(k, _)| k.name == name || crate::decode::camel(&k.name) == name)
                .map(|(_, v)| v)?,
            (Seg::Index(i), Value::Seq(items)) => items.get(i)?,
            // a numeric map key (`ports: {8080: …}`)
            (Seg::Index(i), Value::Map(entries)) => {
                let name = i.to_string();
                entries
                    .iter()
                    .find(|(k, _)| k.name == name)
                    .map(|(_, v)| v)?
            }
            _ => return None,
        };
    }
    Some(node)
}

/// `path[key]`: map keys are always bracketed, so keys holding dots stay one segment.
pub(crate) fn key(path: &str, k: &str) -> String {
    format!("{path}[{k}]")
}

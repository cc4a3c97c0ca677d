//! GAMMA: HTTPRoutes and GRPCRoutes whose parentRef is a Service, applied on sidecars (Istio:
//! route_collections.go `HTTPRouteCollection`, the `parent.IsMesh()` branch — one
//! VirtualService per route namespace (and parentRef port) and Service host, bound to `mesh`,
//! converted without ReferenceGrant checks (`enforceRefGrant` is false for mesh parents), a
//! parentRef `port` becoming a `match.port` (`augmentPortMatch`); conversion.go
//! `referenceAllowed`: the Service must exist; route.go `buildSidecarVirtualHostsForVirtualService`:
//! a route applies to the Service's namespace or to the route's own (consumer routes);
//! virtualservice.go `SelectVirtualServices`: consumer routes in the proxy's namespace first).

use super::all_routes;
use super::conversion::{convert, precedence, Converted};
use super::parents::{parent_target, ParentTarget};
use crate::compile::{creation_key, Cx, Vs};
use crate::host::{self, MESH_GATEWAY};
use crate::model::istio::{HttpMatchRequest, HttpRoute, VirtualService};
use crate::resources::Object;
use std::collections::BTreeMap;

/// One internal mesh VirtualService: its stand-in object (the oldest route's metadata), its
/// Service host and its rules in Gateway API precedence.
pub struct MeshVs {
    pub obj: Object<VirtualService>,
    pub host: String,
    pub http: Vec<HttpRoute>,
}

impl MeshVs {
    /// As a [`Vs`] for the sidecar translation.
    pub fn as_vs(&self) -> Vs<'_> {
        Vs {
            obj: &self.obj,
            hosts: vec![self.host.clone()],
            gateways: vec![MESH_GATEWAY.to_string()],
            http: self.http.clone(),
            gateway_semantics: true,
            // Coverage names the HTTPRoute's stand-in VirtualService's rules.
            origins: self
                .http
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let id = format!("{}/{}", self.obj.meta.namespace, self.obj.meta.name);
                    super::super::RuleOrigin::own(&id, i, r.matches.len())
                })
                .collect(),
        }
    }
}

/// A route's rules in one mesh VirtualService: the route's index and its converted rules.
type Contribution = (usize, Vec<Converted>);

/// `augmentPortMatch`: every match (or one empty match) gets `port`.
fn with_port(mut r: HttpRoute, port: Option<i64>) -> HttpRoute {
    if let Some(p) = port {
        if r.matches.is_empty() {
            r.matches.push(HttpMatchRequest::default());
        }
        for m in &mut r.matches {
            m.port = Some(p);
        }
    }
    r
}

impl Cx<'_> {
    /// The mesh VirtualServices a sidecar in this proxy's namespace can use.
    pub(in crate::compile) fn mesh_virtual_services(&self) -> Vec<MeshVs> {
        let res = self.res;
        let routes = all_routes(res);
        // key → (Service host, the contributing routes with their rules).
        let mut merged: BTreeMap<String, (String, Vec<Contribution>)> = BTreeMap::new();
        for (ri, route) in routes.iter().enumerate() {
            let mut conv = None;
            for r in route.parent_refs() {
                if !matches!(parent_target(r, route.namespace()), ParentTarget::Mesh) {
                    continue;
                }
                if r.kind.as_deref() != Some("Service") {
                    continue; // a ServiceEntry parent: its hosts are not modelled here
                }
                let ns = r.namespace.as_deref().unwrap_or(route.namespace());
                let name = r.name.as_deref().unwrap_or("");
                if !res
                    .services
                    .iter()
                    .any(|s| s.meta.namespace == ns && s.meta.name == name)
                {
                    continue; // referenceAllowed: "parent service not found"
                }
                // route.go: only the Service's namespace or the route's own sees the route.
                if ns != route.namespace() && self.proxy.namespace != route.namespace() {
                    continue;
                }
                let conv = conv.get_or_insert_with(|| convert(res, None, route));
                if conv.routes.is_empty() {
                    continue;
                }
                let host = host::service_fqdn(name, ns);
                let key = match r.port {
                    Some(p) => format!("{}/{p}/{host}", route.namespace()),
                    None => format!("{}/{host}", route.namespace()),
                };
                let rules = conv
                    .routes
                    .iter()
                    .map(|c| Converted {
                        rule_index: c.rule_index,
                        route: with_port(c.route.clone(), r.port),
                    })
                    .collect();
                let e = merged.entry(key).or_insert_with(|| (host, Vec::new()));
                if !e.1.iter().any(|(x, _)| *x == ri) {
                    e.1.push((ri, rules));
                }
            }
        }
        let mut out: Vec<(bool, (String, String, String), MeshVs)> = Vec::new();
        for (host, mut contributors) in merged.into_values() {
            contributors.sort_by_key(|(ri, _)| routes[*ri].creation_key());
            let mut http: Vec<HttpRoute> = contributors
                .iter()
                .flat_map(|(_, rules)| rules.iter().map(|c| c.route.clone()))
                .collect();
            http.sort_by(precedence);
            let oldest = &routes[contributors[0].0];
            let obj = Object {
                meta: oldest.meta().clone(),
                spec: VirtualService::default(),
                src: oldest.src(),
            };
            let consumer = oldest.namespace() == self.proxy.namespace;
            out.push((consumer, creation_key(&obj), MeshVs { obj, host, http }));
        }
        // Consumer routes (in the proxy's namespace) first, then by creation.
        out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        out.into_iter().map(|(_, _, v)| v).collect()
    }

    /// The VirtualServices a sidecar uses, in the order it uses them: the user's private and
    /// exported ones, then the public ones with the mesh routes, consumer routes (the proxy's
    /// namespace) first and the rest by creation (`SelectVirtualServices` with
    /// `PILOT_UNIFIED_SIDECAR_SCOPE`); the first VirtualService of a host wins.
    pub(in crate::compile) fn with_mesh_routes<'v>(
        &self,
        user: Vec<Vs<'v>>,
        mesh: &'v [MeshVs],
    ) -> Vec<Vs<'v>> {
        let public = |v: &Vs| {
            super::super::virtual_service::vs_visibility_group(
                &v.obj.spec.export_to,
                &v.obj.meta.namespace,
                &self.proxy.namespace,
            ) == Some(2)
        };
        let (public_user, mut out): (Vec<Vs>, Vec<Vs>) = user.into_iter().partition(|v| public(v));
        let (consumer, producer): (Vec<&MeshVs>, Vec<&MeshVs>) = mesh
            .iter()
            .partition(|m| m.obj.meta.namespace == self.proxy.namespace);
        out.extend(consumer.into_iter().map(MeshVs::as_vs));
        let mut rest: Vec<Vs> = public_user
            .into_iter()
            .chain(producer.into_iter().map(MeshVs::as_vs))
            .collect();
        rest.sort_by_key(|v| creation_key(v.obj));
        out.extend(rest);
        out
    }
}

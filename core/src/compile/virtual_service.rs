//! The VirtualServices a proxy sees, in the order it sees them, with short names resolved
//! (Istio: pilot/pkg/model/push_context.go `initVirtualServices`, pilot/pkg/model/virtualservice.go
//! `SelectVirtualServices`, `ResolveVirtualServiceShortnames`).

use super::{creation_key, Cx, Vs};
use crate::host::{self, MESH_GATEWAY};
use crate::model::istio::*;
use crate::resources::Object;

impl<'a> Cx<'a> {
    // -----------------------------------------------------------------------------------------
    // VirtualServices visible to this proxy, resolved.

    pub(super) fn virtual_services(&mut self) -> Vec<Vs<'a>> {
        // Istio indexes VirtualServices as private to a namespace, exported to a namespace, or
        // public, each in creation order, and a proxy sees them in that group order
        // (push_context.go initVirtualServices, VirtualServicesForGateway; virtualservice.go
        // SelectVirtualServices). So a VirtualService private to the proxy's namespace comes
        // before an older public one — which decides "oldest wins" on sidecars and the merge
        // order on gateways.
        let mut all: Vec<(u8, &Object<VirtualService>)> = self
            .res
            .virtual_services
            .iter()
            .filter_map(|vs| {
                vs_visibility_group(
                    &vs.spec.export_to,
                    &vs.meta.namespace,
                    &self.proxy.namespace,
                )
                .map(|g| (g, vs))
            })
            .collect();
        all.sort_by_key(|(g, vs)| (*g, creation_key(vs)));
        let mut out = Vec::new();
        for (_, obj) in all {
            if obj.spec.hosts.is_empty() {
                continue; // delegate VirtualService: only used through a root
            }
            let ns = &obj.meta.namespace;
            let hosts = obj
                .spec
                .hosts
                .iter()
                .map(|h| host::resolve_short_name(h, ns).to_ascii_lowercase())
                .collect();
            let gateways = if obj.spec.gateways.is_empty() {
                vec![MESH_GATEWAY.to_string()]
            } else {
                obj.spec
                    .gateways
                    .iter()
                    .map(|g| host::resolve_gateway_name(g, ns))
                    .collect()
            };
            let (http, origins) = self.merge_delegates(obj);
            out.push(Vs {
                obj,
                hosts,
                gateways,
                http,
                origins,
                gateway_semantics: false,
            });
        }
        out
    }
}

/// exportTo group of a VirtualService for a proxy namespace: 0 private to it, 1 exported to it,
/// 2 public; `None` when not visible (push_context.go initVirtualServices: `*` makes it public
/// and wins over everything, `~` hides it, `.` means its own namespace).
pub(super) fn vs_visibility_group(export_to: &[String], vs_ns: &str, proxy_ns: &str) -> Option<u8> {
    if export_to.is_empty() || export_to.iter().any(|e| e == "*") {
        return Some(2);
    }
    if export_to.iter().any(|e| e == "~") {
        return None;
    }
    let to_proxy = export_to
        .iter()
        .any(|e| (e == "." && vs_ns == proxy_ns) || e == proxy_ns);
    match (to_proxy, vs_ns == proxy_ns) {
        (false, _) => None,
        (true, true) => Some(0),
        (true, false) => Some(1),
    }
}

/// `ResolveVirtualServiceShortnames` for one HTTP route: destination, mirror and mirrors hosts,
/// and match gateways, resolved with the namespace of the VirtualService that holds the route.
pub(super) fn resolve_route_names(r: &HttpRoute, ns: &str) -> HttpRoute {
    let mut r = r.clone();
    let fix = |d: &mut Destination| {
        if let Some(h) = &d.host {
            d.host = Some(host::resolve_short_name(h, ns));
        }
    };
    for d in &mut r.route {
        if let Some(dest) = &mut d.destination {
            fix(dest);
        }
    }
    if let Some(m) = &mut r.mirror {
        fix(m);
    }
    for m in &mut r.mirrors {
        if let Some(d) = &mut m.destination {
            fix(d);
        }
    }
    for m in &mut r.matches {
        for g in &mut m.gateways {
            *g = host::resolve_gateway_name(g, ns);
        }
    }
    r
}

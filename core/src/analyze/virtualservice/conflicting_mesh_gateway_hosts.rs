//! `virtualservice.ConflictingMeshGatewayHostsAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/virtualservice/conflictingmeshgatewayhosts.go).
//!
//! IST0109: two or more VirtualServices bound to the mesh gateway (no `gateways`, or `mesh`
//! listed) define the same host in the same export scope. Sidecars do not merge them: the
//! oldest wins and the others are silently ignored. A namespace-scoped host also conflicts with
//! a matching (wildcard-aware) host exported everywhere. Each VirtualService is reported once.

use crate::analyze::msg;
use crate::analyze::util::{convert_host_to_fqdn, export_scopes, full_name, EXPORT_ALL};
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use crate::host;
use std::collections::{BTreeMap, HashSet};

pub const ANALYZER: Analyzer = Analyzer {
    name: "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
    codes: &["IST0109"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    // initMeshGatewayHosts: (scope, fqdn) → indices of mesh-bound VirtualServices.
    let mut hosts: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, vs) in ctx.res.virtual_services.iter().enumerate() {
        let on_mesh =
            vs.spec.gateways.is_empty() || vs.spec.gateways.iter().any(|g| g == host::MESH_GATEWAY);
        if !on_mesh {
            continue;
        }
        let ns = vs.meta.namespace.as_str();
        for scope in export_scopes(&vs.spec.export_to, ns) {
            for h in &vs.spec.hosts {
                hosts
                    .entry((scope.clone(), convert_host_to_fqdn(ns, h)))
                    .or_default()
                    .push(i);
            }
        }
    }
    let mut reported = HashSet::new();
    for ((scope, fqdn), list) in &hosts {
        let mut list = list.clone();
        if scope != EXPORT_ALL {
            // getExportToAllNamespacesVSListForScopedHost
            for ((s, h), l) in &hosts {
                if s == EXPORT_ALL && host::matches(fqdn, h) {
                    list.extend(l);
                }
            }
        }
        if list.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = list
            .iter()
            .map(|&i| full_name(&ctx.res.virtual_services[i].meta))
            .collect();
        names.sort();
        let names = names.join(",");
        for &i in &list {
            if !reported.insert(i) {
                continue;
            }
            let vs = &ctx.res.virtual_services[i];
            let m = msg::CONFLICTING_MESH_GATEWAY_VIRTUAL_SERVICE_HOSTS;
            out.push(ctx.res.diag(
                vs,
                m.code,
                m.severity,
                &host_path(vs, ns_of(vs), fqdn),
                msg::conflicting_mesh_gateway_virtual_service_hosts(
                    &names,
                    &format!("{scope}/{fqdn}"),
                ),
            ));
        }
    }
}

fn ns_of<T>(o: &crate::resources::Object<T>) -> &str {
    &o.meta.namespace
}

/// Points at the VirtualService's host entry for `fqdn` (Istio points at `metadata.name`).
fn host_path(
    vs: &crate::resources::Object<crate::model::istio::VirtualService>,
    ns: &str,
    fqdn: &str,
) -> String {
    vs.spec
        .hosts
        .iter()
        .position(|h| convert_host_to_fqdn(ns, h) == fqdn)
        .or_else(|| {
            vs.spec
                .hosts
                .iter()
                .position(|h| host::matches(&convert_host_to_fqdn(ns, h), fqdn))
        })
        .map_or_else(
            || "metadata.name".to_string(),
            |i| format!("spec.hosts[{i}]"),
        )
}

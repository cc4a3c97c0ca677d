//! `virtualservice.DestinationRuleAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/virtualservice/destinationrules.go).
//!
//! IST0101: a route or mirror destination names a subset that no DestinationRule for that host
//! defines. Hosts are compared as resource names (`reviews` in namespace `default` and
//! `reviews.default.svc.cluster.local` are the same), exactly as Istio does, so a DR whose host
//! is a wildcard does not provide subsets here.

use super::{mirror_destinations, route_destinations};
use crate::analyze::msg;
use crate::analyze::util::resource_name_from_host;
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use std::collections::HashSet;

pub const ANALYZER: Analyzer = Analyzer {
    name: "virtualservice.DestinationRuleAnalyzer",
    codes: &["IST0101"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    // initDestHostsAndSubsets: (namespace, name, subset) of every DR subset.
    let mut known: HashSet<(String, String, String)> = HashSet::new();
    for dr in &ctx.res.destination_rules {
        let (ns, name) =
            resource_name_from_host(&dr.meta.namespace, dr.spec.host.as_deref().unwrap_or(""));
        for ss in &dr.spec.subsets {
            known.insert((
                ns.clone(),
                name.clone(),
                ss.name.clone().unwrap_or_default(),
            ));
        }
    }
    for vs in &ctx.res.virtual_services {
        let ns = vs.meta.namespace.as_str();
        for (reftype, dests) in [
            (
                "host+subset in destinationrule",
                route_destinations(&vs.spec),
            ),
            (
                "mirror+subset in destinationrule",
                mirror_destinations(&vs.spec),
            ),
        ] {
            for d in dests {
                let subset = d.subset();
                if subset.is_empty() {
                    continue;
                }
                let (hns, hname) = resource_name_from_host(ns, d.host());
                if known.contains(&(hns, hname, subset.to_string())) {
                    continue;
                }
                let m = msg::REFERENCED_RESOURCE_NOT_FOUND;
                out.push(ctx.res.diag(
                    vs,
                    m.code,
                    m.severity,
                    &format!("{}.subset", d.path),
                    msg::referenced_resource_not_found(reftype, &format!("{}+{subset}", d.host())),
                ));
            }
        }
    }
}

//! `virtualservice.DestinationHostAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/virtualservice/destinationhosts.go).
//!
//! - IST0101: a route or mirror destination host is no Service or ServiceEntry visible to the
//!   VirtualService, or names a port the service does not have (`host:port`).
//! - IST0112: no destination port, and the service has more than one.
//! - IST0140: a gateway-bound VirtualService routes to a host without a subset while another
//!   VirtualService routes that host by subsets (route rules don't apply at the gateway).

use super::{mirror_destinations, route_destinations, AnnotatedDestination};
use crate::analyze::msg::{self, Msg};
use crate::analyze::util::{full_name, RegService};
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use crate::model::istio::{Destination, VirtualService};
use crate::resources::Object;

pub const ANALYZER: Analyzer = Analyzer {
    name: "virtualservice.DestinationHostAnalyzer",
    codes: &["IST0101", "IST0112", "IST0140"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let subset_destinations = vs_subset_destinations(ctx);
    for vs in &ctx.res.virtual_services {
        analyze_hosts(ctx, vs, out);
        analyze_subset(ctx, vs, &subset_destinations, out);
    }
}

fn analyze_hosts(ctx: &Ctx, vs: &Object<VirtualService>, out: &mut Vec<Diagnostic>) {
    let ns = vs.meta.namespace.as_str();
    for (reftype, dests) in [
        ("host", route_destinations(&vs.spec)),
        ("mirror host", mirror_destinations(&vs.spec)),
    ] {
        for d in dests {
            match ctx.services.lookup(ns, &vs.spec.export_to, d.host()) {
                None => {
                    let mut text = msg::referenced_resource_not_found(reftype, d.host());
                    if let Some(fqdn) = ctx.services.completion(d.host()) {
                        text.push_str(&format!("; did you mean {}?", msg::q(fqdn)));
                    }
                    out.push(report(
                        ctx,
                        vs,
                        msg::REFERENCED_RESOURCE_NOT_FOUND,
                        &d,
                        "host",
                        text,
                    ));
                }
                Some(s) => check_ports(ctx, vs, &d, s, out),
            }
        }
    }
}

/// `checkServiceEntryPorts`.
fn check_ports(
    ctx: &Ctx,
    vs: &Object<VirtualService>,
    d: &AnnotatedDestination,
    s: &RegService,
    out: &mut Vec<Diagnostic>,
) {
    match d.port() {
        None => {
            if s.ports.len() > 1 {
                let ports: Vec<i64> = s.ports.iter().map(|p| p.number).collect();
                let text =
                    msg::virtual_service_destination_port_selector_required(d.host(), &ports);
                out.push(report(
                    ctx,
                    vs,
                    msg::VIRTUAL_SERVICE_DESTINATION_PORT_SELECTOR_REQUIRED,
                    d,
                    "host",
                    text,
                ));
            }
        }
        Some(port) => {
            if !s.ports.iter().any(|p| p.number == port) {
                let text = msg::referenced_resource_not_found(
                    "host:port",
                    &format!("{}:{port}", d.host()),
                );
                out.push(report(
                    ctx,
                    vs,
                    msg::REFERENCED_RESOURCE_NOT_FOUND,
                    d,
                    "port.number",
                    text,
                ));
            }
        }
    }
}

fn report(
    ctx: &Ctx,
    vs: &Object<VirtualService>,
    m: Msg,
    d: &AnnotatedDestination,
    field: &str,
    text: String,
) -> Diagnostic {
    ctx.res
        .diag(vs, m.code, m.severity, &format!("{}.{field}", d.path), text)
}

/// `initVirtualServiceDestinations`: per VirtualService, its http destinations that use a
/// subset and whose host is literally one of the VirtualService's hosts.
fn vs_subset_destinations<'a>(ctx: &Ctx<'a>) -> Vec<(String, Vec<&'a Destination>)> {
    let mut out = Vec::new();
    for vs in &ctx.res.virtual_services {
        let mut dests = Vec::new();
        for r in &vs.spec.http {
            for rd in &r.route {
                let Some(d) = rd.destination.as_ref() else {
                    continue;
                };
                if d.subset.as_deref().unwrap_or("").is_empty() {
                    continue;
                }
                let host = d.host.as_deref().unwrap_or("");
                for h in &vs.spec.hosts {
                    if h == host {
                        dests.push(d);
                    }
                }
            }
        }
        if !dests.is_empty() {
            out.push((full_name(&vs.meta), dests));
        }
    }
    out
}

/// `analyzeSubset`: IST0140.
fn analyze_subset(
    ctx: &Ctx,
    vs: &Object<VirtualService>,
    subset_destinations: &[(String, Vec<&Destination>)],
    out: &mut Vec<Diagnostic>,
) {
    if vs.spec.gateways.is_empty() {
        return;
    }
    let this = full_name(&vs.meta);
    for (i, r) in vs.spec.http.iter().enumerate() {
        for (j, rd) in r.route.iter().enumerate() {
            let dest = rd.destination.as_ref();
            if !dest
                .and_then(|d| d.subset.as_deref())
                .unwrap_or("")
                .is_empty()
            {
                continue;
            }
            let host = dest.and_then(|d| d.host.as_deref()).unwrap_or("");
            for (other, dests) in subset_destinations {
                for d in dests {
                    if d.host.as_deref().unwrap_or("") == host {
                        let m = msg::INGRESS_ROUTE_RULES_NOT_AFFECTED;
                        out.push(ctx.res.diag(
                            vs,
                            m.code,
                            m.severity,
                            &format!("spec.http[{i}].route[{j}].destination.host"),
                            msg::ingress_route_rules_not_affected(other, &this),
                        ));
                    }
                }
            }
        }
    }
}

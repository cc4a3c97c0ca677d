//! `gateway.IngressGatewayPortAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/gateway/gateway.go).
//!
//! - IST0101: the Gateway's selector matches no pod.
//! - IST0162: a server port is neither a `targetPort` nor a `port` of any TCP Service selecting
//!   the gateway pods (the proxy listens on the target port; the Service maps `port` to it).

use super::selector_path;
use crate::analyze::msg;
use crate::analyze::util::{selector_matches, selector_string};
use crate::analyze::{Analyzer, Ctx};
use crate::decode::IntOrString;
use crate::diag::Diagnostic;
use std::collections::HashSet;

pub const ANALYZER: Analyzer = Analyzer {
    name: "gateway.IngressGatewayPortAnalyzer",
    codes: &["IST0101", "IST0162"],
    run,
};

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for gw in &ctx.res.gateways {
        let selector = &gw.spec.selector;
        let sel = selector_string(selector);
        let mut service_ports: HashSet<i64> = HashSet::new();
        let mut mapped_ports: HashSet<i64> = HashSet::new();
        let mut matches = 0;
        for pod in &ctx.res.pods {
            if !selector_matches(selector, &pod.meta.labels) {
                continue;
            }
            matches += 1;
            for svc in &ctx.res.services {
                // Services only select pods in their own namespace. As in Istio, a Service
                // without a selector counts as selecting every pod.
                if svc.meta.namespace != pod.meta.namespace
                    || !selector_matches(&svc.spec.selector, &pod.meta.labels)
                {
                    continue;
                }
                for p in &svc.spec.ports {
                    // Kubernetes defaults `protocol` to TCP; Istio's analyzer reads the stored
                    // object, which always has it.
                    if p.protocol.as_deref().is_some_and(|s| s != "TCP") {
                        continue;
                    }
                    let port = p.port.unwrap_or(0);
                    // `TargetPort.IntValue()`: a named target port counts as 0.
                    let target = match &p.target_port {
                        Some(IntOrString::Int(i)) => *i,
                        _ => 0,
                    };
                    if target != 0 {
                        service_ports.insert(target);
                        mapped_ports.insert(port);
                    } else {
                        service_ports.insert(port);
                    }
                }
            }
        }
        let path = selector_path(selector);
        if matches == 0 {
            let m = msg::REFERENCED_RESOURCE_NOT_FOUND;
            out.push(ctx.res.diag(
                gw,
                m.code,
                m.severity,
                &path,
                msg::referenced_resource_not_found("selector", &sel),
            ));
            continue;
        }
        for (i, server) in gw.spec.servers.iter().enumerate() {
            let Some(port) = server.port.as_ref() else {
                continue;
            };
            let n = port.number.unwrap_or(0);
            if service_ports.contains(&n) || mapped_ports.contains(&n) {
                continue;
            }
            let m = msg::GATEWAY_PORT_NOT_DEFINED_ON_SERVICE;
            out.push(ctx.res.diag(
                gw,
                m.code,
                m.severity,
                &format!("spec.servers[{i}].port.number"),
                msg::gateway_port_not_defined_on_service(n, &sel),
            ));
        }
    }
}

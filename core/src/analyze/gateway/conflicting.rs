//! `gateway.ConflictingGatewayAnalyzer`
//! (Istio: pkg/config/analysis/analyzers/gateway/conflictinggateway.go).
//!
//! - IST0145: two Gateways select the same workload (the same selector, or overlapping
//!   selectors that match a common pod), and have servers on the same port with a common host
//!   (compared as written, with the same `bind`).
//! - IST0101: a non-empty selector that no Gateway server key shares and that selects no pod
//!   together with another Gateway's selector.
//!
//! Istio's `isGWConflict` calls `model.CheckDuplicates`, which *adds* the server's hosts to the
//! other gateway's known hosts when there is no duplicate; with Go's random map order that can
//! make later comparisons report conflicts that do not exist. meshroute compares without that
//! side effect, so the result does not depend on order.

use super::selector_path;
use crate::analyze::msg;
use crate::analyze::util::{full_name, selector_matches, selector_string};
use crate::analyze::{Analyzer, Ctx};
use crate::diag::Diagnostic;
use std::collections::BTreeMap;

pub const ANALYZER: Analyzer = Analyzer {
    name: "gateway.ConflictingGatewayAnalyzer",
    codes: &["IST0101", "IST0145"],
    run,
};

type HostsBind = BTreeMap<String, String>;

/// `selector~port` → gateway full name → host → bind (`initGatewaysMap`).
type GatewayMap = BTreeMap<(String, String), BTreeMap<String, HostsBind>>;

fn port_string(server: &crate::model::istio::Server) -> String {
    server
        .port
        .as_ref()
        .and_then(|p| p.number)
        .unwrap_or(0)
        .to_string()
}

/// `parseSelectorFromString`: back from `k=v,k2=v2` to a map (pairs without exactly one `=`
/// are dropped, as in Istio).
fn parse_selector(s: &str) -> BTreeMap<String, String> {
    s.split(',')
        .filter_map(|pair| {
            let mut kv = pair.split('=');
            match (kv.next(), kv.next(), kv.next()) {
                (Some(k), Some(v), None) => Some((k.to_string(), v.to_string())),
                _ => None,
            }
        })
        .collect()
}

fn run(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let mut map: GatewayMap = BTreeMap::new();
    for gw in &ctx.res.gateways {
        let sel = selector_string(&gw.spec.selector);
        for server in &gw.spec.servers {
            let bind = server.bind.clone().unwrap_or_default();
            let hb: HostsBind = server
                .hosts
                .iter()
                .map(|h| (h.clone(), bind.clone()))
                .collect();
            map.entry((sel.clone(), port_string(server)))
                .or_default()
                .insert(full_name(&gw.meta), hb);
        }
    }
    for gw in &ctx.res.gateways {
        let name = full_name(&gw.meta);
        let selector = &gw.spec.selector;
        let sel = selector_string(selector);
        let mut hits: Vec<&(String, String)> = Vec::new();
        for key in map.keys() {
            let x = key.0.as_str();
            let matched = if x == sel {
                true
            } else if x.contains(sel.as_str()) || sel.contains(x) {
                let xsel = parse_selector(x);
                ctx.res.pods.iter().any(|p| {
                    selector_matches(selector, &p.meta.labels)
                        && selector_matches(&xsel, &p.meta.labels)
                })
            } else {
                false
            };
            if matched {
                hits.push(key);
            }
        }
        if !sel.is_empty() && hits.is_empty() {
            let m = msg::REFERENCED_RESOURCE_NOT_FOUND;
            out.push(ctx.res.diag(
                gw,
                m.code,
                m.severity,
                &selector_path(selector),
                msg::referenced_resource_not_found("selector", &sel),
            ));
            continue;
        }
        for (i, server) in gw.spec.servers.iter().enumerate() {
            let port = port_string(server);
            let bind = server.bind.clone().unwrap_or_default();
            let mut gateways: Vec<String> = Vec::new();
            for key in hits.iter().filter(|k| k.1 == port) {
                for (other, known) in &map[*key] {
                    let conflict = server
                        .hosts
                        .iter()
                        .any(|h| known.get(h).is_some_and(|b| *b == bind));
                    if *other != name && conflict {
                        gateways.push(other.clone());
                    }
                }
            }
            if gateways.is_empty() {
                continue;
            }
            gateways.sort();
            let m = msg::CONFLICTING_GATEWAYS;
            out.push(ctx.res.diag(
                gw,
                m.code,
                m.severity,
                &format!("spec.servers[{i}].hosts"),
                msg::conflicting_gateways(
                    &gateways.join(","),
                    &sel,
                    &port,
                    &server.hosts.join(","),
                ),
            ));
        }
    }
}

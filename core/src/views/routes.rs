//! `istioctl proxy-config routes`: one row per route of every virtual host.

use super::{describe_domains, istioctl_name, render_table};
use crate::table::*;
use serde::Serialize;

/// One row of `proxy-config routes`: one per route of every virtual host, as istioctl prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRow {
    /// Route configuration name (`http.8080` on a gateway, `8080` on a sidecar).
    pub name: String,
    pub vhost_name: String,
    pub domains: Vec<String>,
    /// istioctl's MATCH column (`/*`, `/exact`, `~regex`, `(+N more)`).
    #[serde(rename = "match")]
    pub match_: String,
    /// `name.namespace` of the VirtualService, or the status of a direct response, or empty.
    pub virtual_service: String,
    /// Envoy route name; absent for the placeholder row of a virtual host without routes.
    pub route: Option<String>,
    /// What the route does: weighted clusters, redirect, direct response, passthrough, 404.
    pub action: String,
}

fn describe_action(t: &RouteTable, r: &Route) -> String {
    match &r.action {
        Action::Forward(dests) => {
            let many = dests.len() > 1;
            dests
                .iter()
                .map(|d| {
                    let missing = match d.cluster {
                        ClusterRef::Known(_) => "",
                        ClusterRef::Missing(_) => " (missing)",
                    };
                    if many {
                        format!("{}{missing} weight {}", d.cluster_name, d.weight)
                    } else {
                        format!("{}{missing}", d.cluster_name)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
        Action::Redirect(rd) => {
            let mut s = format!("redirect {}", rd.code);
            if let Some(a) = &rd.authority {
                s.push_str(&format!(" authority {a}"));
            }
            if let Some(u) = &rd.uri {
                s.push_str(&format!(" uri {u}"));
            }
            s
        }
        Action::DirectResponse { status, .. } => format!("direct response {status}"),
        Action::Passthrough => {
            let _ = t;
            "PassthroughCluster (not supported: 502)".into()
        }
    }
}

pub fn routes(t: &RouteTable) -> Vec<RouteRow> {
    let mut rows = Vec::new();
    for rc in &t.route_configs {
        for vh in &rc.virtual_hosts {
            if vh.routes.is_empty() {
                // istiod gives such a vhost (gateway blackhole, httpsRedirect-only) a single
                // catch-all; istioctl shows it as `/*` with the local reply it produces.
                let (vs, action) = if vh.require_tls {
                    ("301".to_string(), "redirect 301 to https".to_string())
                } else {
                    ("404".to_string(), "404 (no route)".to_string())
                };
                rows.push(RouteRow {
                    name: rc.name.clone(),
                    vhost_name: vh.name.clone(),
                    domains: vh.domains.clone(),
                    match_: "/*".into(),
                    virtual_service: vs,
                    route: None,
                    action,
                });
                continue;
            }
            for r in &vh.routes {
                let vs = match (&r.virtual_service, &r.action) {
                    (Some(id), _) => istioctl_name(id),
                    // istioctl prints the status of a direct response without metadata.
                    (None, Action::DirectResponse { status, .. }) => status.to_string(),
                    (None, _) => String::new(),
                };
                rows.push(RouteRow {
                    name: rc.name.clone(),
                    vhost_name: vh.name.clone(),
                    domains: vh.domains.clone(),
                    match_: r.matcher.describe(),
                    virtual_service: vs,
                    route: Some(r.name.clone()),
                    action: describe_action(t, r),
                });
            }
        }
    }
    rows
}

pub fn render_routes(rows: &[RouteRow]) -> String {
    render_table(
        &["NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.vhost_name.clone(),
                    describe_domains(&r.domains),
                    r.match_.clone(),
                    r.virtual_service.clone(),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

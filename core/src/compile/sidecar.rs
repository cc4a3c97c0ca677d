//! Sidecar outbound HTTP: a route configuration per HTTP service port, a virtual host per
//! service or VirtualService host with its domains, and default routes for services no
//! VirtualService claims (Istio: pilot/pkg/networking/core/httproute.go
//! `buildSidecarOutboundHTTPRouteConfig`, `generateVirtualHostDomains`; route/route.go
//! `BuildDefaultHTTPOutboundRoute`).

use super::retry::default_retry;
use super::{Cx, Vs};
use crate::host::{self, MESH_GATEWAY};
use crate::registry::{visible, Origin, Service};
use crate::table::*;
use std::collections::HashMap;

/// Applies `mesh.outboundTrafficPolicy` to a compiled sidecar table (httproute.go
/// `buildSidecarOutboundHTTPRouteConfig`: `util.IsAllowAnyOutbound(node)` adds the `allow_any`
/// virtual host routing to `PassthroughCluster`, else the `block_all` one whose route is a
/// direct response 502). ALLOW_ANY: the `allow_any` routes forward to [`PASSTHROUGH_CLUSTER`]
/// (ORIGINAL_DST: the request's own destination, see `route::decide`). REGISTRY_ONLY: they
/// become `block_all` routes answering 502.
pub fn apply_outbound_traffic_policy(
    table: &mut RouteTable,
    mode: crate::config::OutboundTrafficPolicy,
) {
    use crate::config::OutboundTrafficPolicy;
    let has = table.route_configs.iter().any(|rc| {
        rc.virtual_hosts.iter().any(|v| {
            v.routes
                .iter()
                .any(|r| matches!(r.action, Action::Passthrough))
        })
    });
    if !has {
        return;
    }
    let passthrough = match mode {
        OutboundTrafficPolicy::RegistryOnly => None,
        OutboundTrafficPolicy::AllowAny => {
            Some(match table.cluster_index.get(PASSTHROUGH_CLUSTER) {
                Some(&i) => i,
                None => {
                    let i = table.clusters.len() as u32;
                    table.clusters.push(Cluster {
                        name: PASSTHROUGH_CLUSTER.into(),
                        service: String::new(),
                        port: 0,
                        subset: String::new(),
                        endpoints: Vec::new(),
                        selector: crate::lb::Selector::build(crate::lb::LbPolicy::Passthrough, &[]),
                        hash: None,
                        outlier: None,
                        pool: None,
                        destination_rule: None,
                        discovery: "ORIGINAL_DST",
                    });
                    table.cluster_index.insert(PASSTHROUGH_CLUSTER.into(), i);
                    i
                }
            })
        }
    };
    for rc in &mut table.route_configs {
        for vh in &mut rc.virtual_hosts {
            let mut blocked = false;
            for r in &mut vh.routes {
                if !matches!(r.action, Action::Passthrough) {
                    continue;
                }
                match passthrough {
                    Some(i) => {
                        r.action = Action::Forward(vec![WeightedDest {
                            cluster: ClusterRef::Known(i),
                            cluster_name: PASSTHROUGH_CLUSTER.into(),
                            weight: 100,
                            request_headers: HeaderOps::default(),
                            response_headers: HeaderOps::default(),
                            authority: None,
                        }]);
                    }
                    None => {
                        r.name = BLOCK_ALL_ROUTE.into();
                        r.action = Action::DirectResponse {
                            status: 502,
                            body: None,
                        };
                        blocked = true;
                    }
                }
            }
            if blocked {
                vh.name = BLOCK_ALL_ROUTE.into();
            }
        }
    }
}

impl<'a> Cx<'a> {
    // -----------------------------------------------------------------------------------------
    // Sidecar: a route configuration per HTTP service port (httproute.go).

    pub(super) fn build_sidecar(&mut self) {
        let user: Vec<Vs> = self
            .virtual_services()
            .into_iter()
            .filter(|v| v.gateways.iter().any(|g| g == MESH_GATEWAY))
            .collect();
        // Gateway API mesh (GAMMA) routes join them (compile/gateway_api/mesh.rs).
        let mesh = self.mesh_virtual_services();
        let vss = self.with_mesh_routes(user, &mesh);
        let services: Vec<&Service> = self
            .reg
            .services
            .iter()
            .filter(|s| visible(&s.export_to, &s.namespace, &self.proxy.namespace))
            .collect();
        // Each service goes to the oldest VirtualService naming it exactly, else to the one with
        // its most specific wildcard host (sidecar.go computeWildcardHostVirtualServiceIndex).
        let mut fqdn_index: HashMap<&str, usize> = HashMap::new();
        let mut wild_index: Vec<(&str, usize)> = Vec::new();
        for (vi, v) in vss.iter().enumerate() {
            for h in &v.hosts {
                if host::is_wildcard(h) {
                    if !wild_index.iter().any(|(x, _)| x == h) {
                        wild_index.push((h, vi));
                    }
                } else {
                    fqdn_index.entry(h.as_str()).or_insert(vi);
                }
            }
        }
        let mut wildcard_vs_of: HashMap<&str, usize> = HashMap::new();
        for s in &services {
            let vi = fqdn_index.get(s.hostname.as_str()).copied().or_else(|| {
                let hosts: Vec<&str> = wild_index.iter().map(|(h, _)| *h).collect();
                host::most_specific_match(&s.hostname, &hosts).map(|i| wild_index[i].1)
            });
            if let Some(vi) = vi {
                wildcard_vs_of.insert(&s.hostname, vi);
            }
        }
        let mut ports: Vec<u32> = services
            .iter()
            .flat_map(|s| {
                s.ports
                    .iter()
                    .filter(|p| p.protocol.is_http_or_sniffed())
                    .map(|p| p.port)
            })
            .collect();
        // A VirtualService host that is not a service is served on port 80 (route.go "gross HACK").
        ports.push(80);
        ports.sort_unstable();
        ports.dedup();
        for port in ports {
            let vhosts = self.sidecar_port_vhosts(port, &vss, &services, &wildcard_vs_of);
            if vhosts.is_empty() {
                continue;
            }
            let mut vhosts = vhosts;
            // outboundTrafficPolicy ALLOW_ANY (Istio's default): `allow_any` catch-all.
            vhosts.push(VirtualHost {
                name: "allow_any".into(),
                domains: vec!["*".into()],
                routes: vec![Route {
                    name: "allow_any".into(),
                    virtual_service: None,
                    matcher: RouteMatch::catch_all(),
                    action: Action::Passthrough,
                    extras: RouteExtras::default(),
                    origin: None,
                }],
                require_tls: false,
            });
            self.push_listener(
                port,
                port.to_string(),
                vhosts,
                vec![port],
                vec![MESH_GATEWAY.into()],
            );
        }
    }

    /// The virtual hosts of sidecar route configuration `port`
    /// (httproute.go BuildSidecarOutboundVirtualHosts, route.go BuildSidecarVirtualHostWrapper).
    fn sidecar_port_vhosts(
        &mut self,
        port: u32,
        vss: &[Vs],
        services: &[&'a Service],
        wildcard_vs_of: &HashMap<&str, usize>,
    ) -> Vec<VirtualHost> {
        // The services this route configuration knows: those with an HTTP (or sniffed) `port`.
        let svcs: Vec<&Service> = services
            .iter()
            .copied()
            .filter(|s| {
                s.ports
                    .iter()
                    .any(|p| p.port == port && p.protocol.is_http_or_sniffed())
            })
            .collect();
        let by_name: HashMap<&str, &Service> =
            svcs.iter().map(|s| (s.hostname.as_str(), *s)).collect();
        let mut vhosts: Vec<VirtualHost> = Vec::new();
        let mut names: std::collections::HashSet<String> = Default::default();
        let mut seen_domains: std::collections::HashSet<String> = Default::default();
        let mut push = |vhosts: &mut Vec<VirtualHost>,
                        name: String,
                        domains: Vec<String>,
                        routes: Vec<Route>| {
            // A duplicate vhost name (the same service claimed by a younger VirtualService) is
            // dropped, as are domains an earlier vhost already has (buildVirtualHost,
            // dedupeDomains): on sidecars the first VirtualService wins, nothing is merged.
            if !names.insert(name.clone()) {
                return;
            }
            let domains: Vec<String> = domains
                .into_iter()
                .filter(|d| seen_domains.insert(d.to_ascii_lowercase()))
                .collect();
            if !domains.is_empty() {
                vhosts.push(VirtualHost {
                    name,
                    domains,
                    routes,
                    require_tls: false,
                });
            }
        };
        let mut with_vs: std::collections::HashSet<&str> = Default::default();
        for (vi, v) in vss.iter().enumerate() {
            // On ports other than 80 only VirtualServices naming a service of this port apply
            // (httproute.go selectVirtualServices).
            if port != 80
                && !v
                    .hosts
                    .iter()
                    .any(|h| svcs.iter().any(|s| host::matches(h, &s.hostname)))
            {
                continue;
            }
            let routes = self.translate_vs(v, port, MESH_GATEWAY, false);
            if routes.is_empty() {
                // No route survives the static predicates: the VirtualService builds nothing
                // and its services keep their default route (buildSidecarVirtualHostsForVirtualService).
                continue;
            }
            // separateVSHostsAndServices (route.go).
            let mut other_hosts: Vec<String> = Vec::new();
            let mut matched: Vec<&Service> = Vec::new();
            for h in v.hosts.iter().filter(|h| !host::is_wildcard(h)) {
                match by_name.get(h.as_str()) {
                    Some(s) => matched.push(s),
                    None => other_hosts.push(h.clone()),
                }
            }
            for h in v.hosts.iter().filter(|h| host::is_wildcard(h)) {
                let mut found = false;
                for s in &svcs {
                    if !host::matches(&s.hostname, h) {
                        continue;
                    }
                    found = true;
                    if wildcard_vs_of.get(s.hostname.as_str()) == Some(&vi)
                        && !matched.iter().any(|m| m.hostname == s.hostname)
                    {
                        matched.push(s);
                    }
                }
                if !found {
                    other_hosts.push(h.clone());
                }
            }
            if matched.is_empty() && port != 80 {
                continue;
            }
            for h in &other_hosts {
                push(
                    &mut vhosts,
                    format!("{h}:{port}"),
                    vec![h.clone()],
                    routes.clone(),
                );
            }
            for s in &matched {
                with_vs.insert(&s.hostname);
                let domains = self.sidecar_domains(s);
                push(
                    &mut vhosts,
                    format!("{}:{port}", s.hostname),
                    domains,
                    routes.clone(),
                );
            }
        }
        // Services no VirtualService claimed: `/` → outbound|P||FQDN.
        for s in &svcs {
            if with_vs.contains(s.hostname.as_str()) {
                continue;
            }
            let domains = self.sidecar_domains(s);
            let route = self.default_route(s, port);
            push(
                &mut vhosts,
                format!("{}:{port}", s.hostname),
                domains,
                vec![route],
            );
        }
        vhosts
    }

    /// `generateVirtualHostDomains` (httproute.go): FQDN, FQDN., VIPs, and short forms.
    fn sidecar_domains(&self, s: &Service) -> Vec<String> {
        let mut d = vec![s.hostname.clone(), format!("{}.", s.hostname)];
        if s.origin == Origin::Kubernetes {
            if s.namespace == self.proxy.namespace {
                d.push(s.name.clone());
                d.push(format!("{}.{}.svc", s.name, s.namespace));
                d.push(format!("{}.{}", s.name, s.namespace));
            } else {
                d.push(format!("{}.{}.svc", s.name, s.namespace));
                d.push(format!("{}.{}", s.name, s.namespace));
            }
        }
        for a in &s.addresses {
            if a.contains('/') {
                continue; // CIDR
            }
            d.push(if a.contains(':') {
                format!("[{a}]")
            } else {
                a.clone()
            });
        }
        if s.headless {
            let wild: Vec<String> = d
                .iter()
                .filter(|x| !x.ends_with('.'))
                .map(|x| format!("*.{x}"))
                .collect();
            d.extend(wild);
        }
        d.into_iter().map(|x| x.to_ascii_lowercase()).collect()
    }

    /// `BuildDefaultHTTPOutboundRoute` (route.go): `/` → `outbound|P||fqdn`, default retries.
    fn default_route(&mut self, s: &Service, port: u32) -> Route {
        let name = host::cluster_name(port, "", &s.hostname);
        let cluster = self.cluster_ref(name.clone());
        Route {
            name: "default".into(),
            virtual_service: None,
            matcher: RouteMatch::catch_all(),
            action: Action::Forward(vec![WeightedDest {
                cluster,
                cluster_name: name,
                weight: 100,
                request_headers: HeaderOps::default(),
                response_headers: HeaderOps::default(),
                authority: None,
            }]),
            extras: RouteExtras {
                retry: Some(default_retry()),
                ..Default::default()
            },
            origin: None,
        }
    }
}

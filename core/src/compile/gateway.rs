//! Gateways: the servers of the Gateways selecting this proxy, grouped by listener port, and
//! the VirtualServices bound to each server through its hosts (Istio:
//! pilot/pkg/networking/core/gateway.go, pilot/pkg/model/gateway.go for port resolution,
//! pkg/config/host/names.go for host intersection).

use super::{creation_key, Cx};
use crate::decode::IntOrString;
use crate::host;
use crate::model::istio::*;
use crate::registry::labels_contain;
use crate::resources::Object;
use crate::table::*;
use std::collections::{BTreeMap, HashMap};

impl<'a> Cx<'a> {
    // -----------------------------------------------------------------------------------------
    // Gateway (gateway.go, model/gateway.go)

    pub(super) fn build_gateway(&mut self) {
        let mut gws: Vec<&'a Object<Gateway>> = self
            .res
            .gateways
            .iter()
            .filter(|g| labels_contain(&self.proxy.labels, &g.spec.selector))
            .collect();
        gws.sort_by_key(|g| creation_key(g));
        let vss = self.virtual_services();
        self.build_gateway_l4(&gws, &vss);
        // listener port → (plaintext HTTP servers, HTTPS servers terminated here)
        type Servers<'g> = Vec<(&'g Object<Gateway>, usize)>;
        let mut by_listener: BTreeMap<u32, (Servers<'a>, Servers<'a>)> = BTreeMap::new();
        for g in &gws {
            for (si, s) in g.spec.servers.iter().enumerate() {
                let Some(number) = s
                    .port
                    .as_ref()
                    .and_then(|p| p.number)
                    .and_then(|n| u32::try_from(n).ok())
                else {
                    continue;
                };
                let protocol = s
                    .port
                    .as_ref()
                    .and_then(|p| p.protocol.as_deref())
                    .unwrap_or("");
                let proto = crate::registry::Protocol::parse(protocol);
                let tls_mode = s.tls.as_ref().and_then(|t| t.mode);
                let plaintext = matches!(
                    proto,
                    crate::registry::Protocol::Http
                        | crate::registry::Protocol::Http2
                        | crate::registry::Protocol::Grpc
                        | crate::registry::Protocol::GrpcWeb
                );
                // HTTPS terminated at the gateway carries HTTP routes on a TLS filter chain of its
                // own; PASSTHROUGH (the mode's default value) and AUTO_PASSTHROUGH do not.
                let terminated = proto == crate::registry::Protocol::Https
                    && matches!(
                        tls_mode,
                        Some(ServerTlsMode::Simple)
                            | Some(ServerTlsMode::Mutual)
                            | Some(ServerTlsMode::OptionalMutual)
                    );
                if !plaintext && !terminated {
                    continue;
                }
                let lport = self.resolve_gateway_port(number);
                let entry = by_listener.entry(lport).or_default();
                if terminated {
                    entry.1.push((g, si));
                } else {
                    entry.0.push((g, si));
                }
            }
        }
        for (lport, (plain, tls)) in by_listener {
            let mut server_ports = Vec::new();
            let mut gateway_names = Vec::new();
            let mut note = |g: &Object<Gateway>, si: usize| {
                let sport = server_port(g, si);
                if !server_ports.contains(&sport) {
                    server_ports.push(sport);
                }
                let gname = format!("{}/{}", g.meta.namespace, g.meta.name);
                if !gateway_names.contains(&gname) {
                    gateway_names.push(gname);
                }
            };
            for (g, si) in plain.iter().chain(&tls) {
                note(g, *si);
            }
            // Plaintext servers on a port share one route configuration, `http.PORT`.
            let plain_rc = (!plain.is_empty()).then(|| {
                let vhosts = self.server_vhosts(&plain, &vss, lport);
                self.push_route_config(format!("http.{lport}"), vhosts)
            });
            // Each HTTPS server: its own route configuration and filter chain
            // (gatewayRDSRouteName: `https.NUMBER.PORTNAME.GATEWAY.NAMESPACE`).
            let mut chains = Vec::new();
            for (g, si) in &tls {
                let Some(tls_settings) = self.server_tls(g, *si) else {
                    continue;
                };
                let server = &g.spec.servers[*si];
                let port_name = server
                    .port
                    .as_ref()
                    .and_then(|p| p.name.clone())
                    .unwrap_or_default();
                let name = format!(
                    "https.{}.{port_name}.{}.{}",
                    server_port(g, *si),
                    g.meta.name,
                    g.meta.namespace
                );
                let vhosts = self.server_vhosts(&[(*g, *si)], &vss, lport);
                let rc = self.push_route_config(name.clone(), vhosts);
                chains.push(FilterChain {
                    name,
                    server_names: super::gateway_tls::sni_hosts(&server.hosts),
                    route_config: rc,
                    tls: tls_settings,
                    gateway: format!("{}/{}", g.meta.namespace, g.meta.name),
                    server: *si,
                });
            }
            let Some(rc) = plain_rc.or_else(|| chains.first().map(|c| c.route_config)) else {
                // Every server of this port lost its certificate (diagnosed): no listener.
                continue;
            };
            let route_config_name = self.table.route_configs[rc].name.clone();
            self.table
                .listener_index
                .insert(lport, self.table.listeners.len());
            self.table.listeners.push(Listener {
                name: format!("0.0.0.0_{lport}"),
                port: lport,
                route_config: rc,
                route_config_name,
                server_ports,
                gateways: gateway_names,
                filter_chains: chains,
                plaintext: plain_rc.is_some(),
            });
        }
    }

    fn push_route_config(&mut self, name: String, vhosts: Vec<VirtualHost>) -> usize {
        let rc = self.table.route_configs.len();
        self.table
            .route_configs
            .push(RouteConfig::new(name, vhosts));
        rc
    }

    /// The virtual hosts of a group of servers: the VirtualServices bound to each server's
    /// hosts, merged by host (gateway.go `buildGatewayHTTPRouteConfig`).
    fn server_vhosts(
        &mut self,
        servers: &[(&Object<Gateway>, usize)],
        vss: &[super::Vs<'a>],
        lport: u32,
    ) -> Vec<VirtualHost> {
        let mut vhosts: Vec<VirtualHost> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut first_port = None;
        for (g, si) in servers {
            let server = &g.spec.servers[*si];
            let sport = server_port(g, *si);
            first_port.get_or_insert(sport);
            let gname = format!("{}/{}", g.meta.namespace, g.meta.name);
            let https_redirect = server
                .tls
                .as_ref()
                .and_then(|t| t.https_redirect)
                .unwrap_or(false);
            for v in vss.iter().filter(|v| v.gateways.contains(&gname)) {
                let server_hosts =
                    names_for_namespace(&server.hosts, &v.obj.meta.namespace, &g.meta.namespace);
                let hosts = intersection(&server_hosts, &v.hosts);
                if hosts.is_empty() {
                    continue;
                }
                // route.go RouteOptions.IsTLS = `server.Tls != nil` (even httpsRedirect-only).
                let routes = self.translate_vs(v, sport, &gname, server.tls.is_some());
                if routes.is_empty() {
                    // BuildHTTPRoutesForVirtualService errors ("no routes matched") and
                    // gateway.go skips the VirtualService: it creates no vhost.
                    continue;
                }
                for h in hosts {
                    let key = h.to_ascii_lowercase();
                    match index.get(&key) {
                        Some(&i) => {
                            vhosts[i].routes.extend(routes.iter().cloned());
                            // gateway.go: a server with httpsRedirect makes the merged vhost
                            // require TLS even when another server created it.
                            vhosts[i].require_tls |= https_redirect;
                        }
                        None => {
                            index.insert(key.clone(), vhosts.len());
                            vhosts.push(VirtualHost {
                                name: format!("{key}:{sport}"),
                                domains: vec![key],
                                routes: routes.clone(),
                                require_tls: https_redirect,
                            });
                        }
                    }
                }
            }
            if https_redirect {
                // Redirect-only vhosts for server hosts without a VirtualService; existing
                // vhosts for those hosts require TLS too.
                for h in &server.hosts {
                    let (_, hh) = host::split_server_host(h);
                    let key = hh.to_ascii_lowercase();
                    match index.get(&key) {
                        Some(&i) => vhosts[i].require_tls = true,
                        None => {
                            index.insert(key.clone(), vhosts.len());
                            vhosts.push(VirtualHost {
                                name: format!("{key}:{sport}"),
                                domains: vec![key],
                                routes: Vec::new(),
                                require_tls: true,
                            });
                        }
                    }
                }
            }
        }
        finish_vhosts(&mut vhosts, first_port.unwrap_or(lport));
        vhosts
    }

    /// `resolvePorts` (model/gateway.go): a server port equal to a port of a Service selecting
    /// this gateway's pods listens on that port's targetPort.
    pub(super) fn resolve_gateway_port(&self, number: u32) -> u32 {
        for svc in &self.res.services {
            if svc.meta.namespace != self.proxy.namespace
                || svc.spec.selector.is_empty()
                || !labels_contain(&self.proxy.labels, &svc.spec.selector)
            {
                continue;
            }
            for p in &svc.spec.ports {
                if p.port == Some(i64::from(number)) {
                    return match &p.target_port {
                        Some(IntOrString::Int(t)) => u32::try_from(*t).unwrap_or(number),
                        _ => number,
                    };
                }
            }
        }
        number
    }

    // -----------------------------------------------------------------------------------------
}

/// Catch-all routes move last, keeping the relative order of the rest (SortVHostRoutes); with
/// no VirtualService bound, a blackhole vhost with no routes ⇒ 404.
pub(super) fn finish_vhosts(vhosts: &mut Vec<VirtualHost>, port: u32) {
    for vh in vhosts.iter_mut() {
        let (rest, catch): (Vec<Route>, Vec<Route>) = std::mem::take(&mut vh.routes)
            .into_iter()
            .partition(|r| !r.matcher.is_catch_all());
        vh.routes = rest;
        vh.routes.extend(catch);
    }
    if vhosts.is_empty() {
        vhosts.push(VirtualHost {
            name: format!("blackhole:{port}"),
            domains: vec!["*".into()],
            routes: Vec::new(),
            require_tls: false,
        });
    }
}

fn server_port(g: &Object<Gateway>, si: usize) -> u32 {
    g.spec.servers[si]
        .port
        .as_ref()
        .and_then(|p| p.number)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// `host.NamesForNamespace`: server hosts a VirtualService in `vs_ns` may bind.
pub(super) fn names_for_namespace(
    server_hosts: &[String],
    vs_ns: &str,
    gw_ns: &str,
) -> Vec<String> {
    server_hosts
        .iter()
        .filter_map(|h| {
            let (ns, name) = host::split_server_host(h);
            let ok = ns == "*" || ns == vs_ns || (ns == "." && gw_ns == vs_ns);
            ok.then(|| name.to_ascii_lowercase())
        })
        .collect()
}

/// `host.Names.Intersection`: overlapping pairs keep the more specific name.
pub(super) fn intersection(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in a {
        for y in b {
            if host::matches(x, y) {
                let keep = if host::subset_of(x, y) { x } else { y };
                if !out.contains(keep) {
                    out.push(keep.clone());
                }
            }
        }
    }
    out
}

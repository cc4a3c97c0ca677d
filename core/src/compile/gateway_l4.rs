//! Gateway TCP-level servers: TLS PASSTHROUGH servers take VirtualService `tls` routes, chosen
//! by SNI; TCP servers take the first matching `tcp` route (Istio: pilot/pkg/networking/core/
//! gateway.go `buildGatewayTCPBasedFilterChains`, `buildGatewayNetworkFiltersFromTLSRoutes`,
//! `buildGatewayNetworkFiltersFromTCPRoutes`; matching by `l4SingleMatch`/`l4MultiMatch`:
//! `port` is the server port, `gateways` must name the gateway, `sourceLabels` the gateway's own
//! labels).

use super::{creation_key, Cx, Vs};
use crate::host;
use crate::model::istio::*;
use crate::registry::labels_contain;
use crate::resources::Object;
use crate::table::*;
use std::collections::BTreeMap;

/// A server meshroute sends through `tcp_proxy`: TLS passthrough, or plain TCP.
pub(super) fn is_l4_server(s: &Server) -> Option<bool> {
    let protocol = s
        .port
        .as_ref()
        .and_then(|p| p.protocol.as_deref())
        .unwrap_or("");
    let mode = s.tls.as_ref().and_then(|t| t.mode);
    match crate::registry::Protocol::parse(protocol) {
        // The mode's default value is PASSTHROUGH (ServerTLSSettings.TLSmode = 0).
        crate::registry::Protocol::Tls | crate::registry::Protocol::Https
            if matches!(mode, None | Some(ServerTlsMode::Passthrough)) =>
        {
            Some(true)
        }
        crate::registry::Protocol::Tcp
        | crate::registry::Protocol::Mongo
        | crate::registry::Protocol::Redis
        | crate::registry::Protocol::Mysql => Some(false),
        _ => None,
    }
}

impl<'a> Cx<'a> {
    /// `l4Match`: a match applies to this server when its port (if set) is the server's, its
    /// gateways (if set) name this gateway, and its sourceLabels (if set) are the gateway's.
    fn l4_matches(
        &self,
        port: Option<i64>,
        gateways: &[String],
        source_labels: &BTreeMap<String, String>,
        vs: &Vs,
        gname: &str,
        sport: u32,
    ) -> bool {
        if port.is_some_and(|p| p != i64::from(sport)) {
            return false;
        }
        if !gateways.is_empty() {
            let ns = &vs.obj.meta.namespace;
            let named = gateways.iter().any(|g| {
                let g = if g.contains('/') {
                    g.clone()
                } else {
                    format!("{ns}/{g}")
                };
                g == gname
            });
            if !named {
                return false;
            }
        }
        source_labels.is_empty() || labels_contain(&self.proxy.labels, source_labels)
    }

    fn tcp_destinations(
        &mut self,
        route: &[RouteDestination],
        ns: &str,
        sport: u32,
    ) -> Vec<TcpDestination> {
        let single = route.len() == 1;
        let mut out = Vec::new();
        for rd in route {
            let Some(d) = &rd.destination else { continue };
            let weight = match rd.weight {
                Some(w) => u32::try_from(w).unwrap_or(0),
                None if single => 100,
                None => 0,
            };
            if weight == 0 && !single {
                continue;
            }
            let name = self.destination_cluster(d, ns, sport);
            let cluster = self.cluster_ref(name.clone());
            out.push(TcpDestination {
                cluster,
                cluster_name: name,
                weight: weight.max(1),
            });
        }
        out
    }

    /// The TCP-level chains of the gateways' L4 servers, by listener port.
    pub(super) fn build_gateway_l4(&mut self, gws: &[&'a Object<Gateway>], vss: &[Vs<'a>]) {
        let mut by_port: BTreeMap<u32, Vec<TcpChain>> = BTreeMap::new();
        let mut server_ports: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut gws = gws.to_vec();
        gws.sort_by_key(|g| creation_key(g));
        for g in gws {
            let gname = format!("{}/{}", g.meta.namespace, g.meta.name);
            for (si, server) in g.spec.servers.iter().enumerate() {
                let Some(passthrough) = is_l4_server(server) else {
                    continue;
                };
                let Some(sport) = server
                    .port
                    .as_ref()
                    .and_then(|p| p.number)
                    .and_then(|n| u32::try_from(n).ok())
                else {
                    continue;
                };
                let lport = self.resolve_gateway_port(sport);
                let sp = server_ports.entry(lport).or_default();
                if !sp.contains(&sport) {
                    sp.push(sport);
                }
                let chains = by_port.entry(lport).or_default();
                for v in vss.iter().filter(|v| v.gateways.contains(&gname)) {
                    let server_hosts: Vec<String> = server
                        .hosts
                        .iter()
                        .map(|h| host::split_server_host(h).1.to_ascii_lowercase())
                        .collect();
                    // Gateway and VirtualService hosts must meet.
                    if !v
                        .hosts
                        .iter()
                        .any(|h| server_hosts.iter().any(|s| host::matches(s, h)))
                    {
                        continue;
                    }
                    let vs_id = format!("{}/{}", v.obj.meta.namespace, v.obj.meta.name);
                    if passthrough {
                        for tls in &v.obj.spec.tls {
                            for m in &tls.matches {
                                if !self.l4_matches(
                                    m.port,
                                    &m.gateways,
                                    &m.source_labels,
                                    v,
                                    &gname,
                                    sport,
                                ) {
                                    continue;
                                }
                                // SNI names the server serves; each name goes to one chain only
                                // (Envoy refuses overlapping filter chain matches).
                                let names: Vec<String> = m
                                    .sni_hosts
                                    .iter()
                                    .map(|h| h.to_ascii_lowercase())
                                    .filter(|h| server_hosts.iter().any(|s| host::matches(s, h)))
                                    .filter(|h| !chains.iter().any(|c| c.server_names.contains(h)))
                                    .collect();
                                if names.is_empty() {
                                    continue;
                                }
                                let destinations =
                                    self.tcp_destinations(&tls.route, &v.obj.meta.namespace, sport);
                                if destinations.is_empty() {
                                    continue;
                                }
                                chains.push(TcpChain {
                                    name: format!("tls.{sport}.{}", names.join(",")),
                                    server_names: names,
                                    tls_passthrough: true,
                                    destinations,
                                    virtual_service: vs_id.clone(),
                                    gateway: gname.clone(),
                                    server: si,
                                });
                            }
                        }
                    } else if !chains.iter().any(|c| !c.tls_passthrough) {
                        // TCP: the first route of the first VirtualService that matches.
                        let found = v.obj.spec.tcp.iter().find(|t| {
                            t.matches.is_empty()
                                || t.matches.iter().any(|m| {
                                    self.l4_matches(
                                        m.port,
                                        &m.gateways,
                                        &m.source_labels,
                                        v,
                                        &gname,
                                        sport,
                                    )
                                })
                        });
                        if let Some(t) = found {
                            let destinations =
                                self.tcp_destinations(&t.route, &v.obj.meta.namespace, sport);
                            if !destinations.is_empty() {
                                chains.push(TcpChain {
                                    name: format!("tcp.{sport}"),
                                    server_names: Vec::new(),
                                    tls_passthrough: false,
                                    destinations,
                                    virtual_service: vs_id.clone(),
                                    gateway: gname.clone(),
                                    server: si,
                                });
                            }
                        }
                    }
                }
            }
        }
        for (port, chains) in by_port {
            if !chains.is_empty() {
                let server_ports = server_ports.remove(&port).unwrap_or_default();
                self.table.tcp_listeners.push(TcpListener {
                    port,
                    server_ports,
                    chains,
                });
            }
        }
    }
}

//! Compile: resources + proxy identity → [`RouteTable`], the way istiod builds a proxy's
//! listeners, routes and clusters. Everything decidable before a request is decided here.
//!
//! Istio sources followed: pilot/pkg/networking/core/httproute.go (sidecar vhosts),
//! gateway.go (gateway vhosts), route/route.go (route translation), pkg/model/gateway.go
//! (port resolution), pkg/model/virtualservice.go (delegates), push_context.go (DR lookup),
//! destination_rule.go (DR merge), cluster_traffic_policy.go (LB, outlier, pool).

use crate::config::{ProxyIdentity, ProxyKind};
use crate::decode::IntOrString;
use crate::diag::{Diagnostic, Severity};
use crate::host::{self, MESH_GATEWAY};
use crate::lb::{Endpoint, LbPolicy, OutlierPolicy, Selector};
use crate::model::istio::*;
use crate::registry::{labels_contain, visible, Origin, Registry, Service};
use crate::resources::{Object, Resources};
use crate::table::*;
use regex::bytes::Regex;
use std::collections::{BTreeMap, HashMap};

/// Compiles the table for one proxy. Diagnostics are things istiod would silently do that a
/// user should know (dropped routes, unusable redirect codes); they never block compiling.
pub fn compile(res: &Resources, proxy: &ProxyIdentity) -> (RouteTable, Vec<Diagnostic>) {
    let reg = Registry::build(res);
    let mut cx = Cx {
        res,
        reg: &reg,
        proxy,
        diags: Vec::new(),
        table: RouteTable {
            proxy: proxy.clone(),
            ..Default::default()
        },
        drs: DrIndex::build(res, proxy),
        missing: HashMap::new(),
    };
    cx.build_clusters();
    match proxy.kind {
        ProxyKind::Sidecar => cx.build_sidecar(),
        ProxyKind::Gateway => cx.build_gateway(),
    }
    (cx.table, cx.diags)
}

struct Cx<'a> {
    res: &'a Resources,
    reg: &'a Registry,
    proxy: &'a ProxyIdentity,
    diags: Vec<Diagnostic>,
    table: RouteTable,
    drs: DrIndex<'a>,
    /// Index of `table.missing_clusters`.
    missing: HashMap<String, u32>,
}

/// A VirtualService after short-name resolution and delegate merging.
struct Vs<'a> {
    obj: &'a Object<VirtualService>,
    hosts: Vec<String>,
    gateways: Vec<String>,
    http: Vec<HttpRoute>,
}

impl Vs<'_> {
    fn id(&self) -> String {
        format!("{}/{}", self.obj.meta.namespace, self.obj.meta.name)
    }
}

/// Creation order: creationTimestamp, then name, then namespace (`sortConfigByCreationTime`).
fn creation_key<T>(o: &Object<T>) -> (String, String, String) {
    (
        o.meta.creation_timestamp.clone().unwrap_or_default(),
        o.meta.name.clone(),
        o.meta.namespace.clone(),
    )
}

impl<'a> Cx<'a> {
    // -----------------------------------------------------------------------------------------
    // VirtualServices visible to this proxy, resolved.

    fn virtual_services(&mut self) -> Vec<Vs<'a>> {
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
            let http = self.merge_delegates(obj);
            out.push(Vs {
                obj,
                hosts,
                gateways,
                http,
            });
        }
        out
    }

    /// Expands root routes that delegate (`mergeVirtualServices`, virtualservice_controller.go):
    /// one level; a missing or invisible delegate drops that root route. Short names (destination
    /// hosts, match gateways) are resolved before merging, each with the namespace of the
    /// VirtualService that wrote them (`ResolveVirtualServiceShortnames` runs on the root and on
    /// every delegate separately).
    fn merge_delegates(&mut self, root: &Object<VirtualService>) -> Vec<HttpRoute> {
        let mut out = Vec::new();
        for (i, r) in root.spec.http.iter().enumerate() {
            let r = resolve_route_names(r, &root.meta.namespace);
            let Some(del) = &r.delegate else {
                out.push(r);
                continue;
            };
            let name = del.name.clone().unwrap_or_default();
            let ns = del
                .namespace
                .clone()
                .unwrap_or_else(|| root.meta.namespace.clone());
            let leaf =
                self.res.virtual_services.iter().find(|v| {
                    v.meta.name == name && v.meta.namespace == ns && v.spec.hosts.is_empty()
                });
            let Some(leaf) = leaf
                .filter(|l| visible(&l.spec.export_to, &l.meta.namespace, &root.meta.namespace))
            else {
                self.diags.push(self.res.diag(
                    root,
                    "MR0401",
                    Severity::Warning,
                    &format!("spec.http[{i}].delegate"),
                    format!("delegate VirtualService {ns}/{name} not found or not visible to namespace {}; istiod drops this route", root.meta.namespace),
                ));
                continue;
            };
            for (li, lr) in leaf.spec.http.iter().enumerate() {
                let lr = resolve_route_names(lr, &leaf.meta.namespace);
                match merge_http_route(&r, &lr) {
                    Some(m) => out.push(m),
                    None => self.diags.push(self.res.diag(
                        leaf,
                        "MR0403",
                        Severity::Warning,
                        &format!("spec.http[{li}].match"),
                        format!(
                            "a match of this delegate route is not within any match of root {}/{} route {i}; istiod ignores this delegate route",
                            root.meta.namespace, root.meta.name
                        ),
                    )),
                }
            }
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Clusters

    fn build_clusters(&mut self) {
        for svc in &self.reg.services {
            if !visible(&svc.export_to, &svc.namespace, &self.proxy.namespace) {
                continue;
            }
            if self.table.cluster_index.contains_key(&host::cluster_name(
                svc.ports.first().map_or(0, |p| p.port),
                "",
                &svc.hostname,
            )) {
                continue; // same hostname from another namespace: first visible wins
            }
            let dr = self.drs.lookup(&svc.hostname, &svc.namespace);
            for (pi, port) in svc.ports.iter().enumerate() {
                let eps: Vec<&crate::registry::ServiceEndpoint> =
                    svc.endpoints[pi].iter().collect();
                let policy = dr.as_ref().and_then(|d| port_policy(d.policy, port.port));
                self.push_cluster(
                    svc,
                    port.port,
                    "",
                    eps.iter().map(|e| e.endpoint.clone()).collect(),
                    policy.clone(),
                    dr.as_ref(),
                );
                if let Some(d) = &dr {
                    for subset in &d.subsets {
                        let name = subset.name.clone().unwrap_or_default();
                        let sel: Vec<Endpoint> = eps
                            .iter()
                            .filter(|e| labels_contain(&e.labels, &subset.labels))
                            .map(|e| e.endpoint.clone())
                            .collect();
                        let merged = merge_subset_policy(
                            policy.clone(),
                            subset.traffic_policy.as_ref(),
                            port.port,
                        );
                        self.push_cluster(svc, port.port, &name, sel, merged, Some(d));
                    }
                }
            }
        }
    }

    fn push_cluster(
        &mut self,
        svc: &Service,
        port: u32,
        subset: &str,
        endpoints: Vec<Endpoint>,
        policy: Option<TrafficPolicy>,
        dr: Option<&MergedDr>,
    ) {
        let name = host::cluster_name(port, subset, &svc.hostname);
        if self.table.cluster_index.contains_key(&name) {
            return;
        }
        let lb_settings = policy.as_ref().and_then(|p| p.load_balancer.as_ref());
        let (mut lb, hash) = lb_policy(lb_settings);
        let passthrough =
            svc.origin == Origin::ServiceEntry && svc.resolution == SeResolution::None;
        if passthrough {
            lb = LbPolicy::Passthrough;
        }
        let outlier = policy
            .as_ref()
            .and_then(|p| p.outlier_detection.as_ref())
            .map(outlier_policy);
        let pool = policy
            .as_ref()
            .and_then(|p| p.connection_pool.as_ref())
            .map(pool_limits);
        // Istio maps minHealthPercent to Envoy's healthy_panic_threshold (default 0 with outlier
        // detection configured; Envoy's 50% otherwise) — cluster_traffic_policy.go.
        let selector = Selector::build_with(
            lb,
            &endpoints,
            outlier.as_ref(),
            crate::lb::istio_panic_threshold(outlier.as_ref()),
        );
        let discovery =
            if passthrough || lb_settings.and_then(|l| l.simple) == Some(SimpleLb::Passthrough) {
                "ORIGINAL_DST"
            } else if svc.origin == Origin::ServiceEntry {
                match svc.resolution {
                    SeResolution::Dns => "STRICT_DNS",
                    SeResolution::DnsRoundRobin => "LOGICAL_DNS",
                    _ => "EDS",
                }
            } else {
                "EDS"
            };
        let idx = self.table.clusters.len() as u32;
        self.table.cluster_index.insert(name.clone(), idx);
        self.table.clusters.push(Cluster {
            name,
            service: svc.hostname.clone(),
            port,
            subset: subset.to_string(),
            endpoints,
            selector,
            hash,
            outlier,
            pool,
            destination_rule: dr.map(|d| d.names.join(",")),
            discovery,
        });
    }

    fn cluster_ref(&mut self, name: String) -> ClusterRef {
        if let Some(&i) = self.table.cluster_index.get(&name) {
            return ClusterRef::Known(i);
        }
        if let Some(&i) = self.missing.get(&name) {
            return ClusterRef::Missing(i);
        }
        let i = self.table.missing_clusters.len() as u32;
        self.missing.insert(name.clone(), i);
        self.table.missing_clusters.push(name);
        ClusterRef::Missing(i)
    }

    // -----------------------------------------------------------------------------------------
    // Sidecar: a route configuration per HTTP service port (httproute.go).

    fn build_sidecar(&mut self) {
        let vss: Vec<Vs> = self
            .virtual_services()
            .into_iter()
            .filter(|v| v.gateways.iter().any(|g| g == MESH_GATEWAY))
            .collect();
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
                }],
                require_tls: false,
            });
            let rc = self.table.route_configs.len();
            self.table
                .route_configs
                .push(RouteConfig::new(port.to_string(), vhosts));
            self.table
                .listener_index
                .insert(port, self.table.listeners.len());
            self.table.listeners.push(Listener {
                name: format!("0.0.0.0_{port}"),
                port,
                route_config: rc,
                route_config_name: port.to_string(),
                server_ports: vec![port],
                gateways: vec![MESH_GATEWAY.into()],
            });
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
        }
    }

    // -----------------------------------------------------------------------------------------
    // Gateway (gateway.go, model/gateway.go)

    fn build_gateway(&mut self) {
        let mut gws: Vec<&Object<Gateway>> = self
            .res
            .gateways
            .iter()
            .filter(|g| labels_contain(&self.proxy.labels, &g.spec.selector))
            .collect();
        gws.sort_by_key(|g| creation_key(g));
        let vss = self.virtual_services();
        // listener port → (server port numbers, servers)
        let mut by_listener: BTreeMap<u32, Vec<(&Object<Gateway>, usize)>> = BTreeMap::new();
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
                let http = match proto {
                    crate::registry::Protocol::Http
                    | crate::registry::Protocol::Http2
                    | crate::registry::Protocol::Grpc
                    | crate::registry::Protocol::GrpcWeb => true,
                    // HTTPS terminated at the gateway carries HTTP routes (TLS itself is not
                    // performed by meshroute; validation warns).
                    crate::registry::Protocol::Https => !matches!(
                        tls_mode,
                        Some(ServerTlsMode::Passthrough) | Some(ServerTlsMode::AutoPassthrough)
                    ),
                    _ => false,
                };
                if !http {
                    continue;
                }
                let lport = self.resolve_gateway_port(number);
                by_listener.entry(lport).or_default().push((g, si));
            }
        }
        for (lport, servers) in by_listener {
            let mut vhosts: Vec<VirtualHost> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            let mut server_ports = Vec::new();
            let mut gateway_names = Vec::new();
            for (g, si) in &servers {
                let server = &g.spec.servers[*si];
                let sport = server.port.as_ref().and_then(|p| p.number).unwrap_or(0) as u32;
                if !server_ports.contains(&sport) {
                    server_ports.push(sport);
                }
                let gname = format!("{}/{}", g.meta.namespace, g.meta.name);
                if !gateway_names.contains(&gname) {
                    gateway_names.push(gname.clone());
                }
                let https_redirect = server
                    .tls
                    .as_ref()
                    .and_then(|t| t.https_redirect)
                    .unwrap_or(false);
                for v in vss.iter().filter(|v| v.gateways.contains(&gname)) {
                    let server_hosts = names_for_namespace(
                        &server.hosts,
                        &v.obj.meta.namespace,
                        &g.meta.namespace,
                    );
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
            // Catch-all routes move last, keeping the relative order of the rest (SortVHostRoutes).
            for vh in &mut vhosts {
                let (rest, catch): (Vec<Route>, Vec<Route>) = std::mem::take(&mut vh.routes)
                    .into_iter()
                    .partition(|r| !r.matcher.is_catch_all());
                vh.routes = rest;
                vh.routes.extend(catch);
            }
            if vhosts.is_empty() {
                // No VirtualService bound: a blackhole vhost with no routes ⇒ 404.
                vhosts.push(VirtualHost {
                    name: format!(
                        "blackhole:{}",
                        server_ports.first().copied().unwrap_or(lport)
                    ),
                    domains: vec!["*".into()],
                    routes: Vec::new(),
                    require_tls: false,
                });
            }
            let rc_name = format!("http.{lport}");
            let rc = self.table.route_configs.len();
            self.table
                .route_configs
                .push(RouteConfig::new(rc_name.clone(), vhosts));
            self.table
                .listener_index
                .insert(lport, self.table.listeners.len());
            self.table.listeners.push(Listener {
                name: format!("0.0.0.0_{lport}"),
                port: lport,
                route_config: rc,
                route_config_name: rc_name,
                server_ports,
                gateways: gateway_names,
            });
        }
    }

    /// `resolvePorts` (model/gateway.go): a server port equal to a port of a Service selecting
    /// this gateway's pods listens on that port's targetPort.
    fn resolve_gateway_port(&self, number: u32) -> u32 {
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
    // Route translation (route.go BuildHTTPRoutesForVirtualService / TranslateRoute)

    fn translate_vs(&mut self, vs: &Vs, port: u32, gateway: &str, is_tls: bool) -> Vec<Route> {
        let mut out = Vec::new();
        let vs_id = vs.id();
        'rules: for (ri, rule) in vs.http.iter().enumerate() {
            let base = format!("spec.http[{ri}]");
            if rule.matches.is_empty() {
                if let Some(r) =
                    self.translate_route(vs, &vs_id, rule, None, port, gateway, is_tls, &base)
                {
                    out.push(r);
                }
                break 'rules;
            }
            for (mi, m) in rule.matches.iter().enumerate() {
                if let Some(r) = self.translate_route(
                    vs,
                    &vs_id,
                    rule,
                    Some((mi, m)),
                    port,
                    gateway,
                    is_tls,
                    &base,
                ) {
                    let catch_all = r.matcher.is_catch_all();
                    out.push(r);
                    if catch_all {
                        break 'rules;
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn translate_route(
        &mut self,
        vs: &Vs,
        vs_id: &str,
        rule: &HttpRoute,
        m: Option<(usize, &HttpMatchRequest)>,
        port: u32,
        gateway: &str,
        is_tls: bool,
        base: &str,
    ) -> Option<Route> {
        // Static predicates, decided per proxy and port (route.go TranslateRoute and
        // sourceMatchHTTP): match.port against the port the route is built for; then, when the
        // match names gateways, only the gateway check — sourceLabels and sourceNamespace are
        // ignored — else sourceLabels ⊆ proxy labels and sourceNamespace == proxy namespace.
        if let Some((_, m)) = m {
            if m.port.is_some_and(|p| p != 0 && p != i64::from(port)) {
                return None;
            }
            if !m.gateways.is_empty() {
                // Already resolved with the namespace of the VirtualService that wrote them.
                if !m.gateways.iter().any(|g| g == gateway) {
                    return None;
                }
            } else {
                if !labels_contain(&self.proxy.labels, &m.source_labels) {
                    return None;
                }
                if m.source_namespace
                    .as_deref()
                    .is_some_and(|n| !n.is_empty() && n != self.proxy.namespace)
                {
                    return None;
                }
            }
        }
        let matcher = match m {
            Some((_, m)) => compile_match(m)?,
            None => RouteMatch::catch_all(),
        };
        let name = match (rule.name.as_deref(), m.and_then(|(_, m)| m.name.as_deref())) {
            (Some(r), Some(mn)) => format!("{r}.{mn}"),
            (Some(r), None) => r.to_string(),
            (None, Some(mn)) => mn.to_string(),
            (None, None) => String::new(),
        };
        let ns = vs.obj.meta.namespace.clone();
        let action = if let Some(rd) = &rule.redirect {
            let code = match rd.redirect_code.unwrap_or(0) {
                0 | 301 => 301,
                c @ (302 | 303 | 307 | 308) => c as u16,
                other => {
                    self.diags.push(self.res.diag(
                        vs.obj,
                        "MR0402",
                        Severity::Warning,
                        &format!("{base}.redirect.redirectCode"),
                        format!("redirectCode {other} is not one Envoy supports (301, 302, 303, 307, 308); istiod drops this route"),
                    ));
                    return None;
                }
            };
            // route.go ApplyRedirect: FROM_REQUEST_PORT is the port the route is built for
            // (gateway: the server port); an explicit or derived port equal to the scheme's
            // default (80 for http, 443 for https; the scheme defaults to https on a TLS server)
            // is not written.
            let mut port = match (rd.port, rd.derive_port) {
                (Some(p), _) if p > 0 => Some(p as u32),
                (_, Some(RedirectPortSelection::FromRequestPort)) => Some(port),
                _ => None,
            };
            if port.is_some() || rd.derive_port.is_some() {
                let scheme = match rd.scheme.as_deref() {
                    Some(s) if !s.is_empty() => s,
                    _ if is_tls => "https",
                    _ => "http",
                };
                if (port == Some(80) && scheme == "http")
                    || (port == Some(443) && scheme == "https")
                {
                    port = None;
                }
            }
            Action::Redirect(RedirectAction {
                uri: rd.uri.clone(),
                prefix_rewrite: rd.prefix_rewrite.clone(),
                authority: rd.authority.clone(),
                scheme: rd.scheme.clone().filter(|s| !s.is_empty()),
                port,
                code,
            })
        } else if let Some(dr) = &rule.direct_response {
            Action::DirectResponse {
                status: dr.status.unwrap_or(200).clamp(200, 600) as u16,
                body: dr.body.as_ref().and_then(|b| {
                    b.string
                        .clone()
                        .or_else(|| b.bytes.as_deref().map(decode_base64))
                }),
            }
        } else if !rule.route.is_empty() {
            let single = rule.route.len() == 1;
            let mut dests = Vec::new();
            for d in &rule.route {
                let w = d.weight.unwrap_or(0).max(0) as u32;
                if !single && w == 0 {
                    continue; // 0-weight destinations are dropped when there are several
                }
                let Some(dest) = &d.destination else { continue };
                let cluster_name = self.destination_cluster(dest, &ns, port);
                let cluster = self.cluster_ref(cluster_name.clone());
                let (rq, rs, authority) = header_ops(d.headers.as_ref());
                dests.push(WeightedDest {
                    cluster,
                    cluster_name,
                    weight: if single { 100 } else { w },
                    request_headers: rq,
                    response_headers: rs,
                    authority,
                });
            }
            if dests.is_empty() {
                return None;
            }
            Action::Forward(dests)
        } else {
            return None;
        };
        let (request_headers, response_headers, header_authority) =
            header_ops(rule.headers.as_ref());
        let mut extras = RouteExtras {
            request_headers,
            response_headers,
            ..Default::default()
        };
        if let Some(rw) = &rule.rewrite {
            if let Some(rr) = &rw.uri_regex_rewrite {
                if let (Some(p), Some(r)) = (&rr.pattern, &rr.rewrite) {
                    if let Ok(re) = Regex::new(p) {
                        extras.uri_rewrite = Some(UriRewrite::Regex(re, go_to_rust_replacement(r)));
                    }
                }
            } else if let Some(u) = rw.uri.as_ref().filter(|u| !u.is_empty()) {
                extras.uri_rewrite = Some(UriRewrite::Prefix(u.clone()));
            }
            extras.authority_rewrite = rw.authority.clone().filter(|a| !a.is_empty());
        }
        if extras.authority_rewrite.is_none() {
            extras.authority_rewrite = header_authority;
        }
        // Fault and CORS are per-route filter configs whatever the action (route.go
        // TranslateRoute); timeout, retries and mirrors belong to the route action
        // (applyHTTPRouteDestination).
        extras.fault = rule.fault.as_ref().and_then(fault_spec);
        extras.cors = rule.cors_policy.as_ref().map(cors_spec);
        if matches!(action, Action::Forward(_)) {
            extras.timeout_ms = rule.timeout.map_or(0, |d| d.as_millis().max(0) as u64);
            extras.retry = retry_spec(rule.retries.as_ref());
            extras.mirrors = self.mirrors(rule, &ns, port);
        }
        Some(Route {
            name,
            virtual_service: Some(vs_id.to_string()),
            matcher,
            action,
            extras,
        })
    }

    fn mirrors(&mut self, rule: &HttpRoute, ns: &str, port: u32) -> Vec<MirrorSpec> {
        let mut out = Vec::new();
        let pct = |p: Option<&Percent>, legacy: Option<i64>| -> u32 {
            match (p, legacy) {
                (Some(p), _) => percent_per_million(p.value.unwrap_or(0.0)),
                (None, Some(l)) => percent_per_million(l as f64),
                (None, None) => 1_000_000,
            }
        };
        if let Some(m) = &rule.mirror {
            let name = self.destination_cluster(m, ns, port);
            let per_million = pct(rule.mirror_percentage.as_ref(), rule.mirror_percent);
            if per_million > 0 {
                let cluster = self.cluster_ref(name.clone());
                out.push(MirrorSpec {
                    cluster,
                    cluster_name: name,
                    per_million,
                });
            }
        }
        for m in &rule.mirrors {
            let Some(d) = &m.destination else { continue };
            let name = self.destination_cluster(d, ns, port);
            let per_million = pct(m.percentage.as_ref(), None);
            if per_million > 0 {
                let cluster = self.cluster_ref(name.clone());
                out.push(MirrorSpec {
                    cluster,
                    cluster_name: name,
                    per_million,
                });
            }
        }
        out
    }

    /// `GetDestinationCluster` (route.go): explicit port; else the service's only port (gateway);
    /// else the port the route is built for.
    fn destination_cluster(&self, d: &Destination, ns: &str, port: u32) -> String {
        let h = host::resolve_short_name(d.host.as_deref().unwrap_or(""), ns);
        let explicit = d
            .port
            .as_ref()
            .and_then(|p| p.number)
            .filter(|n| *n > 0)
            .map(|n| n as u32);
        let p = explicit.unwrap_or_else(|| {
            let svc = self.reg.lookup(&h, &self.proxy.namespace, ns);
            match (self.proxy.kind, svc) {
                // On a sidecar the route config for port P only knows services with port P.
                (ProxyKind::Gateway, Some(s)) if s.ports.len() == 1 => s.ports[0].port,
                _ => port,
            }
        });
        host::cluster_name(p, d.subset.as_deref().unwrap_or(""), &h)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// `host.NamesForNamespace`: server hosts a VirtualService in `vs_ns` may bind.
fn names_for_namespace(server_hosts: &[String], vs_ns: &str, gw_ns: &str) -> Vec<String> {
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
fn intersection(a: &[String], b: &[String]) -> Vec<String> {
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

fn compile_str(m: &StringMatch, allow_present: bool) -> Option<StrMatch> {
    if let Some(e) = &m.exact {
        return Some(StrMatch::Exact(e.clone()));
    }
    if let Some(p) = &m.prefix {
        return Some(StrMatch::Prefix(p.clone()));
    }
    if let Some(r) = &m.regex {
        if allow_present && r == "*" {
            return Some(StrMatch::Present);
        }
        return Regex::new(&format!("^(?:{r})$"))
            .ok()
            .map(|re| StrMatch::Regex(re, r.clone()));
    }
    allow_present.then_some(StrMatch::Present)
}

/// `TranslateRouteMatch` (route.go). `None` when a regex does not compile (validation rejects
/// such a resource, so this only happens for unvalidated input).
fn compile_match(m: &HttpMatchRequest) -> Option<RouteMatch> {
    let case_sensitive = !m.ignore_uri_case.unwrap_or(false);
    let path = match &m.uri {
        None => PathMatch::Prefix("/".into()),
        Some(u) => match (&u.exact, &u.prefix, &u.regex) {
            (Some(e), _, _) => PathMatch::Exact(if case_sensitive {
                e.clone()
            } else {
                e.to_ascii_lowercase()
            }),
            (_, Some(p), _) => PathMatch::Prefix(if case_sensitive {
                p.clone()
            } else {
                p.to_ascii_lowercase()
            }),
            (_, _, Some(r)) => PathMatch::Regex(Regex::new(&format!("^(?:{r})$")).ok()?, r.clone()),
            _ => PathMatch::Prefix("/".into()),
        },
    };
    let mut headers = Vec::new();
    let mut never = false;
    for (pseudo, sm) in [
        (":scheme", &m.scheme),
        (":method", &m.method),
        (":authority", &m.authority),
    ] {
        if let Some(sm) = sm {
            headers.push(HeaderMatcher {
                name: pseudo.into(),
                // translateHeaderMatch: `{}` or `regex: "*"` is a presence match here too.
                matcher: compile_str(sm, true)?,
                invert: false,
                missing_as_empty: false,
            });
        }
    }
    for (name, sm) in &m.headers {
        if name.starts_with("@request.auth.claims") {
            never = true;
            continue;
        }
        headers.push(HeaderMatcher {
            name: name.to_ascii_lowercase(),
            matcher: compile_str(sm, true)?,
            invert: false,
            missing_as_empty: false,
        });
    }
    for (name, sm) in &m.without_headers {
        let matcher = compile_str(sm, true)?;
        let missing_as_empty = !matches!(matcher, StrMatch::Present);
        headers.push(HeaderMatcher {
            name: name.to_ascii_lowercase(),
            matcher,
            invert: true,
            missing_as_empty,
        });
    }
    let mut query = Vec::new();
    for (name, sm) in &m.query_params {
        query.push(QueryMatcher {
            name: name.clone(),
            matcher: compile_str(sm, true)?,
        });
    }
    Some(RouteMatch {
        path,
        case_sensitive,
        headers,
        query,
        never,
    })
}

/// Route- or destination-level header operations; `:authority`/`host` in request set/add become
/// an authority rewrite (set wins over add) and are dropped from the lists (route.go
/// `translateAppendHeaders`).
fn header_ops(h: Option<&Headers>) -> (HeaderOps, HeaderOps, Option<String>) {
    let mut rq = HeaderOps::default();
    let mut rs = HeaderOps::default();
    let mut authority = None;
    let Some(h) = h else {
        return (rq, rs, authority);
    };
    let is_auth = |k: &str| k.eq_ignore_ascii_case(":authority") || k.eq_ignore_ascii_case("host");
    // meshroute's own steering headers are never touched by a VirtualService (MR0203).
    let reserved = crate::validate::is_reserved_header;
    if let Some(r) = &h.request {
        for (k, v) in &r.add {
            if is_auth(k) {
                authority = Some(v.clone());
            } else if !k.starts_with(':') && !reserved(k) {
                rq.add.push((k.to_ascii_lowercase(), v.clone()));
            }
        }
        for (k, v) in &r.set {
            if is_auth(k) {
                authority = Some(v.clone());
            } else if !k.starts_with(':') && !reserved(k) {
                rq.set.push((k.to_ascii_lowercase(), v.clone()));
            }
        }
        rq.remove = r
            .remove
            .iter()
            .filter(|k| !k.starts_with(':') && !is_auth(k) && !reserved(k))
            .map(|k| k.to_ascii_lowercase())
            .collect();
    }
    if let Some(r) = &h.response {
        rs.set = r
            .set
            .iter()
            .filter(|(k, _)| !k.starts_with(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        rs.add = r
            .add
            .iter()
            .filter(|(k, _)| !k.starts_with(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        rs.remove = r
            .remove
            .iter()
            .filter(|k| !k.starts_with(':'))
            .map(|k| k.to_ascii_lowercase())
            .collect();
    }
    (rq, rs, authority)
}

/// Istio's default retry policy (`retry.go` `defaultPolicy`): 2 retries on connect-failure,
/// refused-stream, unavailable, cancelled and retriable 503s.
pub fn default_retry() -> RetrySpec {
    RetrySpec {
        num_retries: 2,
        retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
            .into(),
        retriable_status_codes: vec![503],
        per_try_timeout_ms: None,
        is_default: true,
        previous_hosts: true,
    }
}

/// `retry.ConvertPolicy`: unset ⇒ default; attempts ≤ 0 ⇒ disabled; integers in retryOn become
/// retriable status codes (and `retriable-status-codes` is appended).
fn retry_spec(r: Option<&HttpRetry>) -> Option<RetrySpec> {
    let Some(r) = r else {
        return Some(default_retry());
    };
    let attempts = r.attempts.unwrap_or(0);
    if attempts <= 0 {
        return None;
    }
    let mut out = default_retry();
    out.is_default = false;
    out.num_retries = attempts.min(u32::MAX as i64) as u32;
    if let Some(on) = r.retry_on.as_deref().filter(|s| !s.is_empty()) {
        let mut words = Vec::new();
        let mut codes = Vec::new();
        for t in on.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match t.parse::<u32>() {
                Ok(c) => codes.push(c),
                Err(_) => words.push(t.to_string()),
            }
        }
        if !codes.is_empty() && !words.iter().any(|w| w == "retriable-status-codes") {
            words.push("retriable-status-codes".into());
        }
        out.retry_on = words.join(",");
        out.retriable_status_codes = codes;
    }
    out.per_try_timeout_ms = r.per_try_timeout.map(|d| d.as_millis().max(0) as u64);
    // retry.go: `retryIgnorePreviousHosts: false` removes the previous_hosts predicate.
    out.previous_hosts = r.retry_ignore_previous_hosts != Some(false);
    Some(out)
}

fn percent_per_million(v: f64) -> u32 {
    (v.clamp(0.0, 100.0) * 10_000.0).round() as u32
}

/// `TranslateFault` (route.go).
fn fault_spec(f: &HttpFaultInjection) -> Option<FaultSpec> {
    let mut out = FaultSpec {
        delay_ms: None,
        delay_per_million: 0,
        abort_status: None,
        abort_grpc_status: None,
        abort_per_million: 0,
    };
    if let Some(d) = &f.delay {
        if let Some(fd) = d.fixed_delay {
            out.delay_ms = Some(fd.as_millis().max(0) as u64);
            out.delay_per_million = match (&d.percentage, d.percent) {
                (Some(p), _) => percent_per_million(p.value.unwrap_or(0.0)),
                (None, Some(p)) => percent_per_million(p as f64),
                (None, None) => 0,
            };
        }
    }
    if let Some(a) = &f.abort {
        out.abort_per_million = a
            .percentage
            .as_ref()
            .map_or(0, |p| percent_per_million(p.value.unwrap_or(0.0)));
        if let Some(s) = a.http_status {
            out.abort_status = Some(s.clamp(200, 600) as u16);
        } else if let Some(g) = &a.grpc_status {
            out.abort_grpc_status = grpc_code(g);
            out.abort_status = Some(200);
        }
    }
    Some(out)
}

/// gRPC status names → codes (google.golang.org/grpc/codes); the names are listed in code
/// order.
pub fn grpc_code(name: &str) -> Option<u32> {
    crate::validate::common::GRPC_STATUS_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| i as u32)
}

fn cors_spec(c: &CorsPolicy) -> CorsSpec {
    let mut allow_origins: Vec<StrMatch> = c
        .allow_origin
        .iter()
        .map(|o| StrMatch::Exact(o.clone()))
        .collect();
    allow_origins.extend(c.allow_origins.iter().filter_map(|m| compile_str(m, false)));
    CorsSpec {
        allow_origins,
        allow_methods: c.allow_methods.join(","),
        allow_headers: c.allow_headers.join(","),
        expose_headers: c.expose_headers.join(","),
        max_age: c.max_age.map(|d| (d.nanos / 1_000_000_000).to_string()),
        allow_credentials: c.allow_credentials.unwrap_or(false),
        ignore_unmatched_preflights: c.unmatched_preflights == Some(UnmatchedPreflights::Ignore),
    }
}

/// Envoy's RE2 substitution (`\1` back-references, everything else literal; Istio passes
/// `uriRegexRewrite.rewrite` through unchanged) → the regex crate's syntax (`${1}`, `$$`).
fn go_to_rust_replacement(r: &str) -> String {
    let mut out = String::new();
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn decode_base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for b in s.bytes() {
        let Some(v) = T.iter().position(|&t| t == b) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// exportTo group of a VirtualService for a proxy namespace: 0 private to it, 1 exported to it,
/// 2 public; `None` when not visible (push_context.go initVirtualServices: `*` makes it public
/// and wins over everything, `~` hides it, `.` means its own namespace).
fn vs_visibility_group(export_to: &[String], vs_ns: &str, proxy_ns: &str) -> Option<u8> {
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
fn resolve_route_names(r: &HttpRoute, ns: &str) -> HttpRoute {
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

/// Delegate merge (`mergeHTTPRoute`, virtualservice.go): leaf fields win, root fills the rest.
/// `None` when the delegate route conflicts with the root (then istiod ignores it).
fn merge_http_route(root: &HttpRoute, leaf: &HttpRoute) -> Option<HttpRoute> {
    let matches = merge_http_matches(&root.matches, &leaf.matches)?;
    let mut out = leaf.clone();
    out.delegate = None;
    out.matches = matches;
    macro_rules! fill {
        ($($f:ident),*) => {$( if out.$f.is_none() { out.$f = root.$f.clone(); } )*};
    }
    fill!(
        rewrite,
        direct_response,
        timeout,
        retries,
        fault,
        mirror,
        mirror_percentage,
        mirror_percent,
        cors_policy,
        headers
    );
    if out.mirrors.is_empty() {
        out.mirrors = root.mirrors.clone();
    }
    out.name = join_names(root.name.as_deref(), leaf.name.as_deref());
    Some(out)
}

/// `root-leaf`, or whichever is set.
fn join_names(root: Option<&str>, leaf: Option<&str>) -> Option<String> {
    match (
        root.filter(|r| !r.is_empty()),
        leaf.filter(|l| !l.is_empty()),
    ) {
        (Some(r), Some(l)) => Some(format!("{r}-{l}")),
        (Some(r), None) => Some(r.to_string()),
        (None, l) => l.map(str::to_string),
    }
}

/// `mergeHTTPMatchRequests` (virtualservice.go): every delegate match must fit at least one root
/// match, else the whole delegate route conflicts; the result lists, per delegate match in order,
/// its merge with each non-conflicting root match.
fn merge_http_matches(
    root: &[HttpMatchRequest],
    leaf: &[HttpMatchRequest],
) -> Option<Vec<HttpMatchRequest>> {
    if root.is_empty() {
        return Some(leaf.to_vec());
    }
    if leaf.is_empty() {
        return Some(root.to_vec());
    }
    let mut out = Vec::new();
    for lm in leaf {
        let mut found = false;
        for rm in root {
            if has_conflict(rm, lm) {
                continue;
            }
            out.push(merge_http_match(rm, lm));
            found = true;
        }
        if !found {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `mergeHTTPMatchRequest`: the delegate's fields win; maps merged with the delegate winning.
fn merge_http_match(rm: &HttpMatchRequest, lm: &HttpMatchRequest) -> HttpMatchRequest {
    let mut m = lm.clone();
    m.name = join_names(rm.name.as_deref(), lm.name.as_deref());
    if m.uri.is_none() {
        m.uri = rm.uri.clone();
    }
    if m.scheme.is_none() {
        m.scheme = rm.scheme.clone();
    }
    if m.method.is_none() {
        m.method = rm.method.clone();
    }
    if m.authority.is_none() {
        m.authority = rm.authority.clone();
    }
    if m.port.unwrap_or(0) == 0 {
        m.port = rm.port;
    }
    if m.source_namespace.as_deref().unwrap_or("").is_empty() {
        m.source_namespace = rm.source_namespace.clone();
    }
    if m.gateways.is_empty() {
        m.gateways = rm.gateways.clone();
    }
    if m.stat_prefix.is_none() {
        m.stat_prefix = rm.stat_prefix.clone();
    }
    for (k, v) in &rm.headers {
        m.headers.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &rm.without_headers {
        m.without_headers
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    for (k, v) in &rm.query_params {
        m.query_params.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &rm.source_labels {
        m.source_labels
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    m
}

/// `stringMatchConflict` (virtualservice.go), including its quirks: a root match with no
/// exact/prefix/regex value (e.g. `{}` or `prefix: ""`) conflicts with any leaf match.
fn string_match_conflict(root: Option<&StringMatch>, leaf: Option<&StringMatch>) -> bool {
    let (Some(r), Some(l)) = (root, leaf) else {
        return false;
    };
    fn nz(o: &Option<String>) -> Option<&str> {
        o.as_deref().filter(|s| !s.is_empty())
    }
    let (re, rp, rr) = (nz(&r.exact), nz(&r.prefix), nz(&r.regex));
    let (le, lp, lr) = (nz(&l.exact), nz(&l.prefix), nz(&l.regex));
    if rr.is_some() && (lr.is_some() || lp.is_some() || le.is_some()) {
        return true;
    }
    if lr.is_some() && (rr.is_some() || rp.is_some() || re.is_some()) {
        return true;
    }
    if let Some(exact) = re {
        return lp.is_some() || le != Some(exact);
    }
    if let Some(prefix) = rp {
        if let Some(p) = lp {
            return !p.starts_with(prefix);
        }
        if let Some(e) = le {
            return !e.starts_with(prefix);
        }
    }
    true
}

/// `hasConflict` (virtualservice.go).
fn has_conflict(root: &HttpMatchRequest, leaf: &HttpMatchRequest) -> bool {
    if string_match_conflict(root.uri.as_ref(), leaf.uri.as_ref())
        || string_match_conflict(root.scheme.as_ref(), leaf.scheme.as_ref())
        || string_match_conflict(root.method.as_ref(), leaf.method.as_ref())
        || string_match_conflict(root.authority.as_ref(), leaf.authority.as_ref())
    {
        return true;
    }
    if leaf
        .headers
        .iter()
        .any(|(k, l)| string_match_conflict(root.headers.get(k), Some(l)))
        || leaf
            .without_headers
            .iter()
            .any(|(k, l)| string_match_conflict(root.without_headers.get(k), Some(l)))
        || leaf
            .query_params
            .iter()
            .any(|(k, l)| string_match_conflict(root.query_params.get(k), Some(l)))
    {
        return true;
    }
    if root.ignore_uri_case.unwrap_or(false) != leaf.ignore_uri_case.unwrap_or(false) {
        return true;
    }
    let (rp, lp) = (root.port.unwrap_or(0), leaf.port.unwrap_or(0));
    if rp > 0 && lp > 0 && rp != lp {
        return true;
    }
    let rns = root.source_namespace.as_deref().unwrap_or("");
    if !rns.is_empty() && leaf.source_namespace.as_deref().unwrap_or("") != rns {
        return true;
    }
    if leaf
        .source_labels
        .iter()
        .any(|(k, v)| root.source_labels.get(k).is_some_and(|rv| rv != v))
    {
        return true;
    }
    if !root.gateways.is_empty()
        && !leaf.gateways.is_empty()
        && (root.gateways.len() < leaf.gateways.len()
            || leaf.gateways.iter().any(|g| !root.gateways.contains(g)))
    {
        return true;
    }
    false
}

// ---------------------------------------------------------------------------------------------
// DestinationRules

struct MergedDr<'a> {
    names: Vec<String>,
    policy: Option<&'a TrafficPolicy>,
    subsets: Vec<&'a Subset>,
}

struct DrIndex<'a> {
    /// Rules in precedence order (selector first, then creation time), resolved host first.
    drs: Vec<(String, &'a Object<DestinationRule>)>,
    /// Per index set of `setDestinationRules` (local, private-only, exported), per namespace.
    sets: [HashMap<String, NsDrs>; 3],
    proxy_ns: String,
}

const LOCAL: usize = 0;
const PRIVATE_ONLY: usize = 1;
const EXPORTED: usize = 2;

/// Rules of one namespace in one index set, by host, so a lookup costs the rules for that host
/// plus the namespace's wildcard hosts — not every rule (compile stays linear).
#[derive(Default)]
struct NsDrs {
    /// host → indices into `DrIndex::drs`, in precedence order.
    by_host: HashMap<String, Vec<usize>>,
    wildcards: Vec<String>,
}

impl NsDrs {
    /// `MostSpecificHostMatch`: the exact host, else the most specific wildcard.
    fn most_specific(&self, hostname: &str) -> Option<&str> {
        if let Some((h, _)) = self.by_host.get_key_value(hostname) {
            return Some(h);
        }
        let bare = hostname.strip_prefix('*').unwrap_or(hostname);
        let mut best: Option<&str> = None;
        for w in &self.wildcards {
            if bare.ends_with(&w[1..]) && best.is_none_or(|b| host::more_specific(w, b)) {
                best = Some(w);
            }
        }
        best
    }
}

impl<'a> DrIndex<'a> {
    fn build(res: &'a Resources, proxy: &ProxyIdentity) -> DrIndex<'a> {
        let mut drs: Vec<(String, &Object<DestinationRule>)> = res
            .destination_rules
            .iter()
            .filter(|d| match &d.spec.workload_selector {
                // workloadSelector DRs apply only to matching workloads in their own namespace.
                Some(ws) => {
                    d.meta.namespace == proxy.namespace
                        && labels_contain(&proxy.labels, &ws.match_labels)
                }
                None => true,
            })
            .map(|d| {
                (
                    host::resolve_short_name(
                        d.spec.host.as_deref().unwrap_or(""),
                        &d.meta.namespace,
                    ),
                    d,
                )
            })
            .collect();
        // selector-first, then creation time (sortConfigBySelectorAndCreationTime).
        drs.sort_by_key(|(_, d)| (d.spec.workload_selector.is_none(), creation_key(d)));
        // setDestinationRules (push_context.go): which index sets a rule lands in.
        let mut sets: [HashMap<String, NsDrs>; 3] = Default::default();
        for (i, (h, d)) in drs.iter().enumerate() {
            let ns = d.meta.namespace.as_str();
            let e = &d.spec.export_to;
            let private_only =
                d.spec.workload_selector.is_some() || (e.len() == 1 && (e[0] == "." || e[0] == ns));
            let local = d.spec.workload_selector.is_some()
                || e.is_empty()
                || e.iter().any(|x| x == "*" || x == "." || x == ns);
            for (set, member) in [
                (LOCAL, local),
                (PRIVATE_ONLY, private_only),
                (EXPORTED, !private_only),
            ] {
                if !member {
                    continue;
                }
                let nd = sets[set].entry(ns.to_string()).or_default();
                let list = nd.by_host.entry(h.clone()).or_default();
                if list.is_empty() && host::is_wildcard(h) {
                    nd.wildcards.push(h.clone());
                }
                list.push(i);
            }
        }
        DrIndex {
            drs,
            sets,
            proxy_ns: proxy.namespace.clone(),
        }
    }

    /// `PushContext.destinationRule` (push_context.go): (1) the proxy namespace's local rules —
    /// or, for a proxy in the root namespace, only the root namespace's private rules; (2) rules
    /// the service's namespace exports to the proxy's; (3) rules the root namespace exports to
    /// it. Within a step the most specific host wins (`MostSpecificHostMatch`) and rules for that
    /// exact host are merged (`mergeDestinationRule`).
    fn lookup(&self, hostname: &str, svc_ns: &str) -> Option<MergedDr<'a>> {
        let proxy_ns = self.proxy_ns.as_str();
        let root = host::ROOT_NAMESPACE;
        let steps: [(&str, usize, bool); 3] = [
            if proxy_ns != root {
                (proxy_ns, LOCAL, false)
            } else {
                (root, PRIVATE_ONLY, false)
            },
            (svc_ns, EXPORTED, true),
            (root, EXPORTED, true),
        ];
        for (ns, set, check_export) in steps {
            let Some(nd) = self.sets[set].get(ns) else {
                continue;
            };
            let Some(chosen) = nd.most_specific(hostname) else {
                continue;
            };
            let mut merged = MergedDr {
                names: Vec::new(),
                policy: None,
                subsets: Vec::new(),
            };
            for &i in nd.by_host.get(chosen).map_or(&[][..], Vec::as_slice) {
                let d = self.drs[i].1;
                // getExportedDestinationRuleFromNamespace: the chosen rules must be exported to
                // the proxy's namespace, else this step yields nothing.
                if check_export && !visible(&d.spec.export_to, &d.meta.namespace, proxy_ns) {
                    continue;
                }
                merged
                    .names
                    .push(format!("{}/{}", d.meta.namespace, d.meta.name));
                // First top-level trafficPolicy wins; subsets concatenated, first definition of
                // a name wins (destination_rule.go mergeDestinationRule).
                if merged.policy.is_none() {
                    merged.policy = d.spec.traffic_policy.as_ref();
                }
                for s in &d.spec.subsets {
                    if !merged.subsets.iter().any(|x| x.name == s.name) {
                        merged.subsets.push(s);
                    }
                }
            }
            if merged.names.is_empty() {
                continue;
            }
            return Some(merged);
        }
        None
    }
}

/// `GetPortLevelTrafficPolicy`: a port-level entry replaces the four blocks wholesale.
fn port_policy(policy: Option<&TrafficPolicy>, port: u32) -> Option<TrafficPolicy> {
    let p = policy?;
    let mut out = p.clone();
    apply_port_level(&mut out, p, port);
    Some(out)
}

/// If `from` has a port-level entry for `port`, its four blocks replace `out`'s wholesale
/// (absent blocks included). Returns whether there was one.
fn apply_port_level(out: &mut TrafficPolicy, from: &TrafficPolicy, port: u32) -> bool {
    let Some(pl) = from
        .port_level_settings
        .iter()
        .find(|pl| pl.port.as_ref().and_then(|x| x.number) == Some(i64::from(port)))
    else {
        return false;
    };
    out.load_balancer = pl.load_balancer.clone();
    out.connection_pool = pl.connection_pool.clone();
    out.outlier_detection = pl.outlier_detection.clone();
    out.tls = pl.tls.clone();
    true
}

/// `MergeSubsetTrafficPolicy`: subset blocks replace the DR's per block; a subset port-level
/// entry for this port replaces all four.
fn merge_subset_policy(
    base: Option<TrafficPolicy>,
    subset: Option<&TrafficPolicy>,
    port: u32,
) -> Option<TrafficPolicy> {
    let Some(sp) = subset else { return base };
    let mut out = base.unwrap_or_default();
    if apply_port_level(&mut out, sp, port) {
        return Some(out);
    }
    if sp.load_balancer.is_some() {
        out.load_balancer = sp.load_balancer.clone();
    }
    if sp.connection_pool.is_some() {
        out.connection_pool = sp.connection_pool.clone();
    }
    if sp.outlier_detection.is_some() {
        out.outlier_detection = sp.outlier_detection.clone();
    }
    if sp.tls.is_some() {
        out.tls = sp.tls.clone();
    }
    Some(out)
}

/// `applyLoadBalancer` (cluster_traffic_policy.go): unset/UNSPECIFIED and LEAST_CONN ⇒
/// LEAST_REQUEST; consistent hash ⇒ RING_HASH (default 1024) or MAGLEV.
fn lb_policy(lb: Option<&LoadBalancerSettings>) -> (LbPolicy, Option<HashPolicy>) {
    let Some(lb) = lb else {
        return (LbPolicy::LeastRequest, None);
    };
    if let Some(ch) = &lb.consistent_hash {
        let hash = if let Some(h) = &ch.http_header_name {
            Some(HashPolicy::Header(h.to_ascii_lowercase()))
        } else if let Some(c) = &ch.http_cookie {
            Some(HashPolicy::Cookie {
                name: c.name.clone().unwrap_or_default(),
                path: c.path.clone(),
                ttl_ms: c.ttl.map(|t| t.as_millis().max(0) as u64),
            })
        } else if ch.use_source_ip == Some(true) {
            Some(HashPolicy::SourceIp)
        } else {
            ch.http_query_parameter_name.clone().map(HashPolicy::Query)
        };
        let policy = if let Some(m) = &ch.maglev {
            LbPolicy::Maglev {
                table_size: m.table_size.unwrap_or(65537),
            }
        } else {
            LbPolicy::RingHash {
                minimum_ring_size: ch
                    .ring_hash
                    .as_ref()
                    .and_then(|r| r.minimum_ring_size)
                    .or(ch.minimum_ring_size)
                    .unwrap_or(1024),
            }
        };
        return (policy, hash);
    }
    let p = match lb.simple.unwrap_or(SimpleLb::Unspecified) {
        SimpleLb::Unspecified | SimpleLb::LeastConn | SimpleLb::LeastRequest => {
            LbPolicy::LeastRequest
        }
        SimpleLb::RoundRobin => LbPolicy::RoundRobin,
        SimpleLb::Random => LbPolicy::Random,
        SimpleLb::Passthrough => LbPolicy::Passthrough,
    };
    (p, None)
}

/// `applyOutlierDetection`: Envoy defaults filled in; Istio's minHealthPercent default 0.
fn outlier_policy(o: &OutlierDetection) -> OutlierPolicy {
    let c5 = o
        .consecutive_5xx_errors
        .or(o.consecutive_errors)
        .unwrap_or(5);
    OutlierPolicy {
        consecutive_5xx: c5.clamp(0, u32::MAX as i64) as u32,
        consecutive_gateway_errors: o
            .consecutive_gateway_errors
            .unwrap_or(0)
            .clamp(0, u32::MAX as i64) as u32,
        interval_ms: o.interval.map_or(10_000, |d| d.as_millis().max(1) as u64),
        base_ejection_ms: o
            .base_ejection_time
            .map_or(30_000, |d| d.as_millis().max(1) as u64),
        max_ejection_percent: match o.max_ejection_percent {
            Some(p) if p > 0 => p.min(100) as u32,
            _ => 10,
        },
        min_health_percent: o.min_health_percent.unwrap_or(0).clamp(0, 100) as u32,
    }
}

fn pool_limits(p: &ConnectionPoolSettings) -> PoolLimits {
    let u = |v: Option<i64>| v.filter(|x| *x > 0).map(|x| x.min(u32::MAX as i64) as u32);
    PoolLimits {
        max_connections: u(p.tcp.as_ref().and_then(|t| t.max_connections)),
        http1_max_pending_requests: u(p.http.as_ref().and_then(|h| h.http1_max_pending_requests)),
        http2_max_requests: u(p.http.as_ref().and_then(|h| h.http2_max_requests)),
        max_requests_per_connection: u(p.http.as_ref().and_then(|h| h.max_requests_per_connection)),
        max_retries: u(p.http.as_ref().and_then(|h| h.max_retries)),
        connect_timeout_ms: p
            .tcp
            .as_ref()
            .and_then(|t| t.connect_timeout)
            .map(|d| d.as_millis().max(1) as u64),
        idle_timeout_ms: p
            .http
            .as_ref()
            .and_then(|h| h.idle_timeout)
            .or_else(|| p.tcp.as_ref().and_then(|t| t.idle_timeout))
            .map(|d| d.as_millis().max(0) as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{load, LoadOptions};

    fn table(proxy: &ProxyIdentity, yaml: &str) -> RouteTable {
        let (res, diags) = load(&[("t.yaml", yaml)], &LoadOptions::default());
        assert!(diags.is_empty(), "{diags:?}");
        compile(&res, proxy).0
    }

    fn route_names(t: &RouteTable, port: u32, host: &str) -> Vec<String> {
        let l = t.listener(port).expect("listener");
        let rc = &t.route_configs[l.route_config];
        let vh = rc.find_virtual_host(host).expect("vhost");
        rc.virtual_hosts[vh]
            .routes
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }

    fn sm(exact: Option<&str>, prefix: Option<&str>, regex: Option<&str>) -> StringMatch {
        StringMatch {
            exact: exact.map(str::to_string),
            prefix: prefix.map(str::to_string),
            regex: regex.map(str::to_string),
        }
    }

    #[test]
    fn catch_all_routes_move_last_on_gateways() {
        let t = table(
            &ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]),
            r#"
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [x.com]
  gateways: [istio-system/gw]
  http:
  - {name: a-all, match: [{uri: {prefix: /}}], directResponse: {status: 200}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [x.com]
  gateways: [istio-system/gw]
  http:
  - {name: b-api, match: [{uri: {prefix: /api}}], directResponse: {status: 200}}
  - {name: b-regex-all, match: [{uri: {regex: ".*"}}], directResponse: {status: 200}}
  - {name: b-unreachable, match: [{uri: {prefix: /x}}], directResponse: {status: 200}}
"#,
        );
        assert_eq!(
            route_names(&t, 80, "x.com"),
            ["b-api", "a-all", "b-regex-all"],
            "specific routes first, catch-alls in VS order, nothing after a catch-all"
        );
    }

    #[test]
    fn oldest_virtual_service_wins_on_sidecar() {
        let t = table(
            &ProxyIdentity::sidecar("default", &[]),
            r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: newer, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [web]
  http: [{name: newer, directResponse: {status: 200}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: older, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [web]
  http: [{name: older, directResponse: {status: 200}}]
"#,
        );
        assert_eq!(
            route_names(&t, 80, "web"),
            ["older"],
            "no merging on sidecars"
        );
    }

    #[test]
    fn zero_weight_destinations_are_dropped_when_several() {
        let t = table(
            &ProxyIdentity::sidecar("default", &[]),
            r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /several}}]
    route:
    - {destination: {host: a}, weight: 0}
    - {destination: {host: b}, weight: 3}
    - {destination: {host: c}, weight: 1}
  - route: [{destination: {host: a}, weight: 0}]
"#,
        );
        let rc = &t.route_configs[t.listener(80).unwrap().route_config];
        let vh = &rc.virtual_hosts[rc.find_virtual_host("web").unwrap()];
        let weights = |i: usize| match &vh.routes[i].action {
            Action::Forward(d) => d
                .iter()
                .map(|d| (d.cluster_name.clone(), d.weight))
                .collect::<Vec<_>>(),
            a => panic!("{a:?}"),
        };
        assert_eq!(
            weights(0),
            [
                ("outbound|80||b.default.svc.cluster.local".to_string(), 3),
                ("outbound|80||c.default.svc.cluster.local".to_string(), 1)
            ]
        );
        // A single destination keeps all traffic whatever its weight.
        assert_eq!(
            weights(1),
            [("outbound|80||a.default.svc.cluster.local".to_string(), 100)]
        );
    }

    #[test]
    fn delegate_matches_conflict_like_string_match_conflict() {
        // (root, leaf, conflict) — virtualservice.go stringMatchConflict.
        let cases = [
            (None, Some(sm(None, Some("/a"), None)), false),
            (
                Some(sm(Some("/a"), None, None)),
                Some(sm(Some("/a"), None, None)),
                false,
            ),
            (
                Some(sm(Some("/a"), None, None)),
                Some(sm(Some("/b"), None, None)),
                true,
            ),
            (
                Some(sm(Some("/a"), None, None)),
                Some(sm(None, Some("/a"), None)),
                true,
            ),
            (
                Some(sm(None, Some("/a"), None)),
                Some(sm(None, Some("/a/b"), None)),
                false,
            ),
            (
                Some(sm(None, Some("/a/b"), None)),
                Some(sm(None, Some("/a"), None)),
                true,
            ),
            (
                Some(sm(None, Some("/a"), None)),
                Some(sm(Some("/a/x"), None, None)),
                false,
            ),
            (
                Some(sm(None, Some("/a"), None)),
                Some(sm(None, None, Some(".*"))),
                true,
            ),
            (
                Some(sm(None, None, Some(".*"))),
                Some(sm(None, Some("/a"), None)),
                true,
            ),
            (
                Some(sm(None, None, None)),
                Some(sm(Some("/a"), None, None)),
                true,
            ),
        ];
        for (root, leaf, want) in cases {
            assert_eq!(
                string_match_conflict(root.as_ref(), leaf.as_ref()),
                want,
                "root {root:?} leaf {leaf:?}"
            );
        }
    }

    #[test]
    fn one_conflicting_delegate_match_drops_the_delegate_route() {
        let m = |p: &str| HttpMatchRequest {
            uri: Some(sm(None, Some(p), None)),
            ..Default::default()
        };
        let root = [m("/a")];
        assert!(merge_http_matches(&root, &[m("/a/1"), m("/b")]).is_none());
        let merged = merge_http_matches(&[m("/a"), m("/a/1")], &[m("/a/1")]).unwrap();
        assert_eq!(
            merged.len(),
            2,
            "one merged match per compatible root match"
        );
    }

    #[test]
    fn virtual_service_visibility_groups_private_exported_public() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases: [(&[&str], &str, &str, Option<u8>); 8] = [
            (&[], "a", "b", Some(2)),
            (&["*"], "a", "b", Some(2)),
            (&[".", "*"], "a", "a", Some(2)),
            (&["."], "a", "a", Some(0)),
            (&["a"], "a", "a", Some(0)),
            (&["b"], "a", "b", Some(1)),
            (&["."], "a", "b", None),
            (&["~"], "a", "a", None),
        ];
        for (export, vs_ns, proxy_ns, want) in cases {
            assert_eq!(
                vs_visibility_group(&s(export), vs_ns, proxy_ns),
                want,
                "{export:?} {vs_ns} {proxy_ns}"
            );
        }
    }

    #[test]
    fn regex_rewrite_substitutions_are_re2() {
        for (istio, rust) in [
            (r"\2/instance/\1", "${2}/instance/${1}"),
            ("$1", "$$1"),
            (r"a\\b", r"a\b"),
            ("/plain", "/plain"),
        ] {
            assert_eq!(go_to_rust_replacement(istio), rust, "{istio}");
        }
    }
}

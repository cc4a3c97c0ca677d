//! The service registry istiod would build: Kubernetes Services (with endpoints from the Pods
//! and WorkloadEntries their selector picks) and ServiceEntries.
//!
//! Istio: pilot/pkg/serviceregistry/kube/conversion.go (`ConvertService`),
//! pilot/pkg/serviceregistry/serviceentry/conversion.go, pkg/config/kube/conversion.go
//! (`ConvertProtocol`).

use crate::decode::IntOrString;
use crate::host;
use crate::lb::Endpoint;
use crate::model::istio::SeResolution;
use crate::resources::Resources;
use std::collections::{BTreeMap, HashMap};

/// Port protocol after Istio's detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Protocol {
    Http,
    Http2,
    Grpc,
    GrpcWeb,
    Https,
    Tls,
    Tcp,
    Mongo,
    Redis,
    Mysql,
    Udp,
    /// No declared protocol: Istio sniffs; HTTP routing applies.
    Unsupported,
}

impl Protocol {
    /// `ConvertProtocol`: `appProtocol` first, then the port-name prefix before `-`.
    pub fn detect(name: Option<&str>, app_protocol: Option<&str>, l4: Option<&str>) -> Protocol {
        if l4.is_some_and(|p| p.eq_ignore_ascii_case("UDP")) {
            return Protocol::Udp;
        }
        if let Some(ap) = app_protocol {
            match ap {
                "kubernetes.io/h2c" => return Protocol::Http2,
                "kubernetes.io/ws" => return Protocol::Http,
                "kubernetes.io/wss" => return Protocol::Https,
                _ => {
                    let p = Protocol::parse(ap);
                    if p != Protocol::Unsupported {
                        return p;
                    }
                }
            }
        }
        match name {
            Some(n) => Protocol::parse(n.split('-').next().unwrap_or(n)),
            None => Protocol::Unsupported,
        }
    }

    /// Parses a protocol name as Istio does (case-insensitive).
    pub fn parse(s: &str) -> Protocol {
        match s.to_ascii_lowercase().as_str() {
            "http" => Protocol::Http,
            "http2" => Protocol::Http2,
            "grpc" => Protocol::Grpc,
            "grpc-web" => Protocol::GrpcWeb,
            "https" => Protocol::Https,
            "tls" => Protocol::Tls,
            "tcp" => Protocol::Tcp,
            "mongo" => Protocol::Mongo,
            "redis" => Protocol::Redis,
            "mysql" => Protocol::Mysql,
            "udp" => Protocol::Udp,
            _ => Protocol::Unsupported,
        }
    }

    /// `IsHTTPOrSniffed`: ports that get HTTP route configuration.
    pub fn is_http_or_sniffed(self) -> bool {
        matches!(
            self,
            Protocol::Http
                | Protocol::Http2
                | Protocol::Grpc
                | Protocol::GrpcWeb
                | Protocol::Unsupported
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServicePort {
    pub port: u32,
    pub name: String,
    pub protocol: Protocol,
    /// Kubernetes targetPort (number or container port name); ServiceEntry targetPort.
    pub target: Option<IntOrString>,
}

/// An endpoint with the labels subsets select on.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceEndpoint {
    pub endpoint: Endpoint,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Kubernetes,
    ServiceEntry,
}

#[derive(Debug, Clone)]
pub struct Service {
    /// FQDN (`name.ns.svc.cluster.local`) or ServiceEntry host.
    pub hostname: String,
    /// Kubernetes Service name (empty for ServiceEntries).
    pub name: String,
    pub namespace: String,
    pub origin: Origin,
    pub ports: Vec<ServicePort>,
    /// ClusterIPs or ServiceEntry addresses.
    pub addresses: Vec<String>,
    pub export_to: Vec<String>,
    pub headless: bool,
    pub resolution: SeResolution,
    /// `Service ns/name` or `ServiceEntry ns/name`.
    pub source: String,
    /// Endpoints per entry of `ports` (same index).
    pub endpoints: Vec<Vec<ServiceEndpoint>>,
    /// Problems found while building endpoints (named port not found, DNS address …).
    pub notes: Vec<String>,
}

impl Service {
    pub fn port(&self, port: u32) -> Option<usize> {
        self.ports.iter().position(|p| p.port == port)
    }
}

/// exportTo visibility (`.`, `*`, `~`, namespaces; empty = mesh default `*`).
pub fn visible(export_to: &[String], owner_ns: &str, viewer_ns: &str) -> bool {
    if export_to.is_empty() {
        return true;
    }
    export_to.iter().any(|e| match e.as_str() {
        "*" => true,
        "~" => false,
        "." => owner_ns == viewer_ns,
        ns => ns == viewer_ns,
    })
}

pub fn labels_contain(
    labels: &BTreeMap<String, String>,
    selector: &BTreeMap<String, String>,
) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

pub fn format_address(ip: &str, port: u32) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub services: Vec<Service>,
    by_host: HashMap<String, Vec<usize>>,
}

impl Registry {
    pub fn build(res: &Resources) -> Registry {
        let mut reg = Registry::default();
        let idx = PodIndex::build(res);
        for svc in &res.services {
            let ns = &svc.meta.namespace;
            let spec = &svc.spec;
            let hostname = host::service_fqdn(&svc.meta.name, ns);
            let mut addresses: Vec<String> = spec.cluster_ips.clone();
            if let Some(ip) = &spec.cluster_ip {
                if !addresses.contains(ip) {
                    addresses.insert(0, ip.clone());
                }
            }
            let headless = addresses.iter().any(|a| a == "None");
            addresses.retain(|a| a != "None" && !a.is_empty());
            let export_to = svc
                .meta
                .annotations
                .get("networking.istio.io/exportTo")
                .map(|s| {
                    s.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let ports: Vec<ServicePort> = spec
                .ports
                .iter()
                .filter_map(|p| {
                    let port = u32::try_from(p.port?).ok()?;
                    Some(ServicePort {
                        port,
                        name: p.name.clone().unwrap_or_default(),
                        protocol: Protocol::detect(
                            p.name.as_deref(),
                            p.app_protocol.as_deref(),
                            p.protocol.as_deref(),
                        ),
                        target: p.target_port.clone(),
                    })
                })
                .collect();
            let mut notes = Vec::new();
            let mut endpoints = vec![Vec::new(); ports.len()];
            if !spec.selector.is_empty() {
                for pod in idx.pods(res, ns, &spec.selector) {
                    let Some(ip) = pod.spec.ip() else {
                        notes.push(format!(
                            "Pod {}/{} has no status.podIP; it gets no endpoint",
                            ns, pod.meta.name
                        ));
                        continue;
                    };
                    for (i, p) in ports.iter().enumerate() {
                        let target = match &p.target {
                            None => Some(i64::from(p.port)),
                            Some(IntOrString::Int(t)) => Some(*t),
                            Some(IntOrString::Str(name)) => pod.spec.named_port(name),
                        };
                        let Some(target) = target.and_then(|t| u32::try_from(t).ok()) else {
                            notes.push(format!(
                                "Pod {}/{} has no container port named {:?} (targetPort of port {})",
                                ns,
                                pod.meta.name,
                                match &p.target {
                                    Some(IntOrString::Str(s)) => s.as_str(),
                                    _ => "",
                                },
                                p.port
                            ));
                            continue;
                        };
                        endpoints[i].push(ServiceEndpoint {
                            endpoint: Endpoint {
                                address: format_address(ip, target),
                                weight: 1,
                                healthy: pod.spec.ready(),
                                source: format!("Pod {}/{}", ns, pod.meta.name),
                            },
                            labels: pod.meta.labels.clone(),
                        });
                    }
                }
                // Istio also selects WorkloadEntries with a Kubernetes Service's selector.
                for we in res
                    .workload_entries
                    .iter()
                    .filter(|w| &w.meta.namespace == ns)
                {
                    let labels = merged_labels(&we.meta.labels, &we.spec.labels);
                    if !labels_contain(&labels, &spec.selector) {
                        continue;
                    }
                    let Some(addr) = we.spec.address.as_deref().filter(|a| host::is_ip(a)) else {
                        continue;
                    };
                    for (i, p) in ports.iter().enumerate() {
                        // kube/controller serviceInstanceFromWorkloadInstance +
                        // findServiceTargetPort: a numeric targetPort is overridden by the
                        // WorkloadEntry's port of the same name as the Service port; a named
                        // targetPort must be one of the WorkloadEntry's ports, else no endpoint.
                        let target = match &p.target {
                            Some(IntOrString::Str(name)) => we.spec.ports.get(name).copied(),
                            Some(IntOrString::Int(t)) if *t > 0 => {
                                Some(we.spec.ports.get(&p.name).copied().unwrap_or(*t))
                            }
                            _ => Some(
                                we.spec
                                    .ports
                                    .get(&p.name)
                                    .copied()
                                    .unwrap_or(i64::from(p.port)),
                            ),
                        };
                        if let Some(t) = target.and_then(|t| u32::try_from(t).ok()) {
                            endpoints[i].push(ServiceEndpoint {
                                endpoint: Endpoint {
                                    address: format_address(addr, t),
                                    weight: we
                                        .spec
                                        .weight
                                        .and_then(|w| u32::try_from(w).ok())
                                        .filter(|w| *w > 0)
                                        .unwrap_or(1),
                                    healthy: true,
                                    source: format!("WorkloadEntry {}/{}", ns, we.meta.name),
                                },
                                labels: labels.clone(),
                            });
                        }
                    }
                }
            }
            reg.push(Service {
                hostname,
                name: svc.meta.name.clone(),
                namespace: ns.clone(),
                origin: Origin::Kubernetes,
                ports,
                addresses,
                export_to,
                headless,
                resolution: SeResolution::Static,
                source: format!("Service {}/{}", ns, svc.meta.name),
                endpoints,
                notes,
            });
        }
        for se in &res.service_entries {
            let ns = &se.meta.namespace;
            let spec = &se.spec;
            let resolution = spec.resolution.unwrap_or(SeResolution::None);
            let ports: Vec<ServicePort> = spec
                .ports
                .iter()
                .filter_map(|p| {
                    Some(ServicePort {
                        port: u32::try_from(p.number?).ok()?,
                        name: p.name.clone().unwrap_or_default(),
                        protocol: p
                            .protocol
                            .as_deref()
                            .map_or(Protocol::Unsupported, Protocol::parse),
                        target: p.target_port.map(IntOrString::Int),
                    })
                })
                .collect();
            let mut notes = Vec::new();
            let mut endpoints = vec![Vec::new(); ports.len()];
            let mut add = |addr: &str,
                           we_ports: &BTreeMap<String, i64>,
                           labels: &BTreeMap<String, String>,
                           weight: Option<i64>,
                           source: String,
                           notes: &mut Vec<String>| {
                if !host::is_ip(addr) {
                    notes.push(format!(
                        "endpoint address {addr:?} is not an IP; meshroute does not resolve DNS, so it gets no endpoint"
                    ));
                    return;
                }
                for (i, p) in ports.iter().enumerate() {
                    let target = we_ports.get(&p.name).copied().or(match &p.target {
                        Some(IntOrString::Int(t)) => Some(*t),
                        _ => Some(i64::from(p.port)),
                    });
                    if let Some(t) = target.and_then(|t| u32::try_from(t).ok()) {
                        endpoints[i].push(ServiceEndpoint {
                            endpoint: Endpoint {
                                address: format_address(addr, t),
                                weight: weight
                                    .and_then(|w| u32::try_from(w).ok())
                                    .filter(|w| *w > 0)
                                    .unwrap_or(1),
                                healthy: true,
                                source: source.clone(),
                            },
                            labels: labels.clone(),
                        });
                    }
                }
            };
            if let Some(sel) = &spec.workload_selector {
                for pod in idx.pods(res, ns, &sel.labels) {
                    {
                        if let Some(ip) = pod.spec.ip() {
                            add(
                                ip,
                                &BTreeMap::new(),
                                &pod.meta.labels,
                                None,
                                format!("Pod {}/{}", ns, pod.meta.name),
                                &mut notes,
                            );
                        }
                    }
                }
                for we in res
                    .workload_entries
                    .iter()
                    .filter(|w| &w.meta.namespace == ns)
                {
                    let labels = merged_labels(&we.meta.labels, &we.spec.labels);
                    if labels_contain(&labels, &sel.labels) {
                        if let Some(a) = &we.spec.address {
                            add(
                                a,
                                &we.spec.ports,
                                &labels,
                                we.spec.weight,
                                format!("WorkloadEntry {}/{}", ns, we.meta.name),
                                &mut notes,
                            );
                        }
                    }
                }
            } else {
                for (i, ep) in spec.endpoints.iter().enumerate() {
                    if let Some(a) = &ep.address {
                        add(
                            a,
                            &ep.ports,
                            &ep.labels,
                            ep.weight,
                            format!("ServiceEntry {}/{} endpoint {}", ns, se.meta.name, i),
                            &mut notes,
                        );
                    }
                }
            }
            if resolution == SeResolution::None {
                notes.push("resolution NONE forwards to the original destination; meshroute has no original destination to forward to, so requests get 503".into());
            }
            for h in &spec.hosts {
                // A ServiceEntry host equal to a Kubernetes service only decorates it.
                if reg.by_host.get(h.as_str()).is_some_and(|v| {
                    v.iter()
                        .any(|&i| reg.services[i].origin == Origin::Kubernetes)
                }) {
                    continue;
                }
                reg.push(Service {
                    hostname: h.clone(),
                    name: String::new(),
                    namespace: ns.clone(),
                    origin: Origin::ServiceEntry,
                    ports: ports.clone(),
                    addresses: spec.addresses.clone(),
                    export_to: spec.export_to.clone(),
                    headless: false,
                    resolution,
                    source: format!("ServiceEntry {}/{}", ns, se.meta.name),
                    endpoints: endpoints.clone(),
                    notes: notes.clone(),
                });
            }
        }
        reg
    }

    fn push(&mut self, svc: Service) {
        self.by_host
            .entry(svc.hostname.clone())
            .or_default()
            .push(self.services.len());
        self.services.push(svc);
    }

    /// Services with this exact hostname.
    pub fn by_host(&self, hostname: &str) -> impl Iterator<Item = &Service> {
        self.by_host
            .get(hostname)
            .into_iter()
            .flat_map(|v| v.iter().map(|&i| &self.services[i]))
    }

    /// The service with this hostname visible from `viewer_ns`, preferring one in `prefer_ns`
    /// (`buildNameToServiceMapForHTTPRoutes`, gateway.go).
    pub fn lookup(&self, hostname: &str, viewer_ns: &str, prefer_ns: &str) -> Option<&Service> {
        let mut candidates = self
            .by_host(hostname)
            .filter(|s| visible(&s.export_to, &s.namespace, viewer_ns));
        let first = candidates.next()?;
        if first.namespace == prefer_ns {
            return Some(first);
        }
        Some(
            self.by_host(hostname)
                .filter(|s| visible(&s.export_to, &s.namespace, viewer_ns))
                .find(|s| s.namespace == prefer_ns)
                .unwrap_or(first),
        )
    }
}

fn merged_labels(
    meta: &BTreeMap<String, String>,
    spec: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = meta.clone();
    out.extend(spec.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// Pods by (namespace, label key, label value), so selecting a service's pods costs the size of
/// the smallest matching bucket rather than a scan of every pod (compile time stays linear).
struct PodIndex {
    by_label: HashMap<(String, String, String), Vec<usize>>,
    by_ns: HashMap<String, Vec<usize>>,
}

impl PodIndex {
    fn build(res: &Resources) -> PodIndex {
        let mut by_label: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
        let mut by_ns: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in res.pods.iter().enumerate() {
            by_ns.entry(p.meta.namespace.clone()).or_default().push(i);
            for (k, v) in &p.meta.labels {
                by_label
                    .entry((p.meta.namespace.clone(), k.clone(), v.clone()))
                    .or_default()
                    .push(i);
            }
        }
        PodIndex { by_label, by_ns }
    }

    /// Pods of `ns` whose labels contain `selector`, in file order.
    fn pods<'r>(
        &self,
        res: &'r Resources,
        ns: &str,
        selector: &BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'r crate::resources::Object<crate::model::kube::Pod>> + use<'r, '_>
    {
        let empty: &[usize] = &[];
        let bucket: &[usize] = if selector.is_empty() {
            self.by_ns.get(ns).map_or(empty, Vec::as_slice)
        } else {
            selector
                .iter()
                .map(|(k, v)| {
                    self.by_label
                        .get(&(ns.to_string(), k.clone(), v.clone()))
                        .map_or(empty, Vec::as_slice)
                })
                .min_by_key(|b| b.len())
                .unwrap_or(empty)
        };
        let selector = selector.clone();
        bucket
            .iter()
            .map(move |&i| &res.pods[i])
            .filter(move |p| labels_contain(&p.meta.labels, &selector))
    }
}

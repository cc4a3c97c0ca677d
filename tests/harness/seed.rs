//! The seed scenario (examples/seed/) as templates, for a test's own loopback range.
//!
//! The documents are the shipped files' content with the pod IPs of [`Net`] instead of
//! 127.0.10.x; [`Seed`] composes the variants the tests need (no VirtualService yet, the
//! walkthrough's literal destination, another load-balancing policy, extra resources).
//! [`shipped`] uses the shipped files themselves.

use super::Net;
use std::io;
use std::path::{Path, PathBuf};

/// The ingress gateway's identity (the labels its Service selects, examples/seed/ingress-gateway.yaml).
pub const GATEWAY_PROXY: &str =
    "{kind: gateway, namespace: istio-system, labels: {app: istio-ingressgateway, istio: ingressgateway}}";
/// A client pod's sidecar in `default`.
pub const SIDECAR_PROXY: &str = "{kind: sidecar, namespace: default, labels: {app: sleep}}";
/// The demoappv10 Service's ClusterIP.
pub const CLUSTER_IP: &str = "10.96.10.10";
/// The seed's public host.
pub const HOST: &str = "demoappv10.magedu.com";

fn pod(name: &str, version: &str, ip: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: default
  labels: {{app: demoapp, version: {version}}}
spec:
  containers:
  - name: demoapp
    image: ikubernetes/demoapp:{version}
    ports: [{{name: http, containerPort: 8080}}]
status:
  podIP: {ip}
"
    )
}

/// examples/seed/demoapp.yaml: Service `default/demoappv10` (8080, v1.0 pods only), pods
/// `demoappv10-1..3` on `.31`–`.33` and `demoappv11-1..2` on `.41`–`.42`.
pub fn demoapp_docs(net: &Net) -> String {
    let mut docs = vec![format!(
        "apiVersion: v1
kind: Service
metadata: {{name: demoappv10, namespace: default}}
spec:
  clusterIP: {CLUSTER_IP}
  selector: {{app: demoapp, version: v1.0}}
  ports: [{{name: http, port: 8080, targetPort: 8080, protocol: TCP}}]
"
    )];
    for (i, h) in [31u8, 32, 33].into_iter().enumerate() {
        docs.push(pod(
            &format!("demoappv10-{}", i + 1),
            "v1.0",
            &net.ip(h).to_string(),
        ));
    }
    for (i, h) in [41u8, 42].into_iter().enumerate() {
        docs.push(pod(
            &format!("demoappv11-{}", i + 1),
            "v1.1",
            &net.ip(h).to_string(),
        ));
    }
    docs.join("---\n")
}

/// examples/seed/ingress-gateway.yaml: the gateway pod (`.2`) and its Service, 80→8080.
pub fn ingress_gateway_docs(net: &Net) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: istio-ingressgateway-1
  namespace: istio-system
  labels: {{app: istio-ingressgateway, istio: ingressgateway}}
status:
  podIP: {}
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels: {{app: istio-ingressgateway, istio: ingressgateway}}
spec:
  selector: {{app: istio-ingressgateway, istio: ingressgateway}}
  ports:
  - {{name: http2, port: 80, targetPort: 8080, protocol: TCP}}
  - {{name: https, port: 443, targetPort: 8443, protocol: TCP}}
",
        net.ip(2)
    )
}

/// examples/seed/gateway.yaml with `hosts`.
pub fn gateway_doc(hosts: &[String]) -> String {
    format!(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: demoappv10-gateway, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 80, name: http, protocol: HTTP}}
    hosts: [{}]
",
        hosts.join(", ")
    )
}

/// examples/seed/virtualservice.yaml with destination `host`.
pub fn virtual_service_doc(host: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: demoappv10, namespace: default}}
spec:
  hosts: [{HOST}]
  gateways: [istio-system/demoappv10-gateway]
  http:
  - route:
    - destination:
        host: {host}
        port: {{number: 8080}}
"
    )
}

/// examples/seed/destinationrule.yaml with `loadBalancer: <load_balancer>` (flow YAML).
pub fn destination_rule_doc(load_balancer: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: demoappv10, namespace: default}}
spec:
  host: demoappv10
  trafficPolicy:
    loadBalancer: {load_balancer}
"
    )
}

/// A meshroute config file with `resources` inline as a block string.
pub fn config(proxy: &str, listener_port: Option<u32>, debug: bool, resources: &str) -> String {
    let mut s = format!("proxy: {proxy}\n");
    if let Some(p) = listener_port {
        s.push_str(&format!("listenerPort: {p}\n"));
    }
    s.push_str(&format!("debug: {debug}\nresources: |\n"));
    for line in resources.lines() {
        if line.is_empty() {
            s.push('\n');
        } else {
            s.push_str("  ");
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// The seed scenario for one loopback range, with the variations tests need.
#[derive(Debug, Clone)]
pub struct Seed {
    registry: Vec<String>,
    virtual_service: Option<String>,
    gateway_hosts: Vec<String>,
    load_balancer: Option<String>,
    debug: bool,
    extra: Vec<String>,
}

impl Seed {
    /// The seed as shipped (VirtualService to `demoappv10`, DestinationRule LEAST_CONN), with
    /// `debug: true` so answers carry the `x-meshroute-*` headers.
    pub fn new(net: &Net) -> Seed {
        Seed {
            registry: vec![demoapp_docs(net), ingress_gateway_docs(net)],
            virtual_service: Some("demoappv10".into()),
            gateway_hosts: vec![HOST.into()],
            load_balancer: Some("{simple: LEAST_CONN}".into()),
            debug: true,
            extra: Vec::new(),
        }
    }
    /// Before the VirtualService is applied.
    pub fn without_virtual_service(mut self) -> Seed {
        self.virtual_service = None;
        self
    }
    /// The VirtualService's destination host (the walkthrough first wrote `demoappv10.default.svc`).
    pub fn destination(mut self, host: &str) -> Seed {
        self.virtual_service = Some(host.into());
        self
    }
    pub fn gateway_hosts(mut self, hosts: &[&str]) -> Seed {
        self.gateway_hosts = hosts.iter().map(|h| h.to_string()).collect();
        self
    }
    /// The DestinationRule's `loadBalancer` (flow YAML); `None` drops the DestinationRule.
    pub fn load_balancer(mut self, lb: Option<&str>) -> Seed {
        self.load_balancer = lb.map(str::to_string);
        self
    }
    pub fn debug(mut self, on: bool) -> Seed {
        self.debug = on;
        self
    }
    /// Adds resource documents.
    pub fn with(mut self, docs: &str) -> Seed {
        self.extra.push(docs.to_string());
        self
    }

    /// Every resource document.
    pub fn resources(&self) -> String {
        let mut docs = self.registry.clone();
        docs.push(gateway_doc(&self.gateway_hosts));
        if let Some(h) = &self.virtual_service {
            docs.push(virtual_service_doc(h));
        }
        if let Some(lb) = &self.load_balancer {
            docs.push(destination_rule_doc(lb));
        }
        docs.extend(self.extra.iter().cloned());
        docs.join("---\n")
    }

    /// The ingress gateway's config (listener port 8080, like examples/configs/seed-gateway.yaml).
    pub fn gateway_config(&self) -> String {
        config(GATEWAY_PROXY, Some(8080), self.debug, &self.resources())
    }

    /// A sidecar's config for a client pod in `default` (like examples/configs/seed-sidecar.yaml).
    pub fn sidecar_config(&self) -> String {
        config(SIDECAR_PROXY, None, self.debug, &self.resources())
    }

    pub fn write_gateway_config(&self, dir: &Path) -> io::Result<PathBuf> {
        write(dir, "gateway.yaml", &self.gateway_config())
    }

    pub fn write_sidecar_config(&self, dir: &Path) -> io::Result<PathBuf> {
        write(dir, "sidecar.yaml", &self.sidecar_config())
    }
}

/// Writes `dir/name`; returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> io::Result<PathBuf> {
    let p = dir.join(name);
    std::fs::write(&p, text)?;
    Ok(p)
}

/// The shipped examples/seed/*.yaml, copied into `dir/seed/` with 127.0.10.x replaced by the
/// range of `net`, and `dir/seed-gateway.yaml`: examples/configs/seed-gateway.yaml pointing at
/// that copy (plus `debug: true`). Returns the config's path.
pub fn shipped(net: &Net, dir: &Path) -> io::Result<PathBuf> {
    let root = super::repo_root();
    let src = root.join("examples/seed");
    let dst = dir.join("seed");
    std::fs::create_dir_all(&dst)?;
    for e in std::fs::read_dir(&src)? {
        let p = e?.path();
        if p.extension().and_then(|x| x.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&p)?.replace("127.0.10.", &net.prefix());
        if let Some(name) = p.file_name() {
            std::fs::write(dst.join(name), text)?;
        }
    }
    let cfg = std::fs::read_to_string(root.join("examples/configs/seed-gateway.yaml"))?;
    let cfg = cfg.replace("../seed", "seed");
    write(dir, "seed-gateway.yaml", &format!("{cfg}debug: true\n"))
}

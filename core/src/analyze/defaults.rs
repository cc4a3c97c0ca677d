//! The resources `istioctl analyze` adds when it analyzes files only (no cluster): a dummy
//! ingress gateway Pod and its Service in the root namespace
//! (Istio: pkg/config/analysis/local/defaults.go, `IstiodAnalyzer.AddDefaultResources`).
//! Without them every Gateway selecting `istio: ingressgateway` would be reported as selecting
//! no pod (IST0101) just because the files do not describe Istio's own installation.
//!
//! meshroute adds them only when the input describes no Pod and no Service in the root
//! namespace: a user who lists the gateway pods and Services (as the seed example does) gets
//! the analysis of exactly what they wrote.

use super::AnalyzeOptions;
use crate::diag::Diagnostic;
use crate::resources::{LoadOptions, Resources};

/// The file name the added resources are reported under.
pub const DEFAULT_RESOURCES_FILE: &str = "internal-ingress";

/// `defaultIstioIngressGateway` with its template filled in.
pub fn default_ingress_yaml(namespace: &str, ingress_service: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  labels:
    istio: ingressgateway
  name: {ingress_service}-dummypod
  namespace: {namespace}
spec:
  containers:
    - args:
      name: istio-proxy
---
apiVersion: v1
kind: Service
metadata:
  name: {ingress_service}
  namespace: {namespace}
spec:
  ports:
  - name: http2
    nodePort: 31380
    port: 80
    protocol: TCP
    targetPort: 80
  - name: https
    nodePort: 31390
    port: 443
    protocol: TCP
    targetPort: 443
  - name: tcp
    nodePort: 31400
    port: 31400
    protocol: TCP
    targetPort: 31400
  - name: tls
    nodePort: 31447
    port: 15443
    protocol: TCP
    targetPort: 15443
  selector:
    istio: ingressgateway
"
    )
}

/// Adds the default ingress gateway Pod and Service unless the mesh config turns the ingress
/// controller off or the input already has Pods or Services in the root namespace. Returns
/// whether they were added (and any diagnostics, which a valid template never has).
pub fn add_default_resources(
    res: &mut Resources,
    opts: &AnalyzeOptions,
) -> (bool, Vec<Diagnostic>) {
    let ns = opts.root_namespace.as_str();
    if !opts.default_ingress
        || res.pods.iter().any(|p| p.meta.namespace == ns)
        || res.services.iter().any(|s| s.meta.namespace == ns)
    {
        return (false, Vec::new());
    }
    let text = default_ingress_yaml(ns, &opts.ingress_service);
    let diags = res.add_text(DEFAULT_RESOURCES_FILE, &text, &LoadOptions::default());
    (true, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_added_only_when_the_root_namespace_is_not_described() {
        let mut res = Resources::default();
        let (added, diags) = add_default_resources(&mut res, &AnalyzeOptions::default());
        assert!(added && diags.is_empty(), "{diags:?}");
        assert_eq!(res.pods[0].meta.name, "istio-ingressgateway-dummypod");
        assert_eq!(res.services[0].spec.ports.len(), 4);
        let (again, _) = add_default_resources(&mut res, &AnalyzeOptions::default());
        assert!(!again);
    }
}

//! Fixtures shared by unit tests.

use crate::resources::{load, LoadOptions, Resources};

/// An ingress gateway (`istio-system/gw`, port 80 → 8080) for web.example.com in front of
/// `default/web` (pods 10.0.0.1 version v1 and 10.0.0.2 version v2; DestinationRule subsets v1,
/// v2). Starts with an empty line and ends with `---`, so a test appends its VirtualService.
pub(crate) const WEB_GATEWAY: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports: [{name: http2, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web, version: v1}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: default, labels: {app: web, version: v2}}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [web.example.com]
---
"#;

/// Loads `yaml` as `config.yaml`; any diagnostic fails the test.
pub(crate) fn load_ok(yaml: &str) -> Resources {
    let (r, d) = load(&[("config.yaml", yaml)], &LoadOptions::default());
    assert!(d.is_empty(), "{d:?}");
    r
}

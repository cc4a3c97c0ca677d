//! Generated meshes for benches and scaling tests.

/// `n` services, each with two pods (v1, v2), a VirtualService on the gateway with three match
/// rules, header matches and a 90/10 split, and a DestinationRule with two subsets.
#[allow(dead_code)]
pub fn mesh(n: usize) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: Service\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  ports: [{name: http2, port: 80, targetPort: 8080}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: istio-ingressgateway-1, namespace: istio-system, labels: {istio: ingressgateway}}\nstatus: {podIP: 10.255.0.1}\n---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*.mesh.example.com']}]\n",
    );
    for i in 0..n {
        let (a, b) = (i / 250, i % 250);
        s.push_str(&format!(
            r#"---
apiVersion: v1
kind: Service
metadata: {{name: svc{i}, namespace: default}}
spec:
  selector: {{app: svc{i}}}
  ports: [{{name: http, port: 8080}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: svc{i}-v1, namespace: default, labels: {{app: svc{i}, version: v1}}}}
status: {{podIP: 10.{a}.{b}.1}}
---
apiVersion: v1
kind: Pod
metadata: {{name: svc{i}-v2, namespace: default, labels: {{app: svc{i}, version: v2}}}}
status: {{podIP: 10.{a}.{b}.2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: svc{i}, namespace: default}}
spec:
  hosts: [svc{i}.mesh.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{{headers: {{x-canary: {{exact: "true"}}}}}}]
    route: [{{destination: {{host: svc{i}, subset: v2}}}}]
  - match: [{{uri: {{prefix: /api/}}, method: {{exact: POST}}}}, {{uri: {{regex: "/items/[0-9]+"}}}}]
    route: [{{destination: {{host: svc{i}, subset: v1}}}}]
  - route:
    - {{destination: {{host: svc{i}, subset: v1}}, weight: 90}}
    - {{destination: {{host: svc{i}, subset: v2}}, weight: 10}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: svc{i}, namespace: default}}
spec:
  host: svc{i}
  trafficPolicy: {{loadBalancer: {{simple: ROUND_ROBIN}}}}
  subsets:
  - {{name: v1, labels: {{version: v1}}}}
  - {{name: v2, labels: {{version: v2}}}}
"#
        ));
    }
    s
}

use meshroute_core::compile::compile;
use meshroute_core::config::ProxyIdentity;
use meshroute_core::lb::SplitMix64;
use meshroute_core::resources::{load, LoadOptions};
use meshroute_core::route::{decide, LbState, Outcome, Request};

const SEED: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: demoappv10, namespace: default}
spec:
  clusterIP: 10.96.10.10
  selector: {app: demoapp, version: v1.0}
  ports: [{name: http, port: 8080, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: demoappv10-1, namespace: default, labels: {app: demoapp, version: v1.0}}
status: {podIP: 127.0.10.31}
---
apiVersion: v1
kind: Pod
metadata: {name: demoappv10-2, namespace: default, labels: {app: demoapp, version: v1.0}}
status: {podIP: 127.0.10.32}
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports: [{name: http2, port: 80, targetPort: 8080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: demoappv10-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [demoappv10.magedu.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: demoappv10, namespace: default}
spec:
  hosts: [demoappv10.magedu.com]
  gateways: [istio-system/demoappv10-gateway]
  http:
  - route:
    - destination: {host: demoappv10}
"#;

#[test]
fn seed_gateway_routes_to_pods() {
    let (res, diags) = load(&[("seed.yaml", SEED)], &LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
    let (table, cd) = compile(&res, &proxy);
    assert!(cd.is_empty(), "{cd:?}");
    let mut st = LbState::for_table(&table);
    let mut rng = SplitMix64(1);
    let req = Request {
        listener_port: 8080,
        authority: b"demoappv10.magedu.com:80",
        path: b"/",
        method: b"GET",
        scheme: b"http",
        headers: &[],
        source_ip: None,
    };
    let d = decide(&table, &req, &mut st, 0, &mut rng, true);
    println!("{:#?}", d.trace);
    match &d.outcome {
        Outcome::Forward(f) => {
            assert_eq!(
                f.cluster_name,
                "outbound|8080||demoappv10.default.svc.cluster.local"
            );
            assert!(f.endpoint_address.unwrap().starts_with("127.0.10.3"));
        }
        o => panic!("{o:?}"),
    }
    let req2 = Request {
        authority: b"other.com",
        ..req
    };
    assert_eq!(
        decide(&table, &req2, &mut st, 0, &mut rng, true).status(),
        Some(404)
    );
}

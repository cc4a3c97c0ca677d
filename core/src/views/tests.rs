use super::*;
use crate::compile::compile;
use crate::config::ProxyIdentity;
use crate::lb::SplitMix64;
use crate::resources::{load, LoadOptions};
use crate::route::{decide, LbState, Request};

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
  - name: default
    route:
    - destination: {host: demoappv10}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: demoappv10, namespace: default}
spec:
  host: demoappv10
  trafficPolicy:
    loadBalancer: {simple: LEAST_CONN}
"#;

const CLUSTER: &str = "outbound|8080||demoappv10.default.svc.cluster.local";

fn gateway_table() -> RouteTable {
    let (res, diags) = load(&[("seed.yaml", SEED)], &LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
    compile(&res, &proxy).0
}

fn req(authority: &[u8]) -> Request<'_> {
    Request {
        filter_chain: b"",
        listener_port: 8080,
        authority,
        path: b"/hello?x=1",
        method: b"GET",
        scheme: b"http",
        headers: &[],
        source_ip: None,
    }
}

#[test]
fn istioctl_names_are_name_dot_namespace() {
    assert_eq!(istioctl_name("default/demoappv10"), "demoappv10.default");
    assert_eq!(istioctl_name("a/x,b/y"), "x.a,y.b");
    assert_eq!(istioctl_name(""), "");
}

#[test]
fn domains_beyond_three_are_abbreviated() {
    let d: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(describe_domains(&d[..1]), "a");
    assert_eq!(describe_domains(&d[..3]), "a, b, c");
    assert_eq!(describe_domains(&d), "a, b, c +2 more");
}

#[test]
fn table_columns_are_aligned_without_trailing_spaces() {
    let t = render_table(
        &["A", "LONG HEADER", "C"],
        &[
            vec!["xxxx".into(), "".into(), "z".into()],
            vec!["y".into(), "b".into(), "".into()],
        ],
    );
    assert_eq!(t, "A     LONG HEADER  C\nxxxx               z\ny     b\n");
}

#[test]
fn gateway_listener_shows_target_port_and_route_config() {
    let t = gateway_table();
    let rows = listeners(&t);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].addresses, "0.0.0.0");
    assert_eq!(rows[0].port, 8080);
    assert_eq!(rows[0].destination, "Route: http.8080");
    assert_eq!(rows[0].server_ports, vec![80]);
    let text = render_listeners(&rows);
    assert!(text.starts_with("ADDRESSES  PORT  MATCH  DESTINATION\n"));
    assert!(text.contains("0.0.0.0    8080  ALL    Route: http.8080"));
}

#[test]
fn routes_show_vhost_domains_and_virtual_service_like_istioctl() {
    let t = gateway_table();
    let rows = routes(&t);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.name, "http.8080");
    assert_eq!(r.vhost_name, "demoappv10.magedu.com:80");
    assert_eq!(r.domains, vec!["demoappv10.magedu.com".to_string()]);
    assert_eq!(r.match_, "/*");
    assert_eq!(r.virtual_service, "demoappv10.default");
    assert_eq!(r.action, CLUSTER);
    let text = render_routes(&rows);
    assert!(text.starts_with("NAME       VHOST NAME"), "{text}");
    assert!(text.contains("demoappv10.default"));
}

#[test]
fn gateway_without_virtual_service_shows_a_404_blackhole_row() {
    let seed = SEED.split("kind: VirtualService").next().unwrap_or("");
    let seed = seed.rsplit_once("---").map(|(a, _)| a).unwrap_or(seed);
    let (res, _) = load(&[("seed.yaml", seed)], &LoadOptions::default());
    let proxy = ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")]);
    let (t, _) = compile(&res, &proxy);
    let rows = routes(&t);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].virtual_service, "404");
    assert_eq!(rows[0].route, None);
}

#[test]
fn clusters_show_destination_rule_and_least_request_for_least_conn() {
    let t = gateway_table();
    let rows = clusters(&t);
    let c = rows
        .iter()
        .find(|c| c.name == CLUSTER)
        .expect("seed cluster");
    assert_eq!(c.service_fqdn, "demoappv10.default.svc.cluster.local");
    assert_eq!(c.port, 8080);
    assert_eq!(c.subset, "-");
    assert_eq!(c.direction, "outbound");
    assert_eq!(c.type_, "EDS");
    assert_eq!(c.destination_rule, "demoappv10.default");
    assert_eq!(c.lb.lb_policy, "LEAST_REQUEST");
    let v = serde_json::to_value(c).unwrap_or_default();
    assert_eq!(v["lb"]["lbPolicy"], "LEAST_REQUEST");
    assert_eq!(v["serviceFqdn"], "demoappv10.default.svc.cluster.local");
    let text = render_clusters(&rows);
    assert!(text.starts_with("SERVICE FQDN"));
    assert!(text
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>()
            == [
                "demoappv10.default.svc.cluster.local",
                "8080",
                "-",
                "outbound",
                "EDS",
                "demoappv10.default"
            ]));
}

#[test]
fn endpoints_list_pod_addresses_healthy() {
    let t = gateway_table();
    let rows: Vec<EndpointRow> = endpoints(&t)
        .into_iter()
        .filter(|e| e.cluster == CLUSTER)
        .collect();
    let addrs: Vec<&str> = rows.iter().map(|e| e.endpoint.as_str()).collect();
    assert_eq!(addrs, ["127.0.10.31:8080", "127.0.10.32:8080"]);
    assert!(rows
        .iter()
        .all(|e| e.status == "HEALTHY" && e.outlier_check == "OK"));
    let text = render_endpoints(&rows);
    assert!(
        text.contains(&format!(
            "127.0.10.31:8080  HEALTHY  OK             {CLUSTER}"
        )),
        "{text}"
    );
}

#[test]
fn decision_json_for_a_forward_names_cluster_endpoint_and_original_path() {
    let t = gateway_table();
    let mut st = LbState::for_table(&t);
    let r = req(b"demoappv10.magedu.com");
    let d = decide(&t, &r, &mut st, 0, &mut SplitMix64(7), true);
    let v = decision_json_for(&d, &t, &r);
    assert_eq!(v["status"], Value::Null);
    assert_eq!(v["cluster"], CLUSTER);
    assert_eq!(v["virtualService"], "default/demoappv10");
    assert_eq!(v["route"], "default");
    assert_eq!(v["path"], "/hello?x=1");
    assert_eq!(v["authority"], "demoappv10.magedu.com");
    assert_eq!(v["location"], Value::Null);
    assert_eq!(v["lbPolicy"], "LEAST_REQUEST");
    assert!(v["endpoint"]
        .as_str()
        .is_some_and(|e| e.starts_with("127.0.10.3")));
    assert!(v["trace"].as_array().is_some_and(|t| !t.is_empty()));
    // Without the request, unrewritten path/authority are null.
    let bare = decision_json(&d, &t);
    assert_eq!(bare["path"], Value::Null);
    let text = render_decision(&v);
    assert!(text.contains("FORWARD to 127.0.10.3"), "{text}");
    assert!(text.contains("trace:"));
}

#[test]
fn decision_json_for_unknown_host_is_a_404_local_reply() {
    let t = gateway_table();
    let mut st = LbState::for_table(&t);
    let r = req(b"nope.example.com");
    let d = decide(&t, &r, &mut st, 0, &mut SplitMix64(7), true);
    let v = decision_json_for(&d, &t, &r);
    assert_eq!(v["status"], 404);
    assert_eq!(v["cluster"], Value::Null);
    assert_eq!(v["endpoint"], Value::Null);
    assert_eq!(v["virtualService"], Value::Null);
    assert_eq!(v["path"], Value::Null);
    assert_eq!(v["reply"]["flag"], "NR");
    assert!(render_decision(&v).contains("LOCAL REPLY 404"));
}

#[test]
fn tally_counts_clusters_endpoints_and_statuses() {
    let t = gateway_table();
    let mut st = LbState::for_table(&t);
    let mut rng = SplitMix64(1);
    let mut tally = Tally::default();
    for a in [
        &b"demoappv10.magedu.com"[..],
        b"demoappv10.magedu.com",
        b"x.com",
    ] {
        let r = req(a);
        tally.add(&decide(&t, &r, &mut st, 0, &mut rng, false));
    }
    let v = tally.to_json();
    assert_eq!(v["requests"], 3);
    assert_eq!(v["counts"]["cluster"][CLUSTER], 2);
    assert_eq!(v["counts"]["status"]["forwarded"], 2);
    assert_eq!(v["counts"]["status"]["404"], 1);
    let n: u64 = tally.endpoint.values().sum();
    assert_eq!(n, 2);
    assert!(tally.render().contains("forwarded"));
}

use super::*;
use crate::compile::compile;
use crate::config::ProxyIdentity;
use crate::lb::SplitMix64;
use crate::resources::{load, LoadOptions};
use crate::route::{decide, LbState, Request};
use crate::table::*;
use serde_json::Value;

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

// ---------------------------------------------------------------------------------------------
// HTTPS: listeners per filter chain, secrets

#[cfg(feature = "certs")]
mod tls {
    use super::super::*;
    use crate::certs::testing::*;
    use crate::certs::FileContents;
    use crate::table::RouteTable;

    /// An HTTPS server on 443 for a.example.com with the Secret a-cert.
    fn simple_a() -> String {
        https(
            "https-a",
            "a.example.com",
            "{mode: SIMPLE, credentialName: a-cert}",
        )
    }

    /// Port 443 (listener 8443): two HTTPS servers (a: SIMPLE for two hosts, b: MUTUAL for
    /// any host) and a plaintext server on the same port; port 80 plaintext.
    fn https_gateway() -> (RouteTable, Pair, Pair) {
        let a = leaf("a.example.com", (2020, 2040), 0x1a);
        let b = leaf("b.example.com", (2010, 2012), 0x1b);
        let docs = vec![
            gateway(&[
                "{port: {number: 443, name: https-a, protocol: HTTPS}, hosts: [a.example.com, \"istio-system/www.a.example.com\"], tls: {mode: SIMPLE, credentialName: a-cert}}",
                &https("https-b", "*", "{mode: MUTUAL, credentialName: b-cert}"),
                "{port: {number: 80, name: http, protocol: HTTP}, hosts: [\"*\"]}",
            ]),
            secret("a-cert", &a.cert, &a.key, None),
            secret("b-cert", &b.cert, &b.key, Some(&ca("Root CA"))),
        ];
        let (_, t, d) = compile_gateway(&docs);
        assert!(
            d.iter().all(|d| d.severity != crate::diag::Severity::Error),
            "{d:?}"
        );
        (t, a, b)
    }

    #[test]
    fn an_https_listener_has_one_row_per_filter_chain_with_sni_and_tls_mode() {
        let (t, _, _) = https_gateway();
        let rows = listeners(&t);
        let cells: Vec<(u32, &str, &str)> = rows
            .iter()
            .map(|r| (r.port, r.match_.as_str(), r.destination.as_str()))
            .collect();
        assert_eq!(
            cells,
            [
                (8080, "ALL", "Route: http.8080"),
                (
                    8443,
                    "SNI: a.example.com,www.a.example.com; Trans: tls (SIMPLE)",
                    "Route: https.443.https-a.gw.istio-system"
                ),
                (
                    8443,
                    "Trans: tls (MUTUAL)",
                    "Route: https.443.https-b.gw.istio-system"
                ),
            ]
        );
        assert_eq!(rows[1].tls_mode, Some("SIMPLE"));
        assert_eq!(rows[1].certificate.as_deref(), Some("kubernetes://a-cert"));
        assert_eq!(rows[2].ca.as_deref(), Some("kubernetes://b-cert-cacert"));
        assert_eq!(rows[2].server, Some(1));
        let text = render_listeners(&rows);
        assert!(
            text.contains("0.0.0.0    8443  SNI: a.example.com,www.a.example.com; Trans: tls (SIMPLE)  Route: https.443.https-a.gw.istio-system"),
            "{text}"
        );
    }

    #[test]
    fn a_plaintext_server_beside_tls_ones_is_the_raw_buffer_chain() {
        let a = leaf("a.example.com", (2020, 2040), 1);
        let (_, t, _) = compile_gateway(&[
            gateway(&[
                &simple_a(),
                "{port: {number: 443, name: http-plain, protocol: HTTP}, hosts: [\"*\"]}",
            ]),
            secret("a-cert", &a.cert, &a.key, None),
        ]);
        let rows = listeners(&t);
        let m: Vec<&str> = rows.iter().map(|r| r.match_.as_str()).collect();
        assert_eq!(
            m,
            [
                "SNI: a.example.com; Trans: tls (SIMPLE)",
                "Trans: raw_buffer"
            ]
        );
        assert_eq!(rows[1].destination, "Route: http.8443");
    }

    #[test]
    fn secrets_show_type_status_validity_serial_dates_and_fingerprint_never_a_key() {
        let (t, a, _) = https_gateway();
        let rows = secrets(&t, &FileContents::new(), jan1(2030));
        let cells: Vec<(&str, &str, &str, bool, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.resource_name.as_str(),
                    r.type_,
                    r.status,
                    r.valid_cert,
                    r.serial_number.as_str(),
                )
            })
            .collect();
        assert_eq!(
            cells,
            [
                ("kubernetes://a-cert", "Cert Chain", "ACTIVE", true, "1a"),
                ("kubernetes://b-cert", "Cert Chain", "ACTIVE", false, "1b"),
                ("kubernetes://b-cert-cacert", "CA", "ACTIVE", true, "1"),
            ]
        );
        assert_eq!(rows[0].not_after, "2040-01-01T00:00:00Z");
        assert_eq!(rows[0].not_before, "2020-01-01T00:00:00Z");
        assert_eq!(rows[0].key_matches, Some(true));
        assert_eq!(rows[0].source, "Secret istio-system/a-cert");
        let fp = &crate::certs::parse_certificates(a.cert.as_bytes()).unwrap()[0].sha256;
        assert_eq!(&rows[0].sha256, fp);
        let text = render_secrets(&rows);
        assert!(text.starts_with(
            "RESOURCE NAME               TYPE        STATUS  VALID CERT  SERIAL NUMBER  NOT AFTER             NOT BEFORE            SHA-256\n"
        ), "{text}");
        assert!(text.contains(&format!("kubernetes://a-cert         Cert Chain  ACTIVE  true        1a             2040-01-01T00:00:00Z  2020-01-01T00:00:00Z  {fp}")), "{text}");
        let json =
            serde_json::to_string(&tables_json(&t, &FileContents::new(), jan1(2030))).unwrap();
        assert!(json.contains("\"secrets\""));
        for leak in [
            "PRIVATE KEY",
            "BEGIN CERTIFICATE",
            a.key.lines().nth(1).unwrap(),
        ] {
            assert!(!json.contains(leak), "{leak}");
            assert!(!text.contains(leak), "{leak}");
        }
    }

    #[test]
    fn unusable_secrets_are_warming_and_unread_files_unknown() {
        let a = leaf("a.example.com", (2020, 2040), 1);
        let b = leaf("b.example.com", (2020, 2040), 2);
        let (_, t, _) = compile_gateway(&[
            gateway(&[
                &simple_a(),
                &https(
                    "https-f",
                    "f.example.com",
                    "{mode: SIMPLE, serverCertificate: /c.pem, privateKey: /k.pem}",
                ),
            ]),
            secret("a-cert", &a.cert, &b.key, None),
        ]);
        let rows = secrets(&t, &FileContents::new(), jan1(2030));
        assert_eq!(rows[0].status, "WARMING");
        assert!(!rows[0].valid_cert);
        assert_eq!(rows[0].key_matches, Some(false));
        assert_eq!(rows[1].resource_name, "file-cert:/c.pem~/k.pem");
        assert_eq!(rows[1].status, "UNKNOWN");
        assert_eq!(rows[1].files, ["/c.pem", "/k.pem"]);
        assert!(
            rows[1].notes.iter().any(|n| n.contains("/c.pem: not read")),
            "{:?}",
            rows[1].notes
        );
        let mut files = FileContents::new();
        files.insert("/c.pem".into(), Ok(a.cert.clone().into_bytes()));
        files.insert("/k.pem".into(), Ok(a.key.clone().into_bytes()));
        let rows = secrets(&t, &files, jan1(2030));
        assert_eq!((rows[1].status, rows[1].valid_cert), ("ACTIVE", true));
        files.insert("/k.pem".into(), Err("permission denied".into()));
        let rows = secrets(&t, &files, jan1(2030));
        assert_eq!(rows[1].status, "WARMING");
    }
}

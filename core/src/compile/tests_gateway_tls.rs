//! Gateway HTTPS, PASSTHROUGH and TCP servers: what compile builds for each (istiod's
//! gateway.go), and the diagnostics for certificates that cannot be had.
use super::*;
use crate::resources::{load, LoadOptions};

const PEM_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PEM_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

fn gw() -> ProxyIdentity {
    ProxyIdentity::gateway("istio-system", &[("istio", "ingressgateway")])
}

fn compiled(yaml: &str) -> (RouteTable, Vec<Diagnostic>) {
    let (res, diags) = load(&[("t.yaml", yaml)], &LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    compile(&res, &gw())
}

fn secret(name: &str, ca: bool) -> String {
    let block = |p: &str| p.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let mut s = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: istio-system}}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
        block(PEM_CERT),
        block(PEM_KEY)
    );
    if ca {
        s.push_str(&format!("  ca.crt: |\n{}", block(PEM_CERT)));
    }
    s
}

fn gateway(servers: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
{servers}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: default}}
spec:
  hosts: [a.example.com, b.example.com]
  gateways: [istio-system/gw]
  http:
  - route: [{{destination: {{host: web}}}}]
"
    )
}

const TWO_HTTPS: &str = "  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: ['*/b.example.com']
    tls: {mode: MUTUAL, credentialName: b-cert, minProtocolVersion: TLSV1_3}
";

#[test]
fn each_https_server_is_a_filter_chain_with_its_own_route_configuration() {
    let (t, diags) = compiled(&format!(
        "{}---\n{}---\n{}",
        secret("a-cert", false),
        secret("b-cert", true),
        gateway(TWO_HTTPS)
    ));
    assert!(diags.is_empty(), "{diags:?}");
    let l = t.listener(443).expect("listener 443");
    assert!(!l.plaintext);
    let names: Vec<&str> = l.filter_chains.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "https.443.https-a.gw.istio-system",
            "https.443.https-b.gw.istio-system"
        ]
    );
    // SNI from the hosts, namespace dropped.
    assert_eq!(l.filter_chains[1].server_names, ["b.example.com"]);
    // Each chain routes only its server's hosts.
    let rc = &t.route_configs[l.route_config_for(b"https.443.https-b.gw.istio-system")];
    assert_eq!(rc.name, "https.443.https-b.gw.istio-system");
    assert!(rc.find_virtual_host("b.example.com").is_some());
    assert!(rc.find_virtual_host("a.example.com").is_none());
    // Istio's SDS names and TLS parameters.
    let a = &l.filter_chains[0].tls;
    assert_eq!(a.certificate, "kubernetes://a-cert");
    assert_eq!(a.ca, None);
    assert_eq!(a.min_version, Some("TLSv1_2"), "Istio's gateway minimum");
    let b = &l.filter_chains[1].tls;
    assert_eq!(b.mode, TlsMode::Mutual);
    assert_eq!(b.ca.as_deref(), Some("kubernetes://b-cert-cacert"));
    assert_eq!(b.min_version, Some("TLSv1_3"));
    let secrets: Vec<&str> = t.secrets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        secrets,
        [
            "kubernetes://a-cert",
            "kubernetes://b-cert",
            "kubernetes://b-cert-cacert"
        ]
    );
}

#[test]
fn sni_picks_exact_then_longest_wildcard_then_any() {
    let (t, _) = compiled(&format!(
        "{}---\n{}",
        secret("c", false),
        gateway(
            "  - port: {number: 443, name: exact, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: c}
  - port: {number: 443, name: wild, protocol: HTTPS}
    hosts: ['*.example.com']
    tls: {mode: SIMPLE, credentialName: c}
  - port: {number: 443, name: any, protocol: HTTPS}
    hosts: ['*']
    tls: {mode: SIMPLE, credentialName: c}
"
        )
    ));
    let l = t.listener(443).unwrap();
    let pick = |sni: &str| l.chain_for_sni(sni).map(|c| c.name.clone());
    assert_eq!(
        pick("a.example.com").as_deref(),
        Some("https.443.exact.gw.istio-system")
    );
    assert_eq!(
        pick("b.example.com").as_deref(),
        Some("https.443.wild.gw.istio-system")
    );
    assert_eq!(
        pick("other.org").as_deref(),
        Some("https.443.any.gw.istio-system")
    );
}

#[test]
fn a_missing_secret_is_mr0501_and_the_server_gets_no_chain() {
    let (t, diags) = compiled(&gateway(
        "  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: nowhere}
",
    ));
    assert!(t.listener(443).is_none());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, TLS_CREDENTIAL);
    assert_eq!(diags[0].path, "spec.servers[0].tls.credentialName");
    assert!(
        diags[0].message.contains("istio-system/nowhere"),
        "{}",
        diags[0].message
    );
    assert!(diags[0].line > 0);
}

#[test]
fn mutual_without_a_ca_is_mr0501() {
    let (_, diags) = compiled(&format!(
        "{}---\n{}",
        secret("a-cert", false),
        gateway(
            "  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: MUTUAL, credentialName: a-cert}
"
        )
    ));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, TLS_CREDENTIAL);
    assert!(
        diags[0].message.contains("a-cert-cacert"),
        "{}",
        diags[0].message
    );
}

#[test]
fn a_secret_without_a_key_is_mr0501() {
    let (_, diags) = compiled(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a-cert, namespace: istio-system}}\nstringData: {{cert: x}}\n---\n{}",
        gateway(
            "  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}
"
        )
    ));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].message.contains("no certificate and key"),
        "{}",
        diags[0].message
    );
}

#[test]
fn generic_secret_keys_and_base64_data_are_read_like_istio() {
    let b64 = |s: &str| {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in s.as_bytes().chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    };
    let (t, diags) = compiled(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a-cert, namespace: istio-system}}\ndata: {{cert: {}, key: {}}}\n---\n{}",
        b64(PEM_CERT),
        b64(PEM_KEY),
        gateway(
            "  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: a-cert}
"
        )
    ));
    assert!(diags.is_empty(), "{diags:?}");
    match &t.secrets[0].data {
        SecretData::Certificate { chain, key } => {
            assert_eq!(chain, PEM_CERT);
            assert_eq!(key, PEM_KEY);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tls_passthrough_and_tcp_servers_become_tcp_chains() {
    let (t, diags) = compiled(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 15443, name: tls, protocol: TLS}
    hosts: ['*.example.com']
    tls: {mode: PASSTHROUGH}
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: ['*.example.com']
  gateways: [istio-system/gw]
  tls:
  - match: [{port: 15443, sniHosts: [a.example.com]}]
    route: [{destination: {host: web, port: {number: 443}}}]
  - match: [{port: 9999, sniHosts: [b.example.com]}]
    route: [{destination: {host: web, port: {number: 443}}}]
  tcp:
  - match: [{port: 31400}]
    route:
    - {destination: {host: web, port: {number: 80}}, weight: 75}
    - {destination: {host: db, port: {number: 80}}, weight: 25}
",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert!(t.listeners.is_empty(), "no HTTP listener");
    let by_port = |p: u32| {
        t.tcp_listeners
            .iter()
            .find(|l| l.port == p)
            .expect("tcp listener")
    };
    let tls = &by_port(15443).chains;
    assert_eq!(
        tls.len(),
        1,
        "the match on another port does not apply: {tls:?}"
    );
    assert!(tls[0].tls_passthrough);
    assert_eq!(tls[0].server_names, ["a.example.com"]);
    assert_eq!(
        tls[0].destinations[0].cluster_name,
        "outbound|443||web.default.svc.cluster.local"
    );
    let tcp = &by_port(31400).chains;
    assert!(!tcp[0].tls_passthrough);
    let w: Vec<(String, u32)> = tcp[0]
        .destinations
        .iter()
        .map(|d| (d.cluster_name.clone(), d.weight))
        .collect();
    assert_eq!(
        w,
        [
            ("outbound|80||web.default.svc.cluster.local".to_string(), 75),
            ("outbound|80||db.default.svc.cluster.local".to_string(), 25)
        ]
    );
}

#[test]
fn an_https_server_without_a_mode_is_passthrough_as_in_istio() {
    // ServerTLSSettings.mode's default value is PASSTHROUGH: no HTTP routes, no certificate.
    let (t, diags) = compiled(&gateway(
        "  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {credentialName: a-cert}
",
    ));
    assert!(diags.is_empty(), "{diags:?}");
    assert!(t.listener(443).is_none());
    assert!(t.secrets.is_empty());
}

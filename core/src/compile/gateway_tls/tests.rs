use crate::certs::testing::*;
use crate::compile::{TLS_CREDENTIAL, TLS_DUPLICATE_HOST};
use crate::diag::Severity;

#[test]
fn mutual_without_a_ca_is_refused_naming_the_server() {
    let a = leaf("a.example.com", (2020, 2040), 1);
    for tls in [
        "{mode: MUTUAL, credentialName: a-cert}",
        "{mode: OPTIONAL_MUTUAL, credentialName: a-cert}",
        "{mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}",
    ] {
        let (_, t, d) = compile_gateway(&[
            gateway(&[&https("https-a", "a.example.com", tls)]),
            secret("a-cert", &a.cert, &a.key, None),
        ]);
        let e: Vec<_> = d.iter().filter(|d| d.code == TLS_CREDENTIAL).collect();
        assert_eq!(e.len(), 1, "{tls}: {d:?}");
        assert_eq!(e[0].severity, Severity::Error);
        assert!(
            e[0].path.starts_with("spec.servers[0].tls."),
            "{}",
            e[0].path
        );
        assert!(
            e[0].message.contains("CA") || e[0].message.contains("caCertificates"),
            "{}",
            e[0].message
        );
        assert!(crate::certs::refuses(e[0]));
        // The server gets no filter chain (and the port no listener).
        assert!(
            t.listeners.iter().all(|l| l.filter_chains.is_empty()),
            "{tls}"
        );
    }
    // With the CA in the Secret it compiles.
    let (_, t, d) = compile_gateway(&[
        gateway(&[&https(
            "https-a",
            "a.example.com",
            "{mode: MUTUAL, credentialName: a-cert}",
        )]),
        secret("a-cert", &a.cert, &a.key, Some(&ca("Root"))),
    ]);
    assert!(d.iter().all(|d| d.code != TLS_CREDENTIAL), "{d:?}");
    assert_eq!(
        t.listeners[0].filter_chains[0].tls.ca.as_deref(),
        Some("kubernetes://a-cert-cacert")
    );
}

#[test]
fn a_later_tls_server_with_a_host_an_earlier_one_has_is_skipped_like_istiod() {
    let a = leaf("a.example.com", (2020, 2040), 1);
    let simple = "{mode: SIMPLE, credentialName: a-cert}";
    let (_, t, d) = compile_gateway(&[
        gateway(&[
            &https("https-a", "a.example.com", simple),
            &https("https-b", "b.example.com", simple),
            // Shares a.example.com (written with a namespace): skipped whole, b.example.com too.
            &https("https-c", "istio-system/A.example.com", simple),
            // Another port: its own hosts.
            "{port: {number: 8443, name: https-d, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, credentialName: a-cert}}",
        ]),
        secret("a-cert", &a.cert, &a.key, None),
    ]);
    let dup: Vec<_> = d.iter().filter(|d| d.code == TLS_DUPLICATE_HOST).collect();
    assert_eq!(dup.len(), 1, "{d:?}");
    assert_eq!(dup[0].severity, Severity::Warning);
    assert_eq!(dup[0].path, "spec.servers[2].hosts");
    assert!(
        dup[0]
            .message
            .contains("a.example.com (Gateway istio-system/gw spec.servers[0])"),
        "{}",
        dup[0].message
    );
    let chains: Vec<&str> = t
        .listeners
        .iter()
        .flat_map(|l| l.filter_chains.iter().map(|c| c.name.as_str()))
        .collect();
    assert_eq!(
        chains,
        [
            "https.443.https-a.gw.istio-system",
            "https.443.https-b.gw.istio-system",
            "https.8443.https-d.gw.istio-system"
        ]
    );
}

#[test]
fn a_second_gateway_on_the_same_port_and_host_loses_to_the_older_one() {
    let a = leaf("a.example.com", (2020, 2040), 1);
    let other = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw2, namespace: istio-system, creationTimestamp: \"2030-01-01T00:00:00Z\"}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - {port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, credentialName: a-cert}}\n".to_string();
    let (_, t, d) = compile_gateway(&[
        gateway(&[&https("https-a", "a.example.com", "{mode: SIMPLE, credentialName: a-cert}")]).replace(
            "metadata: {name: gw, namespace: istio-system}",
            "metadata: {name: gw, namespace: istio-system, creationTimestamp: \"2020-01-01T00:00:00Z\"}",
        ),
        other,
        secret("a-cert", &a.cert, &a.key, None),
    ]);
    let dup: Vec<_> = d.iter().filter(|d| d.code == TLS_DUPLICATE_HOST).collect();
    assert_eq!(dup.len(), 1, "{d:?}");
    assert_eq!(dup[0].name, "gw2");
    assert_eq!(t.listeners[0].filter_chains.len(), 1);
    assert_eq!(t.listeners[0].filter_chains[0].gateway, "istio-system/gw");
}

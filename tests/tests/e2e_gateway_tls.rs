//! The whole Gateway in one Envoy (issue 14): every server port a listener of its own (LDS),
//! HTTPS servers as TLS filter chains chosen by SNI with certificates from Kubernetes Secrets
//! (SDS), MUTUAL and protocol versions enforced by Envoy, httpsRedirect landing on a real HTTPS
//! listener, certificate rotation and server ports added or removed in a running Envoy.
//! Certificates are generated per test (rcgen); the client side is rustls (handshakes) and ureq
//! (requests), never hand-written TLS.

use meshroute_tests::harness::seed::{self, Seed, GATEWAY_PROXY, HOST};
use meshroute_tests::harness::tls::{handshake, tls_secret, Ca, Https, Leaf};
use meshroute_tests::harness::{eventually, Scenario};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

const OTHER: &str = "other.example.com";

static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];

fn tls12() -> &'static [&'static rustls::SupportedProtocolVersion] {
    &TLS12
}
fn tls13() -> &'static [&'static rustls::SupportedProtocolVersion] {
    &TLS13
}
fn any_tls() -> &'static [&'static rustls::SupportedProtocolVersion] {
    rustls::DEFAULT_VERSIONS
}

/// A Gateway `name` in istio-system for the ingress pods with `servers` (YAML list items), and
/// a VirtualService binding `hosts` on it to demoappv10.
fn gateway_and_routes(name: &str, servers: &str, hosts: &[&str]) -> String {
    let hosts = hosts.join(", ");
    format!(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
{servers}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}-routes, namespace: default}}
spec:
  hosts: [{hosts}]
  gateways: [istio-system/{name}]
  http:
  - route: [{{destination: {{host: demoappv10}}}}]
"
    )
}

fn https_server(port_name: &str, host: &str, tls: &str) -> String {
    format!(
        "  - port: {{number: 443, name: {port_name}, protocol: HTTPS}}\n    hosts: [{host}]\n    tls: {tls}\n"
    )
}

/// The seed gateway (port 80 → 8080) plus `extra`, without a fixed listener port: the gateway
/// listens on every server's port, each its own Envoy listener.
fn config_text(net: &meshroute_tests::harness::Net, extra: &[String]) -> String {
    let mut s = Seed::new(net);
    for e in extra {
        s = s.with(e);
    }
    seed::config(GATEWAY_PROXY, None, true, &s.resources())
}

fn https_addr(s: &Scenario) -> SocketAddr {
    SocketAddr::new(s.addr().ip(), 8443)
}

fn write_config(s: &Scenario, name: &str, extra: &[String]) -> PathBuf {
    seed::write(s.dir.path(), name, &config_text(&s.net, extra)).expect("write config")
}

fn ok_from_demoapp((status, body): (u16, String)) {
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("iKubernetes demoapp v1.0 !! "), "{body:?}");
}

fn two_hosts(ca: &Ca) -> (Leaf, Leaf, Vec<String>) {
    let a = ca.leaf(&[HOST]);
    let b = ca.leaf(&[OTHER]);
    let servers = https_server(
        "https-demoapp",
        HOST,
        "{mode: SIMPLE, credentialName: demoapp-cert}",
    ) + &https_server(
        "https-other",
        OTHER,
        "{mode: SIMPLE, credentialName: other-cert}",
    );
    let extra = vec![
        tls_secret("demoapp-cert", "istio-system", &a, None),
        tls_secret("other-cert", "istio-system", &b, None),
        gateway_and_routes("tls-gateway", &servers, &[HOST, OTHER]),
    ];
    (a, b, extra)
}

#[test]
fn two_https_servers_on_one_port_present_their_own_certificates_and_route_by_sni() {
    let ca = Ca::new("meshroute test CA");
    let (a, b, extra) = two_hosts(&ca);
    let Some(s) = Scenario::start_bound(
        "two_https_servers_on_one_port",
        |net, dir| seed::write(dir, "gateway.yaml", &config_text(net, &extra)),
        |o| o,
    ) else {
        return;
    };
    let addr = https_addr(&s);
    // Each SNI gets its own certificate; an SNI no server names is refused, like Istio's.
    assert_eq!(
        handshake(addr, HOST, &ca.pem, None, any_tls()),
        Ok(a.der.clone())
    );
    assert_eq!(
        handshake(addr, OTHER, &ca.pem, None, any_tls()),
        Ok(b.der.clone())
    );
    assert!(handshake(addr, "nobody.example.com", &ca.pem, None, any_tls()).is_err());
    // Both reach the pods, through the filter, over HTTPS.
    let https = Https::new(addr, &ca.pem, None);
    ok_from_demoapp(https.get(&format!("https://{HOST}:8443/")).unwrap());
    ok_from_demoapp(https.get(&format!("https://{OTHER}:8443/")).unwrap());
    // Each HTTPS server has its own routes (Istio's https.443.NAME.GATEWAY.NS): a request for
    // the other server's host on this server's connection finds no virtual host.
    let (status, _) = https
        .get_with_host(&format!("https://{OTHER}:8443/"), HOST)
        .unwrap();
    assert_eq!(status, 404, "SNI {OTHER} with Host {HOST}");
    // The plaintext server on port 80 (listener 8080) is still there.
    assert_eq!(s.get(HOST, "/").status, 200);
}

#[test]
fn mutual_tls_wants_a_client_certificate_from_the_ca() {
    let ca = Ca::new("meshroute test CA");
    let server = ca.leaf(&[HOST]);
    let client = ca.leaf(&["client.example.com"]);
    let stranger = Ca::new("someone else").leaf(&["client.example.com"]);
    let extra = vec![
        tls_secret("mutual-cert", "istio-system", &server, Some(&ca.pem)),
        gateway_and_routes(
            "mtls-gateway",
            &https_server(
                "https-mtls",
                HOST,
                "{mode: MUTUAL, credentialName: mutual-cert}",
            ),
            &[HOST],
        ),
    ];
    let Some(s) = Scenario::start_bound(
        "mutual_tls",
        |net, dir| seed::write(dir, "gateway.yaml", &config_text(net, &extra)),
        |o| o,
    ) else {
        return;
    };
    let addr = https_addr(&s);
    let url = format!("https://{HOST}:8443/");
    assert!(
        handshake(addr, HOST, &ca.pem, None, any_tls()).is_err(),
        "no client certificate must be refused"
    );
    assert!(Https::new(addr, &ca.pem, None).get(&url).is_err());
    assert!(
        handshake(addr, HOST, &ca.pem, Some(&stranger), any_tls()).is_err(),
        "a client certificate from another CA must be refused"
    );
    assert_eq!(
        handshake(addr, HOST, &ca.pem, Some(&client), any_tls()),
        Ok(server.der.clone())
    );
    ok_from_demoapp(Https::new(addr, &ca.pem, Some(&client)).get(&url).unwrap());
}

#[test]
fn min_protocol_version_tls13_refuses_a_tls12_client() {
    let ca = Ca::new("meshroute test CA");
    let leaf = ca.leaf(&[HOST]);
    let extra = vec![
        tls_secret("demoapp-cert", "istio-system", &leaf, None),
        gateway_and_routes(
            "tls13-gateway",
            &https_server(
                "https-13",
                HOST,
                "{mode: SIMPLE, credentialName: demoapp-cert, minProtocolVersion: TLSV1_3}",
            ),
            &[HOST],
        ),
    ];
    let Some(s) = Scenario::start_bound(
        "min_protocol_version_tls13",
        |net, dir| seed::write(dir, "gateway.yaml", &config_text(net, &extra)),
        |o| o,
    ) else {
        return;
    };
    let addr = https_addr(&s);
    assert!(handshake(addr, HOST, &ca.pem, None, tls12()).is_err());
    assert_eq!(handshake(addr, HOST, &ca.pem, None, tls13()), Ok(leaf.der));
}

#[test]
fn https_redirect_lands_on_the_https_listener() {
    let ca = Ca::new("meshroute test CA");
    let secure = "secure.magedu.com";
    let leaf = ca.leaf(&[secure]);
    let servers = format!(
        "  - port: {{number: 80, name: http-secure, protocol: HTTP}}\n    hosts: [{secure}]\n    tls: {{httpsRedirect: true}}\n"
    ) + &https_server("https-secure", secure, "{mode: SIMPLE, credentialName: secure-cert}");
    let extra = vec![
        tls_secret("secure-cert", "istio-system", &leaf, None),
        gateway_and_routes("secure-gateway", &servers, &[secure]),
    ];
    let Some(s) = Scenario::start_bound(
        "https_redirect_lands_on_https",
        |net, dir| seed::write(dir, "gateway.yaml", &config_text(net, &extra)),
        |o| o,
    ) else {
        return;
    };
    let r = s.get(secure, "/docs?page=2");
    assert_eq!(r.status, 301, "{}", r.summary());
    let location = r.header("location").unwrap_or_default().to_string();
    assert_eq!(location, format!("https://{secure}/docs?page=2"));
    // Following it: port 443 is the gateway Service's, served by the 8443 listener.
    let (status, body) = Https::new(https_addr(&s), &ca.pem, None)
        .get(&location)
        .unwrap();
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_rotated_certificate_is_served_without_restart_and_open_connections_stay() {
    let ca = Ca::new("meshroute test CA");
    let first = ca.leaf(&[HOST]);
    let server = https_server(
        "https-demoapp",
        HOST,
        "{mode: SIMPLE, credentialName: demoapp-cert}",
    );
    let routes = gateway_and_routes("tls-gateway", &server, &[HOST]);
    let extra = vec![
        tls_secret("demoapp-cert", "istio-system", &first, None),
        routes.clone(),
    ];
    let Some(mut s) = Scenario::start_bound(
        "certificate_rotation",
        |net, dir| seed::write(dir, "gateway.yaml", &config_text(net, &extra)),
        |o| o.concurrency(1),
    ) else {
        return;
    };
    let addr = https_addr(&s);
    let url = format!("https://{HOST}:8443/");
    assert_eq!(
        handshake(addr, HOST, &ca.pem, None, any_tls()),
        Ok(first.der.clone())
    );
    // A connection opened before the rotation (kept alive by the client's pool).
    let https = Https::new(addr, &ca.pem, None);
    ok_from_demoapp(https.get(&url).unwrap());
    let pid = s.envoy.pid();
    let cx = format!(
        "listener.{}.downstream_cx_total",
        addr.to_string().replace(':', "_")
    );
    let modified = s
        .envoy
        .stat("listener_manager.listener_modified")
        .unwrap_or(0);

    // The Secret changes; the same bootstrap command runs again.
    let second = ca.leaf(&[HOST]);
    let config = write_config(
        &s,
        "gateway-rotated.yaml",
        &[
            tls_secret("demoapp-cert", "istio-system", &second, None),
            routes,
        ],
    );
    s.envoy.rerun_bootstrap(&config).expect("bootstrap");
    let served = eventually(Duration::from_secs(10), || {
        handshake(addr, HOST, &ca.pem, None, any_tls())
            .ok()
            .filter(|d| *d == second.der)
    });
    assert_eq!(
        served,
        Some(second.der.clone()),
        "the new certificate is presented"
    );
    assert_eq!(s.envoy.pid(), pid, "Envoy was not restarted");
    assert_eq!(
        s.envoy
            .stat("listener_manager.listener_modified")
            .unwrap_or(0),
        modified,
        "rotation changes no listener"
    );
    // The connection from before still works, and it is the same connection.
    let opened = s.envoy.stat(&cx);
    ok_from_demoapp(https.get(&url).unwrap());
    assert_eq!(
        s.envoy.stat(&cx),
        opened,
        "the request reused the connection opened before"
    );
}

#[test]
fn a_server_port_added_opens_in_place_and_removed_closes_while_the_others_serve() {
    let Some(mut s) = Scenario::start_bound(
        "server_port_added_and_removed",
        |net, dir| seed::write(dir, "gateway.yaml", &config_text(net, &[])),
        |o| o,
    ) else {
        return;
    };
    let port = meshroute_tests::harness::free_port(s.addr().ip()).expect("free port");
    let extra_addr = SocketAddr::new(s.addr().ip(), port);
    assert!(TcpStream::connect_timeout(&extra_addr, Duration::from_secs(1)).is_err());
    let pid = s.envoy.pid();
    let stat = |s: &Scenario, n: &str| {
        s.envoy
            .stat(&format!("listener_manager.{n}"))
            .unwrap_or_else(|| panic!("listener_manager.{n}"))
    };
    let (added, removed, modified) = (
        stat(&s, "listener_added"),
        stat(&s, "listener_removed"),
        stat(&s, "listener_modified"),
    );
    let server = format!(
        "  - port: {{number: {port}, name: http-extra, protocol: HTTP}}\n    hosts: [{HOST}]\n"
    );
    let with_port = write_config(
        &s,
        "gateway-more.yaml",
        &[gateway_and_routes("extra-gateway", &server, &[HOST])],
    );
    s.envoy.rerun_bootstrap(&with_port).expect("bootstrap");
    let opened = eventually(Duration::from_secs(10), || {
        let r = meshroute_tests::harness::http::get(extra_addr, HOST, "/", &[]).ok()?;
        (r.status == 200).then_some(r)
    });
    assert!(opened.is_some(), "port {port} serves after the re-run");
    assert_eq!(s.envoy.pid(), pid);
    assert_eq!(stat(&s, "listener_added"), added + 1);
    assert_eq!(
        stat(&s, "listener_modified"),
        modified,
        "the 8080 listener was not touched"
    );
    assert_eq!(s.get(HOST, "/").status, 200);

    let without = write_config(&s, "gateway-less.yaml", &[]);
    s.envoy.rerun_bootstrap(&without).expect("bootstrap");
    let closed = eventually(Duration::from_secs(10), || {
        TcpStream::connect_timeout(&extra_addr, Duration::from_millis(500))
            .is_err()
            .then_some(())
    });
    assert!(
        closed.is_some(),
        "port {port} closed after the server was removed"
    );
    assert_eq!(stat(&s, "listener_removed"), removed + 1);
    assert_eq!(s.envoy.pid(), pid);
    assert_eq!(s.get(HOST, "/").status, 200);
}

/// A Pod and a Service `name` in `default` on `ip:port` (port name `tls`/`tcp`).
fn backend_docs(
    name: &str,
    ip: std::net::IpAddr,
    port: u16,
    port_name: &str,
    version: &str,
) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: default}}
spec:
  selector: {{app: {name}, version: {version}}}
  ports: [{{name: {port_name}, port: {port}, targetPort: {port}, protocol: TCP}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: {name}-1
  namespace: default
  labels: {{app: {name}, version: {version}}}
status:
  podIP: {ip}
"
    )
}

#[test]
fn tls_passthrough_reaches_the_backend_which_presents_its_own_certificate() {
    let ca = Ca::new("meshroute test CA");
    let gateway_cert = ca.leaf(&["passthrough.example.com"]);
    let backend_cert = ca.leaf(&["passthrough.example.com"]);
    let sni = "passthrough.example.com";
    let mut backend_ip = None;
    let mut backend: Option<meshroute_tests::harness::Proc> = None;
    let Some(s) = Scenario::start_bound(
        "tls_passthrough",
        |net, dir| {
            let ip = net.ip(61);
            backend_ip = Some(ip);
            let cert = seed::write(dir, "backend.crt", &backend_cert.cert_pem)?;
            let key = seed::write(dir, "backend.key", &backend_cert.key_pem)?;
            // A real TLS server as the backend (Debian's openssl).
            let mut cmd = std::process::Command::new("openssl");
            cmd.args(["s_server", "-quiet", "-www", "-accept"])
                .arg(format!("{ip}:9443"))
                .arg("-cert")
                .arg(&cert)
                .arg("-key")
                .arg(&key)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            backend = Some(meshroute_tests::harness::Proc::spawn(
                cmd,
                "openssl s_server",
            )?);
            let servers = format!(
                "  - port: {{number: 443, name: tls-passthrough, protocol: TLS}}\n    hosts: [{sni}]\n    tls: {{mode: PASSTHROUGH}}\n"
            );
            let gw = format!(
                "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: passthrough-gateway, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
{servers}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: passthrough, namespace: default}}
spec:
  hosts: [{sni}]
  gateways: [istio-system/passthrough-gateway]
  tls:
  - match: [{{port: 443, sniHosts: [{sni}]}}]
    route: [{{destination: {{host: tls-backend, port: {{number: 9443}}}}}}]
"
            );
            let extra = vec![
                // The gateway has a certificate of its own for the same name: passthrough must
                // not use it.
                tls_secret("unused-cert", "istio-system", &gateway_cert, None),
                backend_docs("tls-backend", ip, 9443, "tls", "v1"),
                gw,
            ];
            seed::write(dir, "gateway.yaml", &config_text(net, &extra))
        },
        |o| o,
    ) else {
        return;
    };
    let backend_addr = SocketAddr::new(backend_ip.expect("backend ip"), 9443);
    assert!(
        eventually(Duration::from_secs(10), || TcpStream::connect(backend_addr)
            .ok())
        .is_some(),
        "the openssl backend listens"
    );
    let got = eventually(Duration::from_secs(10), || {
        handshake(https_addr(&s), sni, &ca.pem, None, any_tls()).ok()
    });
    assert_eq!(
        got,
        Some(backend_cert.der.clone()),
        "the backend's certificate, not the gateway's"
    );
    assert_ne!(backend_cert.der, gateway_cert.der);
    drop(backend);
}

#[test]
fn a_tcp_route_with_weights_80_20_splits_connections() {
    let Some(s) = Scenario::start_bound(
        "tcp_route_weights",
        |net, dir| {
            let v11 = "apiVersion: v1
kind: Service
metadata: {name: demoappv11, namespace: default}
spec:
  selector: {app: demoapp, version: v1.1}
  ports: [{name: tcp, port: 8080, targetPort: 8080, protocol: TCP}]
"
            .to_string();
            let gw = "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ['*']
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-split, namespace: default}
spec:
  hosts: ['*']
  gateways: [istio-system/tcp-gateway]
  tcp:
  - match: [{port: 31400}]
    route:
    - {destination: {host: demoappv10, port: {number: 8080}}, weight: 80}
    - {destination: {host: demoappv11, port: {number: 8080}}, weight: 20}
"
            .to_string();
            seed::write(dir, "gateway.yaml", &config_text(net, &[v11, gw]))
        },
        |o| o,
    ) else {
        return;
    };
    let addr = SocketAddr::new(s.addr().ip(), 31400);
    let url = format!("http://{addr}/");
    let n = 500;
    let mut v10 = 0;
    for i in 0..n {
        // A new agent per request: a new TCP connection, so a new tcp_proxy cluster choice.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        let mut r = agent
            .get(&url)
            .call()
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        let body = r.body_mut().read_to_string().unwrap_or_default();
        if body.starts_with("iKubernetes demoapp v1.0 ") {
            v10 += 1;
        } else {
            assert!(body.starts_with("iKubernetes demoapp v1.1 "), "{body:?}");
        }
    }
    let share = f64::from(v10) / f64::from(n);
    assert!(
        (share - 0.8).abs() <= 0.05,
        "v1.0 got {v10} of {n} connections"
    );
}

//! A client pod's sidecar (namespace `default`) in real Envoy: every name Istio gives a
//! Service reaches it — in the Host header and in absolute-form proxy requests (`curl -x`) —
//! and a bare name from another namespace does not.

use meshroute_tests::harness::http::Response;
use meshroute_tests::harness::seed::{Seed, CLUSTER_IP};
use meshroute_tests::harness::{raw, Demoapp, Role, Scenario};

const OTHER_NAMESPACE: &str = "apiVersion: v1
kind: Service
metadata: {name: backend, namespace: other}
spec:
  clusterIP: 10.96.20.10
  selector: {app: backend}
  ports: [{name: http, port: 8080, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: backend-1, namespace: other, labels: {app: backend}}
status: {podIP: POD_IP}
";

fn assert_v10(what: &str, r: &Response) {
    assert_eq!(r.status, 200, "{what}: {}", r.summary());
    assert!(
        r.pod().is_some_and(|p| p.starts_with("demoappv10-")),
        "{what}: answered by {:?}",
        r.pod()
    );
    assert_eq!(
        r.header("x-meshroute-cluster"),
        Some("outbound|8080||demoappv10.default.svc.cluster.local"),
        "{what}"
    );
}

#[test]
fn sidecar_reaches_a_service_by_every_name_and_its_cluster_ip() {
    let Some(mut s) = Scenario::start(
        "sidecar_reaches_a_service_by_every_name",
        Role::Sidecar,
        |net| Seed::new(net).with(&OTHER_NAMESPACE.replace("POD_IP", &net.ip(51).to_string())),
    ) else {
        return;
    };
    let backend = Demoapp::start(
        &s.bins,
        s.net.addr(51, 8080),
        "v1.0",
        "backend-1",
        &["--quiet"],
    )
    .expect("backend pod");

    // Host header forms. The service port comes from the authority.
    for host in [
        "demoappv10:8080",
        "demoappv10.default:8080",
        "demoappv10.default.svc:8080",
        "demoappv10.default.svc.cluster.local:8080",
        &format!("{CLUSTER_IP}:8080"),
    ] {
        assert_v10(&format!("Host: {host}"), &s.get(host, "/"));
    }

    // Absolute-form requests, as `curl -x http://SIDECAR http://demoappv10:8080/` sends them.
    for url_host in ["demoappv10:8080", &format!("{CLUSTER_IP}:8080")] {
        let request = format!(
            "GET http://{url_host}/hostname HTTP/1.1\r\nHost: {url_host}\r\nConnection: close\r\n\r\n"
        );
        let r = raw::send(s.addr(), request.as_bytes()).expect("absolute-form request");
        assert_v10(&format!("GET http://{url_host}/"), &r);
        assert_eq!(r.header("x-demoapp-path"), Some("/hostname"));
    }

    // Another namespace: `name.namespace` works, the bare name belongs to `default` only.
    let r = s.get("backend.other:8080", "/");
    assert_eq!(r.status, 200, "backend.other: {}", r.summary());
    assert_eq!(r.pod(), Some("backend-1"));
    let before = backend.requests();
    let r = s.get("backend:8080", "/");
    assert_ne!(
        r.status,
        200,
        "bare name of another namespace: {}",
        r.summary()
    );
    assert_eq!(
        r.pod(),
        None,
        "bare name of another namespace reached a pod"
    );
    assert_eq!(backend.requests(), before);
    s.assert_live();
}

/// Starts a sidecar on the seed with `mesh:` set as given, and a demoapp at `.61:8080` that no
/// Service or ServiceEntry names.
fn start_with_mesh(test: &str, mesh: &str) -> Option<(Scenario, Demoapp)> {
    let mesh = mesh.to_string();
    let s = Scenario::start_config(
        test,
        &[],
        |net, dir| {
            let cfg = format!("{mesh}\n{}", Seed::new(net).debug(true).sidecar_config());
            meshroute_tests::harness::seed::write(dir, "sidecar.yaml", &cfg)
        },
        |o| o,
    )?;
    let unknown = Demoapp::start(
        &s.bins,
        s.net.addr(61, 8080),
        "v9.9",
        "unknown-1",
        &["--quiet"],
    )
    .expect("unregistered backend");
    Some((s, unknown))
}

/// Istio's default `outboundTrafficPolicy: ALLOW_ANY`: a host no service names goes to
/// `PassthroughCluster`, the request's own destination (httproute.go `allow_any`).
#[test]
fn allow_any_passes_an_unknown_ip_authority_through() {
    let Some((mut s, unknown)) = start_with_mesh(
        "allow_any_passes_an_unknown_ip_authority_through",
        "mesh: {outboundTrafficPolicy: {mode: ALLOW_ANY}}",
    ) else {
        return;
    };
    let host = s.net.addr(61, 8080).to_string();
    let r = s.get(&host, "/passthrough");
    assert_eq!(r.status, 200, "{}", r.summary());
    assert_eq!(r.pod(), Some("unknown-1"));
    assert_eq!(r.header("x-meshroute-cluster"), Some("PassthroughCluster"));
    assert_eq!(unknown.requests(), 1);
    // A name no DNS answer is known for: 502, never forwarded to the listener itself.
    let r = s.get("unknown.example.com:8080", "/");
    assert_eq!(r.status, 502, "{}", r.summary());
    // Registered services still go to their clusters.
    assert_v10("demoappv10", &s.get("demoappv10:8080", "/"));
    s.assert_live();
}

/// `REGISTRY_ONLY`: the `block_all` route answers 502 (Istio's BlackHoleCluster).
#[test]
fn registry_only_answers_502_for_an_unknown_host() {
    let Some((mut s, unknown)) = start_with_mesh(
        "registry_only_answers_502_for_an_unknown_host",
        "mesh: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}",
    ) else {
        return;
    };
    let host = s.net.addr(61, 8080).to_string();
    let r = s.get(&host, "/blocked");
    assert_eq!(r.status, 502, "{}", r.summary());
    assert_eq!(r.header("x-meshroute-cluster"), Some("BlackHoleCluster"));
    assert_eq!(unknown.requests(), 0);
    assert_v10("demoappv10", &s.get("demoappv10:8080", "/"));
    s.assert_live();
}

//! One test per analyzer rule, named after the rule. Inputs are small YAML scenarios; the
//! expectation is beside them.

use super::{analyze, AnalyzeOptions};
use crate::diag::{Diagnostic, Severity};
use crate::resources::{load, LoadOptions};

fn run_with(yaml: &str, opts: &AnalyzeOptions) -> Vec<Diagnostic> {
    let (res, load_diags) = load(&[("t.yaml", yaml)], &LoadOptions::default());
    assert!(
        load_diags.iter().all(|d| d.severity != Severity::Error),
        "{load_diags:?}"
    );
    analyze(&res, opts)
}

fn run(yaml: &str) -> Vec<Diagnostic> {
    run_with(yaml, &AnalyzeOptions::default())
}

/// `CODE Kind ns/name path` per finding.
fn summary(diags: &[Diagnostic]) -> Vec<String> {
    let mut v: Vec<String> = diags
        .iter()
        .map(|d| format!("{} {} {}", d.code, d.resource(), d.path))
        .collect();
    v.sort();
    v
}

fn find<'a>(diags: &'a [Diagnostic], code: &str) -> &'a Diagnostic {
    diags
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", summary(diags)))
}

const REVIEWS: &str = "
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
---
apiVersion: v1
kind: Service
metadata: {name: two-ports, namespace: default}
spec:
  ports: [{name: http, port: 80}, {name: https, port: 443}]
";

fn with_reviews(extra: &str) -> Vec<Diagnostic> {
    run(&format!("{REVIEWS}---\n{extra}"))
}

// ---------------------------------------------------------------------------------------------
// virtualservice.DestinationHostAnalyzer

#[test]
fn vs_destination_host_not_found_is_ist0101() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: ratings
",
    );
    assert_eq!(
        summary(&d),
        vec!["IST0101 VirtualService default/vs spec.http[0].route[0].destination.host"]
    );
    let d = &d[0];
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.message, "Referenced host not found: \"ratings\"");
    assert_eq!((d.line, d.column), (27, 15));
}

#[test]
fn vs_short_host_expands_in_the_vs_namespace() {
    let vs = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: NS}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
";
    assert!(with_reviews(&vs.replace("NS", "default")).is_empty());
    let other = with_reviews(&vs.replace("NS", "other"));
    assert_eq!(
        summary(&other),
        vec!["IST0101 VirtualService other/vs spec.http[0].route[0].destination.host"]
    );
}

#[test]
fn vs_dotted_host_without_cluster_local_is_ist0101_with_did_you_mean() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews.default.svc, port: {number: 9080}}
",
    );
    assert_eq!(
        find(&d, "IST0101").message,
        "Referenced host not found: \"reviews.default.svc\"; did you mean \"reviews.default.svc.cluster.local\"?"
    );
}

#[test]
fn vs_mirror_host_not_found_is_ist0101() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
    mirror: {host: shadow}
    mirrors:
    - destination: {host: shadow2}
",
    );
    assert_eq!(
        summary(&d),
        vec![
            "IST0101 VirtualService default/vs spec.http[0].mirror.host",
            "IST0101 VirtualService default/vs spec.http[0].mirrors[0].destination.host",
        ]
    );
    assert_eq!(d[0].message, "Referenced mirror host not found: \"shadow\"");
}

#[test]
fn vs_destination_port_missing_on_service_is_ist0101_host_port() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, port: {number: 999}}
",
    );
    let d = find(&d, "IST0101");
    assert_eq!(d.path, "spec.http[0].route[0].destination.port.number");
    assert_eq!(d.message, "Referenced host:port not found: \"reviews:999\"");
}

#[test]
fn vs_destination_without_port_on_multi_port_service_is_ist0112() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [two-ports]
  http:
  - route:
    - destination: {host: two-ports}
",
    );
    let d = find(&d, "IST0112");
    assert_eq!(
        d.message,
        "This VirtualService routes to a service \"two-ports\" that exposes multiple ports [80 443]. Specifying a port in the destination is required to disambiguate."
    );
}

#[test]
fn ingress_vs_without_subset_while_another_vs_routes_by_subset_is_ist0140() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: by-subset, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {app: reviews}
  servers: [{port: {number: 9080, name: http, protocol: HTTP}, hosts: ['*']}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ingress, namespace: default}
spec:
  hosts: ['*']
  gateways: [gw]
  http:
  - route:
    - destination: {host: reviews}
",
    );
    let d = find(&d, "IST0140");
    assert_eq!(d.resource(), "VirtualService default/ingress");
    assert_eq!(
        d.message,
        "Subset in virtual service default/by-subset has no effect on ingress gateway default/ingress requests"
    );
}

// ---------------------------------------------------------------------------------------------
// virtualservice.DestinationRuleAnalyzer

#[test]
fn vs_subset_not_in_any_destination_rule_is_ist0101() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 50
    - destination: {host: reviews, subset: v2}
      weight: 50
",
    );
    assert_eq!(
        summary(&d),
        vec!["IST0101 VirtualService default/vs spec.http[0].route[1].destination.subset"]
    );
    assert_eq!(
        d[0].message,
        "Referenced host+subset in destinationrule not found: \"reviews+v2\""
    );
}

// ---------------------------------------------------------------------------------------------
// virtualservice.GatewayAnalyzer

const GATEWAY: &str = "
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [app.example.com, team/internal.example.com]
---
apiVersion: v1
kind: Pod
metadata: {name: gw-pod, namespace: istio-system, labels: {istio: ingressgateway}}
---
apiVersion: v1
kind: Service
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080, protocol: TCP}
  - {name: https, port: 443, targetPort: 8443, protocol: TCP}
";

fn gateway_vs(ns: &str, host: &str, gateway: &str) -> Vec<Diagnostic> {
    let vs = format!(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: {ns}}}
spec:
  hosts: [{host}]
  gateways: [{gateway}]
  http:
  - directResponse: {{status: 200}}
"
    );
    run(&format!("{GATEWAY}---\n{vs}"))
}

#[test]
fn vs_referencing_a_missing_gateway_is_ist0101_and_ist0132() {
    let d = gateway_vs("default", "app.example.com", "istio-system/nope");
    assert_eq!(
        summary(&d),
        vec![
            "IST0101 VirtualService default/vs spec.gateways[0]",
            "IST0132 VirtualService default/vs spec.gateways[0]",
        ]
    );
    assert_eq!(
        find(&d, "IST0101").message,
        "Referenced gateway not found: \"istio-system/nope\""
    );
}

#[test]
fn vs_host_not_among_gateway_hosts_is_ist0132() {
    assert!(gateway_vs("default", "app.example.com", "istio-system/gw").is_empty());
    let d = gateway_vs("default", "other.example.com", "istio-system/gw");
    assert_eq!(
        find(&d, "IST0132").message,
        "one or more host [other.example.com] defined in VirtualService default/vs not found in Gateway istio-system/gw."
    );
}

#[test]
fn gateway_host_qualified_with_a_namespace_is_only_seen_from_it_ist0132() {
    assert!(gateway_vs("team", "internal.example.com", "istio-system/gw").is_empty());
    let d = gateway_vs("default", "internal.example.com", "istio-system/gw");
    assert_eq!(
        summary(&d),
        vec!["IST0132 VirtualService default/vs spec.gateways[0]"]
    );
}

#[test]
fn legacy_gateway_names_resolve_like_istiod() {
    assert!(gateway_vs(
        "default",
        "app.example.com",
        "gw.istio-system.svc.cluster.local"
    )
    .is_empty());
    assert!(gateway_vs("istio-system", "app.example.com", "./gw").is_empty());
}

#[test]
fn vs_referencing_an_internal_gateway_is_ist0165() {
    let d = gateway_vs(
        "default",
        "app.example.com",
        "istio-ingress/gateway~istio-autogenerated-k8s-gateway~foo",
    );
    assert_eq!(
        summary(&d),
        vec!["IST0165 VirtualService default/vs spec.gateways[0]"]
    );
}

// ---------------------------------------------------------------------------------------------
// virtualservice.ConflictingMeshGatewayHostsAnalyzer

#[test]
fn mesh_virtual_services_with_the_same_host_are_ist0109() {
    let vs = |name: &str, gateways: &str| {
        format!(
            "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [reviews]
  gateways: {gateways}
  http:
  - route:
    - destination: {{host: reviews}}
"
        )
    };
    let d = with_reviews(&format!("{}---\n{}", vs("a", "[]"), vs("b", "[mesh]")));
    assert_eq!(
        summary(&d),
        vec![
            "IST0109 VirtualService default/a spec.hosts[0]",
            "IST0109 VirtualService default/b spec.hosts[0]",
        ]
    );
    assert!(d[0]
        .message
        .starts_with("The VirtualServices default/a,default/b associated with mesh gateway define the same host */reviews.default.svc.cluster.local"));
    // Gateway-bound VirtualServices are merged by the gateway: no conflict.
    let d = with_reviews(&format!("{}---\n{}", vs("a", "[]"), vs("b", "[gw]")));
    assert!(d.iter().all(|d| d.code != "IST0109"), "{:?}", summary(&d));
}

// ---------------------------------------------------------------------------------------------
// schema.ValidationAnalyzer.VirtualService (validation's rule analysis)

fn http_rules(rules: &str) -> Vec<Diagnostic> {
    with_reviews(&format!(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: default}}
spec:
  hosts: [reviews]
  http:
{rules}"
    ))
}

#[test]
fn rule_after_a_rule_without_matches_is_ist0130() {
    let d = http_rules(
        "  - route: [{destination: {host: reviews}}]
  - route: [{destination: {host: reviews}}]
",
    );
    let d = find(&d, "IST0130");
    assert_eq!(d.path, "spec.http[1]");
    assert_eq!(
        d.message,
        "VirtualService rule #1 not used (only the last rule can have no matches)."
    );
}

#[test]
fn duplicate_match_is_ist0131_and_its_rule_ist0130() {
    let d = http_rules(
        "  - name: first
    match: [{uri: {exact: /a}, name: one}]
    route: [{destination: {host: reviews}}]
  - name: second
    match: [{uri: {exact: /a}, name: two}]
    route: [{destination: {host: reviews}}]
",
    );
    assert_eq!(
        summary(&d),
        vec![
            "IST0130 VirtualService default/vs spec.http[1]",
            "IST0131 VirtualService default/vs spec.http[1].match[0]",
        ]
    );
    assert_eq!(
        find(&d, "IST0131").message,
        "VirtualService rule \"second\" match \"two\" is not used (duplicate/overlapping match in rule \"first\")."
    );
    assert_eq!(find(&d, "IST0131").severity, Severity::Info);
}

#[test]
fn prefix_match_covered_by_an_earlier_prefix_is_ist0131() {
    let d = http_rules(
        "  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /api/v1}}]
    route: [{destination: {host: reviews}}]
",
    );
    assert_eq!(
        find(&d, "IST0131").message,
        "VirtualService rule #1 match #0 of prefix /api/v1 is not used (duplicate/overlapping match in rule #0 of prefix /api on #0)."
    );
    // A header on the later match narrows it: not covered.
    let d = http_rules(
        "  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /api/v1}, headers: {x: {exact: z}}}]
    route: [{destination: {host: reviews}}]
",
    );
    assert!(d.is_empty(), "{:?}", summary(&d));
}

#[test]
fn duplicate_tcp_match_is_ist0131() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [reviews]
  tcp:
  - match: [{port: 9080}]
    route: [{destination: {host: reviews}}]
  - match: [{port: 9080}, {port: 9081}]
    route: [{destination: {host: reviews}}]
",
    );
    assert_eq!(
        summary(&d),
        vec!["IST0131 VirtualService default/vs spec.tcp[1].match[0]"]
    );
}

// ---------------------------------------------------------------------------------------------
// gateway.IngressGatewayPortAnalyzer / ConflictingGatewayAnalyzer / CertificateAnalyzer

fn gateways(extra: &str) -> Vec<Diagnostic> {
    run(&format!("{GATEWAY}---\n{extra}"))
}

#[test]
fn gateway_selector_matching_no_pod_is_ist0101_once() {
    let d = gateways(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: lonely, namespace: istio-system}
spec:
  selector: {istio: nothing}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]
",
    );
    // Both gateway analyzers find it; it is reported once.
    assert_eq!(
        summary(&d),
        vec!["IST0101 Gateway istio-system/lonely spec.selector.istio"]
    );
    assert_eq!(
        d[0].message,
        "Referenced selector not found: \"istio=nothing\""
    );
}

#[test]
fn gateway_port_not_exposed_by_the_gateway_service_is_ist0162() {
    let gw = |port: u32| {
        format!(
            "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: g2, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers: [{{port: {{number: {port}, name: http, protocol: HTTP}}, hosts: [b.example.com]}}]
"
        )
    };
    // 80 is the Service port, 8080 its target port: both are fine.
    assert!(gateways(&gw(80)).is_empty());
    assert!(gateways(&gw(8080)).is_empty());
    let d = gateways(&gw(9090));
    assert_eq!(
        summary(&d),
        vec!["IST0162 Gateway istio-system/g2 spec.servers[0].port.number"]
    );
    assert!(d[0]
        .message
        .starts_with("The gateway is listening on a target port (port 9090) that is not defined in the Service associated with its workload instances (Pod selector istio=ingressgateway)."));
}

#[test]
fn gateways_with_same_selector_port_and_host_are_ist0145() {
    let d = gateways(
        "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: twin, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [app.example.com]}]
",
    );
    assert_eq!(
        summary(&d),
        vec![
            "IST0145 Gateway istio-system/gw spec.servers[0].hosts",
            "IST0145 Gateway istio-system/twin spec.servers[0].hosts",
        ]
    );
    assert_eq!(
        find(&d, "IST0145").message,
        "Conflict with gateways istio-system/twin (workload selector istio=ingressgateway, port 80, hosts app.example.com,team/internal.example.com)."
    );
}

#[test]
fn gateways_sharing_a_certificate_are_ist0138() {
    let gw = |name: &str, host: &str| {
        format!(
            "apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: istio-system}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 443, name: https, protocol: HTTPS}}
    hosts: [{host}]
    tls: {{mode: SIMPLE, credentialName: shared-cert}}
"
        )
    };
    let d = gateways(&format!(
        "{}---\n{}",
        gw("a", "a.example.com"),
        gw("b", "b.example.com")
    ));
    assert_eq!(
        summary(&d),
        vec![
            "IST0138 Gateway istio-system/a spec.servers[0].tls.credentialName",
            "IST0138 Gateway istio-system/b spec.servers[0].tls.credentialName",
        ]
    );
    assert_eq!(
        find(&d, "IST0138").message,
        "Duplicate certificate in multiple gateways [istio-system/a istio-system/b] may cause 404s if clients re-use HTTP2 connections."
    );
}

// ---------------------------------------------------------------------------------------------
// destinationrule.CaCertificateAnalyzer / SubsetSelectPodAnalyzer

#[test]
fn dr_tls_without_ca_certificates_is_ist0128_and_port_level_ist0129() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    tls: {mode: SIMPLE}
    portLevelSettings:
    - port: {number: 9080}
      tls: {mode: MUTUAL, clientCertificate: /c, privateKey: /k}
    - port: {number: 9443}
      tls: {mode: SIMPLE, caCertificates: /ca}
",
    );
    assert_eq!(
        summary(&d),
        vec![
            "IST0128 DestinationRule default/reviews spec.trafficPolicy.tls.caCertificates",
            "IST0129 DestinationRule default/reviews spec.trafficPolicy.portLevelSettings[0].tls.caCertificates",
        ]
    );
    assert_eq!(
        find(&d, "IST0128").message,
        "DestinationRule default/reviews in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: reviews"
    );
    assert!(find(&d, "IST0129")
        .message
        .ends_with("for host: reviews at port number:9080"));
}

#[test]
fn subset_selecting_no_pods_is_ist0173() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
",
    );
    assert_eq!(
        summary(&d),
        vec!["IST0173 DestinationRule default/reviews spec.subsets[1].labels"]
    );
    assert_eq!(
        d[0].message,
        "The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream)."
    );
}

#[test]
fn subset_labels_see_the_node_topology_labels() {
    let d = run("apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web}}
spec: {nodeName: node-a}
---
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {topology.kubernetes.io/region: eu, topology.kubernetes.io/zone: ''}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web
  subsets:
  - {name: eu, labels: {topology.kubernetes.io/region: eu}}
  - {name: node, labels: {kubernetes.io/hostname: node-a}}
  - {name: no-zone, labels: {topology.kubernetes.io/zone: ''}}
");
    assert_eq!(
        summary(&d),
        vec!["IST0173 DestinationRule default/web spec.subsets[2].labels"]
    );
}

#[test]
fn subset_selecting_service_entry_endpoints_is_fine() {
    let d = run("apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [ext.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.0.0.1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ext, namespace: default}
spec:
  host: ext.example.com
  subsets: [{name: v1, labels: {version: v1}}]
");
    assert!(d.is_empty(), "{:?}", summary(&d));
}

#[test]
fn dr_host_matching_no_service_is_ist0174() {
    let d = with_reviews(
        "apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ghost, namespace: default}
spec:
  host: ghost.example.com
",
    );
    assert_eq!(
        summary(&d),
        vec!["IST0174 DestinationRule default/ghost spec.host"]
    );
    assert_eq!(
        d[0].message,
        "The host ghost.example.com defined in the DestinationRule does not match any services in the mesh."
    );
}

// ---------------------------------------------------------------------------------------------
// serviceentry.Analyzer / ConflictingServiceEntryProtocolAnalyzer

const SE_TCP: &str = "apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: default}
spec:
  hosts: [db.example.com]
  ports: [{number: 5432, name: pg}, {number: 80, name: http, protocol: HTTP}]
  resolution: DNS
";

#[test]
fn service_entry_tcp_port_without_addresses_is_ist0134() {
    let d = run(SE_TCP);
    assert_eq!(
        summary(&d),
        vec!["IST0134 ServiceEntry default/db spec.ports[0].protocol"]
    );
    assert_eq!(
        d[0].message,
        "ServiceEntry addresses are required for this protocol."
    );
    let allocated = format!("{SE_TCP}status: {{addresses: [{{value: 240.240.0.1}}]}}\n");
    assert!(run(&allocated).is_empty());
    let mut opts = AnalyzeOptions::default();
    opts.apply_mesh_config(
        "defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n    ISTIO_META_DNS_AUTO_ALLOCATE: \"true\"\n",
    )
    .unwrap();
    assert!(run_with(SE_TCP, &opts).is_empty());
}

#[test]
fn service_entries_with_conflicting_protocols_are_ist0177() {
    let se = |name: &str, proto: &str| {
        format!(
            "apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [api.example.com]
  addresses: [240.0.0.1]
  ports: [{{number: 443, name: p, protocol: {proto}}}]
"
        )
    };
    let d = run(&format!("{}---\n{}", se("a", "HTTPS"), se("b", "tls")));
    assert_eq!(
        summary(&d),
        vec![
            "IST0177 ServiceEntry default/a spec.ports[0].protocol",
            "IST0177 ServiceEntry default/b spec.ports[0].protocol",
        ]
    );
    assert_eq!(
        d[0].message,
        "Multiple ServiceEntries (default/a, default/b) define the same host \"api.example.com\" and port 443 with conflicting protocols (HTTPS, TLS)."
    );
    assert!(run(&format!("{}---\n{}", se("a", "HTTPS"), se("b", "https"))).is_empty());
}

// ---------------------------------------------------------------------------------------------
// service.PortNameAnalyzer

#[test]
fn service_port_name_without_protocol_prefix_is_ist0118() {
    let d = run("apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ports:
  - {name: web, port: 80, targetPort: 8080}
  - {name: http-alt, port: 81}
  - {port: 3306}
");
    assert_eq!(
        summary(&d),
        vec!["IST0118 Service default/web spec.ports[0].name"]
    );
    assert_eq!(d[0].severity, Severity::Info);
    assert_eq!(
        d[0].message,
        "Port name web (port: 80, targetPort: 8080) doesn't follow the naming convention of Istio port."
    );
}

#[test]
fn external_name_service_tcp_port_is_ist0150() {
    let d = run("apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec:
  type: ExternalName
  externalName: example.com
  ports: [{name: tcp, port: 80}, {name: http, port: 8080}]
");
    assert_eq!(
        summary(&d),
        vec!["IST0150 Service default/ext spec.ports[0].name"]
    );
}

// ---------------------------------------------------------------------------------------------
// deprecation.DeprecationAnalyzer

#[test]
fn deprecated_fault_delay_percent_is_ist0002() {
    let d = http_rules(
        "  - fault: {delay: {percent: 50, fixedDelay: 1s}}
    route: [{destination: {host: reviews}}]
",
    );
    assert_eq!(
        summary(&d),
        vec!["IST0002 VirtualService default/vs spec.http[0].fault.delay.percent"]
    );
    assert_eq!(
        d[0].message,
        "Deprecated: HTTPRoute.fault.delay.percent is deprecated; use HTTPRoute.fault.delay.percentage"
    );
}

// ---------------------------------------------------------------------------------------------
// options

#[test]
fn only_runs_the_named_analyzers() {
    let opts = AnalyzeOptions {
        only: Some(vec!["virtualservice.GatewayAnalyzer".to_string()]),
        ..AnalyzeOptions::default()
    };
    let d = run_with(
        "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [nope]
  http:
  - route: [{destination: {host: nowhere}}]
",
        &opts,
    );
    assert_eq!(
        summary(&d),
        vec![
            "IST0101 VirtualService default/vs spec.gateways[0]",
            "IST0132 VirtualService default/vs spec.gateways[0]",
        ]
    );
}

#[test]
fn analyzers_never_panic_on_empty_or_partial_resources() {
    let d = run("apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  http:
  - route: [{}]
    mirrors: [{}]
  tcp: [{}]
  tls: [{match: [{}]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers: [{}, {port: {}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr}
spec:
  trafficPolicy: {portLevelSettings: [{tls: {mode: SIMPLE}}]}
  subsets: [{}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se}
spec: {ports: [{}]}
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {ports: [{}]}
");
    assert!(!d.is_empty());
}

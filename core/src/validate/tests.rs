//! Validation rules, one test per rule group, each with valid and invalid YAML side by side
//! (as Istio's `validation_test.go`).

use super::*;
use crate::diag::Diagnostic;
use crate::resources::{load, LoadOptions};

const VS: &str = "VirtualService";
const DR: &str = "DestinationRule";
const GW: &str = "Gateway";
const SE: &str = "ServiceEntry";
const WE: &str = "WorkloadEntry";

/// A full document of `kind` named `x` in namespace `ns`, with `spec` (YAML, unindented).
fn doc(kind: &str, spec: &str) -> String {
    let mut out = format!(
        "apiVersion: networking.istio.io/v1\nkind: {kind}\nmetadata:\n  name: x\n  namespace: ns\nspec:\n"
    );
    for line in spec.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Loads one YAML text (the loader must accept it) and validates it.
fn run(text: &str) -> Vec<Diagnostic> {
    let (res, load_diags) = load(&[("t.yaml", text)], &LoadOptions::default());
    assert!(load_diags.is_empty(), "loader: {load_diags:#?}\n{text}");
    validate(&res)
}

fn of(diags: &[Diagnostic], code: &str) -> Vec<Diagnostic> {
    diags.iter().filter(|d| d.code == code).cloned().collect()
}

/// The spec is valid: no IST0106 (and no IST0133).
#[track_caller]
fn valid(kind: &str, spec: &str) {
    let d = run(&doc(kind, spec));
    let bad: Vec<_> = d
        .iter()
        .filter(|d| d.code == codes::SCHEMA_ERROR || d.code == codes::SCHEMA_WARNING)
        .collect();
    assert!(
        bad.is_empty(),
        "expected valid {kind}:\n{spec}\ngot {bad:#?}"
    );
}

/// The spec has an error at `path` whose message contains `frag`.
#[track_caller]
fn invalid(kind: &str, spec: &str, path: &str, frag: &str) -> Diagnostic {
    diag_of(kind, spec, codes::SCHEMA_ERROR, path, frag)
}

/// The spec has a warning at `path` whose message contains `frag`.
#[track_caller]
fn warns(kind: &str, spec: &str, path: &str, frag: &str) -> Diagnostic {
    diag_of(kind, spec, codes::SCHEMA_WARNING, path, frag)
}

#[track_caller]
fn diag_of(kind: &str, spec: &str, code: &str, path: &str, frag: &str) -> Diagnostic {
    let d = run(&doc(kind, spec));
    let found = d
        .iter()
        .find(|d| d.code == code && d.path == path && d.message.contains(frag));
    match found {
        Some(f) => {
            assert_eq!(f.kind, kind);
            assert_eq!(f.resource(), format!("{kind} ns/x"));
            assert!(f.line > 0 && f.column > 0);
            f.clone()
        }
        None => panic!("expected {code} at {path:?} containing {frag:?} for:\n{spec}\ngot {d:#?}"),
    }
}

/// A VirtualService spec with one HTTP rule body (indented under `- `).
fn http(rule: &str) -> String {
    let mut s = String::from("hosts: [r]\nhttp:\n");
    for (i, line) in rule.lines().enumerate() {
        s.push_str(if i == 0 { "- " } else { "  " });
        s.push_str(line);
        s.push('\n');
    }
    s
}

const ROUTE: &str = "route:\n- destination: {host: r}";

// ------------------------------------------------------------------------------------------
// VirtualService: destinations and weights

#[test]
fn weights_need_not_sum_to_100() {
    valid(
        VS,
        &http(
            "route:\n- destination: {host: a}\n  weight: 1\n- destination: {host: b}\n  weight: 2",
        ),
    );
    valid(VS, &http("route:\n- destination: {host: a}\n  weight: 0"));
    valid(
        VS,
        &http("route:\n- destination: {host: a}\n  weight: 900\n- destination: {host: b}\n  weight: 0"),
    );
}

#[test]
fn several_destinations_need_a_positive_weight_sum() {
    let d = invalid(
        VS,
        &http("route:\n- destination: {host: a}\n- destination: {host: b}"),
        "spec.http[0].route",
        "total weight must be greater than 0",
    );
    assert_eq!((d.line, d.column), (9, 5));
}

#[test]
fn negative_weight_is_rejected() {
    let d = invalid(
        VS,
        &http("route:\n- destination: {host: a}\n  weight: 10\n- destination: {host: b}\n  weight: -1"),
        "spec.http[0].route[1].weight",
        "weight must be >= 0, got -1",
    );
    assert_eq!((d.line, d.column), (13, 15));
    assert_eq!(d.severity, Severity::Error);
}

#[test]
fn destination_host_subset_and_port_are_checked() {
    invalid(
        VS,
        &http("route:\n- destination: {host: \"*\"}"),
        "spec.http[0].route[0].destination.host",
        "invalid destination host",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: a_b}"),
        "spec.http[0].route[0].destination.host",
        "DNS-1123",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: a, subset: V_1}"),
        "spec.http[0].route[0].destination.subset",
        "subset name",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: a, port: {number: 70000}}"),
        "spec.http[0].route[0].destination.port.number",
        "1..65535",
    );
    invalid(
        VS,
        &http("route:\n- weight: 1"),
        "spec.http[0].route[0]",
        "destination is required",
    );
    valid(VS, &http("route:\n- destination: {host: a.b.svc.cluster.local, subset: v1, port: {number: 9080}}"));
}

// ------------------------------------------------------------------------------------------
// VirtualService: hosts, gateways, exportTo

#[test]
fn virtual_service_hosts_follow_istio() {
    valid(
        VS,
        &format!(
            "hosts: [reviews, \"*.example.com\", 10.0.0.1]\n{}",
            "http:\n- route:\n  - destination: {host: r}"
        ),
    );
    invalid(
        VS,
        "hosts: [\"foo.*.com\"]\nhttp:\n- route:\n  - destination: {host: r}",
        "spec.hosts[0]",
        "DNS-1123",
    );
    invalid(
        VS,
        "hosts: [\"*\"]\nhttp:\n- route:\n  - destination: {host: r}",
        "spec.hosts[0]",
        "not allowed for virtual services bound to the mesh",
    );
    valid(
        VS,
        "hosts: [\"*\"]\ngateways: [ns/gw]\nhttp:\n- route:\n  - destination: {host: r}",
    );
    invalid(
        VS,
        "hosts: [\"*.foo.com\", a.foo.com]\nhttp:\n- route:\n  - destination: {host: r}",
        "spec.hosts[1]",
        "duplicate hosts",
    );
    invalid(VS, "hosts: [r]", "spec", "at least one of http, tcp or tls");
}

#[test]
fn gateway_names_must_be_namespace_slash_name() {
    valid(VS, &format!("gateways: [ns/gw, mesh]\n{}", http(ROUTE)));
    invalid(
        VS,
        &format!("gateways: [ns/Gw_1]\n{}", http(ROUTE)),
        "spec.gateways[0]",
        "invalid gateway name",
    );
    invalid(
        VS,
        &format!("gateways: [/gw]\n{}", http(ROUTE)),
        "spec.gateways[0]",
        "cannot be empty",
    );
    warns(
        VS,
        &format!("gateways: [gw.other]\n{}", http(ROUTE)),
        "spec.gateways[0]",
        "\"other/gw\"",
    );
}

#[test]
fn delegate_virtual_service_has_no_gateways_tls_or_tcp() {
    valid(VS, "http:\n- route:\n  - destination: {host: r}");
    invalid(
        VS,
        "gateways: [ns/gw]\nhttp:\n- route:\n  - destination: {host: r}",
        "spec.gateways",
        "delegate virtual service",
    );
    invalid(
        VS,
        "http:\n- delegate: {name: d}",
        "spec.http[0].delegate",
        "cannot delegate again",
    );
    valid(
        VS,
        &http("match:\n- uri: {prefix: /a}\ndelegate: {name: d, namespace: ns}"),
    );
    invalid(
        VS,
        &http("delegate: {name: d}\nredirect: {uri: /x}"),
        "spec.http[0].redirect",
        "root HTTP route",
    );
}

#[test]
fn export_to_rules() {
    valid(VS, &format!("exportTo: [\".\", other]\n{}", http(ROUTE)));
    invalid(
        VS,
        &format!("exportTo: [\".\", ns]\n{}", http(ROUTE)),
        "spec.exportTo[1]",
        "duplicate",
    );
    invalid(
        VS,
        &format!("exportTo: [\"*\", ns]\n{}", http(ROUTE)),
        "spec.exportTo",
        "cannot combine public",
    );
    invalid(
        VS,
        &format!("exportTo: [\"~\"]\n{}", http(ROUTE)),
        "spec.exportTo[0]",
        "not allowed",
    );
    invalid(
        VS,
        &format!("exportTo: [Bad_NS]\n{}", http(ROUTE)),
        "spec.exportTo[0]",
        "namespace name",
    );
    valid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: DNS\nexportTo: [\"~\"]");
}

// ------------------------------------------------------------------------------------------
// VirtualService: HTTP route shape

#[test]
fn http_route_needs_exactly_one_action() {
    invalid(
        VS,
        &http("timeout: 1s"),
        "spec.http[0]",
        "one of route, redirect or directResponse",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nredirect: {uri: /x}"),
        "spec.http[0].redirect",
        "both route and redirect",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\ndirectResponse: {status: 200}"),
        "spec.http[0].directResponse",
        "both route and directResponse",
    );
    invalid(
        VS,
        &http("redirect: {uri: /x}\ndirectResponse: {status: 200}"),
        "spec.http[0].redirect",
        "directResponse and redirect",
    );
    invalid(
        VS,
        &http("redirect: {uri: /x}\nrewrite: {uri: /y}"),
        "spec.http[0].redirect",
        "rewrite and redirect",
    );
    invalid(VS, &http("directResponse: {status: 503}\nfault: {abort: {httpStatus: 500, percentage: {value: 1}}}"), "spec.http[0].directResponse", "fault and directResponse");
    valid(
        VS,
        &http("directResponse: {status: 503, body: {string: down}}"),
    );
}

#[test]
fn mirror_and_mirrors_are_exclusive() {
    invalid(VS, &http("route:\n- destination: {host: r}\nmirror: {host: m}\nmirrors:\n- destination: {host: m2}"), "spec.http[0].mirrors", "both mirror and mirrors");
    valid(VS, &http("route:\n- destination: {host: r}\nmirrors:\n- destination: {host: m2}\n  percentage: {value: 50}"));
    invalid(VS, &http("route:\n- destination: {host: r}\nmirrors:\n- destination: {host: m2}\n  percentage: {value: 150}"), "spec.http[0].mirrors[0].percentage.value", "at most 100");
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nmirror: {host: m}\nmirrorPercentage: {value: -1}"),
        "spec.http[0].mirrorPercentage.value",
        "at least 0",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nmirrors:\n- percentage: {value: 5}"),
        "spec.http[0].mirrors[0]",
        "needs a destination",
    );
}

#[test]
fn deprecated_mirror_percent_warns() {
    let d = warns(
        VS,
        &http("route:\n- destination: {host: r}\nmirror: {host: m}\nmirrorPercent: 50"),
        "spec.http[0].mirrorPercent",
        "deprecated",
    );
    assert_eq!(d.severity, Severity::Warning);
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nmirror: {host: m}\nmirrorPercent: 150"),
        "spec.http[0].mirrorPercent",
        "at most 100",
    );
}

// ------------------------------------------------------------------------------------------
// VirtualService: matches

#[test]
fn string_match_sets_exactly_one_kind() {
    invalid(
        VS,
        &http("match:\n- uri: {exact: /a, prefix: /b}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].uri",
        "exactly one of exact, prefix or regex",
    );
    valid(VS, &http("match:\n- headers: {x-a: {}}\n  withoutHeaders: {x-b: {}}\n  queryParams: {q: {}}\nroute:\n- destination: {host: r}"));
    // `uri: {}` is accepted by Istio (it matches anything): a meshroute lint, not an error.
    let d = run(&doc(
        VS,
        &http("match:\n- uri: {}\nroute:\n- destination: {host: r}"),
    ));
    assert!(of(&d, codes::SCHEMA_ERROR).is_empty(), "{d:#?}");
    let lint = of(&d, EMPTY_STRING_MATCH);
    assert_eq!(lint.len(), 1);
    assert_eq!(lint[0].path, "spec.http[0].match[0].uri");
}

#[test]
fn empty_prefix_is_rejected_except_for_uri() {
    valid(
        VS,
        &http("match:\n- uri: {prefix: \"\"}\nroute:\n- destination: {host: r}"),
    );
    invalid(
        VS,
        &http("match:\n- headers: {x-a: {prefix: \"\"}}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].headers[x-a].prefix",
        "should not be empty",
    );
    invalid(
        VS,
        &http("match:\n- method: {prefix: \"\"}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].method.prefix",
        "should not be empty",
    );
    invalid(
        VS,
        &http("match:\n- queryParams: {q: {prefix: \"\"}}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].queryParams[q].prefix",
        "should not be empty",
    );
}

#[test]
fn invalid_regex_is_rejected() {
    let d = invalid(VS, &http("match:\n- headers:\n    x-user:\n      regex: \"a(b\"\nroute:\n- destination: {host: r}"), "spec.http[0].match[0].headers[x-user].regex", "RE2");
    assert_eq!((d.line, d.column), (12, 18));
    invalid(
        VS,
        &http("match:\n- uri: {regex: \"\"}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].uri.regex",
        "should not be empty",
    );
    valid(VS, &http("match:\n- uri: {regex: \"/api/v[0-9]+/.*\"}\n  headers: {x-a: {regex: \"(?i)abc\"}}\nroute:\n- destination: {host: r}"));
    // `regex: "*"` means "present" only under withoutHeaders.
    valid(
        VS,
        &http("match:\n- withoutHeaders: {x-a: {regex: \"*\"}}\nroute:\n- destination: {host: r}"),
    );
    invalid(
        VS,
        &http("match:\n- headers: {x-a: {regex: \"*\"}}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].headers[x-a].regex",
        "RE2",
    );
}

#[test]
fn regex_longer_than_1024_is_rejected() {
    let long = "a".repeat(1025);
    invalid(
        VS,
        &http(&format!(
            "match:\n- uri: {{regex: \"{long}\"}}\nroute:\n- destination: {{host: r}}"
        )),
        "spec.http[0].match[0].uri.regex",
        "maximum is 1024",
    );
    let ok = "a".repeat(1024);
    valid(
        VS,
        &http(&format!(
            "match:\n- uri: {{regex: \"{ok}\"}}\nroute:\n- destination: {{host: r}}"
        )),
    );
}

#[test]
fn header_names_are_tokens_or_pseudo_headers_or_claims() {
    valid(VS, &format!("gateways: [ns/gw]\n{}", http("match:\n- headers:\n    \":authority\": {exact: a}\n    \"@request.auth.claims.group\": {exact: g}\nroute:\n- destination: {host: r}")));
    invalid(
        VS,
        &http("match:\n- headers: {\"bad header\": {exact: a}}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].headers[bad header]",
        "not a valid header name",
    );
    invalid(
        VS,
        &http("match:\n- headers: {\":foo\": {exact: a}}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].headers[:foo]",
        "not a valid header name",
    );
    invalid(
        VS,
        &http("match:\n- headers: {x-a: null}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].headers[x-a]",
        "cannot be null",
    );
}

#[test]
fn jwt_claim_routing_needs_gateways() {
    invalid(VS, &http("match:\n- headers: {\"@request.auth.claims.group\": {exact: g}}\nroute:\n- destination: {host: r}"), "spec.http[0].match[0].headers[@request.auth.claims.group]", "only supported on gateways");
    invalid(VS, &format!("gateways: [ns/gw, mesh]\n{}", http("match:\n- withoutHeaders: {\"@request.auth.claims[a][b]\": {exact: g}}\nroute:\n- destination: {host: r}")), "spec.http[0].match[0].withoutHeaders[@request.auth.claims[a][b]]", "only supported on gateways");
}

#[test]
fn match_port_labels_namespace_and_gateways() {
    invalid(
        VS,
        &http("match:\n- port: 70000\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].port",
        "1..65535",
    );
    invalid(
        VS,
        &http("match:\n- sourceLabels: {\"a b\": c}\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].sourceLabels[a b]",
        "invalid label key",
    );
    invalid(
        VS,
        &http("match:\n- sourceNamespace: Foo_Bar\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].sourceNamespace",
        "sourceNamespace",
    );
    invalid(
        VS,
        &http("match:\n- gateways: [\"ns/\"]\nroute:\n- destination: {host: r}"),
        "spec.http[0].match[0].gateways[0]",
        "cannot be empty",
    );
    valid(VS, &http("match:\n- port: 8080\n  sourceLabels: {app: x, app.kubernetes.io/version: v1}\n  sourceNamespace: ns\n  gateways: [mesh]\nroute:\n- destination: {host: r}"));
}

// ------------------------------------------------------------------------------------------
// VirtualService: actions

#[test]
fn header_operations_are_checked() {
    valid(VS, &http("route:\n- destination: {host: r}\n  headers: {request: {set: {x-a: \"%HOSTNAME%\"}}}\nheaders:\n  request: {set: {\":authority\": a.com}, remove: [x-b]}\n  response: {add: {x-c: \"100%%\"}}"));
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nheaders: {request: {set: {\":path\": /x}}}"),
        "spec.http[0].headers.request.set[:path]",
        "cannot start with ':'",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nheaders: {response: {remove: [host]}}"),
        "spec.http[0].headers.response.remove[0]",
        "Host header",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nheaders: {request: {add: {x-a: \"50%\"}}}"),
        "spec.http[0].headers.request.add[x-a]",
        "un-escaped %",
    );
    invalid(VS, &http("route:\n- destination: {host: r}\n  headers: {response: {set: {\":status\": \"200\"}}}"), "spec.http[0].route[0].headers.response.set[:status]", "':' prefix");
}

/// meshroute's steering headers cannot be set, added or removed by a VirtualService: a warning
/// (MR0203) names the field, and compile leaves the operation out.
#[test]
fn request_operations_on_meshroute_headers_warn_and_are_not_applied() {
    let spec = http("route:\n- destination: {host: r}\n  headers: {request: {remove: [X-Meshroute-Retry]}}\nheaders:\n  request: {set: {x-meshroute-endpoint: \"6.6.6.6:22\", x-ok: a}, add: {x-meshroute-cluster: evil}}\n  response: {set: {x-meshroute-route: r}}");
    let d = run(&doc(VS, &spec));
    let reserved: std::collections::BTreeSet<&str> = d
        .iter()
        .filter(|d| d.code == crate::validate::RESERVED_HEADER)
        .map(|d| d.path.as_str())
        .collect();
    let want: std::collections::BTreeSet<&str> = [
        "spec.http[0].route[0].headers.request.remove[0]",
        "spec.http[0].headers.request.add[x-meshroute-cluster]",
        "spec.http[0].headers.request.set[x-meshroute-endpoint]",
    ]
    .into();
    assert_eq!(reserved, want, "{d:#?}");
    assert!(d.iter().all(|d| d.severity != Severity::Error), "{d:#?}");
}

#[test]
fn authority_is_rewritten_in_one_place() {
    invalid(VS, &http("route:\n- destination: {host: r}\nrewrite: {authority: a.com}\nheaders: {request: {set: {host: b.com}}}"), "spec.http[0].headers.request.set[host]", "more than once");
}

#[test]
fn rewrite_rules() {
    valid(VS, &http("route:\n- destination: {host: r}\nrewrite: {uriRegexRewrite: {match: \"^/a/(.*)\", rewrite: \"/\\\\1\"}}"));
    invalid(VS, &http("route:\n- destination: {host: r}\nrewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}"), "spec.http[0].rewrite.uriRegexRewrite", "only one of uri or uriRegexRewrite");
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nrewrite: {}"),
        "spec.http[0].rewrite",
        "at least one of uri",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nrewrite: {uriRegexRewrite: {match: a}}"),
        "spec.http[0].rewrite.uriRegexRewrite",
        "both match and rewrite",
    );
    invalid(VS, &http("route:\n- destination: {host: r}\nrewrite: {uriRegexRewrite: {match: \"a(\", rewrite: b}}"), "spec.http[0].rewrite.uriRegexRewrite.match", "RE2");
}

#[test]
fn redirect_code_must_be_3xx() {
    let d = invalid(
        VS,
        &http("redirect: {uri: /x, redirectCode: 200}"),
        "spec.http[0].redirect.redirectCode",
        "must be 3xx",
    );
    assert!(d.message.contains("200"));
    valid(VS, &http("redirect: {uri: /x, redirectCode: 308}"));
}

#[test]
fn redirect_rules() {
    invalid(
        VS,
        &http("redirect: {redirectCode: 301}"),
        "spec.http[0].redirect",
        "at least one of uri",
    );
    invalid(
        VS,
        &http("redirect: {scheme: ftp}"),
        "spec.http[0].redirect.scheme",
        "\"http\" or \"https\"",
    );
    invalid(
        VS,
        &http("redirect: {uri: /a, prefixRewrite: /b}"),
        "spec.http[0].redirect.prefixRewrite",
        "only one of uri or prefixRewrite",
    );
    invalid(
        VS,
        &http("match:\n- uri: {exact: /a}\nredirect: {prefixRewrite: /b}"),
        "spec.http[0].redirect.prefixRewrite",
        "prefix match",
    );
    invalid(
        VS,
        &http("redirect: {port: 70000}"),
        "spec.http[0].redirect.port",
        "1..65535",
    );
    valid(VS, &http("match:\n- uri: {prefix: /a}\nredirect: {prefixRewrite: /b, derivePort: FROM_REQUEST_PORT, scheme: https}"));
}

#[test]
fn direct_response_status_and_body_size() {
    invalid(
        VS,
        &http("directResponse: {status: 700}"),
        "spec.http[0].directResponse.status",
        "200-599",
    );
    invalid(
        VS,
        &http("directResponse: {}"),
        "spec.http[0].directResponse.status",
        "200-599",
    );
    let big = "a".repeat(101 * 1024);
    let d = warns(
        VS,
        &http(&format!(
            "directResponse: {{status: 200, body: {{string: {big}}}}}"
        )),
        "spec.http[0].directResponse.body",
        "over 100KB",
    );
    assert_eq!(d.severity, Severity::Warning);
    let huge = "a".repeat(1024 * 1024 + 1);
    invalid(
        VS,
        &http(&format!(
            "directResponse: {{status: 200, body: {{string: {huge}}}}}"
        )),
        "spec.http[0].directResponse.body",
        "less than 1MB",
    );
}

#[test]
fn fault_rules() {
    valid(VS, &http("route:\n- destination: {host: r}\nfault:\n  delay: {fixedDelay: 7s, percentage: {value: 100}}\n  abort: {grpcStatus: UNAVAILABLE, percentage: {value: 0.5}}"));
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nfault: {}"),
        "spec.http[0].fault",
        "abort and/or a delay",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nfault: {abort: {httpStatus: 100}}"),
        "spec.http[0].fault.abort.httpStatus",
        "200-599",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nfault: {abort: {grpcStatus: NOPE}}"),
        "spec.http[0].fault.abort.grpcStatus",
        "not supported",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nfault: {abort: {http2Error: x}}"),
        "spec.http[0].fault.abort.http2Error",
        "not supported",
    );
    invalid(VS, &http("route:\n- destination: {host: r}\nfault: {delay: {fixedDelay: 1s, percentage: {value: 0.00001}}}"), "spec.http[0].fault.delay.percentage.value", "[0.0001, 100]");
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nfault: {delay: {exponentialDelay: 1s}}"),
        "spec.http[0].fault.delay.exponentialDelay",
        "not supported",
    );
    warns(
        VS,
        &http("route:\n- destination: {host: r}\nfault: {abort: {percentage: {value: 5}}}"),
        "spec.http[0].fault.abort",
        "no error type",
    );
}

#[test]
fn duration_below_1ms_is_rejected() {
    let d = invalid(
        VS,
        &http("route:\n- destination: {host: r}\ntimeout: 500us"),
        "spec.http[0].timeout",
        "at least 1ms",
    );
    assert_eq!((d.line, d.column), (11, 14));
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\ntimeout: 1500us"),
        "spec.http[0].timeout",
        "millisecond precision",
    );
    invalid(VS, &http("route:\n- destination: {host: r}\nfault: {delay: {fixedDelay: 0s, percentage: {value: 1}}}"), "spec.http[0].fault.delay.fixedDelay", "at least 1ms");
    valid(VS, &http("route:\n- destination: {host: r}\ntimeout: 1ms"));
}

#[test]
fn retry_on_accepts_status_codes() {
    valid(VS, &http("route:\n- destination: {host: r}\nretries: {attempts: 3, perTryTimeout: 2s, retryOn: \"5xx,gateway-error,503,retriable-status-codes,unavailable\"}"));
}

#[test]
fn retry_on_rejects_unknown_policies() {
    let d = invalid(
        VS,
        &http("route:\n- destination: {host: r}\nretries: {attempts: 3, retryOn: \"5xxx\"}"),
        "spec.http[0].retries.retryOn",
        "retryOn \"5xxx\" is not a retry policy",
    );
    assert!(d.message.contains("5xx, gateway-error"));
    // Istio does not trim spaces, and 599 is not an HTTP status Go knows.
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nretries: {attempts: 3, retryOn: \"5xx, reset\"}"),
        "spec.http[0].retries.retryOn",
        "\" reset\"",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nretries: {attempts: 3, retryOn: \"599\"}"),
        "spec.http[0].retries.retryOn",
        "\"599\"",
    );
}

#[test]
fn retries_with_zero_attempts_configure_nothing() {
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nretries: {attempts: 0, retryOn: 5xx}"),
        "spec.http[0].retries",
        "attempts is 0",
    );
    valid(
        VS,
        &http("route:\n- destination: {host: r}\nretries: {attempts: 0}"),
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nretries: {attempts: -1}"),
        "spec.http[0].retries.attempts",
        "negative",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\nretries: {attempts: 1, perTryTimeout: 0.1ms}"),
        "spec.http[0].retries.perTryTimeout",
        "at least 1ms",
    );
}

#[test]
fn cors_rules() {
    valid(VS, &http("route:\n- destination: {host: r}\ncorsPolicy:\n  allowOrigins: [{exact: \"https://a.com\"}, {regex: \"https://.*\\\\.b\\\\.com\"}]\n  allowMethods: [GET, POST, \"*\"]\n  allowHeaders: [x-a, \"*\"]\n  maxAge: 24h"));
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\ncorsPolicy: {allowOrigins: [{}]}"),
        "spec.http[0].corsPolicy.allowOrigins[0]",
        "non-empty exact",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\ncorsPolicy: {allowMethods: [get]}"),
        "spec.http[0].corsPolicy.allowMethods[0]",
        "not a supported HTTP method",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\ncorsPolicy: {exposeHeaders: [\"a b\"]}"),
        "spec.http[0].corsPolicy.exposeHeaders[0]",
        "not a valid header name",
    );
    invalid(
        VS,
        &http("route:\n- destination: {host: r}\ncorsPolicy: {maxAge: 1500ms}"),
        "spec.http[0].corsPolicy.maxAge",
        "seconds",
    );
}

// ------------------------------------------------------------------------------------------
// VirtualService: TLS and TCP routes

#[test]
fn tls_routes_need_sni_hosts_within_the_virtual_service_hosts() {
    valid(VS, "hosts: [\"*.a.com\"]\ngateways: [ns/gw]\ntls:\n- match:\n  - sniHosts: [b.a.com]\n    port: 443\n  route:\n  - destination: {host: b.a.com}");
    invalid(VS, "hosts: [a.com]\ntls:\n- match:\n  - sniHosts: [b.com]\n  route:\n  - destination: {host: b}", "spec.tls[0].match[0].sniHosts[0]", "not a compatible subset");
    invalid(
        VS,
        "hosts: [a.com]\ntls:\n- match:\n  - port: 443\n  route:\n  - destination: {host: b}",
        "spec.tls[0].match[0]",
        "at least one SNI host",
    );
    invalid(
        VS,
        "hosts: [a.com]\ntls:\n- route:\n  - destination: {host: b}",
        "spec.tls[0]",
        "at least one match",
    );
    invalid(
        VS,
        "hosts: [a.com]\ntls:\n- match:\n  - sniHosts: [a.com]",
        "spec.tls[0]",
        "needs a route",
    );
    warns(VS, "hosts: [a.com]\ntls:\n- match:\n  - sniHosts: [1.2.3.4]\n  route:\n  - destination: {host: b}", "spec.tls[0].match[0].sniHosts[0]", "SNI spec");
}

#[test]
fn tcp_routes_need_a_route_and_valid_subnets() {
    valid(VS, "hosts: [a]\ntcp:\n- match:\n  - destinationSubnets: [10.0.0.0/8, 1.2.3.4]\n    port: 9000\n  route:\n  - destination: {host: a, port: {number: 9000}}\n    weight: 80\n  - destination: {host: b}\n    weight: 20");
    invalid(VS, "hosts: [a]\ntcp:\n- match:\n  - destinationSubnets: [10.0.0.0/40]\n  route:\n  - destination: {host: a}", "spec.tcp[0].match[0].destinationSubnets[0]", "CIDR");
    invalid(
        VS,
        "hosts: [a]\ntcp:\n- match:\n  - port: 9000",
        "spec.tcp[0]",
        "needs a route",
    );
    invalid(
        VS,
        "hosts: [a]\ntcp:\n- route:\n  - destination: {host: a}\n    weight: -5",
        "spec.tcp[0].route[0].weight",
        ">= 0",
    );
}

// ------------------------------------------------------------------------------------------
// DestinationRule

#[test]
fn destination_rule_host_and_subsets() {
    valid(DR, "host: reviews\nsubsets:\n- name: v1\n  labels: {version: v1}\n- name: v2\n  labels: {version: v2}");
    invalid(DR, "host: \"foo.*.com\"", "spec.host", "invalid host");
    invalid(
        DR,
        "host: r\nsubsets:\n- name: v1\n- name: v1",
        "spec.subsets[1].name",
        "duplicate subset name",
    );
    invalid(
        DR,
        "host: r\nsubsets:\n- name: V_1",
        "spec.subsets[0].name",
        "subset name",
    );
    invalid(
        DR,
        "host: r\nsubsets:\n- name: v1\n  labels: {version: \"v 1\"}",
        "spec.subsets[0].labels[version]",
        "invalid label value",
    );
    invalid(
        DR,
        "host: r\nsubsets:\n- null",
        "spec.subsets[0]",
        "may not be null",
    );
}

#[test]
fn traffic_policy_must_not_be_empty() {
    invalid(
        DR,
        "host: r\ntrafficPolicy: {}",
        "spec.trafficPolicy",
        "at least one field",
    );
    invalid(
        DR,
        "host: r\nsubsets:\n- name: v1\n  trafficPolicy: {}",
        "spec.subsets[0].trafficPolicy",
        "at least one field",
    );
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  portLevelSettings:\n  - port: {number: 80}",
        "spec.trafficPolicy.portLevelSettings[0]",
        "at least one field",
    );
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  portLevelSettings:\n  - loadBalancer: {simple: RANDOM}",
        "spec.trafficPolicy.portLevelSettings[0]",
        "needs a port",
    );
    invalid(DR, "host: r\ntrafficPolicy:\n  tunnel: {protocol: CONNECT, targetHost: a.com, targetPort: 8080}\n  proxyProtocol: {version: V1}", "spec.trafficPolicy.proxyProtocol", "must not be set together");
}

#[test]
fn maglev_table_size_must_be_prime() {
    valid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      httpHeaderName: x-user\n      maglev: {tableSize: 65537}");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      maglev: {tableSize: 65536}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", "prime");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      maglev: {tableSize: 5000011}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", "less than 5000011");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      maglev: {}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev", "must be set");
}

#[test]
fn consistent_hash_rules() {
    valid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      httpCookie: {name: user, ttl: 0s, attributes: [{name: SameSite, value: Strict}]}\n      ringHash: {minimumRingSize: 1024}");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      httpCookie: {ttl: 10s}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie", "needs a name");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      httpCookie: {name: a, attributes: [{name: x}, {name: x}]}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[1].name", "duplicate");
    warns(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      minimumRingSize: 1024", "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize", "deprecated");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    consistentHash:\n      useSourceIp: true\n      minimumRingSize: 1024\n      ringHash: {minimumRingSize: 10}", "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize", "only one of");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    simple: RANDOM\n    consistentHash: {useSourceIp: true}", "spec.trafficPolicy.loadBalancer", "only one of simple or consistentHash");
}

#[test]
fn locality_settings_follow_istio() {
    valid(DR, "host: r\ntrafficPolicy:\n  outlierDetection: {consecutive5xxErrors: 5}\n  loadBalancer:\n    localityLbSetting:\n      enabled: true\n      distribute:\n      - from: us-west/zone1/*\n        to: {\"us-west/zone1/*\": 80, \"us-west/zone2/*\": 20}");
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    localityLbSetting:\n      distribute:\n      - from: a\n        to: {b: 50, c: 40}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to", "add up to 100");
    invalid(DR, "host: r\ntrafficPolicy:\n  outlierDetection: {interval: 1s}\n  loadBalancer:\n    localityLbSetting:\n      failover: [{from: a, to: a}]", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]", "different regions");
    warns(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    localityLbSetting:\n      failover: [{from: a, to: b}]", "spec.trafficPolicy.loadBalancer.localityLbSetting", "outlierDetection");
    // unknown fields inside raw sub-messages are reported too
    let d = run(&doc(
        DR,
        "host: r\ntrafficPolicy:\n  loadBalancer:\n    localityLbSetting:\n      distrbute: []",
    ));
    assert!(
        d.iter().any(|d| d.code == crate::decode::UNKNOWN_FIELD
            && d.message.contains("did you mean \"distribute\"")),
        "{d:#?}"
    );
}

#[test]
fn outlier_detection_rules() {
    valid(DR, "host: r\ntrafficPolicy:\n  outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50, minHealthPercent: 10}");
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  outlierDetection: {maxEjectionPercent: 101}",
        "spec.trafficPolicy.outlierDetection.maxEjectionPercent",
        "0..100",
    );
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  outlierDetection: {consecutiveLocalOriginFailures: 3}",
        "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures",
        "splitExternalLocalOriginErrors",
    );
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  outlierDetection: {interval: 0s}",
        "spec.trafficPolicy.outlierDetection.interval",
        "at least 1ms",
    );
    warns(
        DR,
        "host: r\ntrafficPolicy:\n  outlierDetection: {consecutiveErrors: 3}",
        "spec.trafficPolicy.outlierDetection.consecutiveErrors",
        "deprecated",
    );
}

#[test]
fn connection_pool_rules() {
    valid(DR, "host: r\ntrafficPolicy:\n  connectionPool:\n    tcp: {maxConnections: 100, connectTimeout: 30ms, idleTimeout: 0s}\n    http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}");
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  connectionPool: {}",
        "spec.trafficPolicy.connectionPool",
        "at least one of http or tcp",
    );
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  connectionPool:\n    tcp: {maxConnections: -1}",
        "spec.trafficPolicy.connectionPool.tcp.maxConnections",
        "non-negative",
    );
    invalid(DR, "host: r\ntrafficPolicy:\n  connectionPool:\n    http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}", "spec.trafficPolicy.connectionPool.http.useClientProtocol", "UPGRADE");
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  connectionPool:\n    http: {http2KeepAlive: {interval: 1s}}",
        "spec.trafficPolicy.connectionPool.http.http2KeepAlive",
        "timeout is required",
    );
}

#[test]
fn client_tls_rules() {
    valid(
        DR,
        "host: r\ntrafficPolicy:\n  tls: {mode: SIMPLE, credentialName: c, sni: r.com}",
    );
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  tls: {mode: MUTUAL}",
        "spec.trafficPolicy.tls",
        "clientCertificate is required",
    );
    invalid(DR, "host: r\ntrafficPolicy:\n  tls: {mode: SIMPLE, credentialName: c, caCertificates: /ca.pem}", "spec.trafficPolicy.tls.credentialName", "cannot specify");
    invalid(DR, "host: r\ntrafficPolicy:\n  tls: {mode: SIMPLE, insecureSkipVerify: true, caCertificates: /ca.pem}", "spec.trafficPolicy.tls.insecureSkipVerify", "insecureSkipVerify");
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  tls: {mode: SIMPLE, credentialName: \"configmap://other/ca\"}",
        "spec.trafficPolicy.tls.credentialName",
        "namespace must match",
    );
}

#[test]
fn workload_selector_destination_rule_stays_in_its_namespace() {
    valid(DR, "host: r\nworkloadSelector: {matchLabels: {app: a}}\nexportTo: [\".\"]\nsubsets: [{name: v1}]");
    invalid(
        DR,
        "host: r\nworkloadSelector: {matchLabels: {app: a}}\nexportTo: [\"*\"]",
        "spec.exportTo",
        "beyond its own namespace",
    );
    invalid(
        DR,
        "host: r\nworkloadSelector: {matchLabels: {app: \"*\"}}",
        "spec.workloadSelector.matchLabels[app]",
        "wildcard",
    );
    warns(
        DR,
        "host: r\nworkloadSelector: {}",
        "spec.workloadSelector",
        "without labels",
    );
}

#[test]
fn warmup_rules() {
    valid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    simple: ROUND_ROBIN\n    warmup: {duration: 60s, minimumPercent: 10, aggression: 1.5}");
    invalid(
        DR,
        "host: r\ntrafficPolicy:\n  loadBalancer:\n    warmup: {minimumPercent: 10}",
        "spec.trafficPolicy.loadBalancer.warmup",
        "duration is required",
    );
    invalid(DR, "host: r\ntrafficPolicy:\n  loadBalancer:\n    warmupDurationSecs: 10s\n    warmup: {duration: 10s}", "spec.trafficPolicy.loadBalancer", "only one of warmupDurationSecs or warmup");
}

// ------------------------------------------------------------------------------------------
// Gateway

const SERVER: &str = "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [\"*\"]";

#[test]
fn gateway_short_host_is_rejected() {
    let d = invalid(
        GW,
        "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [bookinfo]",
        "spec.servers[0].hosts[0]",
        "short names",
    );
    assert_eq!((d.line, d.column), (9, 13));
    valid(GW, "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [bookinfo.com, \"ns1/*.example.com\", \"./a.b.c\", \"*/*\", 10.0.0.1]");
}

#[test]
fn gateway_hosts_namespace_part_and_wildcards() {
    invalid(
        GW,
        "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [\"Bad_NS/a.com\"]",
        "spec.servers[0].hosts[0]",
        "invalid namespace",
    );
    invalid(
        GW,
        "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [\"/a.com\"]",
        "spec.servers[0].hosts[0]",
        "cannot be empty",
    );
    invalid(
        GW,
        "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [\"*foo.com\"]",
        "spec.servers[0].hosts[0]",
        "partial wildcard",
    );
    invalid(
        GW,
        "servers:\n- port: {number: 80, name: http, protocol: HTTP}",
        "spec.servers[0]",
        "at least one host",
    );
}

#[test]
fn gateway_servers_and_ports() {
    valid(GW, SERVER);
    invalid(
        GW,
        "selector: {istio: ingressgateway}",
        "spec",
        "at least one server",
    );
    invalid(
        GW,
        "servers:\n- port: {number: 80, name: http, protocol: FOO}\n  hosts: [\"*\"]",
        "spec.servers[0].port.protocol",
        "invalid protocol",
    );
    invalid(
        GW,
        "servers:\n- port: {number: 0, name: http, protocol: HTTP}\n  hosts: [\"*\"]",
        "spec.servers[0].port.number",
        "1..65535",
    );
    invalid(
        GW,
        "servers:\n- port: {number: 80, protocol: HTTP}\n  hosts: [\"*\"]",
        "spec.servers[0].port",
        "port name must be set",
    );
    invalid(GW, "servers:\n- port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}\n  hosts: [\"*\"]", "spec.servers[0].port.targetPort", "no effect");
    invalid(
        GW,
        "servers:\n- hosts: [\"*\"]",
        "spec.servers[0]",
        "port is required",
    );
    invalid(
        GW,
        &format!("{SERVER}\n- port: {{number: 81, name: http, protocol: HTTP}}\n  hosts: [\"*\"]"),
        "spec.servers[1].port.name",
        "unique",
    );
    invalid(GW, "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [\"*\"]\n  bind: not-an-ip", "spec.servers[0].bind", "IP address");
    valid(GW, "servers:\n- port: {number: 0, name: uds, protocol: HTTP}\n  hosts: [\"*\"]\n  bind: unix:///var/run/gw.sock");
}

#[test]
fn gateway_name_must_be_a_dns_label() {
    let text = doc(GW, SERVER).replace("name: x", "name: my.gateway");
    let d = run(&text);
    assert!(
        d.iter()
            .any(|d| d.code == codes::SCHEMA_ERROR && d.path == "metadata.name"),
        "{d:#?}"
    );
}

#[test]
fn gateway_tls_rules() {
    valid(GW, "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: SIMPLE, credentialName: a-cert}");
    valid(GW, "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.com]\n  tls: {httpsRedirect: true}");
    invalid(
        GW,
        "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]",
        "spec.servers[0]",
        "must have tls settings",
    );
    invalid(GW, "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.com]\n  tls: {mode: SIMPLE, credentialName: c}", "spec.servers[0].tls", "plain-text HTTP");
    invalid(GW, "servers:\n- port: {number: 31400, name: tcp, protocol: TCP}\n  hosts: [a.com]\n  tls: {mode: SIMPLE, credentialName: c}", "spec.servers[0].tls", "non-HTTPS/TLS");
    invalid(GW, "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: SIMPLE}", "spec.servers[0].tls", "requires a server certificate");
    invalid(GW, "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: MUTUAL, serverCertificate: /c, privateKey: /k}", "spec.servers[0].tls", "client CA bundle");
    invalid(GW, "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: ISTIO_MUTUAL, credentialName: c}", "spec.servers[0].tls.credentialName", "ISTIO_MUTUAL");
    invalid(GW, "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: SIMPLE, credentialName: c, serverCertificate: /c, privateKey: /k}", "spec.servers[0].tls", "only one of credentialName");
    warns(GW, "servers:\n- port: {number: 443, name: tls, protocol: TLS}\n  hosts: [a.com]\n  tls: {mode: PASSTHROUGH, credentialName: c}", "spec.servers[0].tls", "does not use certificates");
    warns(GW, "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: SIMPLE, credentialName: c, cipherSuites: [NOPE]}", "spec.servers[0].tls.cipherSuites", "invalid cipher");
    warns(GW, "servers:\n- port: {number: 443, name: tls, protocol: TLS}\n  hosts: [a.com]\n  tls: {mode: PASSTHROUGH, httpsRedirect: true}", "spec.servers[0].tls.httpsRedirect", "only be used with HTTP");
}

// ------------------------------------------------------------------------------------------
// ServiceEntry / WorkloadEntry

#[test]
fn service_entry_rules() {
    valid(SE, "hosts: [api.example.com]\nports: [{number: 443, name: https, protocol: TLS}]\nresolution: DNS\nlocation: MESH_EXTERNAL");
    valid(SE, "hosts: [db.internal]\naddresses: [10.0.0.0/24]\nports: [{number: 5432, name: tcp-pg, protocol: TCP}]\nresolution: STATIC\nendpoints: [{address: 10.0.0.5, ports: {tcp-pg: 15432}}]");
    invalid(
        SE,
        "ports: [{number: 80, name: http, protocol: HTTP}]",
        "spec",
        "at least one host",
    );
    invalid(
        SE,
        "hosts: [\"*\"]\nports: [{number: 80, name: http, protocol: HTTP}]",
        "spec.hosts[0]",
        "invalid host",
    );
    invalid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http2, protocol: HTTP}]\nresolution: DNS", "spec.ports[1].number", "already defined");
    invalid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: NONE\nendpoints: [{address: 1.2.3.4}]", "spec.endpoints", "resolution NONE");
    invalid(SE, "hosts: [a.com]\naddresses: [10.0.0.0/8]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: DNS", "spec.resolution", "CIDR");
    invalid(
        SE,
        "hosts: [\"*.a.com\"]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: DNS",
        "spec.hosts[0]",
        "FQDN",
    );
    invalid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: DNS_ROUND_ROBIN\nendpoints: [{address: a.com}, {address: b.com}]", "spec.endpoints", "at most 1 endpoint");
    invalid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nendpoints: [{address: a.com}]", "spec.endpoints[0].address", "not a valid IP");
    invalid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nendpoints: [{address: 1.2.3.4, ports: {grpc: 9000}}]", "spec.endpoints[0].ports[grpc]", "not defined by the service entry");
    invalid(
        SE,
        "hosts: [a.com, b.com]\nports: [{number: 5432, name: tcp, protocol: TCP}]\nresolution: DNS",
        "spec.ports[0]",
        "multiple hosts",
    );
    invalid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: DYNAMIC_DNS", "spec.hosts[0]", "wildcards");
    invalid(SE, "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nworkloadSelector: {labels: {app: a}}\nendpoints: [{address: 1.2.3.4}]\nresolution: STATIC", "spec.endpoints", "only one of workloadSelector or endpoints");
}

/// Istio: validation.go `usesWaypoint` (DYNAMIC_DNS + MESH_INTERNAL behind a waypoint). The
/// label is metadata, so these documents are written out whole.
#[test]
fn dynamic_dns_mesh_internal_is_refused_behind_a_waypoint() {
    let se = |labels: &str, location: &str| {
        format!(
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: x\n  namespace: ns\n{labels}spec:\n  hosts: [\"*.google.com\"]\n  ports: [{{number: 80, name: http, protocol: HTTP}}]\n  resolution: DYNAMIC_DNS\n  location: {location}\n"
        )
    };
    let errors = |text: &str| {
        run(text)
            .into_iter()
            .filter(|d| d.code == codes::SCHEMA_ERROR)
            .collect::<Vec<_>>()
    };
    let waypoint = "  labels:\n    istio.io/use-waypoint: my-waypoint\n";
    let d = errors(&se(waypoint, "MESH_INTERNAL"));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].path, "spec.location");
    assert_eq!(d[0].resource(), "ServiceEntry ns/x");
    assert_eq!((d[0].line, d[0].column), (12, 13));
    assert!(d[0].message.contains("not supported when using waypoints"));
    // MESH_EXTERNAL behind a waypoint, MESH_INTERNAL without one, or with the label saying
    // "none" (any case) or empty: accepted.
    assert!(errors(&se(waypoint, "MESH_EXTERNAL")).is_empty());
    assert!(errors(&se("", "MESH_INTERNAL")).is_empty());
    for off in ["none", "NONE", "None", "\"\""] {
        let labels = format!("  labels:\n    istio.io/use-waypoint: {off}\n");
        assert!(errors(&se(&labels, "MESH_INTERNAL")).is_empty(), "{off}");
    }
}

#[test]
fn workload_entry_rules() {
    valid(
        WE,
        "address: 10.0.0.1\nports: {http: 8080}\nlabels: {app: a}\nweight: 3",
    );
    valid(WE, "address: vm1.example.com");
    valid(WE, "address: unix:///var/run/a.sock");
    invalid(WE, "labels: {app: a}", "spec", "address is required");
    warns(WE, "network: n1", "spec", "address is unset");
    invalid(
        WE,
        "address: \"not an address\"",
        "spec.address",
        "FQDN or an IP",
    );
    invalid(
        WE,
        "address: unix:///var/run/a.sock\nports: {http: 80}",
        "spec.ports",
        "must not include ports",
    );
    invalid(
        WE,
        "address: unix://relative",
        "spec.address",
        "absolute path",
    );
    invalid(
        WE,
        "address: 10.0.0.1\nports: {http: 0}",
        "spec.ports[http]",
        "1..65535",
    );
    invalid(
        WE,
        "address: 10.0.0.1\nweight: -1",
        "spec.weight",
        "0..4294967295",
    );
}

// ------------------------------------------------------------------------------------------
// Not enforced (MR0201)

#[test]
fn not_enforced_fields_warn_once_per_field() {
    let d = run(&doc(
        DR,
        "host: r\ntrafficPolicy:\n  tls: {mode: ISTIO_MUTUAL}\n  connectionPool:\n    tcp: {connectTimeout: 1s, maxConnections: 10, tcpKeepalive: {probes: 3}}\nsubsets:\n- name: v1\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n    portLevelSettings:\n    - port: {number: 80}\n      tls: {mode: DISABLE}",
    ));
    let ne = of(&d, codes::NOT_ENFORCED);
    let paths: Vec<&str> = ne.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "spec.trafficPolicy.tls",
            "spec.subsets[0].trafficPolicy.tls",
            "spec.subsets[0].trafficPolicy.portLevelSettings[0].tls",
            "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive",
        ]
    );
    assert_eq!(
        ne[0].message,
        "spec.trafficPolicy.tls is accepted but not enforced by meshroute: upstream TLS origination is Envoy cluster configuration, which the filter does not control"
    );
    assert_eq!(ne[0].severity, Severity::Warning);
    assert_eq!((ne[0].line, ne[0].column), (9, 5));
    assert!(of(&d, codes::SCHEMA_ERROR).is_empty(), "{d:#?}");
}

#[test]
fn gateway_https_termination_is_enforced_and_the_rest_of_tls_warns() {
    let d = run(&doc(GW, "servers:\n- port: {number: 80, name: http, protocol: HTTP}\n  hosts: [a.com]\n  tls: {httpsRedirect: true}"));
    assert!(of(&d, codes::NOT_ENFORCED).is_empty(), "{d:#?}");
    // SIMPLE, MUTUAL, OPTIONAL_MUTUAL with their certificates, versions, ciphers and client
    // checks are terminated by Envoy's filter chains.
    let d = run(&doc(GW, "servers:\n- port: {number: 443, name: https, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_3, cipherSuites: [ECDHE-ECDSA-AES128-GCM-SHA256]}\n  bind: 0.0.0.0\n- port: {number: 443, name: https-m, protocol: HTTPS}\n  hosts: [b.com]\n  tls: {mode: MUTUAL, credentialName: m, subjectAltNames: [client], verifyCertificateHash: [ab]}"));
    let paths: Vec<String> = of(&d, codes::NOT_ENFORCED)
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(paths, vec!["spec.servers[0].bind"]);
    let d = run(&doc(GW, "servers:\n- port: {number: 443, name: a, protocol: HTTPS}\n  hosts: [a.com]\n  tls: {mode: ISTIO_MUTUAL}\n- port: {number: 443, name: b, protocol: TLS}\n  hosts: [b.com]\n  tls: {mode: AUTO_PASSTHROUGH}\n- port: {number: 443, name: c, protocol: TLS}\n  hosts: [c.com]\n  tls: {mode: PASSTHROUGH}\n- port: {number: 443, name: d, protocol: HTTPS}\n  hosts: [d.com]\n  tls: {mode: MUTUAL, serverCertificate: /c, privateKey: /k, caCertificates: /ca, caCrl: /crl}\n- port: {number: 443, name: e, protocol: HTTPS}\n  hosts: [e.com]\n  tls: {mode: SIMPLE, credentialNames: [c1, c2]}"));
    let ne = of(&d, codes::NOT_ENFORCED);
    let paths: Vec<&str> = ne.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "spec.servers[0].tls.mode",
            "spec.servers[1].tls.mode",
            "spec.servers[2].tls.mode",
            "spec.servers[3].tls.caCrl",
            "spec.servers[4].tls.credentialNames",
        ]
    );
    assert!(ne[0].message.contains("Istio's CA"), "{}", ne[0].message);
}

#[test]
fn not_enforced_routes_claims_and_resolution() {
    let d = run(&doc(VS, "hosts: [a.com]\ngateways: [ns/gw]\nhttp:\n- match:\n  - headers: {\"@request.auth.claims.group\": {exact: g}, x-a: {exact: b}}\n  route:\n  - destination: {host: a}\n  retries: {attempts: 2, retryRemoteLocalities: true}\ntcp:\n- match:\n  - sourceSubnet: 10.0.0.0/8\n  route:\n  - destination: {host: a}"));
    let paths: Vec<String> = of(&d, codes::NOT_ENFORCED)
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        paths,
        vec![
            "spec.tcp[0].match[0].sourceSubnet",
            "spec.http[0].match[0].headers[@request.auth.claims.group]",
            "spec.http[0].retries.retryRemoteLocalities",
        ]
    );
    let d = run(&doc(SE, "hosts: [a.com]\naddresses: [10.0.0.0/24, 10.1.0.1]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: STATIC\nendpoints: [{address: 10.0.0.1, locality: us/z1}]"));
    let paths: Vec<String> = of(&d, codes::NOT_ENFORCED)
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        paths,
        vec!["spec.addresses[0]", "spec.endpoints[0].locality"]
    );
    let d = run(&doc(
        SE,
        "hosts: [a.com]\nports: [{number: 80, name: http, protocol: HTTP}]\nresolution: DNS",
    ));
    assert_eq!(of(&d, codes::NOT_ENFORCED)[0].path, "spec.resolution");
    let d = run(&doc(
        WE,
        "address: 10.0.0.1\nnetwork: n1\nserviceAccount: sa",
    ));
    assert_eq!(of(&d, codes::NOT_ENFORCED).len(), 2);
}

// ------------------------------------------------------------------------------------------
// Whole configs

#[test]
fn metadata_dry_run_annotation_is_refused() {
    let text = doc(VS, &http(ROUTE)).replace(
        "  namespace: ns\n",
        "  namespace: ns\n  annotations: {istio.io/dry-run: \"true\"}\n",
    );
    let d = run(&text);
    assert!(
        d.iter()
            .any(|d| d.code == codes::SCHEMA_ERROR && d.message.contains("dry-run")),
        "{d:#?}"
    );
}

const BOOKINFO: &str = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match:
    - uri: {exact: /productpage}
    - uri: {prefix: /static}
    - uri: {exact: /login}
    - uri: {exact: /logout}
    - uri: {prefix: /api/v1/products}
    route:
    - destination:
        host: productpage
        port: {number: 9080}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers:
        end-user: {exact: jason}
    fault:
      delay:
        percentage: {value: 100.0}
        fixedDelay: 7s
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v3}
      weight: 20
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,connect-failure,refused-stream"}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
    outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m}
    connectionPool:
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
  - name: v3
    labels: {version: v3}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: googleapis, namespace: default}
spec:
  hosts: [www.googleapis.com]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: details-vm, namespace: default}
spec:
  address: 10.0.0.7
  labels: {app: details, version: v1}
"#;

#[test]
fn bookinfo_config_is_valid() {
    let d = run(BOOKINFO);
    let bad: Vec<_> = d.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(of(&d, codes::SCHEMA_WARNING).is_empty(), "{d:#?}");
}

#[test]
fn example_configs_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipped: no examples directory at {}", dir.display());
        return;
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let mut checked = 0;
    for path in files {
        collect_yaml(&path, &mut |p, text| {
            let (res, _) = load(&[(p, text)], &LoadOptions::default());
            let d = of(&validate(&res), codes::SCHEMA_ERROR);
            assert!(d.is_empty(), "{p}: {d:#?}");
            checked += 1;
        });
    }
    println!("checked {checked} example files");
}

fn collect_yaml(path: &std::path::Path, f: &mut dyn FnMut(&str, &str)) {
    if path.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            let mut v: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            v.sort();
            for p in v {
                collect_yaml(&p, f);
            }
        }
    } else if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    ) {
        if let Ok(text) = std::fs::read_to_string(path) {
            f(&path.display().to_string(), &text);
        }
    }
}

/// Istio's own analyzer inputs are valid configs: no IST0106/IST0133, except where Istio
/// itself rejects the resource (listed here with the reason).
#[test]
fn istio_analyzer_inputs_pass_validation() {
    let dir = std::path::Path::new("/work/shared/conformance/istio-analyze/cases");
    let Ok(entries) = std::fs::read_dir(dir) else {
        println!("skipped: {} is absent", dir.display());
        return;
    };
    // (file, resource, message fragment, why Istio rejects it too). Istio's analyzer tests run
    // one analyzer at a time, so their inputs need not pass schema validation; these do not.
    const ISTIO_REJECTS: &[(&str, &str, &str, &str)] = &[
        ("deprecation.yaml", "VirtualService foo/productpage", "one of route, redirect or directResponse",
         "virtualservice.go validateHTTPRouteConflict: \"HTTP route, redirect or direct_response is required\""),
        ("conflicting-gateways-invalid-port.yaml", "Gateway alpha", "port is required",
         "validation.go validateServerPort: \"port is required\""),
        ("conflicting-gateways-invalid-port.yaml", "Gateway beta", "port is required",
         "validation.go validateServerPort: \"port is required\""),
        ("conflicting-gateways-multiple-ports.yaml", "Gateway alpha", "port names in servers must be unique",
         "validation.go ValidateGateway: duplicate port name"),
        ("conflicting-gateways-multiple-ports.yaml", "Gateway beta", "port names in servers must be unique",
         "validation.go ValidateGateway: duplicate port name"),
        ("virtualservice_host_not_found_gateway.yaml", "Gateway istio-system/testing-gateway-01-test-04", "port names in servers must be unique",
         "validation.go ValidateGateway: duplicate port name"),
        ("virtualservice_host_not_found_gateway_beta.yaml", "Gateway istio-system/testing-gateway-01-test-04", "port names in servers must be unique",
         "validation.go ValidateGateway: duplicate port name"),
        ("gateway-no-workload.yaml", "Gateway httpbin-gateway", "at least one server",
         "validation.go ValidateGateway: \"gateway must have at least one server\""),
        ("virtualservice_gateways.yaml", "Gateway httpbin-gateway", "at least one server",
         "validation.go ValidateGateway: \"gateway must have at least one server\""),
        ("virtualservice_gateways.yaml", "Gateway another/crossnamespace-gw", "at least one server",
         "validation.go ValidateGateway: \"gateway must have at least one server\""),
        ("virtualservice_gateways.yaml", "VirtualService httpbin", "at least one of http, tcp or tls",
         "validation.go ValidateVirtualService: \"http, tcp or tls must be provided\""),
        ("virtualservice_gateways.yaml", "VirtualService httpbin-bogus", "at least one of http, tcp or tls",
         "validation.go ValidateVirtualService: \"http, tcp or tls must be provided\""),
        ("virtualservice_gateways.yaml", "VirtualService httpbin-mesh", "at least one of http, tcp or tls",
         "validation.go ValidateVirtualService: \"http, tcp or tls must be provided\""),
        ("virtualservice_gateways.yaml", "VirtualService httpbin-mesh", "wildcard host \"*\"",
         "validation.go ValidateVirtualService: \"wildcard host * is not allowed for virtual services bound to the mesh gateway\""),
        ("virtualservice_gateways.yaml", "VirtualService default/cross-test", "at least one of http, tcp or tls",
         "validation.go ValidateVirtualService: \"http, tcp or tls must be provided\""),
        ("virtualservice_destinationhosts.yaml", "VirtualService default/reviews-bogushost", "destination is required",
         "validation.go validateHTTPRouteDestinations: `route: [{}]` has no destination"),
        ("virtualservice_destinationhosts.yaml", "VirtualService default/reviews-bogushost", "total weight must be greater than 0",
         "validation.go validateHTTPRouteDestinations: \"total destination weight = 0\""),
        ("virtualservice_destinationhosts.yaml", "ServiceEntry default-ignore/service-entry-ignore", "invalid host \"*\"",
         "validation.go ValidateServiceEntry: \"invalid host *\""),
        ("virtualservice_internal_gateway_ref.yaml", "VirtualService httpbin", "invalid gateway name",
         "validation.go validateGatewayNames: the generated name holds '~', not a DNS-1123 label"),
    ];
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let opts = LoadOptions {
        default_namespace: String::new(),
        drop_system_namespaces: true,
        ..Default::default()
    };
    let mut n = 0;
    let mut problems = Vec::new();
    for path in files {
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("")
            .to_string();
        let (res, _) = load(&[(name.as_str(), text.as_str())], &opts);
        n += 1;
        for d in validate(&res) {
            if d.code != codes::SCHEMA_ERROR && d.code != codes::SCHEMA_WARNING {
                continue;
            }
            let excused = ISTIO_REJECTS.iter().any(|(f, r, frag, _)| {
                *f == name
                    && *r == d.resource()
                    && d.code == codes::SCHEMA_ERROR
                    && d.message.contains(frag)
            });
            if !excused {
                problems.push(d.to_string());
            }
        }
    }
    assert!(n > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

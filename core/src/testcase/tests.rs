//! Every assertion kind, passing and failing with its message; istio-config-validator's format
//! on VirtualService files alone; coverage numbers on a config with known uncovered rules.

use super::*;
use crate::coverage::coverage;
use crate::testing::{load_ok as resources, WEB_GATEWAY};

/// The gateway fixture plus `mirror` and a VirtualService with one rule per action kind.
fn config() -> String {
    format!("{WEB_GATEWAY}{MIRROR}{VS}")
}

const MIRROR: &str = r#"apiVersion: v1
kind: Service
metadata: {name: mirror, namespace: default}
spec:
  selector: {app: mirror}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: mirror-1, namespace: default, labels: {app: mirror}}
status: {podIP: 10.0.0.9}
---
"#;

const VS: &str = r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web.example.com]
  gateways: [istio-system/gw]
  http:
  - name: old
    match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, redirectCode: 302}
  - name: static
    match: [{uri: {exact: /health}}]
    directResponse: {status: 200, body: {string: ok}}
  - name: faulty
    match: [{uri: {prefix: /fault}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route: [{destination: {host: web, subset: v1}}]
  - name: api
    match: [{uri: {prefix: /api}}, {headers: {x-api: {exact: "1"}}}]
    rewrite: {uri: /v2/api, authority: api.internal}
    headers:
      request: {set: {x-env: prod}, remove: [x-debug]}
      response: {add: {x-served-by: meshroute}}
    timeout: 3s
    retries: {attempts: 2, retryOn: 5xx, perTryTimeout: 1s}
    mirror: {host: mirror}
    corsPolicy: {allowOrigins: [{exact: "https://app.example.com"}], allowMethods: [GET]}
    route: [{destination: {host: web, subset: v2}}]
  - name: split
    route:
    - destination: {host: web, subset: v1}
      weight: 80
    - destination: {host: web, subset: v2}
      weight: 20
"#;

fn run(res: &Resources, tests: &str) -> TestReport {
    let (cases, diags) = parse_tests("tests.yaml", tests);
    assert!(diags.is_empty(), "{diags:?}");
    run_cases(res, &Defaults::default(), &cases)
}

/// The failure lines of one case, as `render` prints them.
fn failures(r: &CaseResult) -> Vec<String> {
    r.failures
        .iter()
        .map(|f| format!("{}: expected {}, got {}", f.assertion, f.expected, f.actual))
        .collect()
}

/// One case on the gateway: the request URL and the `expect:` (or `not:`) mapping.
fn case(url: &str, key: &str, body: &str) -> String {
    format!(
        "tests:\n- proxy: {{kind: gateway, namespace: istio-system, labels: {{istio: ingressgateway}}}}\n  request:\n    url: {url}\n    headers: {{origin: \"https://app.example.com\"}}\n  {key}: {body}\n"
    )
}

const API: &str = "http://web.example.com/api/x";
const SPLIT: &str = "http://web.example.com/other";
const V2: &str = "outbound|8080|v2|web.default.svc.cluster.local";

#[test]
fn every_assertion_kind_passes_when_it_holds_and_fails_with_its_message() {
    let res = resources(&config());
    // (url, expectation that holds, expectation that does not, the failure it prints)
    let table: &[(&str, &str, &str, &[&str])] = &[
        ("http://other.example.com/", "{status: 404}", "{status: 503}",
         &["status: expected 503, got local reply 404"]),
        (API, "{forwarded: true}", "{forwarded: false}",
         &["forwarded: expected false, got forwarded"]),
        (API, "{virtualService: default/web}", "{virtualService: other}",
         &["virtualService: expected other, got default/web"]),
        (API, "{virtualService: web, route: api}", "{route: split}",
         &["route: expected \"split\", got \"api\""]),
        (API, &format!("{{destination: {{host: web, subset: v2, port: 8080, cluster: \"{V2}\"}}}}"),
         "{destination: {host: mirror, subset: v1, port: 80}}",
         &[&format!("destination.host: expected mirror, got {V2}"),
           &format!("destination.subset: expected v1, got {V2}"),
           &format!("destination.port: expected 80, got {V2}")]),
        (SPLIT, "{weights: {draws: 2000, shares: {v1: 80, v2: 20}}}",
         "{weights: {draws: 2000, tolerance: 1, shares: {v1: 50}}}",
         &["weights.v1: expected 50% ±1, got 82.2% of 2000 (outbound|8080|v1|web.default.svc.cluster.local 82.2%, outbound|8080|v2|web.default.svc.cluster.local 17.8%)"]),
        (API, "{path: /v2/api/x, authority: api.internal}", "{path: /api/x, authority: web.example.com}",
         &["path: expected /api/x, got /v2/api/x", "authority: expected web.example.com, got api.internal"]),
        ("http://web.example.com/old/a", "{redirect: {location: \"http://web.example.com/new\", code: 302}}",
         "{redirect: {location: \"http://web.example.com/old\", code: 301}}",
         &["redirect.location: expected http://web.example.com/old, got 302 to http://web.example.com/new",
           "redirect.code: expected 301, got 302 to http://web.example.com/new"]),
        ("http://web.example.com/health", "{directResponse: {status: 200, body: ok}}",
         "{directResponse: {status: 204, body: bad}}",
         &["directResponse.status: expected 204, got 200 \"ok\"",
           "directResponse.body: expected \"bad\", got 200 \"ok\""]),
        ("http://web.example.com/fault", "{status: 503, fault: {abort: 503, abortPercent: 100}}",
         "{fault: {abort: 500, delay: 1s}}",
         &["fault.delay: expected 1000ms, got delay none at 0%, abort 503 at 100%",
           "fault.abort: expected 500, got delay none at 0%, abort 503 at 100%"]),
        (API, "{requestHeaders: {set: {x-env: prod}, remove: [x-debug]}}",
         "{requestHeaders: {set: {x-env: dev}, add: {x-a: b}, remove: [x-other]}}",
         &["requestHeaders.set.x-env: expected dev, got set [x-env: prod] add [] remove [x-debug]",
           "requestHeaders.add.x-a: expected b, got set [x-env: prod] add [] remove [x-debug]",
           "requestHeaders.remove: expected x-other, got set [x-env: prod] add [] remove [x-debug]"]),
        (API, "{responseHeaders: {add: {x-served-by: meshroute}}}",
         "{responseHeaders: {add: {x-served-by: envoy}}}",
         &["responseHeaders.add.x-served-by: expected envoy, got set [] add [x-served-by: meshroute] remove []"]),
        (API, "{timeout: 3s}", "{timeout: 10s}", &["timeout: expected 10000ms, got 3000ms"]),
        (API, "{retries: {attempts: 2, retryOn: 5xx, perTryTimeout: 1s}}",
         "{retries: {attempts: 5, retryOn: reset}}",
         &["retries.attempts: expected 5, got 2 retries on \"5xx\", per try 1000ms",
           "retries.retryOn: expected \"reset\", got 2 retries on \"5xx\", per try 1000ms"]),
        (API, "{mirrors: [mirror]}", "{mirrors: [web]}",
         &["mirrors: expected web, got [outbound|8080||mirror.default.svc.cluster.local]"]),
        (API, "{cors: {allowed: true, headers: {access-control-allow-origin: \"https://app.example.com\"}}}",
         "{cors: {allowed: false}}",
         &["cors.allowed: expected false, got [access-control-allow-origin: https://app.example.com]"]),
    ];
    for (url, holds, fails, message) in table {
        let r = run(&res, &case(url, "expect", holds));
        assert_eq!(r.results.len(), 1);
        assert!(
            r.results[0].passed,
            "{holds}: {:?}",
            failures(&r.results[0])
        );
        let r = run(&res, &case(url, "expect", fails));
        let res0 = &r.results[0];
        assert!(!res0.passed, "{fails} should fail");
        assert_eq!(failures(res0), *message, "{fails}");
        assert!(!res0.trace.is_empty() && !res0.happened.is_empty());
        // `not:` inverts: what holds fails under not:, with the assertion named "not …".
        let r = run(&res, &case(url, "not", holds));
        assert!(!r.results[0].passed, "not {holds} should fail");
        assert!(r.results[0]
            .failures
            .iter()
            .all(|f| f.assertion.starts_with("not ")));
        let r = run(&res, &case(url, "not", fails));
        // Each assertion of `fails` is false, so none holds under `not:` … except the ones
        // the table built partly true (destination.cluster is not in it).
        assert!(
            r.results[0].passed,
            "not {fails}: {:?}",
            failures(&r.results[0])
        );
    }
}

#[test]
fn a_failing_case_is_rendered_with_expectation_happening_and_trace() {
    let res = resources(&config());
    let r = run(&res, &case(API, "expect", "{route: split}"));
    let text = render(&r);
    assert!(text.starts_with("FAIL tests.yaml:2 (tests.yaml:2)\n  request: GET http://web.example.com/api/x\n  route: expected \"split\", got \"api\"\n  happened: forwarded to outbound|8080|v2|web.default.svc.cluster.local as api.internal/v2/api/x by route \"api\" of default/web\n  trace:\n    1. listener 0.0.0.0_8080"), "{text}");
    assert!(text.ends_with("0 passed, 1 failed\n"), "{text}");
}

#[test]
fn a_case_without_a_proxy_is_an_input_error_not_a_failure() {
    let res = resources(&config());
    let r = run(
        &res,
        "tests:\n- request: {url: \"http://x/\"}\n  expect: {status: 404}\n",
    );
    assert_eq!((r.passed, r.failed, r.errors), (0, 0, 1));
    assert!(r.results[0]
        .error
        .as_deref()
        .unwrap_or("")
        .starts_with("no proxy"));
}

#[test]
fn unknown_fields_and_empty_cases_are_diagnostics_with_lines() {
    let (cases, diags) = parse_tests(
        "t.yaml",
        "tests:\n- request: {url: \"http://x/\"}\n  expect: {stauts: 404}\n- request: {url: \"http://x/\"}\ntestCases:\n- request: {authority: [a], uri: [/]}\n",
    );
    let lines: Vec<String> = diags
        .iter()
        .map(|d| format!("{}:{} {} {}", d.line, d.column, d.code, d.message))
        .collect();
    assert_eq!(cases.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("3:12 MR0101") && lines[0].contains("did you mean \"status\""),
        "{lines:?}"
    );
    assert_eq!(
        lines[1],
        "4:3 MR0601 tests[1]: the case asserts nothing: give `expect:` or `not:`"
    );
    assert_eq!(
        lines[2],
        "6:3 MR0601 testCases[0]: request.method must list at least one value"
    );
}

/// VirtualService files alone, as istio-config-validator's users have them: no Service, Pod,
/// Gateway or DestinationRule.
const VS_ALONE: &str = r#"
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [shop.example.com, example.com]
  gateways: [istio-system/public]
  http:
  - match:
    - uri: {regex: "/users(/.*)?"}
      headers: {x-user-type: {exact: qa}}
    - uri: {prefix: /beta}
      queryParams: {tester: {exact: "yes"}}
    route:
    - destination: {host: users.users.svc.cluster.local, port: {number: 80}}
  - match:
    - uri: {prefix: /old}
    redirect: {uri: /new}
  - match:
    - uri: {prefix: /api}
    rewrite: {uri: /v1/api}
    headers: {request: {set: {x-shop: "1"}}}
    route:
    - destination: {host: api, port: {number: 8080}}
  - route:
    - destination: {host: monolith.shop.svc.cluster.local}
"#;

/// Written from istio-config-validator's documented TestCase fields (docs/test-cases.md).
const ICV_TESTS: &str = r#"
testCases:
- description: QA users go to the users service
  wantMatch: true
  request:
    authority: [shop.example.com, example.com]
    method: [GET, POST]
    uri: [/users, /users/42]
    headers: {x-user-type: qa}
  route:
  - destination: {host: users.users.svc.cluster.local, port: {number: 80}}
- description: everyone else stays on the monolith
  wantMatch: true
  request: {authority: [example.com], method: [GET], uri: [/users]}
  route:
  - destination: {host: monolith.shop.svc.cluster.local}
- description: non-QA users do not reach the users service
  wantMatch: false
  request: {authority: [example.com], method: [GET], uri: [/users]}
  route:
  - destination: {host: users.users.svc.cluster.local, port: {number: 80}}
- description: old links redirect
  wantMatch: true
  request: {authority: [example.com], method: [GET], uri: [/old/page]}
  redirect: {uri: /new}
- description: the API is rewritten, with a header, to the short-named api host
  wantMatch: true
  request: {authority: [shop.example.com], method: [GET, DELETE], uri: [/api/v]}
  rewrite: {uri: /v1/api}
  headers: {request: {set: {x-shop: "1"}}}
  route:
  - destination: {host: api.shop.svc.cluster.local, port: {number: 8080}}
- description: query parameters match (istio-config-validator cannot)
  wantMatch: true
  request: {authority: [example.com], method: [GET], uri: ["/beta?tester=yes"]}
  route:
  - destination: {host: users.users.svc.cluster.local, port: {number: 80}}
"#;

#[test]
fn istio_config_validator_cases_pass_on_virtual_service_files_alone() {
    let res = resources(VS_ALONE);
    let r = run(&res, ICV_TESTS);
    for c in &r.results {
        assert!(c.passed, "{}: {:?} {}", c.name, failures(c), c.happened);
        assert_eq!(c.format, "istio-config-validator");
    }
    assert_eq!((r.passed, r.failed, r.errors), (6, 0, 0));
    // authority × method × uri: 2 × 2 × 2 requests for the first case.
    assert_eq!(r.results[0].requests.len(), 8);
}

#[test]
fn istio_config_validator_mismatches_fail_with_both_sides_as_written() {
    let res = resources(VS_ALONE);
    let r = run(
        &res,
        "testCases:\n- description: wrong\n  wantMatch: true\n  request: {authority: [example.com], method: [GET], uri: [/x]}\n  route:\n  - destination: {host: users.users.svc.cluster.local, port: {number: 80}}\n- description: wrong negative\n  wantMatch: false\n  request: {authority: [example.com], method: [GET], uri: [/old]}\n  redirect: {uri: /new}\n",
    );
    assert_eq!(
        failures(&r.results[0]),
        ["route: expected [{\"destination\":{\"host\":\"users.users.svc.cluster.local\",\"port\":{\"number\":80}}}], got [{\"destination\":{\"host\":\"monolith.shop.svc.cluster.local\"}}]"]
    );
    assert_eq!(
        failures(&r.results[1]),
        ["not redirect: expected not {\"uri\":\"/new\"}, got {\"uri\":\"/new\"}"]
    );
    assert_eq!(r.failed, 2);
}

#[test]
fn coverage_counts_reached_rules_match_blocks_and_destinations_and_lists_the_rest() {
    let res = resources(VS_ALONE);
    // Only the first two cases: the /beta match block, the redirect and API rules are not
    // reached; both reached rules' destinations are.
    let two: String = ICV_TESTS
        .split("- description: non-QA")
        .next()
        .unwrap_or_default()
        .to_string();
    let r = run(&res, &two);
    assert_eq!(r.passed, 2);
    let c = coverage(&res, &r.hits);
    assert_eq!((c.rules.covered, c.rules.total), (2, 4));
    assert_eq!((c.matches.covered, c.matches.total), (1, 4));
    assert_eq!((c.destinations.covered, c.destinations.total), (2, 3));
    assert_eq!((c.all.covered, c.all.total), (5, 11));
    let uncovered: Vec<String> = c
        .items
        .iter()
        .filter(|i| !i.covered)
        .map(|i| format!("{}:{} {}", i.file, i.line, i.path))
        .collect();
    assert_eq!(
        uncovered,
        [
            "config.yaml:12 spec.http[0].match[1]",
            "config.yaml:16 spec.http[1]",
            "config.yaml:17 spec.http[1].match[0]",
            "config.yaml:19 spec.http[2]",
            "config.yaml:20 spec.http[2].match[0]",
            "config.yaml:24 spec.http[2].route[0]",
        ]
    );
    // Every case: everything but nothing.
    let all = run(&res, ICV_TESTS);
    assert_eq!(coverage(&res, &all.hits).percent, 100.0);
}

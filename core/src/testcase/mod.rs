//! Route test cases: YAML files that pin what a request must do, run against the compiled table
//! (`meshroute test`, and later the browser's Tests pane). Pure: the caller reads the files.
//!
//! Two formats, told apart by their top-level key:
//! - meshroute's own, `tests:` — each case names the proxy and a request and asserts any of
//!   status, forwarded, virtual service, route, destination, weighted shares, rewritten path and
//!   authority, redirect, direct response, fault, header edits, timeout, retries, mirrors and
//!   CORS, with `not:` for what must not happen;
//! - istio-config-validator's documented one, `testCases:` (`description`, `request` with
//!   `authority`/`method`/`uri` lists and `headers`, `route`, `rewrite`, `redirect`, `fault`,
//!   `headers`, `delegate`, `wantMatch`), run as its users run it: on VirtualService files alone,
//!   destinations compared as written.
//!
//! ```
//! use meshroute_core::resources::{load, LoadOptions};
//! use meshroute_core::testcase::{parse_tests, run_cases, Defaults};
//! let vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web, namespace: default}\nspec:\n  hosts: [web.example.com]\n  http:\n  - route:\n    - destination: {host: web}\n";
//! let (res, _) = load(&[("vs.yaml", vs)], &LoadOptions::default());
//! let tests = "testCases:\n- description: everything goes to web\n  wantMatch: true\n  request: {authority: [web.example.com], method: [GET], uri: [/]}\n  route:\n  - destination: {host: web}\n";
//! let (cases, diags) = parse_tests("tests.yaml", tests);
//! assert!(diags.is_empty());
//! let report = run_cases(&res, &Defaults::default(), &cases);
//! assert_eq!((report.passed, report.failed), (1, 0));
//! ```

mod assert;
mod icv;

pub(crate) use assert::route_of;
#[cfg(test)]
mod tests;

use crate::config::{ProxyIdentity, ProxyKind};
use crate::coverage::Hits;
use crate::decode::{Decoder, Duration, FromNode};
use crate::decode_struct;
use crate::diag::{Diagnostic, Severity};
use crate::model::istio::{
    Delegate, Headers, HttpFaultInjection, HttpRedirect, HttpRewrite, HttpRouteDestination,
};
use crate::node::{Pos, Value};
use crate::resources::{Resources, SourceFile};
use crate::table::RouteTable;
use crate::yaml::{parse_documents, Limits};
use serde::Serialize;
use std::collections::BTreeMap;

/// Diagnostic code of a test file that cannot be read as tests.
pub const TEST_FILE: &str = "MR0601";

decode_struct! { strict
    /// A test file: meshroute's `tests`, istio-config-validator's `testCases`, or both.
    pub struct TestFile {
        /// The proxy of every case that names none.
        proxy: Option<ProxySpec> = "proxy",
        tests: Vec<TestCase> = "tests",
        test_cases: Vec<IcvCase> = "testCases",
    }
}

decode_struct! { strict
    /// Who routes the request. `kind` defaults to gateway; a gateway's namespace to
    /// istio-system and its labels to `istio: ingressgateway` (Istio's default ingress); a
    /// sidecar's namespace to default.
    pub struct ProxySpec {
        kind: Option<String> = "kind",
        namespace: Option<String> = "namespace",
        labels: BTreeMap<String, String> = "labels",
    }
}

decode_struct! { strict
    pub struct TestCase {
        name: Option<String> = "name",
        proxy: Option<ProxySpec> = "proxy",
        request: Option<TestRequest> = "request",
        expect: Option<Expect> = "expect",
        /// Every assertion here must fail.
        not: Option<Expect> = "not",
    }
}

decode_struct! { strict
    /// A request: `url`, or `authority` with `path` (and `scheme`).
    pub struct TestRequest {
        url: Option<String> = "url",
        authority: Option<String> = "authority",
        path: Option<String> = "path",
        scheme: Option<String> = "scheme",
        method: Option<String> = "method",
        headers: BTreeMap<String, String> = "headers",
        /// The client's address (consistent hashing on the source IP).
        source_ip: Option<String> = "sourceIP",
        /// A sidecar's own labels: what `match.sourceLabels` is compared with.
        source_labels: BTreeMap<String, String> = "sourceLabels",
        /// A sidecar's namespace: what `match.sourceNamespace` is compared with.
        source_namespace: Option<String> = "sourceNamespace",
        /// The Envoy listener the request arrives on (default as `meshroute simulate` picks it).
        listener_port: Option<u32> = "listenerPort",
    }
}

decode_struct! { strict
    /// What must hold (under `expect:`) or must not (under `not:`).
    pub struct Expect {
        /// A local reply with this status (404, 503, a redirect's code, a fault abort …).
        status: Option<u32> = "status",
        /// Forwarded to a cluster (true) or answered locally (false).
        forwarded: Option<bool> = "forwarded",
        /// `ns/name` (or just `name`) of the VirtualService that routed it.
        virtual_service: Option<String> = "virtualService",
        /// The route's name (`route.name[.match.name]`).
        route: Option<String> = "route",
        destination: Option<ExpectDestination> = "destination",
        weights: Option<ExpectWeights> = "weights",
        /// The path (and query) sent upstream, after rewrites.
        path: Option<String> = "path",
        /// The authority sent upstream, after rewrites.
        authority: Option<String> = "authority",
        redirect: Option<ExpectRedirect> = "redirect",
        direct_response: Option<ExpectDirectResponse> = "directResponse",
        fault: Option<ExpectFault> = "fault",
        request_headers: Option<ExpectHeaders> = "requestHeaders",
        response_headers: Option<ExpectHeaders> = "responseHeaders",
        /// The route timeout; `0s` for none.
        timeout: Option<Duration> = "timeout",
        retries: Option<ExpectRetries> = "retries",
        /// Clusters (or hosts) the route mirrors to.
        mirrors: Option<Vec<String>> = "mirrors",
        cors: Option<ExpectCors> = "cors",
    }
}

decode_struct! { strict
    /// Any of: the cluster name (`outbound|PORT|SUBSET|FQDN`), or its parts. `host` is the FQDN
    /// or a prefix of it ending at a dot (`reviews`, `reviews.default`).
    pub struct ExpectDestination {
        host: Option<String> = "host",
        subset: Option<String> = "subset",
        port: Option<u32> = "port",
        cluster: Option<String> = "cluster",
    }
}

decode_struct! { strict
    /// Weighted shares over `draws` requests (default 1000): each key (a cluster name, a subset
    /// or a host) gets its percentage within `tolerance` percentage points (default 5).
    pub struct ExpectWeights {
        draws: Option<u32> = "draws",
        tolerance: Option<f64> = "tolerance",
        shares: BTreeMap<String, f64> = "shares",
    }
}

decode_struct! { strict
    pub struct ExpectRedirect {
        location: Option<String> = "location",
        code: Option<u32> = "code",
    }
}

decode_struct! { strict
    pub struct ExpectDirectResponse {
        status: Option<u32> = "status",
        body: Option<String> = "body",
    }
}

decode_struct! { strict
    /// The route's fault injection as configured (percentages are of requests).
    pub struct ExpectFault {
        delay: Option<Duration> = "delay",
        delay_percent: Option<f64> = "delayPercent",
        abort: Option<u32> = "abort",
        abort_percent: Option<f64> = "abortPercent",
    }
}

decode_struct! { strict
    /// Header edits that must be among the route's (others may be there too).
    pub struct ExpectHeaders {
        set: BTreeMap<String, String> = "set",
        add: BTreeMap<String, String> = "add",
        remove: Vec<String> = "remove",
    }
}

decode_struct! { strict
    pub struct ExpectRetries {
        /// Retries (not attempts): Istio's `attempts`.
        attempts: Option<u32> = "attempts",
        retry_on: Option<String> = "retryOn",
        per_try_timeout: Option<Duration> = "perTryTimeout",
    }
}

decode_struct! { strict
    /// CORS for a request carrying `origin`: allowed (the allow-origin header is answered) and,
    /// optionally, response headers that must be among the CORS headers.
    pub struct ExpectCors {
        allowed: Option<bool> = "allowed",
        headers: BTreeMap<String, String> = "headers",
    }
}

decode_struct! { strict
    /// istio-config-validator's `TestCase` (its docs/test-cases.md fields).
    pub struct IcvCase {
        description: Option<String> = "description",
        request: Option<IcvRequest> = "request",
        route: Vec<HttpRouteDestination> = "route",
        redirect: Option<HttpRedirect> = "redirect",
        rewrite: Option<HttpRewrite> = "rewrite",
        fault: Option<HttpFaultInjection> = "fault",
        headers: Option<Headers> = "headers",
        delegate: Option<Delegate> = "delegate",
        want_match: Option<bool> = "wantMatch",
        /// Accepted as a synonym of `wantMatch`.
        is_match: Option<bool> = "isMatch",
    }
}

decode_struct! { strict
    /// Every combination of `authority` × `method` × `uri` is one request.
    pub struct IcvRequest {
        authority: Vec<String> = "authority",
        method: Vec<String> = "method",
        uri: Vec<String> = "uri",
        headers: BTreeMap<String, String> = "headers",
    }
}

/// One test case as read, with where it was written.
#[derive(Debug, Clone)]
pub struct Case {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub kind: CaseKind,
}

#[derive(Debug, Clone)]
pub enum CaseKind {
    Native(Box<TestCase>),
    Icv(Box<IcvCase>),
}

impl Case {
    /// The case's name: `name`/`description`, else `FILE:LINE`.
    pub fn name(&self) -> String {
        let n = match &self.kind {
            CaseKind::Native(c) => c.name.clone(),
            CaseKind::Icv(c) => c.description.clone(),
        };
        n.filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{}:{}", self.file, self.line))
    }
}

fn file_diag(file: &SourceFile, pos: Pos, code: &str, message: String) -> Diagnostic {
    Diagnostic {
        code: code.to_string(),
        severity: Severity::Error,
        kind: String::new(),
        namespace: String::new(),
        name: String::new(),
        path: String::new(),
        file: file.name.clone(),
        line: pos.line,
        column: pos.column,
        column_utf16: file.utf16_column(pos),
        message,
    }
}

/// Reads one test file. Every problem (YAML, unknown fields with a "did you mean", a case without
/// a request) is an error diagnostic; the cases that could be read are returned anyway.
pub fn parse_tests(name: &str, text: &str) -> (Vec<Case>, Vec<Diagnostic>) {
    let src = SourceFile::new(name, text.to_string());
    let mut cases = Vec::new();
    let mut diags = Vec::new();
    for doc in parse_documents(text, &Limits::default()) {
        for e in &doc.errors {
            diags.push(file_diag(
                &src,
                e.pos,
                crate::diag::codes::YAML_SYNTAX,
                e.message.clone(),
            ));
        }
        let Some(node) = doc.node else { continue };
        if matches!(node.value, Value::Null) {
            continue;
        }
        let mut d = Decoder::default();
        let file = TestFile::from_node(&node, "", &mut d).unwrap_or_default();
        for e in d.errors {
            diags.push(file_diag(&src, e.pos, e.code, e.message));
        }
        let pos_of = |key: &str, i: usize| -> Pos {
            match node.get(key).map(|n| &n.value) {
                Some(Value::Seq(items)) => items.get(i).map_or(node.pos, |n| n.pos),
                _ => node.pos,
            }
        };
        if file.tests.is_empty() && file.test_cases.is_empty() {
            diags.push(file_diag(
                &src,
                node.pos,
                TEST_FILE,
                "no test cases: a test file has `tests:` (meshroute's format) or `testCases:` (istio-config-validator's)".into(),
            ));
        }
        for (i, mut t) in file.tests.into_iter().enumerate() {
            let pos = pos_of("tests", i);
            if t.proxy.is_none() {
                t.proxy = file.proxy.clone();
            }
            let problem = match &t.request {
                None => Some("the case has no `request`"),
                Some(r) if r.url.is_none() && r.authority.is_none() => {
                    Some("the request needs `url`, or `authority` (with `path`)")
                }
                _ if t.expect.is_none() && t.not.is_none() => {
                    Some("the case asserts nothing: give `expect:` or `not:`")
                }
                _ => None,
            };
            if let Some(p) = problem {
                diags.push(file_diag(&src, pos, TEST_FILE, format!("tests[{i}]: {p}")));
                continue;
            }
            cases.push(Case {
                file: name.to_string(),
                line: pos.line,
                column: pos.column,
                kind: CaseKind::Native(Box::new(t)),
            });
        }
        for (i, t) in file.test_cases.into_iter().enumerate() {
            let pos = pos_of("testCases", i);
            let problem = match &t.request {
                None => Some("the case has no `request`".to_string()),
                Some(r) => {
                    let empty: Vec<&str> = [
                        ("authority", r.authority.is_empty()),
                        ("method", r.method.is_empty()),
                        ("uri", r.uri.is_empty()),
                    ]
                    .into_iter()
                    .filter(|(_, e)| *e)
                    .map(|(k, _)| k)
                    .collect();
                    (!empty.is_empty()).then(|| {
                        format!(
                            "request.{} must list at least one value",
                            empty.join(", request.")
                        )
                    })
                }
            };
            if let Some(p) = problem {
                diags.push(file_diag(
                    &src,
                    pos,
                    TEST_FILE,
                    format!("testCases[{i}]: {p}"),
                ));
                continue;
            }
            cases.push(Case {
                file: name.to_string(),
                line: pos.line,
                column: pos.column,
                kind: CaseKind::Icv(Box::new(t)),
            });
        }
    }
    (cases, diags)
}

/// What a config gives every case that does not say otherwise.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// The config file's `proxy:` (meshroute config files); plain resource files have none.
    pub proxy: Option<ProxyIdentity>,
    /// The config file's `listenerPort`.
    pub listener_port: Option<u32>,
}

/// One assertion that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// What was asserted: `status`, `destination.subset`, `not route` …
    pub assertion: String,
    pub expected: String,
    pub actual: String,
}

/// The result of one case.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResult {
    pub name: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// `meshroute` or `istio-config-validator`.
    pub format: &'static str,
    pub passed: bool,
    /// The case could not be run (no proxy, no listener …): an input error, not a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The requests sent (istio-config-validator cases unfold into several).
    pub requests: Vec<String>,
    pub failures: Vec<Failure>,
    /// What happened to the (first failing) request, in one line.
    pub happened: String,
    /// The decision trace of that request.
    pub trace: Vec<String>,
}

impl CaseResult {
    fn new(case: &Case, format: &'static str) -> CaseResult {
        CaseResult {
            name: case.name(),
            file: case.file.clone(),
            line: case.line,
            column: case.column,
            format,
            passed: true,
            error: None,
            requests: Vec::new(),
            failures: Vec::new(),
            happened: String::new(),
            trace: Vec::new(),
        }
    }

    fn errored(mut self, e: String) -> CaseResult {
        self.passed = false;
        self.error = Some(e);
        self
    }
}

/// Every case's result, and the rules the requests reached (for coverage).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TestReport {
    pub results: Vec<CaseResult>,
    pub passed: usize,
    pub failed: usize,
    /// Cases that could not run (input errors).
    pub errors: usize,
    #[serde(skip)]
    pub hits: Hits,
}

/// Compiled tables per proxy, built on first use.
struct Tables<'r> {
    res: &'r Resources,
    built: Vec<(ProxyIdentity, RouteTable)>,
}

impl Tables<'_> {
    fn get(&mut self, proxy: &ProxyIdentity) -> &RouteTable {
        let i = match self.built.iter().position(|(p, _)| p == proxy) {
            Some(i) => i,
            None => {
                let (t, _) = crate::compile::compile(self.res, proxy);
                self.built.push((proxy.clone(), t));
                self.built.len() - 1
            }
        };
        &self.built[i].1
    }
}

/// The proxy a [`ProxySpec`] stands for (see its defaults).
pub fn proxy_identity(spec: &ProxySpec) -> Result<ProxyIdentity, String> {
    let kind = match spec.kind.as_deref() {
        None | Some("gateway") => ProxyKind::Gateway,
        Some("sidecar") => ProxyKind::Sidecar,
        Some(other) => {
            return Err(format!(
                "proxy.kind must be gateway or sidecar, got {other:?}"
            ))
        }
    };
    let mut labels = spec.labels.clone();
    if kind == ProxyKind::Gateway && labels.is_empty() {
        labels.insert("istio".into(), "ingressgateway".into());
    }
    let namespace = spec.namespace.clone().unwrap_or_else(|| {
        match kind {
            ProxyKind::Gateway => "istio-system",
            ProxyKind::Sidecar => "default",
        }
        .to_string()
    });
    Ok(ProxyIdentity {
        kind,
        namespace,
        labels,
    })
}

/// Runs every case against `res`. Native cases compile a table per proxy they name;
/// istio-config-validator cases run on one sidecar view of the VirtualServices (see
/// [`icv`]'s notes).
pub fn run_cases(res: &Resources, defaults: &Defaults, cases: &[Case]) -> TestReport {
    let mut tables = Tables {
        res,
        built: Vec::new(),
    };
    let mut icv_view: Option<icv::View> = None;
    let mut report = TestReport::default();
    for case in cases {
        let result = match &case.kind {
            CaseKind::Native(t) => {
                assert::run_native(case, t, defaults, &mut tables, &mut report.hits)
            }
            CaseKind::Icv(t) => {
                let view = icv_view.get_or_insert_with(|| icv::View::build(res));
                icv::run_icv(case, t, view, &mut report.hits)
            }
        };
        if result.error.is_some() {
            report.errors += 1;
        } else if result.passed {
            report.passed += 1;
        } else {
            report.failed += 1;
        }
        report.results.push(result);
    }
    report
}

/// The proxy and request of every meshroute-format case that can run (istio-config-validator
/// cases name no proxy), for `meshroute diff` to send as extra probes.
pub fn case_probes(
    res: &Resources,
    defaults: &Defaults,
    cases: &[Case],
) -> Vec<(ProxyIdentity, crate::probe::Probe)> {
    let mut tables = Tables {
        res,
        built: Vec::new(),
    };
    cases
        .iter()
        .filter_map(|c| match &c.kind {
            CaseKind::Native(t) => assert::native_probe(t, defaults, &mut tables).ok(),
            CaseKind::Icv(_) => None,
        })
        .collect()
}

/// The text report: one line per case (`PASS`/`FAIL`), and for each failure the expectation,
/// what happened and the decision trace; then a summary line.
pub fn render(report: &TestReport) -> String {
    let mut out = String::new();
    for r in &report.results {
        let status = match (&r.error, r.passed) {
            (Some(_), _) => "ERROR",
            (None, true) => "PASS",
            (None, false) => "FAIL",
        };
        out.push_str(&format!("{status} {} ({}:{})\n", r.name, r.file, r.line));
        if let Some(e) = &r.error {
            out.push_str(&format!("  error: {e}\n"));
            continue;
        }
        if r.passed {
            continue;
        }
        if let Some(req) = r.requests.first() {
            out.push_str(&format!("  request: {req}\n"));
        }
        for f in &r.failures {
            out.push_str(&format!(
                "  {}: expected {}, got {}\n",
                f.assertion, f.expected, f.actual
            ));
        }
        out.push_str(&format!("  happened: {}\n", r.happened));
        if !r.trace.is_empty() {
            out.push_str("  trace:\n");
            for (i, l) in r.trace.iter().enumerate() {
                out.push_str(&format!("    {}. {l}\n", i + 1));
            }
        }
    }
    out.push_str(&format!(
        "{} passed, {} failed{}\n",
        report.passed,
        report.failed,
        if report.errors > 0 {
            format!(", {} could not run", report.errors)
        } else {
            String::new()
        }
    ));
    out
}

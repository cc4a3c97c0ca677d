//! `meshroute test`: route test cases (meshroute's `tests:` or istio-config-validator's
//! `testCases:`) against a config, with coverage of the VirtualService rules they reach.
//! Reading and running the cases is core's (`testcase`, `coverage`); this module reads files
//! and prints.

use crate::common::write_stdout;
use crate::inputs::{load_set, read_inputs, source, Fatal, Source};
use crate::out;
use crate::report::{self, Finding, Format, JunitCase, JunitOutcome, Level};
use meshroute_core::check::rejects;
use meshroute_core::coverage::{self, Coverage};
use meshroute_core::diag::{self, Diagnostic};
use meshroute_core::resources::LoadOptions;
use meshroute_core::testcase::{self, parse_tests, run_cases, CaseResult, Defaults, TestReport};
use std::ffi::OsString;

/// Run route test cases against a config; report failures and coverage
///
/// CONFIG is a meshroute config file (its `proxy:` is every case's default) or plain Istio and
/// Kubernetes YAML files and directories, VirtualService files alone included. TESTS are files
/// (or directories of them) with meshroute's `tests:` or istio-config-validator's `testCases:`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "exit status: 0 every case passes, 1 a case fails or coverage is under --fail-under, 2 usage or input errors"
)]
pub struct TestArgs {
    /// A config file, a resource file or a directory; repeatable
    #[arg(short = 'f', long = "filename", value_name = "CONFIG", required = true)]
    filename: Vec<OsString>,
    /// Test files or directories
    #[arg(value_name = "TESTS", required = true)]
    tests: Vec<OsString>,
    /// Report which VirtualService rules, match blocks and destinations the cases reached
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when coverage is under PCT percent (implies --coverage)
    #[arg(long, value_name = "PCT")]
    fail_under: Option<f64>,
    #[arg(short, long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    output: Format,
}

pub fn run(args: TestArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            out::stderr(&format!("meshroute test: {msg}"));
            2
        }
    }
}

fn sources(v: &[OsString]) -> Vec<Source> {
    v.iter().map(source).collect()
}

/// Prints diagnostics that make the input unusable; true when there were some.
fn input_errors(diags: &mut [Diagnostic]) -> bool {
    diag::sort(diags);
    let mut any = false;
    for d in diags.iter().filter(|d| rejects(d)) {
        out::stderr(&d.to_string());
        any = true;
    }
    any
}

fn run_inner(args: TestArgs) -> Result<i32, Fatal> {
    let load = LoadOptions::default();
    let mut set = load_set(read_inputs(&sources(&args.filename))?, &load)?;
    // Only what the API server would refuse stops the tests: analyzer findings (an unknown
    // host on VirtualService files alone, say) are `meshroute check`'s business.
    set.diags
        .extend(meshroute_core::validate::validate(&set.resources));
    if input_errors(&mut set.diags) {
        return Err(Fatal(
            "the config has errors the proxy would refuse; fix them first".into(),
        ));
    }
    let mut cases = Vec::new();
    let mut diags = Vec::new();
    for f in read_inputs(&sources(&args.tests))? {
        let (c, d) = parse_tests(&f.name, &f.text);
        cases.extend(c);
        diags.extend(d);
    }
    if input_errors(&mut diags) {
        return Err(Fatal("the test files have errors".into()));
    }
    let defaults = Defaults {
        proxy: set.proxy.clone(),
        listener_port: set.listener_port,
    };
    let report = run_cases(&set.resources, &defaults, &cases);
    let want_coverage = args.coverage || args.fail_under.is_some();
    let cov = want_coverage.then(|| coverage::coverage(&set.resources, &report.hits));
    let under = match (&cov, args.fail_under) {
        (Some(c), Some(min)) => c.percent + 1e-9 < min,
        _ => false,
    };
    match args.output {
        Format::Text => {
            let mut text = testcase::render(&report);
            if let Some(c) = &cov {
                text.push_str(&coverage::render(c));
            }
            if under {
                text.push_str(&format!(
                    "coverage {:.1}% is under --fail-under {}%\n",
                    cov.as_ref().map_or(0.0, |c| c.percent),
                    args.fail_under.unwrap_or_default()
                ));
            }
            write_stdout(&text);
        }
        Format::Json => crate::common::print_json(&json(&report, cov.as_ref())),
        Format::Sarif => write_stdout(&report::sarif_text(
            "meshroute test",
            &findings(&report, cov.as_ref()),
        )),
        Format::Github => write_stdout(&report::github(&findings(&report, cov.as_ref()))),
        Format::Junit => {
            let mut cases = junit_cases(&report);
            if let (Some(c), Some(min)) = (&cov, args.fail_under) {
                cases.push(JunitCase {
                    classname: "meshroute test".into(),
                    name: format!("coverage at least {min}%"),
                    outcome: if under {
                        JunitOutcome::Failed {
                            message: format!("coverage {:.1}% is under {min}%", c.percent),
                            detail: coverage::render(c),
                        }
                    } else {
                        JunitOutcome::Passed
                    },
                });
            }
            write_stdout(&report::junit("meshroute test", &cases));
        }
    }
    Ok(exit_code(&report, under))
}

/// The rendered failure of one case (expectation, what happened, trace), for JUnit's detail.
fn case_text(r: &CaseResult) -> String {
    testcase::render(&TestReport {
        results: vec![r.clone()],
        ..TestReport::default()
    })
    .lines()
    .skip(1)
    .take_while(|l| l.starts_with("  "))
    .collect::<Vec<_>>()
    .join("\n")
}

fn findings(report: &TestReport, cov: Option<&Coverage>) -> Vec<Finding> {
    let mut out: Vec<Finding> = report
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            let (rule, desc, message) = match &r.error {
                Some(e) => (
                    "meshroute-test-error",
                    "a test case that cannot run",
                    e.clone(),
                ),
                None => (
                    "meshroute-test",
                    "a route test case that fails",
                    r.failures
                        .iter()
                        .map(|f| {
                            format!("{}: expected {}, got {}", f.assertion, f.expected, f.actual)
                        })
                        .chain(std::iter::once(format!("happened: {}", r.happened)))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            };
            Finding {
                rule: rule.into(),
                rule_description: desc.into(),
                level: Level::Error,
                title: format!("test failed: {}", r.name),
                message,
                file: r.file.clone(),
                line: r.line,
                column: r.column,
            }
        })
        .collect();
    for i in cov.iter().flat_map(|c| &c.items).filter(|i| !i.covered) {
        out.push(Finding {
            rule: "meshroute-coverage".into(),
            rule_description: "a VirtualService rule, match block or destination no test reaches"
                .into(),
            level: Level::Note,
            title: "not covered by route tests".into(),
            message: format!(
                "no test case reaches VirtualService {} {}",
                i.virtual_service, i.path
            ),
            file: i.file.clone(),
            line: i.line,
            column: i.column,
        });
    }
    out
}

fn junit_cases(report: &TestReport) -> Vec<JunitCase> {
    report
        .results
        .iter()
        .map(|r| JunitCase {
            classname: r.file.clone(),
            name: r.name.clone(),
            outcome: match (&r.error, r.passed) {
                (Some(e), _) => JunitOutcome::Errored { message: e.clone() },
                (None, true) => JunitOutcome::Passed,
                (None, false) => JunitOutcome::Failed {
                    message: r
                        .failures
                        .first()
                        .map(|f| {
                            format!("{}: expected {}, got {}", f.assertion, f.expected, f.actual)
                        })
                        .unwrap_or_default(),
                    detail: case_text(r),
                },
            },
        })
        .collect()
}

fn json(report: &TestReport, cov: Option<&Coverage>) -> serde_json::Value {
    let mut v = serde_json::to_value(report).unwrap_or_default();
    if let (Some(c), Some(m)) = (cov, v.as_object_mut()) {
        m.insert(
            "coverage".into(),
            serde_json::to_value(c).unwrap_or_default(),
        );
    }
    v
}

fn exit_code(report: &TestReport, under: bool) -> i32 {
    if report.errors > 0 {
        2
    } else if report.failed > 0 || under {
        1
    } else {
        0
    }
}

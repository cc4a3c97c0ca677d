//! CI output for `check`, `test` and `diff`: SARIF 2.1.0 (code scanning shows it inline), JUnit
//! XML and GitHub Actions workflow commands, all built from typed values (serde-sarif's SARIF
//! types, quick-junit's report model) — never by pasting strings together.
//!
//! Each command turns what it found into [`Finding`]s (a rule, a level, a message, a place) and
//! its checks into [`JunitCase`]s; this module renders them.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_sarif::sarif;
use std::collections::BTreeMap;

/// `-o` of `check` and `test` (`diff` adds Markdown to these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The command's report for people
    Text,
    /// The same as JSON
    Json,
    /// SARIF 2.1.0, for code scanning (findings at their file, line and column)
    Sarif,
    /// JUnit XML (check: a case per file; test: a case per test case)
    Junit,
    /// GitHub Actions annotations (::error file=…,line=…,col=…::…)
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Note,
}

/// One thing to annotate, at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `IST0101`, `MR0101`, `meshroute-test` …
    pub rule: String,
    /// What the rule is about, for SARIF's rule list.
    pub rule_description: String,
    pub level: Level,
    /// A short title (GitHub shows it above the message).
    pub title: String,
    pub message: String,
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in UTF-16 code units (SARIF's default column kind, and what GitHub counts).
    pub column: u32,
}

/// One JUnit test case: passed, failed (an assertion) or errored (could not run).
#[derive(Debug, Clone)]
pub struct JunitCase {
    pub classname: String,
    pub name: String,
    pub outcome: JunitOutcome,
}

#[derive(Debug, Clone)]
pub enum JunitOutcome {
    Passed,
    Failed { message: String, detail: String },
    Errored { message: String },
}

/// A file name as a SARIF `uri`: relative paths stay relative (code scanning resolves them
/// against the checkout), absolute ones become `file://` URIs; spaces and `%` are escaped.
fn uri(file: &str) -> String {
    let escaped = file
        .replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20");
    if escaped.starts_with('/') {
        format!("file://{escaped}")
    } else {
        escaped
    }
}

/// The SARIF log of one run of `tool` (`meshroute check`, …).
pub fn sarif(tool: &str, findings: &[Finding]) -> sarif::Sarif {
    let mut rules: BTreeMap<&str, &str> = BTreeMap::new();
    for f in findings {
        rules.entry(&f.rule).or_insert(&f.rule_description);
    }
    let index: BTreeMap<&str, i64> = rules
        .keys()
        .enumerate()
        .map(|(i, r)| (*r, i as i64))
        .collect();
    let descriptors: Vec<sarif::ReportingDescriptor> = rules
        .iter()
        .map(|(id, desc)| {
            sarif::ReportingDescriptor::builder()
                .id(id.to_string())
                .short_description(sarif::MultiformatMessageString::from(&desc.to_string()))
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = findings
        .iter()
        .map(|f| {
            let region = sarif::Region::builder()
                .start_line(i64::from(f.line.max(1)))
                .start_column(i64::from(f.column.max(1)))
                .build();
            let location = sarif::Location::builder()
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(
                            sarif::ArtifactLocation::builder().uri(uri(&f.file)).build(),
                        )
                        .region(region)
                        .build(),
                )
                .build();
            let locations = if f.file.is_empty() {
                Vec::new()
            } else {
                vec![location]
            };
            sarif::Result::builder()
                .rule_id(f.rule.clone())
                .rule_index(index.get(f.rule.as_str()).copied().unwrap_or(0))
                .level(match f.level {
                    Level::Error => sarif::ResultLevel::Error,
                    Level::Warning => sarif::ResultLevel::Warning,
                    Level::Note => sarif::ResultLevel::Note,
                })
                .message(sarif::Message::builder().text(f.message.clone()).build())
                .locations(locations)
                .build()
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("meshroute".to_string())
        .full_name(tool.to_string())
        .version(env!("CARGO_PKG_VERSION").to_string())
        .information_uri("https://istio.io/latest/docs/reference/config/analysis/".to_string())
        .rules(descriptors)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::json!("utf16CodeUnits"))
        .build();
    sarif::Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json".to_string())
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The SARIF log as pretty JSON.
pub fn sarif_text(tool: &str, findings: &[Finding]) -> String {
    serde_json::to_string_pretty(&sarif(tool, findings)).unwrap_or_default() + "\n"
}

/// GitHub's escaping of a workflow command's message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value (the data escapes, `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error file=…,line=…,col=…,title=…::message` line per finding.
pub fn github(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let cmd = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "notice",
            };
            let at = if f.file.is_empty() {
                String::new()
            } else {
                format!(
                    "file={},line={},col={},",
                    escape_property(&f.file),
                    f.line,
                    f.column
                )
            };
            format!(
                "::{cmd} {at}title={}::{}\n",
                escape_property(&f.title),
                escape_data(&f.message)
            )
        })
        .collect()
}

/// A JUnit XML report with one suite.
pub fn junit(suite: &str, cases: &[JunitCase]) -> String {
    let mut s = TestSuite::new(suite);
    for c in cases {
        let status = match &c.outcome {
            JunitOutcome::Passed => TestCaseStatus::success(),
            JunitOutcome::Failed { message, detail } => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(message.as_str())
                    .set_description(detail.as_str());
                st
            }
            JunitOutcome::Errored { message } => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
                st.set_message(message.as_str());
                st
            }
        };
        let mut tc = TestCase::new(c.name.as_str(), status);
        tc.set_classname(c.classname.as_str());
        s.add_test_case(tc);
    }
    let mut r = Report::new("meshroute");
    r.add_test_suite(s);
    r.to_string().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(level: Level, file: &str, message: &str) -> Finding {
        Finding {
            rule: "IST0101".into(),
            rule_description: "Referenced host not found".into(),
            level,
            title: "IST0101 VirtualService default/vs".into(),
            message: message.into(),
            file: file.into(),
            line: 8,
            column: 27,
        }
    }

    #[test]
    fn github_annotations_escape_properties_and_messages_as_github_documents() {
        let text = github(&[
            finding(Level::Error, "a,b:c.yaml", "50% of\nrequests"),
            finding(Level::Warning, "w.yaml", "plain"),
            finding(Level::Note, "n.yaml", "note"),
            finding(Level::Warning, "", "nowhere"),
        ]);
        assert_eq!(
            text,
            "::error file=a%2Cb%3Ac.yaml,line=8,col=27,title=IST0101 VirtualService default/vs::50%25 of%0Arequests\n\
             ::warning file=w.yaml,line=8,col=27,title=IST0101 VirtualService default/vs::plain\n\
             ::notice file=n.yaml,line=8,col=27,title=IST0101 VirtualService default/vs::note\n\
             ::warning title=IST0101 VirtualService default/vs::nowhere\n"
        );
    }

    #[test]
    fn sarif_uris_are_relative_or_file_uris() {
        assert_eq!(uri("examples/a b.yaml"), "examples/a%20b.yaml");
        assert_eq!(uri("/tmp/x.yaml"), "file:///tmp/x.yaml");
    }

    #[test]
    fn junit_has_one_suite_with_passed_failed_and_errored_cases() {
        let x = junit(
            "meshroute test",
            &[
                JunitCase {
                    classname: "t.yaml".into(),
                    name: "ok".into(),
                    outcome: JunitOutcome::Passed,
                },
                JunitCase {
                    classname: "t.yaml".into(),
                    name: "bad <one>".into(),
                    outcome: JunitOutcome::Failed {
                        message: "status: expected 404".into(),
                        detail: "trace".into(),
                    },
                },
                JunitCase {
                    classname: "t.yaml".into(),
                    name: "broken".into(),
                    outcome: JunitOutcome::Errored {
                        message: "no proxy".into(),
                    },
                },
            ],
        );
        assert!(x.contains("<testsuite name=\"meshroute test\" tests=\"3\" skipped=\"0\" errors=\"1\" failures=\"1\""), "{x}");
        assert!(x.contains("name=\"bad &lt;one&gt;\""), "{x}");
        assert!(
            x.contains("<failure message=\"status: expected 404\""),
            "{x}"
        );
        assert!(x.contains("<error message=\"no proxy\""), "{x}");
    }
}

//! Diagnostics: what `meshroute check`, the browser and the filter's log report.
//!
//! Codes follow Istio (`pkg/config/analysis/msg/messages.yaml`) where a message exists there
//! (IST0101 …) and use meshroute's own `MR…` codes otherwise (see [`codes`]).

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    /// istioctl's spelling.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
            Severity::Info => "Info",
        }
    }
}

/// One finding, fully positioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    /// Resource kind (`VirtualService`), empty for file-level problems.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Field path such as `spec.http[0].route[1].weight`; empty for the whole resource.
    pub path: String,
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in Unicode scalar values.
    pub column: u32,
    /// 1-based, in UTF-16 code units (what browsers count).
    #[serde(rename = "columnUtf16")]
    pub column_utf16: u32,
    pub message: String,
}

impl Diagnostic {
    /// `Kind ns/name` (or `Kind name` without a namespace), as istioctl prints resources.
    pub fn resource(&self) -> String {
        match (self.kind.is_empty(), self.namespace.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!("{} {}", self.kind, self.name),
            (false, false) => format!("{} {}/{}", self.kind, self.namespace, self.name),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// istioctl analyze style:
    /// `Error [IST0101] (VirtualService default/vs file.yaml:9:5) Referenced gateway not found: "x"`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = format!("{}:{}:{}", self.file, self.line, self.column);
        let res = self.resource();
        if res.is_empty() {
            write!(
                f,
                "{} [{}] ({loc}) {}",
                self.severity.label(),
                self.code,
                self.message
            )
        } else {
            write!(
                f,
                "{} [{}] ({res} {loc}) {}",
                self.severity.label(),
                self.code,
                self.message
            )
        }
    }
}

/// Sorts by file, line, column, then code, for stable output.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (
            a.file.as_str(),
            a.line,
            a.column,
            a.code.as_str(),
            a.message.as_str(),
        )
            .cmp(&(
                b.file.as_str(),
                b.line,
                b.column,
                b.code.as_str(),
                b.message.as_str(),
            ))
    });
}

pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// meshroute's own codes, for problems Istio has no message for.
pub mod codes {
    /// YAML syntax error; the document is skipped.
    pub const YAML_SYNTAX: &str = "MR0001";
    /// Input refused by a limit (size, alias expansion, nesting).
    pub const INPUT_LIMIT: &str = "MR0002";
    /// Input is not UTF-8.
    pub const NOT_UTF8: &str = "MR0003";
    /// A document is not a Kubernetes object (no apiVersion/kind/metadata.name).
    pub const NOT_AN_OBJECT: &str = "MR0004";
    /// Kind or apiVersion meshroute does not read; ignored.
    pub const IGNORED_KIND: &str = "MR0005";
    /// Same kind/namespace/name twice; the later document replaces the earlier (as kubectl apply).
    pub const DUPLICATE_RESOURCE: &str = "MR0006";
    /// YAML duplicate key.
    pub const DUPLICATE_KEY: &str = "MR0007";
    /// Unknown field (did you mean ...).
    pub const UNKNOWN_FIELD: &str = crate::decode::UNKNOWN_FIELD;
    /// Wrong type or unknown enum value.
    pub const WRONG_TYPE: &str = crate::decode::WRONG_TYPE;
    /// A field meshroute reads and accepts but does not enforce.
    pub const NOT_ENFORCED: &str = "MR0201";
    /// The meshroute config file itself (proxy section) is wrong.
    pub const CONFIG: &str = "MR0301";
    /// Istio: the resource fails validation.
    pub const SCHEMA_ERROR: &str = "IST0106";
    /// Istio: validation warning.
    pub const SCHEMA_WARNING: &str = "IST0133";
}

//! Suppressing analyzer messages the way `istioctl analyze` does (istio/istio#17703, #17806):
//! - `--suppress 'CODE=Kind name.namespace'` (`Kind name` for cluster-scoped resources), with
//!   `*` matching any run of characters (`IST0107=Pod *.baz`); meshroute also accepts its own
//!   printed form `Kind namespace/name`, and a bare `CODE` for every resource;
//! - the `galley.istio.io/analyze-suppress` annotation on a resource: a comma-separated list of
//!   codes (or `*` for all) not to report for that resource.
//!
//! ```
//! use meshroute_core::suppress::Suppression;
//! let s = Suppression::parse("IST0102=Namespace frod").unwrap();
//! assert!(s.matches("IST0102", "Namespace", "", "frod"));
//! let s = Suppression::parse("IST0107=Pod *.baz").unwrap();
//! assert!(s.matches("IST0107", "Pod", "baz", "web-1"));
//! assert!(!s.matches("IST0107", "Pod", "qux", "web-1"));
//! ```

use crate::diag::Diagnostic;
use crate::resources::{Meta, Resources};

/// The annotation that suppresses codes on the resource carrying it.
pub const ANNOTATION: &str = "galley.istio.io/analyze-suppress";

/// One `--suppress` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub code: String,
    /// `Kind name.namespace` glob; None for every resource.
    pub resource: Option<String>,
}

/// `*` matches any run of characters, everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

impl Suppression {
    pub fn parse(s: &str) -> Result<Suppression, String> {
        let (code, resource) = match s.split_once('=') {
            Some((c, r)) => (c.trim(), Some(r.trim())),
            None => (s.trim(), None),
        };
        if code.is_empty() {
            return Err(format!(
                "{s:?}: a suppression is CODE=Kind name.namespace (or CODE alone)"
            ));
        }
        if let Some(r) = resource {
            if !r.contains(' ') {
                return Err(format!(
                    "{s:?}: the resource is `Kind name.namespace` (e.g. \"IST0102=Namespace frod\", \"IST0107=Pod *.baz\")"
                ));
            }
        }
        Ok(Suppression {
            code: code.to_string(),
            resource: resource.map(String::from),
        })
    }

    /// Whether this suppresses `code` on the resource `kind namespace/name`.
    pub fn matches(&self, code: &str, kind: &str, namespace: &str, name: &str) -> bool {
        if self.code != code && self.code != "*" {
            return false;
        }
        let Some(pattern) = &self.resource else {
            return true;
        };
        let istioctl = if namespace.is_empty() {
            format!("{kind} {name}")
        } else {
            format!("{kind} {name}.{namespace}")
        };
        let ours = format!("{kind} {namespace}/{name}");
        glob(pattern, &istioctl) || glob(pattern, &ours)
    }
}

/// The metadata of the resource a diagnostic is about, in any of `sets`.
fn meta_of<'r>(sets: &[&'r Resources], d: &Diagnostic) -> Option<&'r Meta> {
    fn find<'a, T>(v: &'a [crate::resources::Object<T>], d: &Diagnostic) -> Option<&'a Meta> {
        v.iter()
            .map(|o| &o.meta)
            .find(|m| m.name == d.name && (d.namespace.is_empty() || m.namespace == d.namespace))
    }
    sets.iter().find_map(|r| match d.kind.as_str() {
        "VirtualService" => find(&r.virtual_services, d),
        "DestinationRule" => find(&r.destination_rules, d),
        "Gateway" => find(&r.gateways, d),
        "ServiceEntry" => find(&r.service_entries, d),
        "WorkloadEntry" => find(&r.workload_entries, d),
        "Service" => find(&r.services, d),
        "Pod" => find(&r.pods, d),
        "Node" => find(&r.nodes, d),
        _ => None,
    })
}

/// Whether the resource's own annotation suppresses the diagnostic.
fn annotated(sets: &[&Resources], d: &Diagnostic) -> bool {
    meta_of(sets, d)
        .and_then(|m| m.annotations.get(ANNOTATION))
        .is_some_and(|v| v.split(',').map(str::trim).any(|c| c == "*" || c == d.code))
}

/// Drops the diagnostics `flags` or the resources' annotations suppress; returns how many.
/// Problems with no resource (YAML syntax, unreadable files) are never suppressed by a
/// resource pattern, only by a bare code.
pub fn apply(diags: &mut Vec<Diagnostic>, sets: &[&Resources], flags: &[Suppression]) -> usize {
    let before = diags.len();
    diags.retain(|d| {
        let by_flag = flags.iter().any(|s| {
            (s.resource.is_none() || !d.kind.is_empty())
                && s.matches(&d.code, &d.kind, &d.namespace, &d.name)
        });
        !(by_flag || (!d.kind.is_empty() && annotated(sets, d)))
    });
    before - diags.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check;
    use crate::resources::LoadOptions;

    #[test]
    fn globs_match_any_run_of_characters() {
        assert!(glob("Pod *.baz", "Pod web-1.baz"));
        assert!(glob("*", "anything"));
        assert!(glob("Pod web-*.b*z", "Pod web-1.baz"));
        assert!(!glob("Pod *.baz", "Pod web-1.bar"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn suppressions_parse_like_istioctl() {
        assert_eq!(
            Suppression::parse("IST0102=Namespace frod"),
            Ok(Suppression {
                code: "IST0102".into(),
                resource: Some("Namespace frod".into())
            })
        );
        assert!(Suppression::parse("IST0102").is_ok_and(|s| s.resource.is_none()));
        assert!(Suppression::parse("=Pod x").is_err());
        assert!(Suppression::parse("IST0102=frod").is_err());
    }

    const VS: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs\n  namespace: shop\nANNOTATIONS\nspec:\n  hosts: [a.example.com]\n  http:\n  - route:\n    - destination: {host: nowhere}\n";

    fn ist0101(annotations: &str, flags: &[&str]) -> (usize, usize) {
        let text = VS.replace("ANNOTATIONS\n", annotations);
        let (res, mut diags) = check(
            &[("vs.yaml", text.as_bytes())],
            &LoadOptions::default(),
            &Default::default(),
        );
        let flags: Vec<Suppression> = flags
            .iter()
            .map(|f| Suppression::parse(f).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let n = apply(&mut diags, &[&res], &flags);
        (diags.iter().filter(|d| d.code == "IST0101").count(), n)
    }

    #[test]
    fn the_flag_suppresses_a_code_on_the_named_resource_only() {
        assert_eq!(ist0101("", &[]), (1, 0));
        assert_eq!(ist0101("", &["IST0101=VirtualService vs.shop"]), (0, 1));
        assert_eq!(ist0101("", &["IST0101=VirtualService shop/vs"]), (0, 1));
        assert_eq!(ist0101("", &["IST0101=VirtualService *.shop"]), (0, 1));
        assert_eq!(ist0101("", &["IST0101"]), (0, 1));
        assert_eq!(ist0101("", &["IST0101=VirtualService vs.other"]), (1, 0));
        assert_eq!(ist0101("", &["IST0102=VirtualService vs.shop"]), (1, 0));
    }

    #[test]
    fn the_annotation_suppresses_its_codes_on_its_resource() {
        let ann = |v: &str| format!("  annotations: {{{ANNOTATION}: \"{v}\"}}\n");
        assert_eq!(ist0101(&ann("IST0101"), &[]), (0, 1));
        assert_eq!(ist0101(&ann("IST0107, IST0101"), &[]), (0, 1));
        assert_eq!(ist0101(&ann("*"), &[]).0, 0);
        assert_eq!(ist0101(&ann("IST0107"), &[]), (1, 0));
    }
}

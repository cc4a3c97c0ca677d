//! Test coverage: which VirtualService `http` rules, match blocks and route destinations the
//! test requests reached, and where the others are written (like Envoy's `router_check_tool
//! --details --covall`, but on the Istio YAML).
//!
//! A rule is reached when a request took one of its routes (a delegating root rule when a
//! request took a route of its delegate); a match block when a request matched it; a destination
//! when a request was sent to it (weighted destinations need enough draws: a `weights:`
//! assertion reaches them all).

use crate::resources::Resources;
use crate::table::{Route, RulePath};
use serde::Serialize;
use std::collections::BTreeSet;

/// What test requests reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    rules: BTreeSet<RulePath>,
    matches: BTreeSet<(RulePath, usize)>,
    destinations: BTreeSet<(RulePath, usize)>,
}

impl Hits {
    /// A request took `r` and (for a forward) its weighted destination `dest`.
    pub fn record(&mut self, r: &Route, dest: Option<usize>) {
        let Some(o) = &r.origin else { return };
        if let Some(rule) = &o.rule {
            self.rules.insert(rule.clone());
            if let Some(&di) = dest.and_then(|i| o.destinations.get(i)) {
                self.destinations.insert((rule.clone(), di));
            }
        }
        if let Some(m) = &o.match_block {
            self.matches.insert(m.clone());
        }
        if let Some(root) = &o.delegated_from {
            self.rules.insert(root.clone());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemKind {
    Rule,
    Match,
    Destination,
}

/// One rule, match block or destination as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub kind: ItemKind,
    /// `ns/name`.
    pub virtual_service: String,
    /// `spec.http[1]`, `spec.http[1].match[0]`, `spec.http[1].route[2]`.
    pub path: String,
    /// The rule's `name`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub covered: bool,
}

/// Covered over total, per kind and together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Count {
    pub covered: usize,
    pub total: usize,
}

impl Count {
    /// Percent covered; 100 when there is nothing to cover.
    pub fn percent(self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.total as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub rules: Count,
    pub matches: Count,
    pub destinations: Count,
    pub all: Count,
    pub percent: f64,
    /// Every item, in file order.
    pub items: Vec<Item>,
}

/// Where a field of a VirtualService is written: (file, line, column), for the VirtualService
/// named `ns/name` and a field path such as `spec.http[2].match[0]`.
pub fn locate(res: &Resources, virtual_service: &str, path: &str) -> Option<(String, u32, u32)> {
    let vs = res
        .virtual_services
        .iter()
        .find(|v| format!("{}/{}", v.meta.namespace, v.meta.name) == virtual_service)?;
    let doc = res.docs.get(vs.src.doc as usize)?;
    let pos = doc.node.locate(path);
    Some((
        res.files.get(doc.file as usize)?.name.clone(),
        pos.line,
        pos.column,
    ))
}

/// Coverage of every VirtualService in `res` by `hits`.
pub fn coverage(res: &Resources, hits: &Hits) -> Coverage {
    let mut items = Vec::new();
    for vs in &res.virtual_services {
        let id = format!("{}/{}", vs.meta.namespace, vs.meta.name);
        let doc = &res.docs[vs.src.doc as usize];
        let file = &res.files[doc.file as usize].name;
        let mut push = |kind, path: String, rule_name: &Option<String>, covered| {
            let pos = doc.node.locate(&path);
            items.push(Item {
                kind,
                virtual_service: id.clone(),
                path,
                rule_name: rule_name.clone(),
                file: file.clone(),
                line: pos.line,
                column: pos.column,
                covered,
            });
        };
        for (ri, rule) in vs.spec.http.iter().enumerate() {
            let rp = RulePath {
                virtual_service: id.clone(),
                rule: ri,
            };
            let base = format!("spec.http[{ri}]");
            push(
                ItemKind::Rule,
                base.clone(),
                &rule.name,
                hits.rules.contains(&rp),
            );
            for mi in 0..rule.matches.len() {
                let key = (rp.clone(), mi);
                push(
                    ItemKind::Match,
                    format!("{base}.match[{mi}]"),
                    &rule.name,
                    hits.matches.contains(&key),
                );
            }
            for di in 0..rule.route.len() {
                let key = (rp.clone(), di);
                push(
                    ItemKind::Destination,
                    format!("{base}.route[{di}]"),
                    &rule.name,
                    hits.destinations.contains(&key),
                );
            }
        }
    }
    items.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    let count = |k: Option<ItemKind>| Count {
        covered: items
            .iter()
            .filter(|i| k.is_none_or(|k| i.kind == k) && i.covered)
            .count(),
        total: items
            .iter()
            .filter(|i| k.is_none_or(|k| i.kind == k))
            .count(),
    };
    let all = count(None);
    Coverage {
        rules: count(Some(ItemKind::Rule)),
        matches: count(Some(ItemKind::Match)),
        destinations: count(Some(ItemKind::Destination)),
        all,
        percent: all.percent(),
        items,
    }
}

/// `coverage: 7/10 (70.0%): rules 3/4, match blocks 2/3, destinations 2/3`, then one line per
/// uncovered item with its file:line.
pub fn render(c: &Coverage) -> String {
    let mut out = format!(
        "coverage: {}/{} ({:.1}%): rules {}/{}, match blocks {}/{}, destinations {}/{}\n",
        c.all.covered,
        c.all.total,
        c.percent,
        c.rules.covered,
        c.rules.total,
        c.matches.covered,
        c.matches.total,
        c.destinations.covered,
        c.destinations.total
    );
    let uncovered: Vec<&Item> = c.items.iter().filter(|i| !i.covered).collect();
    if !uncovered.is_empty() {
        out.push_str("not covered:\n");
        for i in uncovered {
            let name = i
                .rule_name
                .as_ref()
                .map(|n| format!(" (rule {n:?})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}:{}:{} VirtualService {} {}{name}\n",
                i.file, i.line, i.column, i.virtual_service, i.path
            ));
        }
    }
    out
}

//! ReferenceGrants: which cross-namespace references a namespace's owner allows (Istio:
//! pilot/pkg/config/kube/gatewaycommon/references.go `ReferenceGrantsCollection`,
//! `BackendAllowed`).

use crate::model::gateway_api::GROUP;
use crate::resources::Resources;

/// One `from` → `to` pair of a ReferenceGrant.
#[derive(Debug, Clone, PartialEq)]
struct Grant {
    /// Kind of the referencing object (`HTTPRoute`, `GRPCRoute`, `Gateway`, …) and its namespace.
    from_kind: String,
    from_namespace: String,
    /// `(group, kind)` of the referenced object, in the grant's namespace.
    to_group: String,
    to_kind: String,
    to_namespace: String,
    /// `None`: every object of that kind.
    to_name: Option<String>,
}

/// Every usable grant (unsupported kinds are skipped: "may be for another controller").
#[derive(Debug, Default)]
pub struct Grants {
    grants: Vec<Grant>,
}

impl Grants {
    pub fn build(res: &Resources) -> Grants {
        let mut grants = Vec::new();
        for rg in &res.reference_grants {
            for from in &rg.spec.from {
                let (g, k) = (
                    from.group.as_deref().unwrap_or(""),
                    from.kind.as_deref().unwrap_or(""),
                );
                let supported = g == GROUP
                    && matches!(
                        k,
                        "Gateway"
                            | "HTTPRoute"
                            | "GRPCRoute"
                            | "TLSRoute"
                            | "TCPRoute"
                            | "ListenerSet"
                    );
                if !supported {
                    continue;
                }
                for to in &rg.spec.to {
                    let tg = match to.group.as_deref().unwrap_or("") {
                        "core" => "",
                        g => g,
                    };
                    let tk = to.kind.as_deref().unwrap_or("");
                    let supported = matches!(
                        (tg, tk),
                        ("", "Service" | "Secret" | "ConfigMap")
                            | ("gateway.networking.x-k8s.io", "XBackend")
                            | ("inference.networking.k8s.io", "InferencePool")
                    );
                    if !supported {
                        continue;
                    }
                    grants.push(Grant {
                        from_kind: k.to_string(),
                        from_namespace: from.namespace.clone().unwrap_or_default(),
                        to_group: tg.to_string(),
                        to_kind: tk.to_string(),
                        to_namespace: rg.meta.namespace.clone(),
                        to_name: to.name.clone().filter(|n| !n.is_empty()),
                    });
                }
            }
        }
        Grants { grants }
    }

    /// `BackendAllowed`: may a `from_kind` in `from_ns` reference `group/kind name` in `to_ns`?
    pub fn backend_allowed(
        &self,
        from_kind: &str,
        from_ns: &str,
        group: &str,
        kind: &str,
        name: &str,
        to_ns: &str,
    ) -> bool {
        self.grants.iter().any(|g| {
            g.from_kind == from_kind
                && g.from_namespace == from_ns
                && g.to_group == group
                && g.to_kind == kind
                && g.to_namespace == to_ns
                && g.to_name.as_deref().is_none_or(|n| n == name)
        })
    }
}

//! Loading: text → typed resources ([`Resources`]) + diagnostics.
//!
//! Accepts multi-document YAML, JSON, `kind: List` and `kubectl get -o yaml` output. Every
//! resource keeps its document tree, so any diagnostic's field path can be positioned later
//! ([`Resources::diag`]).

use crate::decode::{Decoder, FromNode};
use crate::diag::{codes, Diagnostic, Severity};
use crate::model::gateway_api::{
    GatewayClass, GrpcRouteSpec, HttpRouteSpec, KubeGateway, Namespace, ReferenceGrant,
    GATEWAY_API_VERSIONS,
};
use crate::model::istio::{DestinationRule, Gateway, ServiceEntry, VirtualService, WorkloadEntry};
use crate::model::kube::{KubeNode, ObjectMeta, Pod, PodSpec, PodStatus, SecretSpec, ServiceSpec};
use crate::node::{Node, Pos, Value};
use crate::yaml::{parse_documents, Limits};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Kind {
    VirtualService,
    DestinationRule,
    Gateway,
    ServiceEntry,
    WorkloadEntry,
    Service,
    Pod,
    Node,
    Secret,
    /// Kubernetes Gateway API `Gateway` (`gateway.networking.k8s.io`).
    KubeGateway,
    HttpRoute,
    GrpcRoute,
    ReferenceGrant,
    GatewayClass,
    Namespace,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::VirtualService => "VirtualService",
            Kind::DestinationRule => "DestinationRule",
            Kind::Gateway => "Gateway",
            Kind::ServiceEntry => "ServiceEntry",
            Kind::WorkloadEntry => "WorkloadEntry",
            Kind::Service => "Service",
            Kind::Pod => "Pod",
            Kind::Node => "Node",
            Kind::Secret => "Secret",
            Kind::KubeGateway => "Gateway",
            Kind::HttpRoute => "HTTPRoute",
            Kind::GrpcRoute => "GRPCRoute",
            Kind::ReferenceGrant => "ReferenceGrant",
            Kind::GatewayClass => "GatewayClass",
            Kind::Namespace => "Namespace",
        }
    }
    /// Gateway API kinds: CRDs, decoded strictly like Istio's.
    pub fn is_gateway_api(self) -> bool {
        matches!(
            self,
            Kind::KubeGateway
                | Kind::HttpRoute
                | Kind::GrpcRoute
                | Kind::ReferenceGrant
                | Kind::GatewayClass
        )
    }
    /// Cluster-scoped kinds have no namespace.
    fn cluster_scoped(self) -> bool {
        matches!(self, Kind::GatewayClass | Kind::Namespace)
    }
    fn is_istio(self) -> bool {
        matches!(
            self,
            Kind::VirtualService
                | Kind::DestinationRule
                | Kind::Gateway
                | Kind::ServiceEntry
                | Kind::WorkloadEntry
        )
    }
}

/// Istio networking API versions meshroute reads (v1 and v1beta1 alias v1alpha3).
pub const ISTIO_API_VERSIONS: &[&str] = &[
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Meta {
    pub name: String,
    /// Effective namespace (the document's, or the load option's default).
    pub namespace: String,
    /// Whether the document named its namespace.
    #[serde(skip)]
    pub namespace_explicit: bool,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339 as written; sorts chronologically as a string.
    pub creation_timestamp: Option<String>,
    pub api_version: String,
}

/// Where a resource came from: an index into [`Resources::docs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Src {
    pub doc: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Object<T> {
    pub meta: Meta,
    pub spec: T,
    #[serde(skip)]
    pub src: Src,
}

impl<T> Object<T> {
    pub fn key(&self) -> (&str, &str) {
        (&self.meta.namespace, &self.meta.name)
    }
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: &str, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.to_string(),
            text,
            line_starts,
        }
    }

    /// Converts a (1-based, scalar-value) column into UTF-16 units.
    pub fn utf16_column(&self, pos: Pos) -> u32 {
        let Some(&start) = self.line_starts.get(pos.line.saturating_sub(1) as usize) else {
            return pos.column;
        };
        let line = self.text[start..].split('\n').next().unwrap_or("");
        let units: usize = line
            .chars()
            .take(pos.column.saturating_sub(1) as usize)
            .map(char::len_utf16)
            .sum();
        units as u32 + 1
    }
}

#[derive(Debug, Clone)]
pub struct DocInfo {
    pub file: u32,
    pub node: Node,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub limits: Limits,
    /// Namespace given to resources without `metadata.namespace` (kubectl's current namespace).
    pub default_namespace: String,
    /// Drop resources of Kubernetes' own namespaces (as Istio's analyzer harness does).
    pub drop_system_namespaces: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            limits: Limits::default(),
            default_namespace: "default".to_string(),
            drop_system_namespaces: false,
        }
    }
}

/// Everything loaded, by kind, in file order.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub files: Vec<SourceFile>,
    pub docs: Vec<DocInfo>,
    pub virtual_services: Vec<Object<VirtualService>>,
    pub destination_rules: Vec<Object<DestinationRule>>,
    pub gateways: Vec<Object<Gateway>>,
    pub service_entries: Vec<Object<ServiceEntry>>,
    pub workload_entries: Vec<Object<WorkloadEntry>>,
    pub services: Vec<Object<ServiceSpec>>,
    pub pods: Vec<Object<Pod>>,
    /// Secrets (gateway certificates for `credentialName`).
    pub secrets: Vec<Object<SecretSpec>>,
    pub nodes: Vec<Object<KubeNode>>,
    /// Gateway API (see [`crate::model::gateway_api`]).
    pub kube_gateways: Vec<Object<KubeGateway>>,
    pub http_routes: Vec<Object<HttpRouteSpec>>,
    pub grpc_routes: Vec<Object<GrpcRouteSpec>>,
    pub reference_grants: Vec<Object<ReferenceGrant>>,
    pub gateway_classes: Vec<Object<GatewayClass>>,
    pub namespaces: Vec<Object<Namespace>>,
    /// (kind, namespace, name) of everything loaded, to spot duplicates without a scan.
    keys: std::collections::HashSet<(Kind, String, String)>,
}

impl Resources {
    /// Builds a diagnostic for a field of a loaded resource; the position comes from the path.
    pub fn diag<T>(
        &self,
        obj: &Object<T>,
        code: &str,
        severity: Severity,
        path: &str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let doc = &self.docs[obj.src.doc as usize];
        let pos = doc.node.locate(path);
        self.diag_at(
            doc.file,
            pos,
            code,
            severity,
            doc.kind.as_str(),
            &obj.meta,
            path,
            message.into(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn diag_at(
        &self,
        file: u32,
        pos: Pos,
        code: &str,
        severity: Severity,
        kind: &str,
        meta: &Meta,
        path: &str,
        message: String,
    ) -> Diagnostic {
        let f = &self.files[file as usize];
        Diagnostic {
            code: code.to_string(),
            severity,
            kind: kind.to_string(),
            namespace: if meta.namespace_explicit || !meta.namespace.is_empty() {
                meta.namespace.clone()
            } else {
                String::new()
            },
            name: meta.name.clone(),
            path: path.to_string(),
            file: f.name.clone(),
            line: pos.line,
            column: pos.column,
            column_utf16: f.utf16_column(pos),
            message,
        }
    }

    fn file_diag(
        &self,
        file: u32,
        pos: Pos,
        code: &str,
        severity: Severity,
        message: String,
    ) -> Diagnostic {
        self.diag_at(file, pos, code, severity, "", &Meta::default(), "", message)
    }

    /// Kind of the document a resource came from.
    pub fn kind_of(&self, src: Src) -> Kind {
        self.docs[src.doc as usize].kind
    }

    /// Loads one file given as bytes; non-UTF-8 input is one clear error.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8], opts: &LoadOptions) -> Vec<Diagnostic> {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.add_text(name, text, opts),
            Err(e) => {
                let upto = &bytes[..e.valid_up_to()];
                let line = upto.iter().filter(|b| **b == b'\n').count() as u32 + 1;
                let column =
                    String::from_utf8_lossy(upto.rsplit(|b| *b == b'\n').next().unwrap_or(&[]))
                        .chars()
                        .count() as u32
                        + 1;
                self.files.push(SourceFile::new(name, String::new()));
                let file = self.files.len() as u32 - 1;
                vec![self.file_diag(
                    file,
                    Pos { line, column },
                    codes::NOT_UTF8,
                    Severity::Error,
                    format!(
                        "input is not valid UTF-8 (byte offset {}); save the file as UTF-8",
                        e.valid_up_to()
                    ),
                )]
            }
        }
    }

    /// Loads one file of YAML or JSON text.
    pub fn add_text(&mut self, name: &str, text: &str, opts: &LoadOptions) -> Vec<Diagnostic> {
        self.add_text_at(name, text, opts, 0)
    }

    /// As [`Resources::add_text`], with every line shifted by `line_offset` (for resources
    /// embedded in a larger file, such as a meshroute config's `resources: |` block).
    pub fn add_text_at(
        &mut self,
        name: &str,
        text: &str,
        opts: &LoadOptions,
        line_offset: u32,
    ) -> Vec<Diagnostic> {
        self.add_block_at(name, text, opts, line_offset, 0)
    }

    /// As [`Resources::add_text_at`], for a YAML block scalar whose lines were indented by
    /// `indent` spaces in the enclosing file: columns move right by it too.
    pub fn add_block_at(
        &mut self,
        name: &str,
        text: &str,
        opts: &LoadOptions,
        line_offset: u32,
        indent: u32,
    ) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let file_text = if line_offset > 0 || indent > 0 {
            // Keep positions meaningful for UTF-16 conversion: pad with empty lines, and each
            // line with the indentation it had.
            let pad = " ".repeat(indent as usize);
            let mut t = "\n".repeat(line_offset as usize);
            for l in text.split_inclusive('\n') {
                t.push_str(&pad);
                t.push_str(l);
            }
            t
        } else {
            text.to_string()
        };
        self.files.push(SourceFile::new(name, file_text));
        let file = self.files.len() as u32 - 1;
        if text.len() > opts.limits.max_bytes {
            diags.push(self.file_diag(
                file,
                Pos { line: 1, column: 1 },
                codes::INPUT_LIMIT,
                Severity::Error,
                format!(
                    "input is {} bytes, more than the limit of {} bytes; split it into smaller files",
                    text.len(),
                    opts.limits.max_bytes
                ),
            ));
            return diags;
        }
        for doc in parse_documents(text, &opts.limits) {
            for e in &doc.errors {
                let pos = Pos {
                    line: e.pos.line + line_offset,
                    column: e.pos.column + indent,
                };
                let code = if e.limit {
                    codes::INPUT_LIMIT
                } else if e.fatal {
                    codes::YAML_SYNTAX
                } else {
                    codes::DUPLICATE_KEY
                };
                let msg = if e.fatal && !e.limit {
                    format!("document {} skipped: {}", doc.index + 1, e.message)
                } else {
                    e.message.clone()
                };
                diags.push(self.file_diag(file, pos, code, Severity::Error, msg));
            }
            if let Some(mut node) = doc.node {
                if line_offset > 0 || indent > 0 {
                    shift_lines(&mut node, line_offset, indent);
                }
                self.add_object(file, node, opts, &mut diags);
            }
        }
        diags
    }

    /// Loads objects from an already-parsed node (a list of objects, or one object) that came
    /// from `text` (kept for positions).
    pub fn add_node(
        &mut self,
        name: &str,
        text: &str,
        node: Node,
        opts: &LoadOptions,
    ) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        self.files.push(SourceFile::new(name, text.to_string()));
        let file = self.files.len() as u32 - 1;
        self.add_object(file, node, opts, &mut diags);
        diags
    }

    fn add_object(
        &mut self,
        file: u32,
        node: Node,
        opts: &LoadOptions,
        diags: &mut Vec<Diagnostic>,
    ) {
        if !matches!(node.value, Value::Map(_)) {
            // A top-level list (JSON array of resources) is accepted like `kind: List`.
            if let Value::Seq(items) = node.value {
                for item in items {
                    self.add_object(file, item, opts, diags);
                }
                return;
            }
            diags.push(self.file_diag(
                file,
                node.pos,
                codes::NOT_AN_OBJECT,
                Severity::Error,
                format!("expected a Kubernetes object (a mapping with apiVersion, kind, metadata), got {}", node.type_name()),
            ));
            return;
        }
        let kind_str = node
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let api_version = node
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        if kind_str == "List" || kind_str.ends_with("List") && node.get("items").is_some() {
            if let Some(Node {
                value: Value::Seq(items),
                ..
            }) = node.get("items").cloned()
            {
                for item in items {
                    self.add_object(file, item, opts, diags);
                }
            }
            return;
        }
        if kind_str.is_empty() {
            let pos = node.pos;
            diags.push(self.file_diag(
                file,
                pos,
                codes::NOT_AN_OBJECT,
                Severity::Error,
                "document has no `kind`; every resource needs apiVersion, kind and metadata.name".into(),
            ));
            return;
        }
        let kind = match (kind_str.as_str(), api_version.as_str()) {
            ("VirtualService", v) if ISTIO_API_VERSIONS.contains(&v) => Kind::VirtualService,
            ("DestinationRule", v) if ISTIO_API_VERSIONS.contains(&v) => Kind::DestinationRule,
            ("Gateway", v) if ISTIO_API_VERSIONS.contains(&v) => Kind::Gateway,
            ("ServiceEntry", v) if ISTIO_API_VERSIONS.contains(&v) => Kind::ServiceEntry,
            ("WorkloadEntry", v) if ISTIO_API_VERSIONS.contains(&v) => Kind::WorkloadEntry,
            ("Service", "v1") => Kind::Service,
            ("Pod", "v1") => Kind::Pod,
            ("Node", "v1") => Kind::Node,
            ("Secret", "v1") => Kind::Secret,
            ("Namespace", "v1") => Kind::Namespace,
            ("Gateway", v) if GATEWAY_API_VERSIONS.contains(&v) => Kind::KubeGateway,
            ("HTTPRoute", v) if GATEWAY_API_VERSIONS.contains(&v) => Kind::HttpRoute,
            ("GRPCRoute", v) if GATEWAY_API_VERSIONS.contains(&v) => Kind::GrpcRoute,
            ("ReferenceGrant", v) if GATEWAY_API_VERSIONS.contains(&v) => Kind::ReferenceGrant,
            ("GatewayClass", v) if GATEWAY_API_VERSIONS.contains(&v) => Kind::GatewayClass,
            (k, v) => {
                let what = if v.starts_with("gateway.networking.k8s.io/")
                    && matches!(
                        k,
                        "Gateway" | "HTTPRoute" | "GRPCRoute" | "ReferenceGrant" | "GatewayClass"
                    ) {
                    format!(
                        "{k} with apiVersion {v:?} ignored: meshroute reads {}",
                        GATEWAY_API_VERSIONS.join(", ")
                    )
                } else if matches!(
                    k,
                    "VirtualService"
                        | "DestinationRule"
                        | "Gateway"
                        | "ServiceEntry"
                        | "WorkloadEntry"
                ) && v.starts_with("networking.istio.io/")
                {
                    format!(
                        "{k} with apiVersion {v:?} ignored: meshroute reads {}",
                        ISTIO_API_VERSIONS.join(", ")
                    )
                } else {
                    format!("{k} ({v}) ignored: meshroute does not read this kind")
                };
                let meta = decode_meta(&node, &opts.default_namespace);
                let pos = node.pos;
                let mut d = self.diag_at(
                    file,
                    pos,
                    codes::IGNORED_KIND,
                    Severity::Info,
                    k,
                    &meta,
                    "",
                    what,
                );
                d.kind = k.to_string();
                diags.push(d);
                return;
            }
        };
        let mut meta = decode_meta(&node, &opts.default_namespace);
        if kind.cluster_scoped() {
            meta.namespace.clear();
            meta.namespace_explicit = false;
        }
        if opts.drop_system_namespaces
            && matches!(
                meta.namespace.as_str(),
                "kube-system" | "kube-public" | "kube-node-lease" | "local-path-storage"
            )
        {
            return;
        }
        let doc = self.docs.len() as u32;
        let src = Src { doc };
        let mut d = Decoder::default();
        if meta.name.is_empty() {
            let pos = node.get("metadata").map_or(node.pos, |m| m.pos);
            let mut diag = self.file_diag(
                file,
                pos,
                codes::NOT_AN_OBJECT,
                Severity::Error,
                format!("{} has no metadata.name", kind.as_str()),
            );
            diag.kind = kind.as_str().to_string();
            diags.push(diag);
            return;
        }
        if kind.is_istio() || kind.is_gateway_api() {
            if let Value::Map(entries) = &node.value {
                for (k, _) in entries {
                    if !matches!(
                        k.name.as_str(),
                        "apiVersion" | "kind" | "metadata" | "spec" | "status"
                    ) {
                        crate::decode::unknown_field(
                            &mut d,
                            "",
                            &k.name,
                            k.pos,
                            &["apiVersion", "kind", "metadata", "spec", "status"],
                        );
                    }
                }
            }
        }
        let empty = Node::new(Value::Null, node.pos);
        let spec_node = node.get("spec").unwrap_or(&empty);
        macro_rules! push {
            ($vec:ident, $ty:ty) => {{
                let spec = <$ty>::from_node(spec_node, "spec", &mut d).unwrap_or_default();
                let obj = Object { meta, spec, src };
                let fresh = self.keys.insert((kind, obj.meta.namespace.clone(), obj.meta.name.clone()));
                if let Some(i) = self.$vec.iter().position(|o| !fresh && o.key() == obj.key()) {
                    let prev = self.$vec.remove(i);
                    let _ = prev;
                    diags.push(self.diag_owned(file, &node, &obj.meta, kind, codes::DUPLICATE_RESOURCE,
                        Severity::Warning,
                        format!("{} {}/{} is defined more than once; the later definition replaces the earlier one (as kubectl apply does)",
                            kind.as_str(), obj.meta.namespace, obj.meta.name)));
                }
                self.$vec.push(obj);
            }};
        }
        match kind {
            Kind::VirtualService => push!(virtual_services, VirtualService),
            Kind::DestinationRule => push!(destination_rules, DestinationRule),
            Kind::Gateway => push!(gateways, Gateway),
            Kind::ServiceEntry => push!(service_entries, ServiceEntry),
            Kind::WorkloadEntry => push!(workload_entries, WorkloadEntry),
            Kind::Service => push!(services, ServiceSpec),
            Kind::Secret => {
                // A Secret's payload is not a `spec`: `type`, `data` and `stringData` sit at the
                // top level.
                let spec = SecretSpec::from_node(&node, "", &mut d).unwrap_or_default();
                let obj = Object { meta, spec, src };
                if !self
                    .keys
                    .insert((kind, obj.meta.namespace.clone(), obj.meta.name.clone()))
                {
                    self.secrets.retain(|o| o.key() != obj.key());
                }
                self.secrets.push(obj);
            }
            Kind::KubeGateway => push!(kube_gateways, KubeGateway),
            Kind::HttpRoute => push!(http_routes, HttpRouteSpec),
            Kind::GrpcRoute => push!(grpc_routes, GrpcRouteSpec),
            Kind::ReferenceGrant => push!(reference_grants, ReferenceGrant),
            Kind::GatewayClass => push!(gateway_classes, GatewayClass),
            Kind::Namespace => push!(namespaces, Namespace),
            Kind::Pod => {
                let spec = PodSpec::from_node(spec_node, "spec", &mut d).unwrap_or_default();
                let status = node
                    .get("status")
                    .and_then(|s| PodStatus::from_node(s, "status", &mut d))
                    .unwrap_or_default();
                let obj = Object {
                    meta,
                    spec: Pod { spec, status },
                    src,
                };
                if !self
                    .keys
                    .insert((kind, obj.meta.namespace.clone(), obj.meta.name.clone()))
                {
                    self.pods.retain(|o| o.key() != obj.key());
                }
                self.pods.push(obj);
            }
            Kind::Node => {
                let obj = Object {
                    meta,
                    spec: KubeNode {},
                    src,
                };
                if !self
                    .keys
                    .insert((kind, obj.meta.namespace.clone(), obj.meta.name.clone()))
                {
                    self.nodes.retain(|o| o.key() != obj.key());
                }
                self.nodes.push(obj);
            }
        }
        let meta = self.meta_of(kind, src).cloned().unwrap_or_default();
        for e in d.errors {
            let mut diag = self.diag_at(
                file,
                e.pos,
                e.code,
                Severity::Error,
                kind.as_str(),
                &meta,
                &e.path,
                e.message,
            );
            diag.kind = kind.as_str().to_string();
            diags.push(diag);
        }
        self.docs.push(DocInfo { file, node, kind });
    }

    #[allow(clippy::too_many_arguments)]
    fn diag_owned(
        &self,
        file: u32,
        node: &Node,
        meta: &Meta,
        kind: Kind,
        code: &str,
        severity: Severity,
        message: String,
    ) -> Diagnostic {
        let pos = node.get("metadata").map_or(node.pos, |m| m.locate("name"));
        self.diag_at(
            file,
            pos,
            code,
            severity,
            kind.as_str(),
            meta,
            "metadata.name",
            message,
        )
    }

    fn meta_of(&self, kind: Kind, src: Src) -> Option<&Meta> {
        fn find<T>(v: &[Object<T>], src: Src) -> Option<&Meta> {
            v.iter().rev().find(|o| o.src == src).map(|o| &o.meta)
        }
        match kind {
            Kind::VirtualService => find(&self.virtual_services, src),
            Kind::DestinationRule => find(&self.destination_rules, src),
            Kind::Gateway => find(&self.gateways, src),
            Kind::ServiceEntry => find(&self.service_entries, src),
            Kind::WorkloadEntry => find(&self.workload_entries, src),
            Kind::Service => find(&self.services, src),
            Kind::Pod => find(&self.pods, src),
            Kind::Node => find(&self.nodes, src),
            Kind::Secret => find(&self.secrets, src),
            Kind::KubeGateway => find(&self.kube_gateways, src),
            Kind::HttpRoute => find(&self.http_routes, src),
            Kind::GrpcRoute => find(&self.grpc_routes, src),
            Kind::ReferenceGrant => find(&self.reference_grants, src),
            Kind::GatewayClass => find(&self.gateway_classes, src),
            Kind::Namespace => find(&self.namespaces, src),
        }
    }

    /// Number of typed resources loaded.
    pub fn len(&self) -> usize {
        self.virtual_services.len()
            + self.destination_rules.len()
            + self.gateways.len()
            + self.service_entries.len()
            + self.workload_entries.len()
            + self.services.len()
            + self.pods.len()
            + self.nodes.len()
            + self.secrets.len()
            + self.kube_gateways.len()
            + self.http_routes.len()
            + self.grpc_routes.len()
            + self.reference_grants.len()
            + self.gateway_classes.len()
            + self.namespaces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn decode_meta(node: &Node, default_namespace: &str) -> Meta {
    let mut d = Decoder::default();
    let m = node
        .get("metadata")
        .and_then(|m| ObjectMeta::from_node(m, "metadata", &mut d))
        .unwrap_or_default();
    let explicit = m.namespace.as_deref().is_some_and(|n| !n.is_empty());
    Meta {
        name: m.name.unwrap_or_default(),
        namespace: if explicit {
            m.namespace.unwrap_or_default()
        } else {
            default_namespace.to_string()
        },
        namespace_explicit: explicit,
        labels: m.labels,
        annotations: m.annotations,
        creation_timestamp: m.creation_timestamp,
        api_version: node
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string(),
    }
}

fn shift_lines(node: &mut Node, by: u32, columns: u32) {
    node.pos.line += by;
    node.pos.column += columns;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift_lines(n, by, columns)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            k.pos.line += by;
            k.pos.column += columns;
            shift_lines(v, by, columns);
        }),
        _ => {}
    }
}

/// Loads several named inputs with one set of options.
pub fn load(inputs: &[(&str, &str)], opts: &LoadOptions) -> (Resources, Vec<Diagnostic>) {
    let mut res = Resources::default();
    let mut diags = Vec::new();
    for (name, text) in inputs {
        diags.extend(res.add_text(name, text, opts));
    }
    (res, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load1(text: &str) -> (Resources, Vec<Diagnostic>) {
        load(&[("t.yaml", text)], &LoadOptions::default())
    }

    #[test]
    fn kubectl_output_noise_is_accepted_silently() {
        let (res, diags) = load1(
            r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
  creationTimestamp: "2024-01-01T00:00:00Z"
  generation: 1
  managedFields:
  - manager: kubectl
  name: vs
  namespace: default
  resourceVersion: "123"
  uid: abc
spec:
  hosts: [a]
  http:
  - route:
    - destination: {host: a}
status: {}
"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(res.virtual_services.len(), 1);
    }

    #[test]
    fn list_kind_items_are_loaded() {
        let (res, diags) = load1(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n  spec: {ports: [{port: 80}]}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(res.services.len(), 1);
        assert_eq!(res.services[0].meta.namespace, "default");
    }

    #[test]
    fn other_kinds_are_ignored_with_an_info() {
        let (_, diags) = load1("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].severity, Severity::Info);
        assert!(diags[0].message.contains("ignored"));
    }

    #[test]
    fn unknown_field_positions_and_resource() {
        let (_, diags) = load1(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: ns}\nspec:\n  hosts: [a]\n  htpt: []\n",
        );
        assert_eq!(diags.len(), 1);
        let d = &diags[0];
        assert_eq!((d.line, d.column), (6, 3));
        assert_eq!(d.resource(), "VirtualService ns/vs");
        assert!(d.message.contains("did you mean \"http\""));
    }

    #[test]
    fn non_utf8_input_is_one_clear_error() {
        let mut res = Resources::default();
        let diags = res.add_bytes(
            "bad.yaml",
            b"kind: Service\nname: \xff\xfe\n",
            &LoadOptions::default(),
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, codes::NOT_UTF8);
        assert_eq!(diags[0].line, 2);
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let f = SourceFile::new("x", "a: \"😀\" b\n".to_string());
        // the character after the emoji: scalar column 6, UTF-16 column 7
        assert_eq!(f.utf16_column(Pos { line: 1, column: 6 }), 7);
    }
}

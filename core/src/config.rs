//! The meshroute config file: who this proxy is, and the resources it serves.
//!
//! ```yaml
//! proxy:
//!   kind: gateway            # or sidecar
//!   namespace: istio-system  # the proxy's namespace (exportTo, DR lookup, sourceNamespace)
//!   labels: {istio: ingressgateway}
//! debug: false               # filter only: add x-meshroute-* debug response headers
//! accessLogState: true       # filter only: set %FILTER_STATE(wasm.meshroute:PLAIN)% per request
//! resources: |               # a multi-document YAML string, or a list of objects
//!   apiVersion: networking.istio.io/v1
//!   kind: Gateway
//!   ...
//! ```
//! The filter's plugin configuration, `meshroute -c FILE` and the web page read this format.

use crate::decode::{self, Decoder, FromNode};
use crate::diag::{codes, Diagnostic, Severity};
use crate::node::{Node, Pos, Value};
use crate::resources::{LoadOptions, Resources, SourceFile};
use crate::yaml::parse_documents;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyKind {
    #[default]
    Gateway,
    Sidecar,
}

/// Who the proxy running the table is.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ProxyIdentity {
    pub kind: ProxyKind,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
}

impl ProxyIdentity {
    pub fn gateway(namespace: &str, labels: &[(&str, &str)]) -> ProxyIdentity {
        ProxyIdentity {
            kind: ProxyKind::Gateway,
            namespace: namespace.to_string(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
    pub fn sidecar(namespace: &str, labels: &[(&str, &str)]) -> ProxyIdentity {
        ProxyIdentity {
            kind: ProxyKind::Sidecar,
            ..ProxyIdentity::gateway(namespace, labels)
        }
    }
    /// `ns/name`-free description for views: `gateway istio-system {istio=ingressgateway}`.
    pub fn describe(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{} in namespace {} {{{}}}",
            match self.kind {
                ProxyKind::Gateway => "gateway",
                ProxyKind::Sidecar => "sidecar",
            },
            self.namespace,
            labels.join(",")
        )
    }
}

/// Istio's `meshConfig.outboundTrafficPolicy.mode`: where a sidecar sends a host no service
/// names (pilot/pkg/networking/core/httproute.go: the `allow_any` virtual host to
/// `PassthroughCluster`, or `block_all` answering 502).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum OutboundTrafficPolicy {
    #[default]
    AllowAny,
    RegistryOnly,
}

/// A parsed meshroute config file.
#[derive(Debug, Clone, Default)]
pub struct MeshConfig {
    pub proxy: ProxyIdentity,
    /// Filter option: add debug response headers.
    pub debug: bool,
    /// Filter option: set the access-log filter state (`%FILTER_STATE(wasm.meshroute:PLAIN)%`:
    /// VirtualService, route, cluster, outcome) on every request. Default true; `meshroute
    /// bootstrap` turns it off when it configures no access log (one host call per request less).
    pub access_log_state: bool,
    /// Filter option: the logical listener port requests on this Envoy listener are routed for
    /// (the seed's gateway: 8080). Unset: Envoy's `destination.port`.
    pub listener_port: Option<u32>,
    /// `mesh: {outboundTrafficPolicy: {mode: ALLOW_ANY|REGISTRY_ONLY}}` (Istio's default:
    /// ALLOW_ANY).
    pub outbound_traffic_policy: OutboundTrafficPolicy,
    pub resources: Resources,
}

const KNOWN: &[&str] = &[
    "proxy",
    "resources",
    "include",
    "debug",
    "listenerPort",
    "accessLogState",
    "mesh",
];

/// Reads an `include` entry (a file or directory path relative to the config file) and returns
/// the named files it stands for. Core does no I/O: the CLI passes a resolver that reads disk;
/// the filter and the browser pass none (their configs carry `resources` inline).
pub type IncludeResolver<'a> = &'a dyn Fn(&str) -> Result<Vec<(String, Vec<u8>)>, String>;
const PROXY_KNOWN: &[&str] = &["kind", "namespace", "labels"];

/// Parses a config file. Returns `None` when the file is unusable (the diagnostics say why);
/// resource-level problems are diagnostics too but still yield a config.
pub fn parse_config(
    name: &str,
    bytes: &[u8],
    opts: &LoadOptions,
) -> (Option<MeshConfig>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    // Refuse absurd sizes before parsing anything, with the message resources get: without this
    // a 50 MB config file was parsed whole (seconds, and memory) before its `resources` string
    // hit the limit.
    if bytes.len() > opts.limits.max_bytes {
        diags.push(Diagnostic {
            code: codes::INPUT_LIMIT.to_string(),
            severity: Severity::Error,
            kind: String::new(),
            namespace: String::new(),
            name: String::new(),
            path: String::new(),
            file: name.to_string(),
            line: 1,
            column: 1,
            column_utf16: 1,
            message: format!(
                "input is {} bytes, more than the limit of {} bytes; split it into smaller files",
                bytes.len(),
                opts.limits.max_bytes
            ),
        });
        return (None, diags);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            let mut res = Resources::default();
            diags.extend(res.add_bytes(name, bytes, opts));
            return (None, diags);
        }
    };
    let file = SourceFile::new(name, text.to_string());
    let mk = |pos: Pos, path: &str, msg: String| Diagnostic {
        code: codes::CONFIG.to_string(),
        severity: Severity::Error,
        kind: String::new(),
        namespace: String::new(),
        name: String::new(),
        path: path.to_string(),
        file: name.to_string(),
        line: pos.line,
        column: pos.column,
        column_utf16: file.utf16_column(pos),
        message: msg,
    };
    let docs = parse_documents(text, &opts.limits);
    let Some(doc) = docs
        .into_iter()
        .find(|d| d.node.is_some() || !d.errors.is_empty())
    else {
        diags.push(mk(
            Pos { line: 1, column: 1 },
            "",
            "config file is empty; expected `proxy:` and `resources:`".into(),
        ));
        return (None, diags);
    };
    for e in &doc.errors {
        diags.push(mk(e.pos, "", e.message.clone()));
    }
    let Some(root) = doc.node else {
        return (None, diags);
    };
    let Value::Map(entries) = &root.value else {
        diags.push(mk(
            root.pos,
            "",
            format!(
                "config must be a mapping with `proxy` and `resources`, got {}",
                root.type_name()
            ),
        ));
        return (None, diags);
    };
    let mut d = Decoder::default();
    for (k, _) in entries {
        if !KNOWN.contains(&decode::camel(&k.name).as_str()) {
            decode::unknown_field(&mut d, "", &k.name, k.pos, KNOWN);
        }
    }
    let mut cfg = MeshConfig::default();
    match root.get("proxy") {
        None => diags.push(mk(
            root.pos,
            "proxy",
            "missing `proxy:` (kind: gateway|sidecar, namespace, labels)".into(),
        )),
        Some(p) => {
            if let Value::Map(pe) = &p.value {
                for (k, _) in pe {
                    if !PROXY_KNOWN.contains(&k.name.as_str()) {
                        decode::unknown_field(&mut d, "proxy", &k.name, k.pos, PROXY_KNOWN);
                    }
                }
            }
            match p.get("kind").map(|n| (n, n.as_str())) {
                Some((_, Some("gateway"))) | None => cfg.proxy.kind = ProxyKind::Gateway,
                Some((_, Some("sidecar"))) => cfg.proxy.kind = ProxyKind::Sidecar,
                Some((n, _)) => diags.push(mk(
                    n.pos,
                    "proxy.kind",
                    "proxy.kind must be `gateway` or `sidecar`".into(),
                )),
            }
            cfg.proxy.namespace = match p.get("namespace") {
                Some(n) => String::from_node(n, "proxy.namespace", &mut d).unwrap_or_default(),
                None => opts.default_namespace.clone(),
            };
            if let Some(l) = p.get("labels") {
                cfg.proxy.labels =
                    BTreeMap::from_node(l, "proxy.labels", &mut d).unwrap_or_default();
            }
        }
    }
    if let Some(n) = root.get("debug") {
        cfg.debug = bool::from_node(n, "debug", &mut d).unwrap_or(false);
    }
    cfg.access_log_state = match root.get("accessLogState") {
        Some(n) => bool::from_node(n, "accessLogState", &mut d).unwrap_or(true),
        None => true,
    };
    if let Some(n) = root
        .get("listenerPort")
        .or_else(|| root.get("listener_port"))
    {
        cfg.listener_port =
            u32::from_node(n, "listenerPort", &mut d).filter(|p| (1..=65535).contains(p));
        if cfg.listener_port.is_none() {
            diags.push(mk(
                n.pos,
                "listenerPort",
                "listenerPort must be a port number 1-65535".into(),
            ));
        }
    }
    if let Some(m) = root.get("mesh") {
        let mode = m.get("outboundTrafficPolicy").and_then(|o| o.get("mode"));
        match mode.map(|n| (n, n.as_str())) {
            None | Some((_, Some("ALLOW_ANY"))) => {}
            Some((_, Some("REGISTRY_ONLY"))) => {
                cfg.outbound_traffic_policy = OutboundTrafficPolicy::RegistryOnly
            }
            Some((n, _)) => diags.push(mk(
                n.pos,
                "mesh.outboundTrafficPolicy.mode",
                "mesh.outboundTrafficPolicy.mode must be ALLOW_ANY or REGISTRY_ONLY".into(),
            )),
        }
    }
    for e in d.errors {
        let mut diag = mk(e.pos, &e.path, e.message);
        diag.code = e.code.to_string();
        diags.push(diag);
    }
    // Problems with the config file itself (not with the resources it carries) make it unusable.
    let own_errors = diags.iter().any(|d| d.severity == Severity::Error);
    match root.get("resources") {
        None => diags.push(mk(
            root.pos,
            "resources",
            "missing `resources:` (a multi-document YAML string or a list of objects)".into(),
        )),
        Some(Node {
            value: Value::Str(s),
            pos,
        }) => {
            // A block scalar starts on the line after `resources: |`, indented: its text has
            // that indentation removed, so columns move right by it (lines by the offset).
            let lines: Vec<&str> = text.lines().collect();
            let line_at = |n: u32| {
                lines
                    .get((n as usize).wrapping_sub(1))
                    .copied()
                    .unwrap_or("")
            };
            let is_header = |l: &str| l.trim_end().ends_with(['|', '>', '-', '+']);
            let indent_of =
                |l: &str| u32::try_from(l.len() - l.trim_start_matches(' ').len()).unwrap_or(0);
            let (offset, indent) = if is_header(line_at(pos.line)) {
                let first = lines
                    .iter()
                    .skip(pos.line as usize)
                    .find(|l| !l.trim().is_empty())
                    .map_or(0, |l| indent_of(l));
                (pos.line, first)
            } else if pos.line > 1 && is_header(line_at(pos.line - 1)) {
                // The parser placed the scalar on its first content line.
                (pos.line - 1, indent_of(line_at(pos.line)))
            } else {
                (pos.line.saturating_sub(1), 0)
            };
            diags.extend(cfg.resources.add_block_at(name, s, opts, offset, indent));
        }
        Some(
            list @ Node {
                value: Value::Seq(_),
                ..
            },
        ) => {
            diags.extend(cfg.resources.add_node(name, text, list.clone(), opts));
        }
        Some(other) => diags.push(mk(
            other.pos,
            "resources",
            format!(
                "`resources` must be a YAML string or a list of objects, got {}",
                other.type_name()
            ),
        )),
    }
    let fatal = own_errors || diags.iter().any(|d| d.code == codes::CONFIG);
    (if fatal { None } else { Some(cfg) }, diags)
}

//! Kubernetes Gateway API resources (`gateway.networking.k8s.io`): Gateway, HTTPRoute,
//! GRPCRoute, ReferenceGrant and GatewayClass, field for field as in kubernetes-sigs/gateway-api
//! `apis/v1/{gateway,httproute,grpcroute,shared,gatewayclass,referencegrant}_types.go` (the
//! standard channel; v1beta1 and v1alpha2 are the same shapes). Plus the Kubernetes `Namespace`,
//! whose labels `allowedRoutes.namespaces.selector` reads.
//!
//! Decoded strictly, as the API server does for these CRDs (structural schemas prune nothing a
//! user writes silently: `kubectl apply` with strict field validation refuses unknown fields).
//! Enumerations (`type: PathPrefix`, `protocol: HTTP` …) are kept as strings so that a wrong
//! value is a validation error naming the allowed values, like the CRD's enum check.
//! Integers the CRDs range-check are `i64` here, for the same reason.
//!
//! Fields meshroute keeps without interpreting (`infrastructure`, `sessionPersistence`,
//! `extensionRef` …) are [`Node`]s; validation says they are not enforced.

use crate::decode_struct;
use crate::node::Node;
use std::collections::BTreeMap;

/// `gateway.networking.k8s.io` versions meshroute reads.
pub const GATEWAY_API_VERSIONS: &[&str] = &[
    "gateway.networking.k8s.io/v1",
    "gateway.networking.k8s.io/v1beta1",
    "gateway.networking.k8s.io/v1alpha2",
];

/// The API group of the Gateway API kinds.
pub const GROUP: &str = "gateway.networking.k8s.io";

// ---------------------------------------------------------------------------------------------
// GatewayClass

decode_struct! { strict
    pub struct GatewayClass {
        controller_name: Option<String> = "controllerName",
        parameters_ref: Option<Node> = "parametersRef",
        description: Option<String> = "description",
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway

decode_struct! { strict
    pub struct KubeGateway {
        gateway_class_name: Option<String> = "gatewayClassName",
        listeners: Vec<Listener> = "listeners",
        addresses: Vec<Node> = "addresses",
        infrastructure: Option<Node> = "infrastructure",
        allowed_listeners: Option<Node> = "allowedListeners",
        tls: Option<Node> = "tls",
        default_scope: Option<String> = "defaultScope",
    }
}

decode_struct! { strict
    pub struct Listener {
        name: Option<String> = "name",
        hostname: Option<String> = "hostname",
        port: Option<i64> = "port",
        protocol: Option<String> = "protocol",
        tls: Option<ListenerTls> = "tls",
        allowed_routes: Option<AllowedRoutes> = "allowedRoutes",
    }
}

decode_struct! { strict
    pub struct ListenerTls {
        mode: Option<String> = "mode",
        certificate_refs: Vec<SecretObjectReference> = "certificateRefs",
        options: BTreeMap<String, String> = "options",
        frontend_validation: Option<Node> = "frontendValidation",
    }
}

decode_struct! { strict
    pub struct SecretObjectReference {
        group: Option<String> = "group",
        kind: Option<String> = "kind",
        name: Option<String> = "name",
        namespace: Option<String> = "namespace",
    }
}

decode_struct! { strict
    pub struct AllowedRoutes {
        namespaces: Option<RouteNamespaces> = "namespaces",
        kinds: Vec<RouteGroupKind> = "kinds",
    }
}

decode_struct! { strict
    pub struct RouteNamespaces {
        from: Option<String> = "from",
        selector: Option<LabelSelector> = "selector",
    }
}

decode_struct! { strict
    /// A Kubernetes `metav1.LabelSelector`.
    pub struct LabelSelector {
        match_labels: BTreeMap<String, String> = "matchLabels",
        match_expressions: Vec<LabelSelectorRequirement> = "matchExpressions",
    }
}

decode_struct! { strict
    pub struct LabelSelectorRequirement {
        key: Option<String> = "key",
        operator: Option<String> = "operator",
        values: Vec<String> = "values",
    }
}

decode_struct! { strict
    pub struct RouteGroupKind {
        group: Option<String> = "group",
        kind: Option<String> = "kind",
    }
}

// ---------------------------------------------------------------------------------------------
// Shared route types

decode_struct! { strict
    pub struct ParentReference {
        group: Option<String> = "group",
        kind: Option<String> = "kind",
        namespace: Option<String> = "namespace",
        name: Option<String> = "name",
        section_name: Option<String> = "sectionName",
        port: Option<i64> = "port",
    }
}

decode_struct! { strict
    /// `BackendObjectReference` (+ `weight` for a backendRef).
    pub struct BackendRef {
        group: Option<String> = "group",
        kind: Option<String> = "kind",
        name: Option<String> = "name",
        namespace: Option<String> = "namespace",
        port: Option<i64> = "port",
        weight: Option<i64> = "weight",
        filters: Vec<HttpRouteFilter> = "filters",
    }
}

decode_struct! { strict
    pub struct HttpHeader { name: Option<String> = "name", value: Option<String> = "value" }
}

decode_struct! { strict
    pub struct HeaderFilter {
        set: Vec<HttpHeader> = "set",
        add: Vec<HttpHeader> = "add",
        remove: Vec<String> = "remove",
    }
}

decode_struct! { strict
    pub struct Fraction { numerator: Option<i64> = "numerator", denominator: Option<i64> = "denominator" }
}

decode_struct! { strict
    pub struct RequestMirror {
        backend_ref: Option<BackendRef> = "backendRef",
        percent: Option<i64> = "percent",
        fraction: Option<Fraction> = "fraction",
    }
}

// ---------------------------------------------------------------------------------------------
// HTTPRoute

decode_struct! { strict
    /// HTTPRoute and GRPCRoute specs share this shape; a GRPCRoute's rules use [`GrpcRouteRule`].
    pub struct HttpRouteSpec {
        parent_refs: Vec<ParentReference> = "parentRefs",
        use_default_gateways: Option<String> = "useDefaultGateways",
        hostnames: Vec<String> = "hostnames",
        rules: Vec<HttpRouteRule> = "rules",
    }
}

decode_struct! { strict
    pub struct HttpRouteRule {
        name: Option<String> = "name",
        matches: Vec<HttpRouteMatch> = "matches",
        filters: Vec<HttpRouteFilter> = "filters",
        backend_refs: Vec<BackendRef> = "backendRefs",
        timeouts: Option<HttpRouteTimeouts> = "timeouts",
        retry: Option<HttpRouteRetry> = "retry",
        session_persistence: Option<Node> = "sessionPersistence",
    }
}

decode_struct! { strict
    pub struct HttpRouteTimeouts {
        request: Option<String> = "request",
        backend_request: Option<String> = "backendRequest",
    }
}

decode_struct! { strict
    pub struct HttpRouteRetry {
        codes: Vec<i64> = "codes",
        attempts: Option<i64> = "attempts",
        backoff: Option<String> = "backoff",
    }
}

decode_struct! { strict
    pub struct HttpRouteMatch {
        path: Option<HttpPathMatch> = "path",
        headers: Vec<ValueMatch> = "headers",
        query_params: Vec<ValueMatch> = "queryParams",
        method: Option<String> = "method",
    }
}

decode_struct! { strict
    pub struct HttpPathMatch { match_type: Option<String> = "type", value: Option<String> = "value" }
}

decode_struct! { strict
    /// A header or query parameter match: `type` (Exact, RegularExpression), `name`, `value`.
    pub struct ValueMatch {
        match_type: Option<String> = "type",
        name: Option<String> = "name",
        value: Option<String> = "value",
    }
}

decode_struct! { strict
    pub struct HttpRouteFilter {
        filter_type: Option<String> = "type",
        request_header_modifier: Option<HeaderFilter> = "requestHeaderModifier",
        response_header_modifier: Option<HeaderFilter> = "responseHeaderModifier",
        request_mirror: Option<RequestMirror> = "requestMirror",
        request_redirect: Option<RequestRedirect> = "requestRedirect",
        url_rewrite: Option<UrlRewrite> = "urlRewrite",
        cors: Option<CorsFilter> = "cors",
        external_auth: Option<Node> = "externalAuth",
        extension_ref: Option<Node> = "extensionRef",
    }
}

decode_struct! { strict
    pub struct PathModifier {
        modifier_type: Option<String> = "type",
        replace_full_path: Option<String> = "replaceFullPath",
        replace_prefix_match: Option<String> = "replacePrefixMatch",
    }
}

decode_struct! { strict
    pub struct RequestRedirect {
        scheme: Option<String> = "scheme",
        hostname: Option<String> = "hostname",
        path: Option<PathModifier> = "path",
        port: Option<i64> = "port",
        status_code: Option<i64> = "statusCode",
    }
}

decode_struct! { strict
    pub struct UrlRewrite {
        hostname: Option<String> = "hostname",
        path: Option<PathModifier> = "path",
    }
}

decode_struct! { strict
    pub struct CorsFilter {
        allow_origins: Vec<String> = "allowOrigins",
        allow_credentials: Option<bool> = "allowCredentials",
        allow_methods: Vec<String> = "allowMethods",
        allow_headers: Vec<String> = "allowHeaders",
        expose_headers: Vec<String> = "exposeHeaders",
        max_age: Option<i64> = "maxAge",
    }
}

// ---------------------------------------------------------------------------------------------
// GRPCRoute

decode_struct! { strict
    pub struct GrpcRouteSpec {
        parent_refs: Vec<ParentReference> = "parentRefs",
        use_default_gateways: Option<String> = "useDefaultGateways",
        hostnames: Vec<String> = "hostnames",
        rules: Vec<GrpcRouteRule> = "rules",
    }
}

decode_struct! { strict
    pub struct GrpcRouteRule {
        name: Option<String> = "name",
        matches: Vec<GrpcRouteMatch> = "matches",
        filters: Vec<HttpRouteFilter> = "filters",
        backend_refs: Vec<BackendRef> = "backendRefs",
        session_persistence: Option<Node> = "sessionPersistence",
    }
}

decode_struct! { strict
    pub struct GrpcRouteMatch {
        method: Option<GrpcMethodMatch> = "method",
        headers: Vec<ValueMatch> = "headers",
    }
}

decode_struct! { strict
    pub struct GrpcMethodMatch {
        match_type: Option<String> = "type",
        service: Option<String> = "service",
        method: Option<String> = "method",
    }
}

// ---------------------------------------------------------------------------------------------
// ReferenceGrant

decode_struct! { strict
    pub struct ReferenceGrant {
        from: Vec<ReferenceGrantFrom> = "from",
        to: Vec<ReferenceGrantTo> = "to",
    }
}

decode_struct! { strict
    pub struct ReferenceGrantFrom {
        group: Option<String> = "group",
        kind: Option<String> = "kind",
        namespace: Option<String> = "namespace",
    }
}

decode_struct! { strict
    pub struct ReferenceGrantTo {
        group: Option<String> = "group",
        kind: Option<String> = "kind",
        name: Option<String> = "name",
    }
}

// ---------------------------------------------------------------------------------------------
// Namespace

/// A Kubernetes Namespace: only its labels (in the object's metadata) matter.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Namespace {}

impl crate::decode::FromNode for Namespace {
    fn from_node(_: &Node, _: &str, _: &mut crate::decode::Decoder) -> Option<Self> {
        Some(Namespace {})
    }
}

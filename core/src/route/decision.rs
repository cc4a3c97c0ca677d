//! What routing answers: a [`Decision`] whose outcome is a forward to a cluster or a local
//! reply.

use crate::table::*;

/// Why a local reply was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    NoListener,
    NoVirtualHost,
    NoRoute,
    ClusterNotFound,
    NoHealthyUpstream,
    Passthrough,
    Redirect,
    DirectResponse,
    FaultAbort,
    CorsPreflight,
}

impl ReplyKind {
    /// Envoy response flag, for logs (`NR`, `NC`, `UH` …).
    pub fn flag(self) -> &'static str {
        match self {
            ReplyKind::NoListener | ReplyKind::NoVirtualHost | ReplyKind::NoRoute => "NR",
            ReplyKind::ClusterNotFound => "NC",
            ReplyKind::NoHealthyUpstream => "UH",
            ReplyKind::Passthrough => "NR",
            ReplyKind::Redirect | ReplyKind::DirectResponse | ReplyKind::CorsPreflight => "-",
            ReplyKind::FaultAbort => "FI",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LocalReply {
    pub status: u16,
    pub kind: ReplyKind,
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// gRPC status for gRPC fault aborts.
    pub grpc_status: Option<u32>,
    /// The cluster the route chose when the reply is about it (503 UH: it has no healthy
    /// endpoint), as Istio's access log names `outbound|9080|v2|details…` with flag UH.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Forward<'t> {
    pub cluster: u32,
    pub cluster_name: &'t str,
    /// Chosen endpoint index in the cluster and its address (None before `pick`).
    pub endpoint: Option<usize>,
    pub endpoint_address: Option<&'t str>,
    /// [`PASSTHROUGH_CLUSTER`] (ORIGINAL_DST): the request's own destination, `IP:PORT` from
    /// its authority; `None` when the authority is a name (Envoy's ORIGINAL_DST cannot resolve
    /// it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_dst: Option<String>,
    /// Where each attempt goes when the route retries: the chosen endpoint, then one endpoint
    /// per retry ([`lb::retry_picks`](crate::lb::retry_picks), at most [`crate::wire::MAX_LISTED_RETRIES`]). Empty
    /// without retries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempt_endpoints: Vec<usize>,
    /// New `:path` (path + query) when rewritten.
    pub path: Option<String>,
    /// New `:authority` when rewritten.
    pub authority: Option<String>,
    pub request_headers: HeaderOps,
    pub response_headers: HeaderOps,
    pub timeout_ms: u64,
    pub retry: Option<&'t RetrySpec>,
    /// Fault delay to apply before forwarding.
    pub delay_ms: Option<u64>,
    /// Mirror clusters chosen for this request (after percentage draws) and their endpoints.
    pub mirrors: Vec<(u32, Option<usize>)>,
    /// CORS response headers for an allowed origin.
    pub cors_headers: Vec<(String, String)>,
    /// Consistent-hash key (hashed) when the cluster's policy uses one.
    pub hash: Option<u64>,
    /// `set-cookie` value for a generated consistent-hash cookie.
    pub set_cookie: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub enum Outcome<'t> {
    Forward(Box<Forward<'t>>),
    Reply(LocalReply),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Decision<'t> {
    pub listener: Option<&'t str>,
    pub route_config: Option<&'t str>,
    pub virtual_host: Option<&'t str>,
    pub virtual_service: Option<&'t str>,
    pub route: Option<&'t str>,
    pub route_index: Option<usize>,
    pub outcome: Outcome<'t>,
    /// Step-by-step explanation; filled only when asked (simulator, browser).
    pub trace: Vec<String>,
}

impl Decision<'_> {
    pub fn status(&self) -> Option<u16> {
        match &self.outcome {
            Outcome::Reply(r) => Some(r.status),
            Outcome::Forward(_) => None,
        }
    }
}

pub(super) fn reply(kind: ReplyKind, status: u16, body: impl Into<String>) -> LocalReply {
    LocalReply {
        status,
        kind,
        body: body.into(),
        headers: Vec::new(),
        grpc_status: None,
        cluster: None,
    }
}

//! `envoy.config.route.v3`: route configuration, virtual hosts, routes and their actions.

use super::*;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteConfiguration {
    pub name: String,
    pub validate_clusters: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_port_in_host_matching: Option<bool>,
    pub virtual_hosts: Vec<VirtualHost>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VirtualHost {
    pub name: String,
    pub domains: Vec<String>,
    pub routes: Vec<Route>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_tls: Option<&'static str>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Route {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "match")]
    pub matcher: RouteMatch,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<RouteAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<RedirectAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_response: Option<DirectResponseAction>,
    #[serde(flatten)]
    pub headers: HeaderOps,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub typed_per_filter_config: BTreeMap<String, Any>,
}

/// The four header-operation lists a route, virtual host or weighted cluster carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HeaderOps {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_headers_to_add: Vec<HeaderValueOption>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_headers_to_remove: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response_headers_to_add: Vec<HeaderValueOption>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response_headers_to_remove: Vec<String>,
}

/// `envoy.config.core.v3.HeaderValueOption`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderValueOption {
    pub header: HeaderValue,
    pub append_action: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteMatch {
    #[serde(flatten)]
    pub path: PathSpecifier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_sensitive: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderMatcher>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query_parameters: Vec<QueryParameterMatcher>,
}

impl Default for RouteMatch {
    fn default() -> RouteMatch {
        RouteMatch {
            path: PathSpecifier::Prefix("/".into()),
            case_sensitive: None,
            headers: Vec::new(),
            query_parameters: Vec::new(),
        }
    }
}

/// The route match's `path_specifier` oneof.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathSpecifier {
    Prefix(String),
    Path(String),
    SafeRegex(RegexMatcher),
    PathSeparatedPrefix(String),
}

/// `envoy.type.matcher.v3.RegexMatcher` (Google RE2, the default engine).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegexMatcher {
    pub regex: String,
}

/// `envoy.type.matcher.v3.StringMatcher`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StringMatcher {
    Exact(String),
    Prefix(String),
    SafeRegex(RegexMatcher),
}

/// `envoy.config.route.v3.HeaderMatcher`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeaderMatcher {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_match: Option<StringMatcher>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub present_match: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invert_match: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treat_missing_header_as_empty: Option<bool>,
}

impl HeaderMatcher {
    pub fn present(name: &str) -> HeaderMatcher {
        HeaderMatcher {
            name: name.into(),
            string_match: None,
            present_match: Some(true),
            invert_match: None,
            treat_missing_header_as_empty: None,
        }
    }
}

/// `envoy.config.route.v3.QueryParameterMatcher`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryParameterMatcher {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_match: Option<StringMatcher>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub present_match: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteAction {
    #[serde(flatten)]
    pub cluster: ClusterSpecifier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_rewrite_literal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_rewrite: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex_rewrite: Option<RegexRewrite>,
    pub timeout: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_mirror_policies: Vec<RequestMirrorPolicy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hash_policy: Vec<HashPolicy>,
    /// `cluster_not_found_response_code` (unset: SERVICE_UNAVAILABLE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_not_found_response_code: Option<&'static str>,
}

impl RouteAction {
    pub fn to(cluster: ClusterSpecifier, timeout: String) -> RouteAction {
        RouteAction {
            cluster,
            host_rewrite_literal: None,
            prefix_rewrite: None,
            regex_rewrite: None,
            timeout,
            retry_policy: None,
            request_mirror_policies: Vec::new(),
            hash_policy: Vec::new(),
            cluster_not_found_response_code: None,
        }
    }
}

/// The route action's `cluster_specifier` oneof.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterSpecifier {
    Cluster(String),
    ClusterHeader(String),
    WeightedClusters(WeightedClusters),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightedClusters {
    pub clusters: Vec<ClusterWeight>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterWeight {
    pub name: String,
    pub weight: u32,
    #[serde(flatten)]
    pub headers: HeaderOps,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_rewrite_literal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegexRewrite {
    pub pattern: RegexMatcher,
    pub substitution: String,
}

/// `envoy.config.route.v3.RetryPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RetryPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_on: Option<String>,
    pub num_retries: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retriable_status_codes: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_try_timeout: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retry_host_predicate: Vec<TypedExtensionConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_selection_retry_max_attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_back_off: Option<BackOff>,
}

/// `envoy.config.route.v3.RouteAction.RequestMirrorPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestMirrorPolicy {
    #[serde(flatten)]
    pub cluster: ClusterSpecifier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_fraction: Option<RuntimeFractionalPercent>,
}

/// `envoy.config.route.v3.RouteAction.HashPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HashPolicy {
    Header {
        header_name: String,
    },
    Cookie {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ttl: Option<String>,
    },
    QueryParameter {
        name: String,
    },
    ConnectionProperties {
        source_ip: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedirectAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_redirect: Option<String>,
    /// The other `path_rewrite_specifier`: the matched prefix swapped for this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_rewrite: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_redirect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme_redirect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_redirect: Option<u32>,
    pub response_code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectResponseAction {
    pub status: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<DataSource>,
}

/// `envoy.extensions.filters.http.cors.v3.CorsPolicy` (per route).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorsPolicy {
    pub allow_origin_string_match: Vec<StringMatcher>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub allow_methods: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub allow_headers: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub expose_headers: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_not_matching_preflights: Option<bool>,
}

//! Istio `networking.istio.io` resources, field for field as in istio/api
//! (`networking/v1alpha3/{virtual_service,destination_rule,gateway,service_entry,workload_entry}.proto`;
//! v1 and v1beta1 are aliases of these).
//!
//! Integers that Istio range-checks in validation are `i64` here, so that `port: -1` becomes a
//! validation error naming the rule ("port must be 1-65535") rather than a type error.

use crate::decode::Duration;
use crate::{decode_enum, decode_struct};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// VirtualService

decode_struct! { strict
    pub struct VirtualService {
        hosts: Vec<String> = "hosts",
        gateways: Vec<String> = "gateways",
        http: Vec<HttpRoute> = "http",
        tls: Vec<TlsRoute> = "tls",
        tcp: Vec<TcpRoute> = "tcp",
        export_to: Vec<String> = "exportTo",
    }
}

decode_struct! { strict
    pub struct HttpRoute {
        name: Option<String> = "name",
        matches: Vec<HttpMatchRequest> = "match",
        route: Vec<HttpRouteDestination> = "route",
        redirect: Option<HttpRedirect> = "redirect",
        direct_response: Option<HttpDirectResponse> = "directResponse",
        delegate: Option<Delegate> = "delegate",
        rewrite: Option<HttpRewrite> = "rewrite",
        timeout: Option<Duration> = "timeout",
        retries: Option<HttpRetry> = "retries",
        fault: Option<HttpFaultInjection> = "fault",
        mirror: Option<Destination> = "mirror",
        mirrors: Vec<HttpMirrorPolicy> = "mirrors",
        /// Deprecated integer percent.
        mirror_percent: Option<i64> = "mirrorPercent",
        mirror_percentage: Option<Percent> = "mirrorPercentage",
        cors_policy: Option<CorsPolicy> = "corsPolicy",
        headers: Option<Headers> = "headers",
    }
}

decode_struct! { strict
    pub struct Delegate { name: Option<String> = "name", namespace: Option<String> = "namespace" }
}

decode_struct! { strict
    pub struct Headers { request: Option<HeaderOperations> = "request", response: Option<HeaderOperations> = "response" }
}

decode_struct! { strict
    pub struct HeaderOperations {
        set: BTreeMap<String, String> = "set",
        add: BTreeMap<String, String> = "add",
        remove: Vec<String> = "remove",
    }
}

decode_struct! { strict
    pub struct HttpMatchRequest {
        name: Option<String> = "name",
        uri: Option<StringMatch> = "uri",
        scheme: Option<StringMatch> = "scheme",
        method: Option<StringMatch> = "method",
        authority: Option<StringMatch> = "authority",
        headers: BTreeMap<String, StringMatch> = "headers",
        port: Option<i64> = "port",
        source_labels: BTreeMap<String, String> = "sourceLabels",
        gateways: Vec<String> = "gateways",
        query_params: BTreeMap<String, StringMatch> = "queryParams",
        ignore_uri_case: Option<bool> = "ignoreUriCase",
        without_headers: BTreeMap<String, StringMatch> = "withoutHeaders",
        source_namespace: Option<String> = "sourceNamespace",
        stat_prefix: Option<String> = "statPrefix",
    }
}

decode_struct! { strict
    /// oneof exact | prefix | regex. An empty mapping (`{}`) means "present" for headers.
    pub struct StringMatch {
        exact: Option<String> = "exact",
        prefix: Option<String> = "prefix",
        regex: Option<String> = "regex",
    }
}

decode_struct! { strict
    pub struct HttpRouteDestination {
        destination: Option<Destination> = "destination",
        weight: Option<i64> = "weight",
        headers: Option<Headers> = "headers",
    }
}

decode_struct! { strict
    pub struct RouteDestination {
        destination: Option<Destination> = "destination",
        weight: Option<i64> = "weight",
    }
}

decode_struct! { strict
    pub struct Destination {
        host: Option<String> = "host",
        subset: Option<String> = "subset",
        port: Option<PortSelector> = "port",
    }
}

decode_struct! { strict
    pub struct PortSelector { number: Option<i64> = "number" }
}

decode_struct! { strict
    pub struct L4MatchAttributes {
        destination_subnets: Vec<String> = "destinationSubnets",
        port: Option<i64> = "port",
        source_subnet: Option<String> = "sourceSubnet",
        source_labels: BTreeMap<String, String> = "sourceLabels",
        gateways: Vec<String> = "gateways",
        source_namespace: Option<String> = "sourceNamespace",
    }
}

decode_struct! { strict
    pub struct TlsMatchAttributes {
        sni_hosts: Vec<String> = "sniHosts",
        destination_subnets: Vec<String> = "destinationSubnets",
        port: Option<i64> = "port",
        source_labels: BTreeMap<String, String> = "sourceLabels",
        gateways: Vec<String> = "gateways",
        source_namespace: Option<String> = "sourceNamespace",
    }
}

decode_struct! { strict
    pub struct TlsRoute {
        matches: Vec<TlsMatchAttributes> = "match",
        route: Vec<RouteDestination> = "route",
    }
}

decode_struct! { strict
    pub struct TcpRoute {
        matches: Vec<L4MatchAttributes> = "match",
        route: Vec<RouteDestination> = "route",
    }
}

decode_enum! {
    pub enum RedirectPortSelection {
        FromProtocolDefault = "FROM_PROTOCOL_DEFAULT",
        FromRequestPort = "FROM_REQUEST_PORT",
    }
}

decode_struct! { strict
    pub struct HttpRedirect {
        uri: Option<String> = "uri",
        /// Replaces the matched URI prefix (needs prefix URI matches).
        prefix_rewrite: Option<String> = "prefixRewrite",
        authority: Option<String> = "authority",
        port: Option<i64> = "port",
        derive_port: Option<RedirectPortSelection> = "derivePort",
        scheme: Option<String> = "scheme",
        redirect_code: Option<i64> = "redirectCode",
    }
}

decode_struct! { strict
    pub struct HttpDirectResponse {
        status: Option<i64> = "status",
        body: Option<HttpBody> = "body",
    }
}

decode_struct! { strict
    pub struct HttpBody {
        string: Option<String> = "string",
        /// base64, as protobuf JSON writes bytes
        bytes: Option<String> = "bytes",
    }
}

decode_struct! { strict
    pub struct HttpRewrite {
        uri: Option<String> = "uri",
        authority: Option<String> = "authority",
        uri_regex_rewrite: Option<RegexRewrite> = "uriRegexRewrite",
    }
}

decode_struct! { strict
    pub struct RegexRewrite {
        pattern: Option<String> = "match",
        rewrite: Option<String> = "rewrite",
    }
}

decode_struct! { strict
    pub struct HttpRetry {
        attempts: Option<i64> = "attempts",
        per_try_timeout: Option<Duration> = "perTryTimeout",
        retry_on: Option<String> = "retryOn",
        retry_remote_localities: Option<bool> = "retryRemoteLocalities",
        retry_ignore_previous_hosts: Option<bool> = "retryIgnorePreviousHosts",
        backoff: Option<Duration> = "backoff",
    }
}

decode_enum! {
    pub enum UnmatchedPreflights {
        Unspecified = "UNSPECIFIED",
        Forward = "FORWARD",
        Ignore = "IGNORE",
    }
}

decode_struct! { strict
    pub struct CorsPolicy {
        /// Deprecated exact origins.
        allow_origin: Vec<String> = "allowOrigin",
        allow_origins: Vec<StringMatch> = "allowOrigins",
        allow_methods: Vec<String> = "allowMethods",
        allow_headers: Vec<String> = "allowHeaders",
        expose_headers: Vec<String> = "exposeHeaders",
        max_age: Option<Duration> = "maxAge",
        allow_credentials: Option<bool> = "allowCredentials",
        unmatched_preflights: Option<UnmatchedPreflights> = "unmatchedPreflights",
    }
}

decode_struct! { strict
    pub struct HttpFaultInjection {
        delay: Option<FaultDelay> = "delay",
        abort: Option<FaultAbort> = "abort",
    }
}

decode_struct! { strict
    pub struct FaultDelay {
        fixed_delay: Option<Duration> = "fixedDelay",
        exponential_delay: Option<Duration> = "exponentialDelay",
        percentage: Option<Percent> = "percentage",
        /// Deprecated integer percent.
        percent: Option<i64> = "percent",
    }
}

decode_struct! { strict
    pub struct FaultAbort {
        http_status: Option<i64> = "httpStatus",
        grpc_status: Option<String> = "grpcStatus",
        http2_error: Option<String> = "http2Error",
        percentage: Option<Percent> = "percentage",
    }
}

decode_struct! { strict
    pub struct Percent { value: Option<f64> = "value" }
}

decode_struct! { strict
    pub struct HttpMirrorPolicy {
        destination: Option<Destination> = "destination",
        percentage: Option<Percent> = "percentage",
    }
}

// ---------------------------------------------------------------------------------------------
// DestinationRule

decode_struct! { strict
    pub struct DestinationRule {
        host: Option<String> = "host",
        traffic_policy: Option<TrafficPolicy> = "trafficPolicy",
        subsets: Vec<Subset> = "subsets",
        export_to: Vec<String> = "exportTo",
        workload_selector: Option<WorkloadSelector> = "workloadSelector",
    }
}

decode_struct! { strict
    pub struct WorkloadSelector { match_labels: BTreeMap<String, String> = "matchLabels" }
}

decode_struct! { strict
    pub struct TrafficPolicy {
        load_balancer: Option<LoadBalancerSettings> = "loadBalancer",
        connection_pool: Option<ConnectionPoolSettings> = "connectionPool",
        outlier_detection: Option<OutlierDetection> = "outlierDetection",
        tls: Option<ClientTlsSettings> = "tls",
        port_level_settings: Vec<PortTrafficPolicy> = "portLevelSettings",
        tunnel: Option<crate::node::Node> = "tunnel",
        proxy_protocol: Option<crate::node::Node> = "proxyProtocol",
        retry_budget: Option<crate::node::Node> = "retryBudget",
    }
}

decode_struct! { strict
    pub struct PortTrafficPolicy {
        port: Option<PortSelector> = "port",
        load_balancer: Option<LoadBalancerSettings> = "loadBalancer",
        connection_pool: Option<ConnectionPoolSettings> = "connectionPool",
        outlier_detection: Option<OutlierDetection> = "outlierDetection",
        tls: Option<ClientTlsSettings> = "tls",
    }
}

decode_struct! { strict
    pub struct Subset {
        name: Option<String> = "name",
        labels: BTreeMap<String, String> = "labels",
        traffic_policy: Option<TrafficPolicy> = "trafficPolicy",
    }
}

decode_enum! {
    pub enum SimpleLb {
        Unspecified = "UNSPECIFIED",
        LeastConn = "LEAST_CONN",
        Random = "RANDOM",
        Passthrough = "PASSTHROUGH",
        RoundRobin = "ROUND_ROBIN",
        LeastRequest = "LEAST_REQUEST",
    }
}

decode_struct! { strict
    pub struct LoadBalancerSettings {
        simple: Option<SimpleLb> = "simple",
        consistent_hash: Option<ConsistentHashLb> = "consistentHash",
        locality_lb_setting: Option<crate::node::Node> = "localityLbSetting",
        warmup_duration_secs: Option<Duration> = "warmupDurationSecs",
        warmup: Option<crate::node::Node> = "warmup",
        zone_aware_lb_setting: Option<crate::node::Node> = "zoneAwareLbSetting",
    }
}

decode_struct! { strict
    pub struct ConsistentHashLb {
        http_header_name: Option<String> = "httpHeaderName",
        http_cookie: Option<HttpCookie> = "httpCookie",
        use_source_ip: Option<bool> = "useSourceIp",
        http_query_parameter_name: Option<String> = "httpQueryParameterName",
        ring_hash: Option<RingHash> = "ringHash",
        maglev: Option<Maglev> = "maglev",
        /// Deprecated.
        minimum_ring_size: Option<u64> = "minimumRingSize",
    }
}

decode_struct! { strict
    pub struct HttpCookie {
        name: Option<String> = "name",
        path: Option<String> = "path",
        ttl: Option<Duration> = "ttl",
        attributes: Vec<CookieAttribute> = "attributes",
    }
}

decode_struct! { strict
    pub struct CookieAttribute { name: Option<String> = "name", value: Option<String> = "value" }
}

decode_struct! { strict
    pub struct RingHash { minimum_ring_size: Option<u64> = "minimumRingSize" }
}

decode_struct! { strict
    pub struct Maglev { table_size: Option<u64> = "tableSize" }
}

decode_struct! { strict
    pub struct ConnectionPoolSettings {
        tcp: Option<TcpSettings> = "tcp",
        http: Option<HttpSettings> = "http",
    }
}

decode_struct! { strict
    pub struct TcpSettings {
        max_connections: Option<i64> = "maxConnections",
        connect_timeout: Option<Duration> = "connectTimeout",
        tcp_keepalive: Option<crate::node::Node> = "tcpKeepalive",
        max_connection_duration: Option<Duration> = "maxConnectionDuration",
        idle_timeout: Option<Duration> = "idleTimeout",
    }
}

decode_enum! {
    pub enum H2UpgradePolicy {
        Default = "DEFAULT",
        DoNotUpgrade = "DO_NOT_UPGRADE",
        Upgrade = "UPGRADE",
    }
}

decode_struct! { strict
    pub struct HttpSettings {
        http1_max_pending_requests: Option<i64> = "http1MaxPendingRequests",
        http2_max_requests: Option<i64> = "http2MaxRequests",
        max_requests_per_connection: Option<i64> = "maxRequestsPerConnection",
        max_retries: Option<i64> = "maxRetries",
        idle_timeout: Option<Duration> = "idleTimeout",
        h2_upgrade_policy: Option<H2UpgradePolicy> = "h2UpgradePolicy",
        use_client_protocol: Option<bool> = "useClientProtocol",
        max_concurrent_streams: Option<i64> = "maxConcurrentStreams",
        http2_keep_alive: Option<crate::node::Node> = "http2KeepAlive",
    }
}

decode_struct! { strict
    pub struct OutlierDetection {
        split_external_local_origin_errors: Option<bool> = "splitExternalLocalOriginErrors",
        consecutive_local_origin_failures: Option<i64> = "consecutiveLocalOriginFailures",
        consecutive_gateway_errors: Option<i64> = "consecutiveGatewayErrors",
        consecutive_5xx_errors: Option<i64> = "consecutive5xxErrors",
        interval: Option<Duration> = "interval",
        base_ejection_time: Option<Duration> = "baseEjectionTime",
        max_ejection_percent: Option<i64> = "maxEjectionPercent",
        min_health_percent: Option<i64> = "minHealthPercent",
        /// Deprecated.
        consecutive_errors: Option<i64> = "consecutiveErrors",
        outlier_detection_http_error_codes: Vec<i64> = "outlierDetectionHttpErrorCodes",
    }
}

decode_enum! {
    pub enum ClientTlsMode {
        Disable = "DISABLE",
        Simple = "SIMPLE",
        Mutual = "MUTUAL",
        IstioMutual = "ISTIO_MUTUAL",
    }
}

decode_struct! { strict
    pub struct ClientTlsSettings {
        mode: Option<ClientTlsMode> = "mode",
        client_certificate: Option<String> = "clientCertificate",
        private_key: Option<String> = "privateKey",
        ca_certificates: Option<String> = "caCertificates",
        credential_name: Option<String> = "credentialName",
        subject_alt_names: Vec<String> = "subjectAltNames",
        sni: Option<String> = "sni",
        insecure_skip_verify: Option<bool> = "insecureSkipVerify",
        ca_crl: Option<String> = "caCrl",
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway

decode_struct! { strict
    pub struct Gateway {
        servers: Vec<Server> = "servers",
        selector: BTreeMap<String, String> = "selector",
    }
}

decode_struct! { strict
    pub struct Server {
        port: Option<ServerPort> = "port",
        bind: Option<String> = "bind",
        hosts: Vec<String> = "hosts",
        tls: Option<ServerTlsSettings> = "tls",
        default_endpoint: Option<String> = "defaultEndpoint",
        name: Option<String> = "name",
    }
}

decode_struct! { strict
    pub struct ServerPort {
        number: Option<i64> = "number",
        protocol: Option<String> = "protocol",
        name: Option<String> = "name",
        target_port: Option<i64> = "targetPort",
    }
}

decode_enum! {
    pub enum ServerTlsMode {
        Passthrough = "PASSTHROUGH",
        Simple = "SIMPLE",
        Mutual = "MUTUAL",
        AutoPassthrough = "AUTO_PASSTHROUGH",
        IstioMutual = "ISTIO_MUTUAL",
        OptionalMutual = "OPTIONAL_MUTUAL",
    }
}

decode_struct! { strict
    pub struct ServerTlsSettings {
        https_redirect: Option<bool> = "httpsRedirect",
        mode: Option<ServerTlsMode> = "mode",
        server_certificate: Option<String> = "serverCertificate",
        private_key: Option<String> = "privateKey",
        ca_certificates: Option<String> = "caCertificates",
        ca_crl: Option<String> = "caCrl",
        credential_name: Option<String> = "credentialName",
        credential_names: Vec<String> = "credentialNames",
        tls_certificates: Vec<crate::node::Node> = "tlsCertificates",
        subject_alt_names: Vec<String> = "subjectAltNames",
        verify_certificate_spki: Vec<String> = "verifyCertificateSpki",
        verify_certificate_hash: Vec<String> = "verifyCertificateHash",
        min_protocol_version: Option<String> = "minProtocolVersion",
        max_protocol_version: Option<String> = "maxProtocolVersion",
        cipher_suites: Vec<String> = "cipherSuites",
        ca_cert_credential_name: Option<String> = "caCertCredentialName",
        insecure_skip_verify: Option<bool> = "insecureSkipVerify",
    }
}

// ---------------------------------------------------------------------------------------------
// ServiceEntry / WorkloadEntry

decode_enum! {
    pub enum SeLocation {
        MeshExternal = "MESH_EXTERNAL",
        MeshInternal = "MESH_INTERNAL",
    }
}

decode_enum! {
    pub enum SeResolution {
        None = "NONE",
        Static = "STATIC",
        Dns = "DNS",
        DnsRoundRobin = "DNS_ROUND_ROBIN",
        DynamicDns = "DYNAMIC_DNS",
    }
}

decode_struct! { strict
    pub struct ServiceEntry {
        hosts: Vec<String> = "hosts",
        addresses: Vec<String> = "addresses",
        ports: Vec<ServicePort> = "ports",
        location: Option<SeLocation> = "location",
        resolution: Option<SeResolution> = "resolution",
        endpoints: Vec<WorkloadEntry> = "endpoints",
        workload_selector: Option<SeWorkloadSelector> = "workloadSelector",
        export_to: Vec<String> = "exportTo",
        subject_alt_names: Vec<String> = "subjectAltNames",
    }
}

decode_struct! { strict
    pub struct SeWorkloadSelector { labels: BTreeMap<String, String> = "labels" }
}

decode_struct! { strict
    pub struct ServicePort {
        number: Option<i64> = "number",
        protocol: Option<String> = "protocol",
        name: Option<String> = "name",
        target_port: Option<i64> = "targetPort",
    }
}

decode_struct! { strict
    pub struct WorkloadEntry {
        address: Option<String> = "address",
        ports: BTreeMap<String, i64> = "ports",
        labels: BTreeMap<String, String> = "labels",
        network: Option<String> = "network",
        locality: Option<String> = "locality",
        weight: Option<i64> = "weight",
        service_account: Option<String> = "serviceAccount",
    }
}

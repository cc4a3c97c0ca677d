//! docs/FEATURES.md must name every field of the typed Istio model (so a new field cannot be
//! read without saying whether it is enforced).
use meshroute_core::model::gateway_api as gapi;
use meshroute_core::model::istio::*;

#[test]
fn features_doc_names_every_model_field() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FEATURES.md");
    let doc = std::fs::read_to_string(path).expect("docs/FEATURES.md");
    let all: &[(&str, &[&str])] = &[
        ("VirtualService", VirtualService::FIELDS),
        ("HttpRoute", HttpRoute::FIELDS),
        ("Delegate", Delegate::FIELDS),
        ("Headers", Headers::FIELDS),
        ("HeaderOperations", HeaderOperations::FIELDS),
        ("HttpMatchRequest", HttpMatchRequest::FIELDS),
        ("StringMatch", StringMatch::FIELDS),
        ("HttpRouteDestination", HttpRouteDestination::FIELDS),
        ("RouteDestination", RouteDestination::FIELDS),
        ("Destination", Destination::FIELDS),
        ("PortSelector", PortSelector::FIELDS),
        ("L4MatchAttributes", L4MatchAttributes::FIELDS),
        ("TlsMatchAttributes", TlsMatchAttributes::FIELDS),
        ("TlsRoute", TlsRoute::FIELDS),
        ("TcpRoute", TcpRoute::FIELDS),
        ("HttpRedirect", HttpRedirect::FIELDS),
        ("HttpDirectResponse", HttpDirectResponse::FIELDS),
        ("HttpBody", HttpBody::FIELDS),
        ("HttpRewrite", HttpRewrite::FIELDS),
        ("RegexRewrite", RegexRewrite::FIELDS),
        ("HttpRetry", HttpRetry::FIELDS),
        ("CorsPolicy", CorsPolicy::FIELDS),
        ("HttpFaultInjection", HttpFaultInjection::FIELDS),
        ("FaultDelay", FaultDelay::FIELDS),
        ("FaultAbort", FaultAbort::FIELDS),
        ("Percent", Percent::FIELDS),
        ("HttpMirrorPolicy", HttpMirrorPolicy::FIELDS),
        ("DestinationRule", DestinationRule::FIELDS),
        ("WorkloadSelector", WorkloadSelector::FIELDS),
        ("TrafficPolicy", TrafficPolicy::FIELDS),
        ("PortTrafficPolicy", PortTrafficPolicy::FIELDS),
        ("Subset", Subset::FIELDS),
        ("LoadBalancerSettings", LoadBalancerSettings::FIELDS),
        ("ConsistentHashLb", ConsistentHashLb::FIELDS),
        ("HttpCookie", HttpCookie::FIELDS),
        ("CookieAttribute", CookieAttribute::FIELDS),
        ("RingHash", RingHash::FIELDS),
        ("Maglev", Maglev::FIELDS),
        ("ConnectionPoolSettings", ConnectionPoolSettings::FIELDS),
        ("TcpSettings", TcpSettings::FIELDS),
        ("HttpSettings", HttpSettings::FIELDS),
        ("OutlierDetection", OutlierDetection::FIELDS),
        ("ClientTlsSettings", ClientTlsSettings::FIELDS),
        ("Gateway", Gateway::FIELDS),
        ("Server", Server::FIELDS),
        ("ServerPort", ServerPort::FIELDS),
        ("ServerTlsSettings", ServerTlsSettings::FIELDS),
        ("ServiceEntry", ServiceEntry::FIELDS),
        ("SeWorkloadSelector", SeWorkloadSelector::FIELDS),
        ("ServicePort", ServicePort::FIELDS),
        ("WorkloadEntry", WorkloadEntry::FIELDS),
        ("GatewayClass", gapi::GatewayClass::FIELDS),
        ("KubeGateway", gapi::KubeGateway::FIELDS),
        ("Listener", gapi::Listener::FIELDS),
        ("ListenerTls", gapi::ListenerTls::FIELDS),
        ("SecretObjectReference", gapi::SecretObjectReference::FIELDS),
        ("AllowedRoutes", gapi::AllowedRoutes::FIELDS),
        ("RouteNamespaces", gapi::RouteNamespaces::FIELDS),
        ("LabelSelector", gapi::LabelSelector::FIELDS),
        ("RouteGroupKind", gapi::RouteGroupKind::FIELDS),
        ("ParentReference", gapi::ParentReference::FIELDS),
        ("BackendRef", gapi::BackendRef::FIELDS),
        ("HeaderFilter", gapi::HeaderFilter::FIELDS),
        ("Fraction", gapi::Fraction::FIELDS),
        ("RequestMirror", gapi::RequestMirror::FIELDS),
        ("HttpRouteSpec", gapi::HttpRouteSpec::FIELDS),
        ("HttpRouteRule", gapi::HttpRouteRule::FIELDS),
        ("HttpRouteTimeouts", gapi::HttpRouteTimeouts::FIELDS),
        ("HttpRouteRetry", gapi::HttpRouteRetry::FIELDS),
        ("HttpRouteMatch", gapi::HttpRouteMatch::FIELDS),
        ("HttpRouteFilter", gapi::HttpRouteFilter::FIELDS),
        ("RequestRedirect", gapi::RequestRedirect::FIELDS),
        ("UrlRewrite", gapi::UrlRewrite::FIELDS),
        ("CorsFilter", gapi::CorsFilter::FIELDS),
        ("GrpcRouteRule", gapi::GrpcRouteRule::FIELDS),
        ("GrpcMethodMatch", gapi::GrpcMethodMatch::FIELDS),
        ("ReferenceGrant", gapi::ReferenceGrant::FIELDS),
        ("ReferenceGrantFrom", gapi::ReferenceGrantFrom::FIELDS),
        ("ReferenceGrantTo", gapi::ReferenceGrantTo::FIELDS),
        (
            "LabelSelectorRequirement",
            gapi::LabelSelectorRequirement::FIELDS,
        ),
        ("HttpHeader", gapi::HttpHeader::FIELDS),
        ("HttpPathMatch", gapi::HttpPathMatch::FIELDS),
        ("ValueMatch", gapi::ValueMatch::FIELDS),
        ("PathModifier", gapi::PathModifier::FIELDS),
        ("GrpcRouteSpec", gapi::GrpcRouteSpec::FIELDS),
        ("GrpcRouteMatch", gapi::GrpcRouteMatch::FIELDS),
    ];
    let mut missing = Vec::new();
    for (ty, fields) in all {
        for f in *fields {
            if !doc.contains(&format!("`{f}`")) {
                missing.push(format!("{ty}.{f}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/FEATURES.md does not mention: {missing:?}"
    );
}

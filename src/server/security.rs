//! The defences every request passes through, outermost first:
//!
//! - a request id, set on the way in, logged with everything the request does and returned
//!   in `x-request-id`;
//! - a caught panic answers 500 with that id, and the server keeps serving;
//! - a request that takes too long, its body's arrival included, is cut off with 503
//!   (`server::deadline`);
//! - bodies over [`BODY_LIMIT`] are refused with 413;
//! - a state-changing request from another site is refused with 403 ([`refuse_cross_site`]),
//!   but for the API's, which carry a token and never a cookie;
//! - every response carries the security headers ([`security_headers`]); pages add a
//!   Content-Security-Policy with their own nonce ([`page_policy`]).

use std::{
    any::Any,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode},
    middleware::Next,
};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The largest request body: a bulk add of 10,000 long emails fits with room to spare.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a per-process random prefix and a counter, short enough to read out loud.
#[derive(Clone)]
pub struct RequestIds {
    prefix: u32,
    next: std::sync::Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds { prefix: rand::random(), next: Default::default() }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n}", self.prefix)).ok().map(RequestId::new)
    }
}

/// The id of the request being served, from its headers (set by the request-id layer).
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The answer to a request whose handler panicked: a generic 500, logged. The request id
/// header is added on the way out by the layer that set it.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    tracing::error!(panic = %message, "a request panicked");
    text(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.")
}

pub fn text(status: StatusCode, message: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// Refuses, with 413, a body over [`BODY_LIMIT`]: at once when its length is declared, or as
/// soon as a streamed body passes the limit. The body is read here, so what reaches the
/// handler is whole and within the limit.
pub async fn limit_body(request: Request, next: Next) -> Response<Body> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(err) => {
            let over =
                std::error::Error::source(&err).is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            if over {
                too_large()
            } else {
                // The client went away or sent a broken body: its mistake.
                tracing::info!(error = %err, "unreadable request body");
                text(StatusCode::BAD_REQUEST, "The request body could not be read.")
            }
        }
    }
}

fn too_large() -> Response<Body> {
    text(StatusCode::PAYLOAD_TOO_LARGE, "That request is too large (the limit is 2 MB).")
}

/// Refuses, with 403, any request that could change something and that a browser says came
/// from another site. Browsers send `Sec-Fetch-Site` with every request; older ones send
/// `Origin` with every POST. A request with neither (curl, scripts) carries no victim's
/// cookies, since the session cookie is `SameSite=Lax`, and is let through.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response<Body> {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // The API takes a token and never a cookie (`crate::api::auth`): a forged request has no
    // credential to ride on.
    let api = crate::api::is_api_path(request.uri().path());
    if !safe && !api && is_cross_site(request.headers()) {
        let (method, path) = (request.method(), request.uri().path());
        tracing::warn!(%method, path, "cross-site request refused");
        return text(StatusCode::FORBIDDEN, "This request came from another site, so it was refused.");
    }
    next.run(request).await
}

/// Whether the browser says this request came from somewhere other than this site.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none` is the user's own doing: typed in the address bar, or a bookmark.
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return false };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority =
        origin.to_str().ok().and_then(|o| o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")));
    match (authority, host) {
        (Some(authority), Some(host)) => !authority.eq_ignore_ascii_case(host),
        // `Origin: null` (a sandboxed frame, a file) or no Host to compare with.
        _ => true,
    }
}

/// The headers every response gets, unless the handler set its own. Pages set their own
/// Content-Security-Policy, with the nonce of their inline scripts; everything else gets one
/// that allows no script at all.
pub async fn security_headers(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// The nonce of one response's inline scripts, made here for every request: the router's
/// context hands it to Leptos (which puts it on each inline script it writes), and
/// [`page_nonce`] names it in the policy of any HTML answer, whichever handler rendered it.
#[derive(Clone)]
pub struct PageNonce(pub String);

pub async fn page_nonce(mut request: Request, next: Next) -> Response<Body> {
    use base64::Engine;
    let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
    request.extensions_mut().insert(PageNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce)) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    response
}

/// The address a request came from. `peer` is the TCP peer. When it is one of the `trusted`
/// proxies, the client is the rightmost `X-Forwarded-For` entry that is not itself a trusted
/// proxy: entries left of it were written by the client and prove nothing. A malformed entry
/// stops the walk at the last address known to be good. From anyone else, the header is
/// ignored, so a client can't pick the address its failed sign-ins count against.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let mut client = peer?;
    if !trusted.contains(&client) {
        if forwarded_with_no_proxy_trusted(headers, trusted) {
            static WARNED: AtomicBool = AtomicBool::new(false);
            warn_once_of_an_untrusted_proxy(&WARNED);
        }
        return Some(client);
    }
    let hops = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    let hops: Vec<&str> = hops.flat_map(|v| v.split(',')).map(str::trim).collect();
    for hop in hops.iter().rev() {
        let Ok(address) = hop.parse::<std::net::IpAddr>() else { break };
        client = address;
        if !trusted.contains(&address) {
            break;
        }
    }
    Some(client)
}

fn forwarded_with_no_proxy_trusted(headers: &HeaderMap, trusted: &[std::net::IpAddr]) -> bool {
    trusted.is_empty() && headers.contains_key("x-forwarded-for")
}

/// Requests that carry `X-Forwarded-For` while no proxy is trusted most likely come through a
/// proxy nobody configured: then every client has the proxy's address, and one of them can
/// exhaust the per-address sign-in limit for all. Said once per process (`warned`), when
/// first seen; returns whether it was said now.
fn warn_once_of_an_untrusted_proxy(warned: &AtomicBool) -> bool {
    let first = !warned.swap(true, Ordering::Relaxed);
    if first {
        tracing::warn!(
            "requests carry X-Forwarded-For but no proxy is trusted: if Roster runs behind a reverse \
             proxy, set trusted_proxies (ROSTER_TRUSTED_PROXIES) to its address, or every client \
             shares the proxy's sign-in limits"
        );
    }
    first
}

/// The Content-Security-Policy of a page whose inline scripts carry `nonce`. WebAssembly needs
/// `'wasm-unsafe-eval'` to compile; nothing else is loosened.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_requests_with_no_trusted_proxy_are_warned_of_once() {
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let proxy: Vec<std::net::IpAddr> = vec!["10.0.0.1".parse().unwrap()];
        assert!(forwarded_with_no_proxy_trusted(&forwarded, &[]));
        assert!(!forwarded_with_no_proxy_trusted(&forwarded, &proxy), "a trusted proxy is configured");
        assert!(!forwarded_with_no_proxy_trusted(&headers(&[]), &[]), "nothing forwarded");
        let warned = AtomicBool::new(false);
        assert!(warn_once_of_an_untrusted_proxy(&warned), "the first time, a warning");
        assert!(!warn_once_of_an_untrusted_proxy(&warned), "then no more");
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn forwarded_addresses_count_only_when_a_trusted_proxy_sent_them() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let proxy = [ip("10.0.0.1"), ip("10.0.0.2")];
        let forwarded = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.2")]);
        // Straight from a client: the header is the client's own claim, and ignored.
        assert_eq!(client_address(Some(ip("198.51.100.4")), &forwarded, &proxy), Some(ip("198.51.100.4")));
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded, &[]), Some(ip("10.0.0.1")));
        // Through the proxies: the rightmost hop they did not add; the spoofed 6.6.6.6 is skipped.
        assert_eq!(client_address(Some(ip("10.0.0.1")), &forwarded, &proxy), Some(ip("203.0.113.9")));
        // Garbage stops the walk at the last good address.
        let garbage = headers(&[("x-forwarded-for", "203.0.113.9, nonsense, 10.0.0.2")]);
        assert_eq!(client_address(Some(ip("10.0.0.1")), &garbage, &proxy), Some(ip("10.0.0.2")));
        // A trusted proxy that added no header is its own client.
        assert_eq!(client_address(Some(ip("10.0.0.1")), &headers(&[]), &proxy), Some(ip("10.0.0.1")));
        assert_eq!(client_address(None, &forwarded, &proxy), None);
    }

    #[test]
    fn the_site_a_request_came_from_is_read_from_fetch_metadata_then_origin() {
        assert!(!is_cross_site(&headers(&[])));
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        // A sibling subdomain is another site as far as Roster is concerned.
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://roster.test:3000"),
            ("host", "roster.test:3000")
        ])));
        assert!(!is_cross_site(&headers(&[("origin", "https://Roster.test"), ("host", "roster.test")])));
        assert!(is_cross_site(&headers(&[("origin", "https://evil.test"), ("host", "roster.test")])));
        assert!(is_cross_site(&headers(&[
            ("origin", "http://roster.test:3001"),
            ("host", "roster.test:3000")
        ])));
        assert!(is_cross_site(&headers(&[("origin", "null"), ("host", "roster.test")])));
        // Fetch metadata wins: a same-origin request through a proxy that rewrote Host.
        assert!(!is_cross_site(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://roster.example"),
            ("host", "internal:3000")
        ])));
    }
}

//! A plain form's error, carried back to its page once.
//!
//! Without JavaScript a form posts to its server function, which answers a failure with a
//! redirect back to the form's page. Leptos puts the error in that address (`?__path=…&__err=…`,
//! base64), where it stays: in the history, in a copied link, again at every reload. Here the
//! redirect keeps a clean address and the error travels instead in a cookie that lives a
//! minute and is read once (`ssr::carry`), along with what was typed (never a password), so
//! the page can show the error beside the one form that caused it and keep its fields filled.
//!
//! The page puts the flash in a hidden element too, so the islands find it as they come to
//! life in the browser and render what the server rendered.

use leptos::{prelude::*, server::ServerActionError};
use serde::{Deserialize, Serialize};

/// The hidden field that tells a form from another posting to the same server function.
pub const FORM_FIELD: &str = "__form";
/// The hidden element that hands the flash to the islands.
pub const ELEMENT_ID: &str = "form-flash";
/// The query parameters Leptos carries a form's error in.
const ERROR_PARAMS: [&str; 2] = ["__path", "__err"];

/// `target` (a path and query) without Leptos' error parameters, if it had any.
pub fn without_error_params(target: &str) -> Option<String> {
    let (path, query) = target.split_once('?')?;
    let is_error = |pair: &&str| ERROR_PARAMS.contains(&pair.split('=').next().unwrap_or_default());
    let pairs = query.split('&').filter(|p| !p.is_empty());
    if !pairs.clone().any(|p| is_error(&p)) {
        return None;
    }
    let kept: Vec<&str> = pairs.filter(|p| !is_error(p)).collect();
    Some(if kept.is_empty() { path.to_owned() } else { format!("{path}?{}", kept.join("&")) })
}

/// A failed form post: which server function, which form, its error (as Leptos encodes it
/// in an address) and what was typed into it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub path: String,
    pub err: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input: Vec<(String, String)>,
}

impl Flash {
    /// Whether this is the failure of the form `key` posting to one of `paths`: a form
    /// that named itself is claimed only by the island of that name.
    fn is_for(&self, paths: &[&str], key: Option<&str>) -> bool {
        paths.contains(&self.path.as_str()) && (self.form.is_none() || self.form.as_deref() == key)
    }
}

/// What a form's fields had typed in them when it failed, inside that form's island.
#[derive(Clone, Debug, Default)]
struct Kept(Vec<(String, String)>);

/// Called first in a form's island, before its actions: gives them this page's flash if it
/// is theirs, and no other, so an error shows beside one form only, never beside every form
/// on the page that posts to the same place.
pub fn enter(paths: &[&str], key: Option<&str>) {
    let flash = use_context::<Flash>().filter(|flash| flash.is_for(paths, key));
    // Shadows any error provided further up: an action takes the nearest.
    provide_context(match &flash {
        Some(flash) => ServerActionError::new(&flash.path, &flash.err),
        None => ServerActionError::new("", ""),
    });
    provide_context(Kept(flash.map(|f| f.input).unwrap_or_default()));
}

/// This page's flash, if it is the failure of a form posting to `path` that is no server
/// function's (an upload): its error.
pub fn error_for(path: &str) -> Option<crate::error::AppError> {
    let flash = use_context::<Flash>().filter(|flash| flash.path == path)?;
    Some(leptos::server_fn::error::ServerFnUrlError::<crate::error::AppError>::decode_err(&flash.err))
}

/// What was typed into the field `name` of this form before its post failed.
pub fn kept(name: &str) -> Option<String> {
    use_context::<Kept>()?.0.into_iter().find(|(field, _)| field == name).map(|(_, value)| value)
}

/// The page's flash for the islands, as JSON in a hidden element (rendered on the server).
#[component]
pub fn FlashData() -> impl IntoView {
    let json = use_context::<Flash>().and_then(|flash| serde_json::to_string(&flash).ok());
    json.map(|json| view! { <div id=ELEMENT_ID hidden data-flash=json></div> })
}

/// Takes the page's flash from its hidden element, as the islands come to life.
#[cfg(feature = "hydrate")]
pub fn provide_from_page() {
    let json =
        document().get_element_by_id(ELEMENT_ID).and_then(|element| element.get_attribute("data-flash"));
    if let Some(flash) = json.and_then(|json| serde_json::from_str::<Flash>(&json).ok()) {
        provide_context(flash);
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use axum::{
        body::Body,
        extract::Request,
        http::{header, HeaderMap, HeaderValue, Method, StatusCode},
        middleware::Next,
        response::Response,
    };
    use base64::Engine;

    use super::{Flash, ERROR_PARAMS, FORM_FIELD};

    const COOKIE: &str = "roster_flash";
    /// Long enough to follow the redirect, short enough not to turn up on a later visit.
    const LIFETIME_SECS: i64 = 60;
    /// A cookie past about 4 KB is dropped by browsers: past this, the typed text stays behind.
    const MOST_BYTES: usize = 3_000;
    /// The middleware: turns a failed plain post's redirect into a flash, hands a page the
    /// flash it was sent back with (a request extension, `Flash`) and clears it, and sends an
    /// address that still carries an error to the same address without it.
    pub async fn carry(secure: bool, request: Request, next: Next) -> Response {
        let wants_page = accepts_html(request.headers());
        if !wants_page {
            return next.run(request).await;
        }
        let path = request.uri().path();
        if request.method() == Method::POST && path.starts_with("/api/") && !crate::api::is_api_path(path) {
            return carry_post(secure, request, next).await;
        }
        if request.method() != Method::GET {
            return next.run(request).await;
        }
        let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        if let Some(clean) = super::without_error_params(target) {
            return redirect(StatusCode::SEE_OTHER, &clean);
        }
        let Some(flash) = read_cookie(request.headers()) else {
            return next.run(request).await;
        };
        let mut request = request;
        request.extensions_mut().insert(flash);
        let mut response = next.run(request).await;
        set_cookie(&mut response, secure, None);
        response
    }

    async fn carry_post(secure: bool, request: Request, next: Next) -> Response {
        let form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        let (parts, body) = request.into_parts();
        // Already read whole, within the body limit (`security::limit_body`).
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
            return Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .body(Body::empty())
                .unwrap_or_default();
        };
        let input = if form { typed(&bytes) } else { Vec::new() };
        let mut response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
        let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
        let Some((clean, path, err)) = location.and_then(split_error) else {
            return response;
        };
        let mut input = input;
        let form = input.iter().position(|(name, _)| name == FORM_FIELD).map(|at| input.remove(at).1);
        let flash = Flash { path, err, form, input };
        if let Ok(clean) = HeaderValue::from_str(&clean) {
            response.headers_mut().insert(header::LOCATION, clean);
            set_cookie(&mut response, secure, Some(&flash));
        }
        response
    }

    /// Whether the caller is a browser asking for a page (a plain form post or a visit), not
    /// a script asking for data.
    fn accepts_html(headers: &HeaderMap) -> bool {
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
    }

    /// The fields of a urlencoded form body worth giving back: not a password, a token or a
    /// one-time code, which are typed again rather than kept anywhere.
    fn typed(body: &[u8]) -> Vec<(String, String)> {
        let secret = |name: &str| ["password", "token", "code", "current"].iter().any(|s| name.contains(s));
        url::form_urlencoded::parse(body)
            .filter(|(name, _)| !secret(name) && name != crate::reauth::FIELD)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect()
    }

    /// `location` without Leptos' error parameters, and the server function's path and its
    /// error, when it has them.
    fn split_error(location: &str) -> Option<(String, String, String)> {
        let (base, query) = location.split_once('?')?;
        let (query, hash) = query.split_once('#').map_or((query, ""), |(q, h)| (q, h));
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let (path, err) = (get("__path")?, get("__err")?);
        let kept = pairs.iter().filter(|(k, _)| !ERROR_PARAMS.contains(&k.as_str()));
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
        let mut clean = base.to_owned();
        if !query.is_empty() {
            clean.push('?');
            clean.push_str(&query);
        }
        if !hash.is_empty() {
            clean.push('#');
            clean.push_str(hash);
        }
        Some((clean, path, err))
    }

    fn redirect(status: StatusCode, to: &str) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = status;
        if let Ok(to) = HeaderValue::from_str(to) {
            response.headers_mut().insert(header::LOCATION, to);
        }
        response
    }

    fn read_cookie(headers: &HeaderMap) -> Option<Flash> {
        let value = crate::access::session::cookie_from_headers(headers, COOKIE)?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
        serde_json::from_slice(&json).ok()
    }

    /// Sets the flash cookie to `flash`, or clears it with `None`.
    fn set_cookie(response: &mut Response, secure: bool, flash: Option<&Flash>) {
        let encode = |flash: &Flash| {
            let json = serde_json::to_vec(flash).unwrap_or_default();
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
        };
        let value = match flash {
            Some(flash) => {
                let value = encode(flash);
                if value.len() <= MOST_BYTES {
                    value
                } else {
                    encode(&Flash { input: Vec::new(), ..flash.clone() })
                }
            }
            None => String::new(),
        };
        let max_age = if flash.is_some() { LIFETIME_SECS } else { 0 };
        let cookie = cookie::Cookie::build((COOKIE, value))
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(cookie::SameSite::Lax)
            .max_age(cookie::time::Duration::seconds(max_age))
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_redirect_loses_the_error_and_keeps_the_rest() {
            let (clean, path, err) =
                split_error("/profiles/4?q=ann&__path=%2Fapi%2Fx&__err=eyJ9#member-2").unwrap();
            assert_eq!(
                (clean.as_str(), path.as_str(), err.as_str()),
                ("/profiles/4?q=ann#member-2", "/api/x", "eyJ9")
            );
            assert_eq!(split_error("/roles?__path=a&__err=b").unwrap().0, "/roles");
            assert_eq!(split_error("/roles?q=a"), None);
        }

        #[test]
        fn secrets_are_not_kept() {
            let kept = typed(b"name=Ann+Lee&password=hunter22&new_password=x&token=t&current=c&__form=f");
            assert_eq!(kept, [("name".into(), "Ann Lee".into()), ("__form".into(), "f".into())]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_error_params;

    #[test]
    fn an_address_with_an_error_is_cleaned() {
        assert_eq!(without_error_params("/users/4?__err=x&q=a").as_deref(), Some("/users/4?q=a"));
        assert_eq!(without_error_params("/users/4?__path=x").as_deref(), Some("/users/4"));
        // A parameter that only starts like one is someone else's.
        assert_eq!(without_error_params("/users/4?__errata=1"), None);
        assert_eq!(without_error_params("/users/4"), None);
    }
}

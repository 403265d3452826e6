//! The browser bundle under /pkg (src/server/mod.rs, `bundle`): compressed copies when the
//! build made them, revalidation instead of a second download, and a plain 404 for a file
//! that isn't there.
#![cfg(feature = "ssr")]

mod common;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use common::TestApp;

fn get(path: &str, headers: &[(header::HeaderName, &str)]) -> Request<Body> {
    let mut req = Request::builder().uri(path);
    for (name, value) in headers {
        req = req.header(name, *value);
    }
    req.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_bundle_is_served_compressed_when_accepted_and_revalidated_when_unchanged() {
    let app = TestApp::new().await;
    let pkg = app.settings.site_root.clone().unwrap().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("roster.js"), "export default function init() {}").unwrap();
    // Stand-ins for what `cargo leptos build --release --precompress` writes beside the file.
    std::fs::write(pkg.join("roster.js.br"), "brotli bytes").unwrap();
    std::fs::write(pkg.join("roster.js.gz"), "gzip bytes").unwrap();

    let plain = app.send(get("/pkg/roster.js", &[])).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.body, "export default function init() {}");
    assert_eq!(plain.headers[header::CACHE_CONTROL], "no-cache");
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(plain.headers[header::CONTENT_TYPE].to_str().unwrap().contains("javascript"));

    for (accepts, encoding, body) in
        [("gzip, deflate, br", "br", "brotli bytes"), ("gzip", "gzip", "gzip bytes")]
    {
        let res = app.send(get("/pkg/roster.js", &[(header::ACCEPT_ENCODING, accepts)])).await;
        assert_eq!(res.status, StatusCode::OK, "{accepts}");
        assert_eq!(res.headers[header::CONTENT_ENCODING], encoding, "{accepts}");
        assert_eq!(res.body, body, "{accepts}");
        assert_eq!(res.headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(res.headers.get_all(header::VARY).iter().collect::<Vec<_>>(), ["accept-encoding"]);
    }
    assert_eq!(plain.headers[header::VARY], "accept-encoding");

    // A browser asking whether its copy is still good gets a bodiless yes.
    let modified = plain.headers[header::LAST_MODIFIED].to_str().unwrap().to_owned();
    let again = app.send(get("/pkg/roster.js", &[(header::IF_MODIFIED_SINCE, &modified)])).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.body, "");

    // Every response keeps the security headers, and a missing file is a plain 404 rather
    // than a rendered page.
    assert_eq!(again.headers["x-content-type-options"], "nosniff");
    let missing = app.send(get("/pkg/nothing.js", &[])).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body, "");
    let outside = app.send(get("/pkg/../../secret.txt", &[])).await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_build_without_compressed_copies_is_compressed_as_it_is_sent() {
    use http_body_util::BodyExt;
    use std::io::Read;
    use tower::ServiceExt;

    let app = TestApp::new().await;
    let pkg = app.settings.site_root.clone().unwrap().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let css = "main { margin: 0 auto; }\n".repeat(200);
    std::fs::write(pkg.join("roster.css"), &css).unwrap();

    let res = app
        .router
        .clone()
        .oneshot(get("/pkg/roster.css", &[(header::ACCEPT_ENCODING, "gzip")]))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(res.headers().get_all(header::VARY).iter().collect::<Vec<_>>(), ["accept-encoding"]);
    let sent = res.into_body().collect().await.unwrap().to_bytes();
    assert!(sent.len() < css.len() / 10, "{} bytes sent for {}", sent.len(), css.len());
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(&sent[..]).read_to_string(&mut unpacked).unwrap();
    assert_eq!(unpacked, css);

    // A client that takes no encoding gets the file as it is.
    let plain = app.send(get("/pkg/roster.css", &[])).await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.body, css);
}

//! Who may use the console: nobody on a network listener without tokens, a token holder
//! through the login cookie or a bearer header (a read token only looks), and never a form
//! posted from another site or a request addressed to a foreign host name.

use std::net::SocketAddr;

use http::StatusCode;
use serde_json::json;

use super::no_redirects;
use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn the_console_is_off_on_a_network_listener_without_tokens() {
    let app = spawn_app_with(|s| {
        s.listen = SocketAddr::from(([0, 0, 0, 0], 0));
        s.insecure = true;
    })
    .await;
    let port = app.address.rsplit(':').next().expect("a port");
    let local = format!("http://127.0.0.1:{port}");
    for path in [
        "/console",
        "/console/events",
        "/console/login",
        "/console/stream",
    ] {
        let response = app
            .client
            .get(format!("{local}{path}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            response
                .text()
                .await
                .expect("a body")
                .contains("The console is off")
        );
    }
    let api = app
        .client
        .get(format!("{local}/subscriptions"))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        api.status(),
        StatusCode::OK,
        "the (insecure) API still answers"
    );
    app.stop().await;
}

#[tokio::test]
async fn with_tokens_the_console_needs_one_and_a_read_token_cannot_act() {
    let write = "write-token-0123456789";
    let read = "read-token-0123456789";
    let app = spawn_app_with(|s| {
        s.api_tokens = vec![write.parse().expect("a token")];
        s.read_tokens = vec![read.parse().expect("a token")];
    })
    .await;
    let client = no_redirects();
    let url = |path: &str| format!("{}{path}", app.address);
    let anonymous = client
        .get(url("/console/events?id=x"))
        .send()
        .await
        .expect("answers");
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.headers()["location"],
        "/console/login?next=%2Fconsole%2Fevents%3Fid%3Dx"
    );
    let login = client
        .get(url("/console/login"))
        .send()
        .await
        .expect("answers");
    assert_eq!(login.status(), StatusCode::OK);
    let wrong = client
        .post(url("/console/login"))
        .form(&[
            ("token", "not-the-token-at-all"),
            ("next", "/console/events"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("set-cookie").is_none());
    let right = client
        .post(url("/console/login"))
        .form(&[("token", write), ("next", "https://evil.example/")])
        .send()
        .await
        .expect("answers");
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        right.headers()["location"],
        "/console",
        "never another site"
    );
    let cookie = right.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains(write), "the token is encoded, not pasted");
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    let signed_in = client
        .get(url("/console"))
        .header("cookie", &pair)
        .send()
        .await
        .expect("answers");
    assert_eq!(signed_in.status(), StatusCode::OK);
    assert!(signed_in.text().await.expect("html").contains("Sign out"));
    let bearer = client
        .get(url("/console/catalog"))
        .bearer_auth(read)
        .send()
        .await
        .expect("answers");
    assert_eq!(bearer.status(), StatusCode::OK);
    let created = client
        .post(url("/subscriptions"))
        .bearer_auth(write)
        .json(&json!({"id": "s", "sink": "http://127.0.0.1:9/"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), StatusCode::CREATED);
    let as_reader = client
        .post(url("/console/subscriptions/s/pause"))
        .bearer_auth(read)
        .send()
        .await
        .expect("answers");
    assert_eq!(as_reader.status(), StatusCode::FORBIDDEN);
    let as_writer = client
        .post(url("/console/subscriptions/s/pause"))
        .header("cookie", &pair)
        .send()
        .await
        .expect("answers");
    assert_eq!(as_writer.status(), StatusCode::SEE_OTHER);
    let stream = client
        .get(url("/console/stream"))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        stream.status(),
        StatusCode::SEE_OTHER,
        "the live stream needs the token too"
    );
    app.stop().await;
}

#[tokio::test]
async fn forms_from_other_sites_and_foreign_host_names_are_refused() {
    let app = spawn_app().await;
    app.subscribe(json!({"id": "s", "sink": "http://127.0.0.1:9/"}))
        .await;
    let client = no_redirects();
    let cross = client
        .post(format!("{}/console/subscriptions/s/pause", app.address))
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let sibling = client
        .post(format!("{}/console/subscriptions/s/pause", app.address))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("answers");
    assert_eq!(sibling.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get_json("/subscriptions/s").await["status"], "active");
    let rebound = client
        .get(format!("{}/console", app.address))
        .header("host", "evil.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN, "DNS rebinding");
    let same = client
        .post(format!("{}/console/subscriptions/s/pause", app.address))
        .header("origin", app.address.clone())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("answers");
    assert_eq!(same.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get_json("/subscriptions/s").await["status"], "paused");
    app.stop().await;
}

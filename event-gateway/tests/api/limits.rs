//! Request limits: body size, header count, and clients too slow to send their headers.

use std::time::{Duration, Instant};

use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn an_oversized_body_is_413_problem_json_on_every_route() {
    let app = spawn_app_with(|s| s.body_limit = 1024).await;
    for path in ["/events", "/subscriptions", "/webhooks/any"] {
        let response = app
            .client
            .post(format!("{}{path}", app.address))
            .header("content-type", "application/cloudevents+json")
            .body(vec![b' '; 4096])
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn too_many_headers_are_refused_and_a_slow_client_is_cut_off() {
    let app = spawn_app_with(|s| {
        s.max_headers = 20;
        s.header_read_timeout = "PT0.5S".parse().expect("a duration");
    })
    .await;
    let mut request = app.client.get(format!("{}/healthz", app.address));
    for n in 0..40 {
        request = request.header(format!("x-h{n}"), "1");
    }
    let response = request.send().await.expect("answers");
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    // A client that sends half a request line and stalls is disconnected.
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("writes");
    let started = Instant::now();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the connection was not closed");
    assert!(started.elapsed() < Duration::from_secs(3));
    app.stop().await;
}

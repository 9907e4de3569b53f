//! Malformed input gets the right 4xx as `application/problem+json` naming what is wrong.

use serde_json::{Value, json};
use shared_events::http::reqwest::RequestBuilderExt;
use shared_events::{AttributesWriter, Event, EventBuilder, EventBuilderV10};

use crate::support::{TestServer, expect_problem};

fn binary(server: &TestServer, path: &str) -> reqwest::RequestBuilder {
    binary_with(server, path, &[])
}

/// A binary-mode request whose required headers are replaced or joined by `headers`.
fn binary_with(
    server: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let mut map = reqwest::header::HeaderMap::new();
    let defaults = [
        ("ce-specversion", "1.0"),
        ("ce-id", "1"),
        ("ce-source", "/tests"),
        ("ce-type", "com.example.test.v1"),
    ];
    for (name, value) in defaults.iter().chain(headers) {
        map.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            reqwest::header::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    server.client.post(server.url(path)).headers(map)
}

fn structured(server: &TestServer, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    server
        .client
        .post(server.url("/events"))
        .header("content-type", "application/cloudevents+json")
        .body(body)
}

fn batch(server: &TestServer, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    server
        .client
        .post(server.url("/events"))
        .header("content-type", "application/cloudevents-batch+json")
        .body(body)
}

fn event_json() -> Value {
    json!({"specversion": "1.0", "id": "1", "source": "/tests", "type": "com.example.test.v1"})
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.expect("the server answers")
}

#[tokio::test]
async fn a_request_without_ce_specversion_is_not_a_cloudevent() {
    let server = TestServer::spawn().await;
    let response = send(
        server
            .client
            .post(server.url("/events"))
            .header("ce-id", "1"),
    )
    .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["header"], "ce-specversion");
    assert_eq!(problem["attribute"], "specversion");
    assert_eq!(problem["supported_versions"], json!(["1.0"]));
}

#[tokio::test]
async fn an_unknown_spec_version_is_refused_naming_the_supported_ones() {
    let server = TestServer::spawn().await;
    let response = send(binary_with(
        &server,
        "/events",
        &[("ce-specversion", "0.3")],
    ))
    .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["attribute"], "specversion");
    assert_eq!(problem["supported_versions"], json!(["1.0"]));
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("supported versions: 1.0"), "{detail}");

    let mut body = event_json();
    body["specversion"] = json!("2.0");
    let problem = expect_problem(send(structured(&server, body.to_string())).await, 400).await;
    assert_eq!(problem["attribute"], "specversion");
    assert_eq!(problem["supported_versions"], json!(["1.0"]));
}

#[tokio::test]
async fn an_empty_id_is_refused_in_binary_and_structured_mode() {
    let server = TestServer::spawn().await;
    let problem = expect_problem(
        send(binary_with(&server, "/events", &[("ce-id", "")])).await,
        400,
    )
    .await;
    assert_eq!(problem["attribute"], "id");
    assert_eq!(problem["header"], "ce-id");

    let mut body = event_json();
    body["id"] = json!("");
    let problem = expect_problem(send(structured(&server, body.to_string())).await, 400).await;
    assert_eq!(problem["attribute"], "id");
}

#[tokio::test]
async fn a_bad_extension_name_is_refused() {
    let server = TestServer::spawn().await;
    let response = send(binary_with(&server, "/events", &[("ce-my_ext", "x")])).await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["attribute"], "my_ext");
    assert_eq!(problem["header"], "ce-my_ext");

    let mut body = event_json();
    body["myExt"] = json!("x");
    let problem = expect_problem(send(structured(&server, body.to_string())).await, 400).await;
    assert_eq!(problem["attribute"], "myExt");
}

#[tokio::test]
async fn a_time_that_is_not_rfc_3339_is_refused() {
    let server = TestServer::spawn().await;
    let response = send(binary_with(
        &server,
        "/events",
        &[("ce-time", "5 April 2018")],
    ))
    .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["attribute"], "time");
    assert_eq!(problem["header"], "ce-time");

    let mut body = event_json();
    body["time"] = json!("2018-04-05 noon");
    let problem = expect_problem(send(structured(&server, body.to_string())).await, 400).await;
    assert_eq!(problem["attribute"], "time");
}

#[tokio::test]
async fn invalid_json_is_refused_in_every_mode() {
    let server = TestServer::spawn().await;
    let problem = expect_problem(send(structured(&server, "{\"id\": ")).await, 400).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("not valid JSON")
    );
    expect_problem(send(batch(&server, "[{]")).await, 400).await;
    let response = send(
        binary(&server, "/events")
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["attribute"], "data");
}

#[tokio::test]
async fn a_batch_must_be_an_array_of_objects() {
    let server = TestServer::spawn().await;
    let response = send(batch(&server, event_json().to_string())).await;
    let problem = expect_problem(response, 400).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("JSON array")
    );

    let body = json!([event_json(), "not an event"]).to_string();
    let problem = expect_problem(send(batch(&server, body)).await, 400).await;
    assert_eq!(problem["index"], 1);

    let mut second = event_json();
    second["source"] = json!("");
    let body = json!([event_json(), second]).to_string();
    let problem = expect_problem(send(batch(&server, body)).await, 400).await;
    assert_eq!(problem["index"], 1);
    assert_eq!(problem["attribute"], "source");
}

#[tokio::test]
async fn data_and_data_base64_together_are_refused() {
    let server = TestServer::spawn().await;
    let mut body = event_json();
    body["data"] = json!({"a": 1});
    body["data_base64"] = json!("AAEC");
    let problem = expect_problem(send(structured(&server, body.to_string())).await, 400).await;
    assert_eq!(problem["attribute"], "data");
}

#[tokio::test]
async fn an_unsupported_event_format_is_415() {
    let server = TestServer::spawn().await;
    let response = send(
        server
            .client
            .post(server.url("/events"))
            .header("content-type", "application/cloudevents+xml")
            .body("<event/>"),
    )
    .await;
    let problem = expect_problem(response, 415).await;
    assert_eq!(problem["header"], "content-type");
    assert_eq!(
        problem["supported_media_types"],
        json!([
            "application/cloudevents+json",
            "application/cloudevents-batch+json"
        ])
    );
}

#[tokio::test]
async fn media_types_are_matched_case_insensitively_with_parameters() {
    let server = TestServer::spawn().await;
    let response = send(
        server
            .client
            .post(server.url("/events"))
            .header(
                "content-type",
                "Application/CloudEvents+JSON; Charset=UTF-8",
            )
            .body(event_json().to_string()),
    )
    .await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        server.received().await.mode(),
        shared_events::http::Mode::Structured
    );
}

#[tokio::test]
async fn an_oversized_body_is_413_in_every_mode() {
    let server = TestServer::spawn().await;
    let big = "x".repeat(300);
    let response = send(binary(&server, "/small").body(big.clone())).await;
    let problem = expect_problem(response, 413).await;
    assert_eq!(problem["limit"], 256);

    let mut body = event_json();
    body["data"] = json!(big);
    let response = send(
        server
            .client
            .post(server.url("/small"))
            .header("content-type", "application/cloudevents+json")
            .body(body.to_string()),
    )
    .await;
    expect_problem(response, 413).await;

    // Without Content-Length: the limit holds while streaming.
    let chunks = futures_chunks(big.into_bytes());
    let response = send(binary(&server, "/small").body(reqwest::Body::wrap_stream(chunks))).await;
    expect_problem(response, 413).await;

    // The default limit is 1 MiB.
    let response = send(binary(&server, "/events").body(vec![b'x'; 1024 * 1024 + 1])).await;
    expect_problem(response, 413).await;
}

fn futures_chunks(
    bytes: Vec<u8>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(64).map(|c| Ok(c.to_vec())).collect();
    futures::stream::iter(chunks)
}

#[tokio::test]
async fn a_batch_sent_to_a_single_event_endpoint_is_400_and_vice_versa_415() {
    let server = TestServer::spawn().await;
    let body = json!([event_json()]).to_string();
    let response = send(
        server
            .client
            .post(server.url("/single"))
            .header("content-type", "application/cloudevents-batch+json")
            .body(body),
    )
    .await;
    let problem = expect_problem(response, 400).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("batch endpoint")
    );

    let response = send(binary(&server, "/batch")).await;
    let problem = expect_problem(response, 415).await;
    assert_eq!(problem["header"], "content-type");
}

#[tokio::test]
async fn header_values_that_decode_to_invalid_utf8_or_control_characters_are_refused() {
    let server = TestServer::spawn().await;
    let response = send(binary_with(&server, "/events", &[("ce-subject", "%C0%A0")])).await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["header"], "ce-subject");

    let response = send(binary_with(
        &server,
        "/events",
        &[("ce-subject", "line%0Abreak")],
    ))
    .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["attribute"], "subject");
}

#[tokio::test]
async fn an_attribute_header_sent_twice_is_refused() {
    let server = TestServer::spawn().await;
    let response = send(binary(&server, "/events").header("ce-id", "2")).await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["header"], "ce-id");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("more than once")
    );
}

#[tokio::test]
async fn a_ce_datacontenttype_header_is_refused_in_binary_mode() {
    let server = TestServer::spawn().await;
    let response = send(binary_with(
        &server,
        "/events",
        &[("ce-datacontenttype", "text/plain")],
    ))
    .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["header"], "ce-datacontenttype");
}

#[tokio::test]
async fn a_source_that_is_not_a_uri_reference_is_refused() {
    let server = TestServer::spawn().await;
    let response = send(binary_with(
        &server,
        "/events",
        &[("ce-source", "not%20a%20uri")],
    ))
    .await;
    let problem = expect_problem(response, 400).await;
    assert_eq!(problem["attribute"], "source");
}

#[test]
fn the_sender_refuses_events_that_break_the_attribute_rules() {
    let mut event: Event = EventBuilderV10::new()
        .id("1")
        .source("/tests")
        .ty("com.example.test.v1")
        .build()
        .expect("an event");
    event.set_extension("Bad", "x");
    let client = reqwest::Client::new();
    let error = client
        .post("http://127.0.0.1:9/")
        .cloudevent(&event)
        .expect_err("an invalid extension name");
    assert_eq!(error.source.attribute(), "Bad");
    event.remove_extension("Bad");
    event.set_subject(Some("tab\there"));
    let error = client
        .post("http://127.0.0.1:9/")
        .cloudevent_batch(&[event.clone(), event])
        .expect_err("a control character");
    assert_eq!(error.index, Some(0));
    assert_eq!(error.source.attribute(), "subject");
}

//! Replays the CloudEvents conformance suite (cloudevents/conformance, in shared/) against the
//! axum extractor: the YAML events, built into requests as the `cloudevents` tool builds them,
//! and every Examples row of `http-protocol-binding.feature`, sent as raw bytes over TCP.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use shared_events::attributes::canonical_value;
use shared_events::http::{Incoming, Mode};
use shared_events::{AttributesReader, Data, Event};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestServer, shared, structured_and_checked};

#[derive(Debug, Deserialize)]
struct ConformanceEvent {
    #[serde(rename = "Mode", default)]
    mode: Option<String>,
    #[serde(rename = "ContextAttributes")]
    attributes: ContextAttributes,
    #[serde(rename = "TransportExtensions", default)]
    transport: BTreeMap<String, String>,
    #[serde(rename = "Data", default)]
    data: String,
}

#[derive(Debug, Deserialize)]
struct ContextAttributes {
    specversion: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    time: Option<String>,
    id: Option<String>,
    source: Option<String>,
    subject: Option<String>,
    dataschema: Option<String>,
    datacontenttype: Option<String>,
    #[serde(rename = "Extensions", default)]
    extensions: BTreeMap<String, String>,
}

impl ContextAttributes {
    /// The attributes as the tool sends them: trimmed, empty ones left out.
    fn present(&self) -> Vec<(&str, String)> {
        let core = [
            ("specversion", &self.specversion),
            ("type", &self.ty),
            ("time", &self.time),
            ("id", &self.id),
            ("source", &self.source),
            ("subject", &self.subject),
            ("dataschema", &self.dataschema),
            ("datacontenttype", &self.datacontenttype),
        ];
        core.into_iter()
            .filter_map(|(name, value)| Some((name, value.as_deref()?.trim().to_owned())))
            .chain(
                self.extensions
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.trim().to_owned())),
            )
            .filter(|(_, value)| !value.is_empty())
            .collect()
    }
}

fn conformance_events() -> Vec<(String, ConformanceEvent)> {
    let dir = shared("conformance/conformance/yaml");
    let mut files = vec![dir.join("v1.yaml")];
    let mut versioned: Vec<_> = std::fs::read_dir(dir.join("v1.0"))
        .expect("yaml/v1.0 exists")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    versioned.sort();
    files.extend(versioned);
    let mut events = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable YAML");
        for (i, document) in serde_yaml::Deserializer::from_str(&text).enumerate() {
            let event = ConformanceEvent::deserialize(document).expect("a conformance event");
            events.push((format!("{}#{i}", file.display()), event));
        }
    }
    events
}

/// The request the conformance tool's `EventToRequest` builds.
fn request(server: &TestServer, event: &ConformanceEvent) -> reqwest::RequestBuilder {
    let mut builder = server.client.post(server.url("/events"));
    let attributes = event.attributes.present();
    let structured = event.mode.as_deref() == Some("structured");
    if structured {
        let mut envelope = Map::new();
        for (name, value) in attributes {
            envelope.insert(name.to_owned(), Value::String(value));
        }
        if !event.data.is_empty() {
            let data: Value = serde_json::from_str(&event.data).expect("structured data is JSON");
            envelope.insert("data".into(), data);
        }
        builder = builder
            .header(
                "content-type",
                "application/cloudevents+json; charset=UTF-8",
            )
            .body(serde_json::to_vec(&envelope).expect("serialises"));
    } else {
        for (name, value) in attributes {
            let header = match name {
                "datacontenttype" => "Content-Type".to_owned(),
                _ => format!("ce-{name}"),
            };
            builder = builder.header(header, value);
        }
        builder = builder.body(event.data.clone());
    }
    for (name, value) in &event.transport {
        builder = builder.header(name, value.trim());
    }
    builder
}

#[tokio::test]
async fn every_conformance_yaml_event_is_received_with_its_attributes_and_data() {
    let server = TestServer::spawn().await;
    let events = conformance_events();
    assert!(events.len() >= 8, "found {} events", events.len());
    for (name, expected) in events {
        let response = request(&server, &expected).send().await.expect("sent");
        assert_eq!(
            response.status(),
            202,
            "{name}: {}",
            response.text().await.unwrap_or_default()
        );
        let Incoming::Single(event, mode) = server.received().await else {
            panic!("{name}: expected one event");
        };
        let structured = expected.mode.as_deref() == Some("structured");
        assert_eq!(
            mode,
            if structured {
                Mode::Structured
            } else {
                Mode::Binary
            },
            "{name}"
        );

        let attributes = expected.attributes.present();
        for (attribute, value) in &attributes {
            assert_eq!(
                canonical_value(&event, attribute).as_deref(),
                Some(value.as_str()),
                "{name}: {attribute}"
            );
        }
        let mut names: Vec<&str> = event.iter().map(|(name, _)| name).collect();
        names.sort_unstable();
        let mut expected_names: Vec<&str> = attributes.iter().map(|(name, _)| *name).collect();
        expected_names.sort_unstable();
        assert_eq!(
            names, expected_names,
            "{name}: transport headers are not attributes"
        );

        assert_data(&name, &event, &expected.data, structured);
        structured_and_checked(&event);
    }
}

fn assert_data(name: &str, event: &Event, expected: &str, structured: bool) {
    let content_type = event.datacontenttype();
    let json = structured || content_type.is_some_and(|ct| ct.contains("json"));
    let want = if json {
        Data::Json(serde_json::from_str(expected).expect("JSON data"))
    } else if content_type.is_some_and(|ct| ct.starts_with("text/") || ct.contains("charset")) {
        Data::String(expected.to_owned())
    } else {
        Data::Binary(expected.as_bytes().to_vec())
    };
    assert_eq!(event.data(), Some(&want), "{name}: data");
}

/// One Examples row of a Scenario Outline, placeholders filled in.
struct Scenario {
    name: String,
    request: String,
    attributes: Vec<(String, String)>,
    data: Value,
}

fn feature_scenarios() -> Vec<Scenario> {
    let text = std::fs::read_to_string(shared(
        "conformance/conformance/features/http-protocol-binding.feature",
    ))
    .expect("the feature file is in shared/");
    struct Outline {
        name: String,
        docs: Vec<String>,
        attributes: Vec<(String, String)>,
        examples: Vec<Vec<String>>,
    }
    let mut outlines: Vec<Outline> = Vec::new();
    let mut doc: Option<(usize, Vec<String>)> = None;
    let mut table = "";
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some((indent, lines)) = &mut doc {
            if trimmed == "\"\"\"" {
                let body = lines.join("\n");
                outlines
                    .last_mut()
                    .expect("inside a scenario")
                    .docs
                    .push(body);
                doc = None;
            } else {
                lines.push(line.get(*indent..).unwrap_or("").to_owned());
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("Scenario Outline:") {
            outlines.push(Outline {
                name: name.trim().to_owned(),
                docs: Vec::new(),
                attributes: Vec::new(),
                examples: Vec::new(),
            });
        } else if trimmed == "\"\"\"" {
            doc = Some((line.len() - line.trim_start().len(), Vec::new()));
        } else if trimmed.starts_with("Then the attributes are") {
            table = "attributes";
        } else if trimmed.starts_with("Examples:") {
            table = "examples";
        } else if trimmed.starts_with('|') {
            let cells: Vec<String> = trimmed
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_owned())
                .collect();
            let outline = outlines.last_mut().expect("inside a scenario");
            match table {
                "attributes" if cells[0] != "key" => {
                    outline
                        .attributes
                        .push((cells[0].clone(), cells[1].clone()));
                }
                "examples" => outline.examples.push(cells),
                _ => {}
            }
        } else if !trimmed.is_empty() {
            table = "";
        }
    }

    let mut scenarios = Vec::new();
    for outline in outlines {
        let (header, rows) = outline.examples.split_first().expect("an Examples table");
        for row in rows {
            let fill = |s: &str| {
                header
                    .iter()
                    .zip(row)
                    .fold(s.to_owned(), |s, (key, value)| {
                        s.replace(&format!("<{key}>"), value)
                    })
            };
            scenarios.push(Scenario {
                name: fill(&outline.name),
                request: fill(&outline.docs[0]),
                attributes: outline
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), fill(v)))
                    .collect(),
                data: serde_json::from_str(&outline.docs[1]).expect("the expected data is JSON"),
            });
        }
    }
    scenarios
}

/// The request as bytes on the wire: head lines joined by CRLF, the body as written.
fn raw_request(text: &str) -> Vec<u8> {
    let (head, body) = text.split_once("\n\n").expect("a head and a body");
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .expect("a Content-Length header");
    assert_eq!(
        length.parse::<usize>().ok(),
        Some(body.len()),
        "Content-Length matches"
    );
    let mut bytes = head.replace('\n', "\r\n").into_bytes();
    bytes.extend_from_slice(b"\r\n\r\n");
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// The status code of the HTTP/1.1 response to `request`.
async fn send_raw(server: &TestServer, request: &[u8]) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connects");
    stream.write_all(request).await.expect("writes");
    let mut response = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).await.expect("reads");
        assert!(n > 0, "the server answered");
        response.extend_from_slice(&buffer[..n]);
    }
    let status_line = String::from_utf8_lossy(&response);
    status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line")
}

#[tokio::test]
async fn every_http_protocol_binding_feature_scenario_is_parsed_as_the_feature_says() {
    let server = TestServer::spawn().await;
    let scenarios = feature_scenarios();
    assert_eq!(scenarios.len(), 4, "two outlines with two examples each");
    for scenario in scenarios {
        let status = send_raw(&server, &raw_request(&scenario.request)).await;
        assert_eq!(status, 202, "{}", scenario.name);
        let Incoming::Single(event, mode) = server.received().await else {
            panic!("{}: expected one event", scenario.name);
        };
        let structured = scenario.name.starts_with("Structured");
        assert_eq!(
            mode,
            if structured {
                Mode::Structured
            } else {
                Mode::Binary
            }
        );
        for (attribute, value) in &scenario.attributes {
            assert_eq!(
                canonical_value(&event, attribute).as_deref(),
                Some(value.as_str()),
                "{}: {attribute}",
                scenario.name
            );
        }
        assert_eq!(
            event.data(),
            Some(&Data::Json(scenario.data)),
            "{}",
            scenario.name
        );
        structured_and_checked(&event);
    }
}

//! Arbitrary valid events sent with the reqwest extension to the axum extractor come back
//! attribute for attribute, in binary, structured and batched mode.

use std::collections::BTreeMap;

use chrono::DateTime;
use cloudevents::event::ExtensionValue;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use shared_events::attributes::{CORE_ATTRIBUTES, extension_string};
use shared_events::format;
use shared_events::http::reqwest::RequestBuilderExt;
use shared_events::http::{Incoming, Mode};
use shared_events::{AttributesReader, AttributesWriter, Data, Event};

use crate::support::{TestServer, assert_valid_against_spec_schema, structured_and_checked};

/// Strings the `String` type allows: no control characters or noncharacters, with the
/// characters that header encoding must get right mixed in.
fn text(min: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "\\PC{1,8}",
        1 => Just("Euro € 😀".to_owned()),
        1 => Just("%".to_owned()),
        1 => Just("%41".to_owned()),
        1 => Just("\"quoted\"".to_owned()),
        1 => Just(" ".to_owned()),
    ];
    vec(piece, min..5).prop_map(|pieces| pieces.concat())
}

fn source() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https://[a-z]{1,10}\\.example(:[0-9]{1,4})?)?/[a-z0-9._~-]{1,10}(/[a-zA-Z0-9._~!$&'()*+,;=:@-]{0,10}(%[0-9A-F]{2})?){0,3}",
        "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}",
        "1-555-[0-9]{3}-[0-9]{4}",
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(json!(1.5)),
        "(?s:.{0,12})".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("(?s:.{0,6})", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn data() -> impl Strategy<Value = Option<(Option<&'static str>, Data)>> {
    prop_oneof![
        Just(None),
        (
            prop_oneof![
                Just(Some("application/json")),
                Just(Some("application/vnd.example+json; charset=utf-8")),
                Just(None),
            ],
            json()
        )
            .prop_map(|(ct, value)| Some((ct, Data::Json(value)))),
        (
            prop_oneof![Just("text/plain; charset=utf-8"), Just("text/markdown")],
            "(?s:.{1,40})"
        )
            .prop_map(|(ct, text)| Some((Some(ct), Data::String(text)))),
        (
            prop_oneof![Just(Some("application/octet-stream")), Just(None)],
            vec(any::<u8>(), 1..64)
        )
            .prop_map(|(ct, bytes)| Some((ct, Data::Binary(bytes)))),
    ]
}

fn extension_value() -> impl Strategy<Value = ExtensionValue> {
    prop_oneof![
        text(0).prop_map(ExtensionValue::String),
        any::<i32>().prop_map(|i| ExtensionValue::Integer(i.into())),
        any::<bool>().prop_map(ExtensionValue::Boolean),
    ]
}

prop_compose! {
    fn event()(
        id in text(1),
        source in source(),
        ty in text(1),
        subject in proptest::option::of(text(1)),
        time in proptest::option::of((0_i64..4_102_444_800, 0_u32..1_000_000_000)),
        schema in proptest::option::of("https://example\\.com/schemas/[a-z]{1,8}/v[0-9]\\.json"),
        extensions in btree_map("[a-z][a-z0-9]{0,19}", extension_value(), 0..4),
        data in data(),
    ) -> Event {
        let mut event = Event::default();
        event.set_id(id);
        event.set_source(source);
        event.set_type(ty);
        event.set_subject(subject);
        event.set_time(time.and_then(|(secs, nanos)| DateTime::from_timestamp(secs, nanos)));
        event.set_dataschema(schema.map(|s| url::Url::parse(&s).expect("a URL")));
        let extensions: BTreeMap<_, _> = extensions
            .into_iter()
            .filter(|(name, _)| name != "data" && !CORE_ATTRIBUTES.contains(&name.as_str()))
            .collect();
        for (name, value) in extensions {
            event.set_extension(&name, value);
        }
        if let Some((content_type, data)) = data {
            event.set_datacontenttype(content_type);
            event.set_data_unchecked(data);
        }
        event
    }
}

/// What the receiver should read back: in binary mode extension values arrive as strings and
/// JSON data without a content type is labelled `application/json`, as the JSON format implies.
fn as_received(event: &Event, mode: Mode) -> Event {
    let mut expected = event.clone();
    if mode == Mode::Binary {
        let extensions: Vec<(String, String)> = event
            .iter_extensions()
            .map(|(name, value)| (name.to_owned(), extension_string(value).into_owned()))
            .collect();
        for (name, value) in extensions {
            expected.set_extension(&name, value);
        }
        if event.datacontenttype().is_none() && matches!(event.data(), Some(Data::Json(_))) {
            expected.set_datacontenttype(Some("application/json"));
        }
    }
    expected
}

#[test]
fn arbitrary_valid_events_survive_every_mode_attribute_for_attribute() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let server = runtime.block_on(TestServer::spawn());
    let url = server.url("/events");
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let strategy = (event(), vec(event(), 0..3));
    TestRunner::new(config)
        .run(&strategy, |(event, others)| {
            runtime.block_on(async {
                structured_and_checked(&event);
                for mode in [Mode::Binary, Mode::Structured] {
                    let request = server.client.post(&url);
                    let request = match mode {
                        Mode::Binary => request.cloudevent(&event),
                        _ => request.cloudevent_structured(&event),
                    };
                    let response = request.expect("a valid event").send().await.expect("sent");
                    assert_eq!(
                        response.status(),
                        202,
                        "{mode:?}: {}",
                        response.text().await.unwrap_or_default()
                    );
                    assert_eq!(
                        server.received().await,
                        Incoming::Single(as_received(&event, mode), mode),
                        "{mode:?}"
                    );
                }

                let mut batch = vec![event.clone()];
                batch.extend(others);
                assert_valid_against_spec_schema(&format::batch_to_vec(&batch));
                let response = server
                    .client
                    .post(&url)
                    .cloudevent_batch(&batch)
                    .expect("valid events")
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(response.status(), 202);
                assert_eq!(server.received().await, Incoming::Batch(batch));
            });
            Ok(())
        })
        .expect("every event round-trips");
}

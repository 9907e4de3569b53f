use cloudevents::AttributesReader;
use serde_json::json;

use super::*;

fn decode(value: Value) -> Result<Event, FormatError> {
    from_value(value)
}

fn minimal() -> Value {
    json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"})
}

fn with(extra: Value) -> Value {
    let mut value = minimal();
    if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra) {
        map.extend(extra);
    }
    value
}

#[test]
fn a_minimal_event_decodes_without_data_or_time() {
    let event = decode(minimal()).expect("valid");
    assert_eq!(event.id(), "1");
    assert_eq!(event.time(), None);
    assert_eq!(event.data(), None);
}

#[test]
fn specversion_is_required_and_must_be_1_0() {
    let mut value = minimal();
    value.as_object_mut().map(|m| m.remove("specversion"));
    let err = decode(value).expect_err("missing");
    assert_eq!(err.attribute(), Some("specversion"));
    let err = decode(with(json!({"specversion": "0.3"}))).expect_err("unknown");
    assert!(matches!(
        err,
        FormatError::Attribute {
            source: AttributeError::UnsupportedSpecVersion(_),
            ..
        }
    ));
}

#[test]
fn null_attributes_are_absent() {
    let event = decode(with(json!({"subject": null, "time": null, "ext": null}))).expect("ok");
    assert_eq!(event.subject(), None);
    assert_eq!(event.extension("ext"), None);
}

#[test]
fn data_is_json_when_the_content_type_is_absent_or_json() {
    let event = decode(with(json!({"data": {"a": 1}}))).expect("ok");
    assert_eq!(event.data(), Some(&Data::Json(json!({"a": 1}))));
    let event = decode(with(json!({
        "datacontenttype": "Application/Vnd.Foo+JSON; charset=utf-8",
        "data": "a string"
    })))
    .expect("ok");
    assert_eq!(event.data(), Some(&Data::Json(json!("a string"))));
}

#[test]
fn data_is_a_string_for_other_content_types() {
    let event = decode(with(json!({"datacontenttype": "text/xml", "data": "<a/>"}))).expect("ok");
    assert_eq!(event.data(), Some(&Data::String("<a/>".into())));
    let err = decode(with(
        json!({"datacontenttype": "text/xml", "data": {"a": 1}}),
    ));
    assert!(matches!(err, Err(FormatError::DataNotString { .. })));
}

#[test]
fn data_base64_is_bytes_even_under_a_json_content_type() {
    let event = decode(with(json!({
        "datacontenttype": "application/json",
        "data_base64": "eyJhIjoxfQ=="
    })))
    .expect("ok");
    assert_eq!(event.data(), Some(&Data::Binary(br#"{"a":1}"#.to_vec())));
}

#[test]
fn data_and_data_base64_together_are_rejected() {
    let err = decode(with(json!({"data": 1, "data_base64": "AA=="}))).expect_err("both");
    assert!(matches!(err, FormatError::DataAndDataBase64 { .. }));
    let err = decode(with(json!({"data_base64": "not base64!"}))).expect_err("bad");
    assert_eq!(err.attribute(), Some("data_base64"));
}

#[test]
fn extension_values_follow_the_type_system() {
    let event = decode(with(json!({"s": "x", "i": -5, "b": true}))).expect("ok");
    assert_eq!(
        event.extension("s"),
        Some(&ExtensionValue::String("x".into()))
    );
    assert_eq!(event.extension("i"), Some(&ExtensionValue::Integer(-5)));
    assert_eq!(event.extension("b"), Some(&ExtensionValue::Boolean(true)));
    for bad in [
        json!(1.5),
        json!(2_147_483_648_i64),
        json!([1]),
        json!({"a": 1}),
    ] {
        let err = decode(with(json!({ "ext": bad }))).expect_err("bad value");
        assert_eq!(err.attribute(), Some("ext"));
    }
    let err = decode(with(json!({"Bad-Name": "x"}))).expect_err("bad name");
    assert_eq!(err.attribute(), Some("Bad-Name"));
}

#[test]
fn wrong_types_empty_values_and_bad_times_name_the_attribute() {
    for (value, attribute) in [
        (with(json!({"id": 5})), "id"),
        (with(json!({"id": ""})), "id"),
        (with(json!({"source": ""})), "source"),
        (with(json!({"time": "yesterday"})), "time"),
        (with(json!({"dataschema": "relative/path"})), "dataschema"),
        (
            with(json!({"datacontenttype": "nonsense"})),
            "datacontenttype",
        ),
        (with(json!({"subject": ""})), "subject"),
    ] {
        let err = decode(value).expect_err(attribute);
        assert_eq!(err.attribute(), Some(attribute), "{err}");
    }
}

#[test]
fn batch_errors_carry_the_index() {
    let err = batch_from_value(json!([minimal(), {"id": "x"}])).expect_err("bad");
    assert_eq!(err.index(), Some(1));
    assert!(
        err.to_string().starts_with("event 1 of the batch: "),
        "{err}"
    );
    let err = batch_from_value(json!([minimal(), 5])).expect_err("bad");
    assert!(matches!(
        err,
        FormatError::NotAnObject { index: Some(1), .. }
    ));
    let err = batch_from_value(minimal()).expect_err("not an array");
    assert!(matches!(err, FormatError::NotAnArray { .. }));
    assert_eq!(batch_from_value(json!([])).expect("empty").len(), 0);
}

#[test]
fn encoding_writes_data_by_its_runtime_type() {
    let mut event = decode(minimal()).expect("ok");
    event.set_data("application/octet-stream", vec![0_u8, 1, 2]);
    assert_eq!(to_value(&event)["data_base64"], "AAEC");
    event.set_data("text/plain", json!({"a": 1}));
    assert_eq!(to_value(&event)["data"], r#"{"a":1}"#);
    event.set_data("application/json", r#"{"a":1}"#);
    assert_eq!(to_value(&event)["data"], json!({"a": 1}));
    event.set_data("application/json", "not json");
    assert_eq!(to_value(&event)["data"], "not json");
}

#[test]
fn an_encoded_event_decodes_to_itself() {
    let value = with(json!({
        "time": "2018-04-05T17:31:00.123Z",
        "subject": "Euro € 😀",
        "dataschema": "https://example.com/schema.json",
        "datacontenttype": "application/json",
        "n": 7,
        "data": {"x": [1, "two", null]}
    }));
    let event = decode(value.clone()).expect("ok");
    assert_eq!(to_value(&event), value);
    assert_eq!(from_slice(&to_vec(&event)).expect("decodes"), event);
    let batch = vec![event.clone(), event];
    assert_eq!(
        batch_from_slice(&batch_to_vec(&batch)).expect("decodes"),
        batch
    );
}

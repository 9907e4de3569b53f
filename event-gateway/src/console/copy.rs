//! The lines an event's page offers to copy: the curl command that posts it (binary or
//! structured mode, encoded by shared-events' binding, so exactly what the gateway would
//! deliver) and the `cectl send` command that rebuilds it. Both are in the same shape as
//! `cectl build -o curl` prints; with API tokens configured they read the token from
//! `$CECTL_TOKEN` rather than carrying it.

use shared_events::http::curl::{self, shell_quote};
use shared_events::http::{self as binding, Mode, media_type};
use shared_events::{AttributesReader, Data, Event};

/// The curl command that POSTs `event` to `url` in `mode`; `Err` says why it cannot be one
/// line (binary data in binary mode).
pub fn curl_line(url: &str, event: &Event, mode: Mode, token: bool) -> Result<String, String> {
    let (headers, body) = binding::encode(event, mode).map_err(|e| e.to_string())?;
    curl::curl_line(url, &headers, &body, token).map_err(|_| {
        "binary data cannot be a shell argument: copy the structured line (data_base64)".to_owned()
    })
}

/// The `cectl send` command that rebuilds `event` and sends it to the gateway at `gateway`;
/// `Err` says why it cannot (binary data).
pub fn cectl_line(gateway: &str, event: &Event) -> Result<String, String> {
    let mut out = format!(
        "cectl --gateway {} send -t {} -s {} --id {}",
        shell_quote(gateway),
        shell_quote(event.ty()),
        shell_quote(&event.source().to_string()),
        shell_quote(event.id())
    );
    if let Some(subject) = event.subject() {
        out.push_str(&format!(" --subject {}", shell_quote(subject)));
    }
    if let Some(time) = event.time() {
        out.push_str(&format!(
            " --time {}",
            shell_quote(&time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        ));
    }
    let content_type = event.datacontenttype();
    if let Some(ct) = content_type.filter(|ct| !media_type::is_json(ct)) {
        out.push_str(&format!(" --content-type {}", shell_quote(ct)));
    }
    let mut extensions: Vec<(&str, String)> = event
        .iter_extensions()
        .map(|(name, value)| (name, value.to_string()))
        .collect();
    extensions.sort();
    for (name, value) in extensions {
        out.push_str(&format!(
            " --ext {}",
            shell_quote(&format!("{name}={value}"))
        ));
    }
    let data = match event.data() {
        None => None,
        Some(Data::Json(value)) => Some(value.to_string()),
        Some(Data::String(text)) => Some(text.clone()),
        Some(Data::Binary(bytes)) => Some(String::from_utf8(bytes.clone()).map_err(|_| {
            "binary data cannot be given to cectl on the command line: save it to a file and \
             use --data @FILE"
                .to_owned()
        })?),
    };
    if let Some(data) = data {
        out.push_str(&format!(" --data {}", shell_quote(&data)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_events::{EventBuilder, EventBuilderV10};

    fn event() -> Event {
        EventBuilderV10::new()
            .id("it's-1")
            .source("/tests")
            .ty("com.acme.thing.done.v1")
            .subject("Euro €")
            .extension("partitionkey", "k-1")
            .data("application/json", serde_json::json!({"a": "b c"}))
            .build()
            .expect("an event")
    }

    #[test]
    fn a_binary_curl_line_carries_every_attribute_as_a_quoted_header() {
        let line = curl_line(
            "http://127.0.0.1:8080/events",
            &event(),
            Mode::Binary,
            false,
        )
        .expect("a line");
        assert!(line.starts_with("curl -i -X POST http://127.0.0.1:8080/events -H 'Content-Type: application/json' -H 'ce-specversion: 1.0' -H 'ce-id: it'\\''s-1'"), "{line}");
        assert!(line.contains("-H 'ce-subject: Euro%20%E2%82%AC'"), "{line}");
        assert!(line.contains("-H 'ce-partitionkey: k-1'"), "{line}");
        assert!(line.ends_with(r#"--data-binary '{"a":"b c"}'"#), "{line}");
    }

    #[test]
    fn a_structured_curl_line_carries_the_event_as_its_body() {
        let line = curl_line("http://h/events", &event(), Mode::Structured, true).expect("a line");
        assert!(
            line.contains("-H 'Content-Type: application/cloudevents+json"),
            "{line}"
        );
        assert!(
            line.contains(r#"-H "Authorization: Bearer $CECTL_TOKEN""#),
            "{line}"
        );
        assert!(line.contains(r#""subject":"Euro €""#), "{line}");
    }

    #[test]
    fn the_cectl_line_rebuilds_the_event() {
        let line = cectl_line("http://127.0.0.1:8080", &event()).expect("a line");
        assert_eq!(
            line,
            "cectl --gateway http://127.0.0.1:8080 send -t com.acme.thing.done.v1 -s /tests \
             --id 'it'\\''s-1' --subject 'Euro €' --ext partitionkey=k-1 --data '{\"a\":\"b c\"}'"
        );
    }
}

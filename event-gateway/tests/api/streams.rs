//! The gateway as a stream: paging by cursor, identity lookup, one event with its deliveries,
//! the delivery log, and the SSE stream (events, and with `include=deliveries` attempts too)
//! resuming with `Last-Event-ID`.

use std::time::Duration;

use futures::StreamExt as _;
use http::StatusCode;
use serde_json::{Value, json};
use shared_events::{AttributesReader, Event};

use crate::helpers::{
    Backend, Reply, TestApp, TestReceiver, event, on_both_backends, spawn_app_on, wait_for,
};

on_both_backends!(
    paging_through_10000_events_returns_each_once_in_order,
    one_event_shows_where_it_went_per_subscription,
    the_sse_stream_resumes_after_a_dropped_connection_without_gaps_or_repeats,
    the_delivery_log_lists_every_attempt_in_order_and_pages_by_id,
    the_sse_stream_carries_delivery_attempts_and_resumes_between_an_event_and_its_attempts,
);

/// Posts `n` events `prefix-0` … in batches of 500, in order.
pub async fn post_numbered(app: &TestApp, prefix: &str, n: usize, ty: &str) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}-{i}")).collect();
    for chunk in ids.chunks(500) {
        let events: Vec<Event> = chunk.iter().map(|id| event(id, ty)).collect();
        let response = app.post_batch(&events).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    ids
}

fn ids_of(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .expect("an events list")
        .iter()
        .map(|e| e["event"]["id"].as_str().expect("an id").to_owned())
        .collect()
}

async fn paging_through_10000_events_returns_each_once_in_order(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let sent = post_numbered(&app, "page", 10_000, "com.acme.paged.v1").await;
    let mut read = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => format!("/events?limit=1000&after={cursor}"),
            None => "/events?limit=1000".to_owned(),
        };
        let page = app.get_json(&path).await;
        let ids = ids_of(&page);
        if ids.is_empty() {
            // At the end, `next` stays where the reader is.
            assert_eq!(page["next"].as_str(), after.as_deref());
            break;
        }
        read.extend(ids);
        after = Some(page["next"].as_str().expect("a next cursor").to_owned());
    }
    assert_eq!(read, sent, "every event once, in ingest order");

    // A filter reads past what it skips; `next` lets the reader go on.
    let mut matched = Vec::new();
    let mut after = String::new();
    loop {
        let filter = "id LIKE '%7'";
        let page = app
            .client
            .get(format!("{}/events", app.address))
            .query(&[("limit", "300"), ("filter", filter)])
            .query(&if after.is_empty() {
                vec![]
            } else {
                vec![("after", after.as_str())]
            })
            .send()
            .await
            .expect("answers");
        let page: Value = page.json().await.expect("JSON");
        let ids = ids_of(&page);
        if ids.is_empty() {
            break;
        }
        matched.extend(ids);
        after = page["next"].as_str().expect("next").to_owned();
    }
    let expected: Vec<String> = sent
        .iter()
        .filter(|id| id.ends_with('7'))
        .cloned()
        .collect();
    assert_eq!(matched, expected);

    let found = app.get_json("/events?source=/tests&id=page-4242").await;
    assert_eq!(ids_of(&found), ["page-4242"]);
    let none = app.get_json("/events?source=/tests&id=nope").await;
    assert_eq!(ids_of(&none), Vec::<String>::new());
    let bad = app.get("/events?after=not-a-cursor").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad = app.get("/events?filter=type%20%3D").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

async fn one_event_shows_where_it_went_per_subscription(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut good = TestReceiver::start().await;
    let bad = TestReceiver::scripted(vec![Reply::Status(500), Reply::Status(500)]).await;
    app.subscribe(json!({"id": "good", "sink": good.url})).await;
    app.subscribe(
        json!({"id": "bad", "sink": bad.url, "delivery": {"retry": 1, "backoffDelay": "PT0.01S"}}),
    )
    .await;
    app.post_event(&event("detail-1", "com.acme.detail.v1"))
        .await;
    good.next().await;
    app.wait_for_dead_letter("bad").await;
    let found = app.get_json("/events?source=/tests&id=detail-1").await;
    let cursor = found["events"][0]["cursor"].as_str().expect("a cursor");
    let detail = app.get_json(&format!("/events/{cursor}")).await;
    assert_eq!(detail["event"]["id"], "detail-1");
    let deliveries = detail["deliveries"].as_array().expect("deliveries");
    let of = |id: &str| {
        deliveries
            .iter()
            .find(|d| d["subscription"] == id)
            .unwrap_or_else(|| panic!("a delivery to {id} in {deliveries:?}"))
            .clone()
    };
    assert_eq!(of("good")["status"], "delivered");
    assert_eq!(of("good")["attempts"], 1);
    assert_eq!(of("bad")["status"], "dead_lettered");
    assert_eq!(of("bad")["attempts"], 2);
    assert_eq!(of("bad")["history"][0]["status"], 500);
    let missing = app.get("/events/AAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// One SSE event: its `id`, its type (`cloudevent` or `delivery`) and the JSON it carries.
struct SseItem {
    id: String,
    kind: String,
    event: Value,
}

/// Reads `n` SSE events from `GET /events/stream`, starting as the query and `last_id` say,
/// then drops the connection.
async fn read_stream(app: &TestApp, query: &str, last_id: Option<&str>, n: usize) -> Vec<SseItem> {
    let mut request = app
        .client
        .get(format!("{}/events/stream?{query}", app.address));
    if let Some(id) = last_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.expect("the stream opens");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("text")
            .starts_with("text/event-stream")
    );
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut items = Vec::new();
    let read = async {
        while items.len() < n {
            let chunk = body
                .next()
                .await
                .expect("the stream stays open")
                .expect("bytes");
            buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let (mut id, mut data, mut kind) = (None, String::new(), None);
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = Some(v.trim().to_owned());
                    }
                }
                if let (Some(id), Some(kind)) = (id, kind) {
                    let event = serde_json::from_str(&data).expect("JSON data");
                    items.push(SseItem { id, kind, event });
                }
            }
        }
    };
    tokio::time::timeout(crate::helpers::DEADLINE, read)
        .await
        .expect("the events within the deadline");
    items.truncate(n);
    items
}

async fn the_sse_stream_resumes_after_a_dropped_connection_without_gaps_or_repeats(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let first = post_numbered(&app, "sse-a", 50, "com.acme.sse.v1").await;
    let head = read_stream(&app, "from=earliest", None, 20).await;
    assert!(head.iter().all(|i| i.kind == "cloudevent"));
    let seen: Vec<String> = head
        .iter()
        .map(|i| i.event["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(seen, first[..20]);
    // Dropped after 20; 50 more arrive while the client is away.
    let second = post_numbered(&app, "sse-b", 50, "com.acme.sse.v1").await;
    let last = head.last().expect("an event").id.clone();
    let resumed = read_stream(&app, "from=earliest", Some(&last), 80).await;
    let rest: Vec<String> = resumed
        .iter()
        .map(|i| i.event["id"].as_str().expect("id").to_owned())
        .collect();
    let expected: Vec<String> = first[20..].iter().chain(&second).cloned().collect();
    assert_eq!(rest, expected, "no gap, no repeat");
    // `from=latest` starts after what is there: only what comes next.
    let app = std::sync::Arc::new(app);
    let live = tokio::spawn({
        let app = app.clone();
        async move { read_stream(&app, "from=latest", None, 1).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.post_event(&event("sse-live", "com.acme.sse.v1")).await;
    let live = live.await.expect("the reader");
    assert_eq!(live[0].event["id"], "sse-live");
    let app = std::sync::Arc::into_inner(app).expect("the only handle");
    app.stop().await;
}

async fn the_delivery_log_lists_every_attempt_in_order_and_pages_by_id(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut good = TestReceiver::start().await;
    let bad = TestReceiver::scripted(vec![Reply::Status(500), Reply::Status(503)]).await;
    app.subscribe(json!({"id": "good", "sink": good.url})).await;
    app.subscribe(
        json!({"id": "bad", "sink": bad.url, "delivery": {"retry": 1, "backoffDelay": "PT0.01S"}}),
    )
    .await;
    app.post_event(&event("log-1", "com.acme.log.v1")).await;
    good.next().await;
    app.wait_for_dead_letter("bad").await;
    let log = wait_for(|| async {
        let page = app.get_json("/deliveries").await;
        (page["deliveries"].as_array().map(Vec::len) == Some(3)).then_some(page)
    })
    .await;
    let entries = log["deliveries"].as_array().expect("a list");
    let ids: Vec<i64> = entries
        .iter()
        .map(|a| a["id"].as_i64().expect("an id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending: {ids:?}");
    assert_eq!(log["next"], ids[2]);
    let found = app.get_json("/events?source=/tests&id=log-1").await;
    let cursor = &found["events"][0]["cursor"];
    for attempt in entries {
        assert_eq!(&attempt["cursor"], cursor);
        assert_eq!(
            attempt["event"],
            json!({"id": "log-1", "source": "/tests", "type": "com.acme.log.v1"})
        );
        assert!(attempt["latencyMs"].is_u64() && attempt["time"].is_string());
    }
    let of = |sub: &str| -> Vec<(u64, String, Value)> {
        entries
            .iter()
            .filter(|a| a["subscription"] == sub)
            .map(|a| {
                (
                    a["attempt"].as_u64().expect("attempt"),
                    a["outcome"].as_str().expect("outcome").to_owned(),
                    a["status"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(of("good"), [(1, "delivered".to_owned(), json!(202))]);
    assert_eq!(
        of("bad"),
        [
            (1, "retry".to_owned(), json!(500)),
            (2, "dead_lettered".to_owned(), json!(503))
        ]
    );

    let only_bad = app.get_json("/deliveries?subscription=bad").await;
    assert_eq!(only_bad["deliveries"].as_array().map(Vec::len), Some(2));
    assert!(
        only_bad["deliveries"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|a| a["subscription"] == "bad")
    );
    // Page by page: `next` is the last id read, and stays put at the end.
    let mut after = None;
    let mut paged = Vec::new();
    loop {
        let path = match after {
            Some(id) => format!("/deliveries?limit=2&after={id}"),
            None => "/deliveries?limit=2".to_owned(),
        };
        let page = app.get_json(&path).await;
        let got = page["deliveries"].as_array().expect("a list").clone();
        if got.is_empty() {
            assert_eq!(page["next"], after.map_or(Value::Null, Value::from));
            break;
        }
        assert!(got.len() <= 2);
        paged.extend(got.iter().map(|a| a["id"].as_i64().expect("an id")));
        after = page["next"].as_i64();
    }
    assert_eq!(paged, ids);
    let none = app.get_json("/deliveries?subscription=nobody").await;
    assert_eq!(none["deliveries"], json!([]));
    let bad_request = app.get("/deliveries?subscription=a%20b").await;
    assert_eq!(bad_request.status(), StatusCode::BAD_REQUEST);
    let bad_request = app.get("/deliveries?after=x").await;
    assert_eq!(bad_request.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

async fn the_sse_stream_carries_delivery_attempts_and_resumes_between_an_event_and_its_attempts(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut good = TestReceiver::start().await;
    app.subscribe(json!({"id": "good", "sink": good.url})).await;
    app.post_event(&event("d-1", "com.acme.sse.v1")).await;
    good.next().await;
    wait_for(|| async {
        let page = app.get_json("/deliveries").await;
        (page["deliveries"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    // On PostgreSQL an event becomes readable once no older transaction on the server is
    // running (see `Cursor`); the delivery log has no such horizon.
    wait_for(|| async {
        let page = app.get_json("/events").await;
        (page["events"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    let query = "from=earliest&include=deliveries";
    let items = read_stream(&app, query, None, 2).await;
    assert_eq!(items[0].kind, "cloudevent");
    assert_eq!(items[0].event["id"], "d-1");
    assert_eq!(items[1].kind, "delivery");
    // The same entry as the delivery log's.
    let log = app.get_json("/deliveries").await;
    assert_eq!(items[1].event, log["deliveries"][0]);
    assert_eq!(items[1].event["subscription"], "good");
    assert_eq!(items[1].event["outcome"], "delivered");
    assert_eq!(items[1].event["event"]["id"], "d-1");
    assert_ne!(items[0].id, items[1].id, "each item has its own position");

    // Resuming after the event gives its attempt next, not the event again.
    let resumed = read_stream(&app, query, Some(&items[0].id), 1).await;
    assert_eq!(resumed[0].kind, "delivery");
    assert_eq!(resumed[0].id, items[1].id);
    // Resuming after the attempt gives only what is new: the next event and its attempt.
    let app = std::sync::Arc::new(app);
    let last = items[1].id.clone();
    let live = tokio::spawn({
        let app = app.clone();
        async move { read_stream(&app, query, Some(&last), 2).await }
    });
    app.post_event(&event("d-2", "com.acme.sse.v1")).await;
    good.next().await;
    let live = live.await.expect("the reader");
    let mut live: Vec<_> = live
        .iter()
        .map(|i| {
            (
                i.kind.as_str(),
                i.event["event"]["id"].as_str().or(i.event["id"].as_str()),
            )
        })
        .collect();
    // In that order on SQLite; on PostgreSQL the attempt may come first (the horizon above).
    live.sort();
    assert_eq!(
        live,
        [("cloudevent", Some("d-2")), ("delivery", Some("d-2"))]
    );
    // Without include=deliveries, only events; a bad include is refused.
    let plain = read_stream(&app, "from=earliest", None, 2).await;
    assert!(plain.iter().all(|i| i.kind == "cloudevent"));
    let refused = app.get("/events/stream?include=attempts").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let app = std::sync::Arc::into_inner(app).expect("the only handle");
    app.stop().await;
}

/// The ids a receiver got, in order, until it has `n` (failing after the deadline).
pub async fn ids_received(receiver: &mut TestReceiver, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        ids.push(receiver.next().await.event.id().to_owned());
    }
    ids
}

//! `POST /events`: the CloudEvents receiver (binary, structured or batched mode; a batch is
//! handled in order, event by event, and answered 202 when every event was). It only turns an
//! incoming CloudEvent into an internal event (event bus) or a query (command bus):
//! - `payment.created.v1`, `payment.declined.v1`, `payment.refunded.v1` → 202 once recorded;
//!   a redelivery (same `source` and `id`) is 202 and changes nothing;
//! - `order.get.v1` → 200 with `order.state.v1` in the request's mode, 404 for an unknown order;
//! - another catalog type → 202, counted, ignored; a type outside the catalog → 400 naming the
//!   supported types; a malformed event → 400 (from the binding).

use crate::domain::Incoming;
use crate::domain::event::{PaymentCreated, PaymentDeclined, PaymentRefunded};
use crate::domain::query::GetOrder;
use crate::error::ApiError;
use crate::startup::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use http::StatusCode;
use shared_events::catalog::{
    self, CatalogType, OrderGetV1, OrderStateV1, PaymentCreatedV1, PaymentDeclinedV1,
    PaymentRefundedV1,
};
use shared_events::http::Incoming as Received;
use shared_events::http::Mode;
use shared_events::http::axum::CloudEventResponse;
use shared_events::trace::{TRACEPARENT, Traceparent};
use shared_events::{AttributesReader, Event, Problem};

/// The types this service acts on.
pub const HANDLED_TYPES: &[&str] = &[
    PaymentCreatedV1::TYPE,
    PaymentDeclinedV1::TYPE,
    PaymentRefundedV1::TYPE,
    OrderGetV1::TYPE,
];

/// The receiver route.
pub fn router() -> Router<AppState> {
    Router::new().route("/events", post(receive_events))
}

fn incoming(event: &Event) -> Incoming {
    Incoming {
        source: event.source().to_string(),
        id: event.id().to_owned(),
        time: event.time().copied().unwrap_or_else(Utc::now),
        traceparent: trace_of(event),
    }
}

fn trace_of(event: &Event) -> Option<Traceparent> {
    event
        .extension(TRACEPARENT)
        .and_then(|v| Traceparent::parse(&v.to_string()).ok())
}

/// What handling one event produced.
enum Handled {
    /// Acted on (or acknowledged): 202.
    Accepted,
    /// A query's reply event.
    Reply(Box<Event>),
}

async fn receive_events(
    State(state): State<AppState>,
    received: Received,
) -> Result<Response, ApiError> {
    match received {
        Received::Single(event, mode) => match handle_event(&state, event).await? {
            Handled::Accepted => Ok(StatusCode::ACCEPTED.into_response()),
            Handled::Reply(reply) => {
                let mode = if mode == Mode::Structured {
                    Mode::Structured
                } else {
                    Mode::Binary
                };
                Ok(CloudEventResponse::new(*reply, mode).into_response())
            }
        },
        Received::Batch(events) => {
            if events.iter().any(|e| e.ty() == OrderGetV1::TYPE) {
                return Err(ApiError::Validation(
                    "a query is answered in its own response; send it in binary or structured mode, not in a batch".to_owned(),
                ));
            }
            // Each subject's events in batch order (a relay's batch holds each aggregate's
            // events in stream order); different subjects concurrently.
            let mut by_subject: Vec<(Option<String>, Vec<Event>)> = Vec::new();
            for event in events {
                let subject = event.subject().map(str::to_owned);
                match by_subject.iter_mut().find(|(s, _)| *s == subject) {
                    Some((_, list)) => list.push(event),
                    None => by_subject.push((subject, vec![event])),
                }
            }
            let state = &state;
            let results =
                futures::future::join_all(by_subject.into_iter().map(|(_, events)| async move {
                    for event in events {
                        handle_event(state, event).await?;
                    }
                    Ok::<(), ApiError>(())
                }))
                .await;
            results.into_iter().collect::<Result<(), ApiError>>()?;
            Ok(StatusCode::ACCEPTED.into_response())
        }
    }
}

#[tracing::instrument(skip_all, fields(event_id = event.id(), event_type = event.ty(), subject = event.subject()))]
async fn handle_event(state: &AppState, event: Event) -> Result<Handled, ApiError> {
    let event_type = event.ty().to_owned();
    metrics::counter!("order_events_received_total", "type" => event_type.clone()).increment(1);
    match event_type.as_str() {
        PaymentCreatedV1::TYPE => {
            let data = catalog::decode::<PaymentCreatedV1>(&event)?;
            state
                .events
                .publish(&PaymentCreated {
                    incoming: incoming(&event),
                    data,
                })
                .await?;
        }
        PaymentDeclinedV1::TYPE => {
            let data = catalog::decode::<PaymentDeclinedV1>(&event)?;
            state
                .events
                .publish(&PaymentDeclined {
                    incoming: incoming(&event),
                    data,
                })
                .await?;
        }
        PaymentRefundedV1::TYPE => {
            let data = catalog::decode::<PaymentRefundedV1>(&event)?;
            state
                .events
                .publish(&PaymentRefunded {
                    incoming: incoming(&event),
                    data,
                })
                .await?;
        }
        OrderGetV1::TYPE => {
            let query = catalog::decode::<OrderGetV1>(&event)?;
            let order = state
                .commands
                .dispatch(GetOrder {
                    order_id: query.order_id,
                })
                .await?
                .ok_or_else(|| ApiError::not_found(query.order_id))?;
            let reply = OrderStateV1 {
                order_id: order.id,
                status: order.status,
                total_cents: order.total_cents,
                currency: order.currency,
                version: order.version,
            };
            let trace = trace_of(&event).map_or_else(Traceparent::generate, |t| t.child());
            let reply = state.producer.event(&reply, &trace);
            return Ok(Handled::Reply(Box::new(reply)));
        }
        other if catalog::lookup(other).is_some() => {
            metrics::counter!("order_events_ignored_total", "type" => event_type.clone())
                .increment(1);
        }
        other => {
            return Err(ApiError::from(
                Problem::bad_request(format!(
                    "`{other}` is not a type of the catalog; order-service handles {}",
                    HANDLED_TYPES.join(", ")
                ))
                .with("attribute", "type")
                .with("supported_types", HANDLED_TYPES.to_vec()),
            ));
        }
    }
    Ok(Handled::Accepted)
}

//! `POST /events`: the CloudEvents receiver (binary, structured or batched mode; a batch is
//! handled in order, event by event, and answered 202 when every event was). It only turns an
//! incoming CloudEvent into a command or query on the command bus:
//! - `payment.make.v1`, `payment.refund.v1` → 202 once handled; a redelivery (same `source` and
//!   `id`) is 202 and changes nothing;
//! - `payment.get.v1` → 200 with `payment.state.v1` in the request's mode, 404 when the order has
//!   no payment;
//! - another catalog type → 202, counted, ignored; a type outside the catalog → 400 naming the
//!   supported types; a malformed event → 400 (from the binding).

use crate::domain::Incoming;
use crate::domain::command::{MakePayment, RefundPayment};
use crate::domain::query::GetPayment;
use crate::error::ApiError;
use crate::startup::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::StatusCode;
use shared_events::catalog::{self, CatalogType, PaymentGetV1, PaymentMakeV1, PaymentRefundV1};
use shared_events::http::Incoming as Received;
use shared_events::http::Mode;
use shared_events::http::axum::CloudEventResponse;
use shared_events::trace::{TRACEPARENT, Traceparent};
use shared_events::{AttributesReader, Event, Problem};

/// The types this service acts on.
pub const HANDLED_TYPES: &[&str] = &[
    PaymentMakeV1::TYPE,
    PaymentRefundV1::TYPE,
    PaymentGetV1::TYPE,
];

/// The receiver route.
pub fn router() -> Router<AppState> {
    Router::new().route("/events", post(receive_events))
}

fn trace_of(event: &Event) -> Option<Traceparent> {
    event
        .extension(TRACEPARENT)
        .and_then(|v| Traceparent::parse(&v.to_string()).ok())
}

fn incoming(event: &Event) -> Incoming {
    Incoming {
        source: event.source().to_string(),
        id: event.id().to_owned(),
        traceparent: trace_of(event),
    }
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
            if events.iter().any(|e| e.ty() == PaymentGetV1::TYPE) {
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
    metrics::counter!("payment_events_received_total", "type" => event_type.clone()).increment(1);
    match event_type.as_str() {
        PaymentMakeV1::TYPE => {
            let data = catalog::decode::<PaymentMakeV1>(&event)?;
            state
                .commands
                .dispatch(MakePayment {
                    incoming: incoming(&event),
                    data,
                })
                .await?;
        }
        PaymentRefundV1::TYPE => {
            let data = catalog::decode::<PaymentRefundV1>(&event)?;
            state
                .commands
                .dispatch(RefundPayment {
                    incoming: incoming(&event),
                    data,
                })
                .await?;
        }
        PaymentGetV1::TYPE => {
            let query = catalog::decode::<PaymentGetV1>(&event)?;
            let payment = state
                .commands
                .dispatch(GetPayment {
                    order_id: query.order_id,
                })
                .await?
                .ok_or_else(|| {
                    ApiError::not_found(format!("order {} has no payment", query.order_id))
                })?;
            let trace = trace_of(&event).map_or_else(Traceparent::generate, |t| t.child());
            let reply = state.producer.event(&payment.state(), &trace);
            return Ok(Handled::Reply(Box::new(reply)));
        }
        other if catalog::lookup(other).is_some() => {
            metrics::counter!("payment_events_ignored_total", "type" => event_type.clone())
                .increment(1);
        }
        other => {
            return Err(ApiError::from(
                Problem::bad_request(format!(
                    "`{other}` is not a type of the catalog; payment-service handles {}",
                    HANDLED_TYPES.join(", ")
                ))
                .with("attribute", "type")
                .with("supported_types", HANDLED_TYPES.to_vec()),
            ));
        }
    }
    Ok(Handled::Accepted)
}

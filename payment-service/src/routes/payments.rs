//! `/payments`: read one (`GET /payments/{id}`) or an order's (`GET /payments?order_id=`).

use super::QueryParams;
use crate::error::ApiError;
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use shared_events::catalog::values::{OrderId, PaymentId};

/// The `/payments` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/payments", get(list_payments))
        .route("/payments/{id}", get(get_payment))
}

async fn get_payment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let payment_id: PaymentId = id
        .parse()
        .map_err(|_| ApiError::Validation(format!("`{id}` is not a payment id (a UUID)")))?;
    let payment = state
        .payments
        .store()
        .payment(payment_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("payment {payment_id} does not exist")))?;
    Ok(Json(json!(payment)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    order_id: Option<String>,
}

async fn list_payments(
    State(state): State<AppState>,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let Some(raw) = params.order_id else {
        return Err(ApiError::Validation(
            "order_id is required: GET /payments?order_id=…".to_owned(),
        ));
    };
    let order_id: OrderId = raw
        .parse()
        .map_err(|_| ApiError::Validation(format!("`{raw}` is not an order id (a UUID)")))?;
    let payments: Vec<_> = state
        .payments
        .payment_of_order(order_id)
        .await?
        .into_iter()
        .collect();
    Ok(Json(json!({ "payments": payments })))
}

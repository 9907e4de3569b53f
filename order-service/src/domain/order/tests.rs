use super::decide::{NewOrder, PlaceError, place};
use super::*;
use shared_events::catalog::values::{Quantity, Reason, Sku};

fn new_order(price: i64, quantity: u32) -> NewOrder {
    NewOrder {
        order_id: OrderId::new(),
        customer_id: CustomerId::try_from("c-1").expect("valid"),
        items: vec![LineItem {
            sku: Sku::try_from("SKU-1").expect("valid"),
            quantity: Quantity::try_from(quantity).expect("valid"),
            unit_price_cents: AmountCents::try_from(price).expect("valid"),
        }],
        currency: Currency::try_from("EUR").expect("valid"),
    }
}

fn record(events: Vec<OrderEvent>) -> Vec<Recorded> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Recorded {
            version: i as u64 + 1,
            time: Utc::now(),
            event,
        })
        .collect()
}

fn extend(stream: &mut Vec<Recorded>, events: Vec<OrderEvent>) {
    for event in events {
        let version = stream.len() as u64 + 1;
        stream.push(Recorded {
            version,
            time: Utc::now(),
            event,
        });
    }
}

fn payment(order: &Order) -> PaymentCreatedV1 {
    PaymentCreatedV1 {
        payment_id: PaymentId::new(),
        order_id: order.id,
        amount_cents: order.total_cents,
        currency: order.currency.clone(),
    }
}

#[test]
fn placing_an_order_emits_both_created_versions_and_the_payment_command() {
    let events = place(&new_order(250, 4), true).expect("valid order");
    let types: Vec<_> = events.iter().map(OrderEvent::event_type).collect();
    assert_eq!(
        types,
        [
            "com.example.order.created.v1",
            "com.example.order.created.v2",
            "com.example.payment.make.v1"
        ]
    );
    let order = fold(&record(events)).expect("created");
    assert_eq!(order.status, OrderStatus::PendingPayment);
    assert_eq!(order.total_cents.get(), 1000);
    assert_eq!(order.version, 3);
}

#[test]
fn an_order_folds_the_same_from_the_v2_event_alone() {
    let with_v1 = fold(&record(place(&new_order(99, 3), true).expect("valid"))).expect("created");
    let mut without = record(place(&new_order(99, 3), false).expect("valid"));
    assert_eq!(without.len(), 2);
    for r in &mut without {
        if let OrderEvent::CreatedV2(c) = &mut r.event {
            c.order_id = with_v1.id;
        }
    }
    let v2 = fold(&without).expect("created");
    assert_eq!(
        (v2.customer_id, v2.items, v2.total_cents),
        (with_v1.customer_id, with_v1.items, with_v1.total_cents)
    );
}

#[test]
fn an_overflowing_total_or_no_items_is_refused() {
    assert_eq!(
        place(&new_order(i64::MAX, 2), true),
        Err(PlaceError::TotalOverflow)
    );
    let mut empty = new_order(1, 1);
    empty.items.clear();
    assert_eq!(place(&empty, true), Err(PlaceError::NoItems));
}

#[test]
fn a_payment_makes_a_pending_order_paid() {
    let mut stream = record(place(&new_order(100, 1), true).expect("valid"));
    let order = fold(&stream).expect("created");
    let charged = payment(&order);
    let reaction = order.on_payment_created(&charged);
    extend(
        &mut stream,
        vec![OrderEvent::PaymentCreated(charged.clone())],
    );
    extend(&mut stream, reaction);
    let paid = fold(&stream).expect("exists");
    assert_eq!(paid.status, OrderStatus::Paid);
    assert_eq!(paid.payment_id, Some(charged.payment_id));
    assert_eq!(paid.version, 5);
    assert!(
        paid.on_payment_created(&charged).is_empty(),
        "the same payment twice changes nothing"
    );
}

#[test]
fn cancelling_a_paid_order_compensates_and_ends_cancelled_after_the_refund() {
    let mut stream = record(place(&new_order(100, 1), true).expect("valid"));
    let order = fold(&stream).expect("created");
    let charged = payment(&order);
    extend(
        &mut stream,
        vec![OrderEvent::PaymentCreated(charged.clone())],
    );
    extend(&mut stream, order.on_payment_created(&charged));
    let paid = fold(&stream).expect("exists");
    let cancel = paid.cancel(None);
    assert!(matches!(
        cancel.as_slice(),
        [OrderEvent::RefundRequested(_)]
    ));
    extend(&mut stream, cancel);
    let cancelling = fold(&stream).expect("exists");
    assert_eq!(cancelling.status, OrderStatus::Cancelling);
    assert!(
        cancelling.cancel(None).is_empty(),
        "a second cancel asks for no second refund"
    );
    let refunded = PaymentRefundedV1 {
        payment_id: charged.payment_id,
        order_id: order.id,
    };
    let reaction = cancelling.on_payment_refunded(&refunded);
    extend(&mut stream, vec![OrderEvent::Refunded(refunded)]);
    extend(&mut stream, reaction);
    let cancelled = fold(&stream).expect("exists");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(cancelled.refunded);
}

#[test]
fn a_declined_payment_cancels_a_pending_order() {
    let mut stream = record(place(&new_order(100, 1), true).expect("valid"));
    let order = fold(&stream).expect("created");
    let declined = PaymentDeclinedV1 {
        order_id: order.id,
        reason: Reason::try_from("over the limit").expect("valid"),
    };
    extend(&mut stream, order.on_payment_declined(&declined));
    assert_eq!(
        fold(&stream).expect("exists").status,
        OrderStatus::Cancelled
    );
}

#[test]
fn a_payment_for_an_order_cancelled_before_it_arrived_is_refunded() {
    let mut stream = record(place(&new_order(100, 1), true).expect("valid"));
    let order = fold(&stream).expect("created");
    extend(&mut stream, order.cancel(None));
    let cancelled = fold(&stream).expect("exists");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    let charged = payment(&cancelled);
    assert!(matches!(
        cancelled.on_payment_created(&charged).as_slice(),
        [OrderEvent::RefundRequested(r)] if r.payment_id == charged.payment_id
    ));
}

#[test]
fn the_fold_of_a_prefix_is_the_state_at_that_version() {
    let mut stream = record(place(&new_order(100, 1), true).expect("valid"));
    let order = fold(&stream).expect("created");
    extend(&mut stream, order.cancel(None));
    assert_eq!(
        fold(&stream[..3]).expect("exists").status,
        OrderStatus::PendingPayment
    );
    assert_eq!(
        fold(&stream).expect("exists").status,
        OrderStatus::Cancelled
    );
    assert_eq!(fold(&stream[..0]), None);
}

#[test]
fn stored_events_read_back_as_the_same_typed_events() {
    for event in place(&new_order(100, 2), true).expect("valid") {
        let back = OrderEvent::from_stored(event.event_type(), event.data()).expect("readable");
        assert_eq!(back, event);
    }
    assert!(OrderEvent::from_stored("com.example.order.shipped.v1", Value::Null).is_err());
}

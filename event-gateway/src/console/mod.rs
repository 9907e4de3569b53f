//! The web console at `/console`: server-rendered HTML over the same store and handlers as the
//! API, htmx for the parts that refresh themselves, and the API's own SSE stream for the live
//! tail. Every link and form works before any script runs; scripts only make it quicker
//! (partial updates, keyboard shortcuts, the live tail).
//!
//! Templates are [maud](https://maud.lambda.xyz): compile-time checked (a typo is a build error,
//! not a broken page), and every interpolated value is HTML-escaped unless it is wrapped in
//! `PreEscaped` — which this module never does with data. Event attributes and data come from
//! anyone who can post an event, so escaping by default is the property that matters; the
//! pages also carry a strict Content-Security-Policy (scripts only from `/console/assets`).
//!
//! # Layout
//! - [`access`]: who may see the console (off on a non-loopback listener without tokens; the
//!   API's bearer tokens, also as a login cookie), and the cross-site and Host checks.
//! - [`assets`]: htmx, the stylesheet and the scripts, embedded, served with long cache lives.
//! - [`page`]: the layout every page shares, formatting helpers and the HTML error page.
//! - One module per page: [`overview`], [`tail`], [`events`] (search), [`event`] (one event,
//!   with [`copy`] for its curl and `cectl send` lines), [`deadletters`] (with [`redelivery`],
//!   the bulk flow), [`subscriptions`] (list,
//!   detail, pause and resume) with [`subscription_form`] (create, edit, filter preview) and
//!   [`subscription_fields`] (the form's fields as the API's body), and
//!   [`catalog`] with [`sample`] (example data generated from a schema).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};
use shared_events::registry::Registry;

use crate::auth::Tokens;
use crate::routes::AppState;
use crate::settings::GatewaySettings;

pub mod access;
pub mod assets;
pub mod catalog;
pub mod copy;
pub mod deadletters;
pub mod event;
pub mod events;
pub mod overview;
pub mod page;
pub mod redelivery;
pub mod sample;
pub mod subscription_fields;
pub mod subscription_form;
pub mod subscriptions;
pub mod tail;

pub use access::Access;

/// What the console needs beyond the API's state.
#[derive(Debug)]
pub struct ConsoleSettings {
    /// Who may use it.
    pub access: Access,
    /// The event catalog as the gateway serves it under `/registry`.
    pub registry: Registry,
    /// The gateway's base URL, for the curl and `cectl send` lines.
    pub gateway_url: String,
    /// Whether the login cookie is marked `Secure` (the public URL is `https`).
    pub secure_cookie: bool,
    /// Whether a token is needed to write (the curl lines then read it from `$CECTL_TOKEN`).
    pub tokens_enabled: bool,
}

impl ConsoleSettings {
    /// The console of a gateway with `settings`, bound to `bound`, guarded by `tokens`.
    ///
    /// # Errors
    /// When the registry's base URL cannot be derived.
    pub fn new(
        settings: &GatewaySettings,
        tokens: &Tokens,
        bound: SocketAddr,
    ) -> anyhow::Result<Self> {
        let gateway_url = match &settings.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        };
        Ok(Self {
            access: Access::decide(bound.ip(), tokens),
            registry: Registry::new(settings.registry_base(bound)?),
            secure_cookie: settings
                .public_url
                .as_ref()
                .is_some_and(|u| u.scheme() == "https"),
            gateway_url,
            tokens_enabled: tokens.enabled(),
        })
    }
}

/// Every console route, behind [`access::gate`].
pub fn router(settings: ConsoleSettings) -> Router<AppState> {
    let settings = Arc::new(settings);
    Router::new()
        .route("/console", get(overview::show_overview))
        .route("/console/", get(overview::show_overview))
        .route("/console/overview/stats", get(overview::show_stats))
        .route("/console/tail", get(tail::show_tail))
        .route("/console/stream", get(crate::routes::stream::stream_events))
        .route("/console/events", get(events::search_events))
        .route("/console/events/{cursor}", get(event::show_event))
        .route(
            "/console/events/{cursor}/deliveries",
            get(event::show_deliveries),
        )
        .route("/console/events/{cursor}/resend", post(event::resend_event))
        .route("/console/deadletters", get(deadletters::list_dead_letters))
        .route(
            "/console/deadletters/redeliver",
            post(redelivery::redeliver_selected),
        )
        .route(
            "/console/deadletters/progress",
            get(redelivery::show_progress),
        )
        .route(
            "/console/deadletters/{id}/redeliver",
            post(deadletters::redeliver_one),
        )
        .route(
            "/console/subscriptions",
            get(subscriptions::list_subscriptions).post(subscription_form::create_subscription),
        )
        .route(
            "/console/subscriptions/new",
            get(subscription_form::new_subscription),
        )
        .route(
            "/console/subscriptions/preview",
            post(subscription_form::preview_filters),
        )
        .route(
            "/console/subscriptions/{id}",
            get(subscriptions::show_subscription).post(subscription_form::update_subscription),
        )
        .route(
            "/console/subscriptions/{id}/edit",
            get(subscription_form::edit_subscription),
        )
        .route(
            "/console/subscriptions/{id}/pause",
            post(subscriptions::pause_subscription),
        )
        .route(
            "/console/subscriptions/{id}/resume",
            post(subscriptions::resume_subscription),
        )
        .route("/console/catalog", get(catalog::list_types))
        .route("/console/catalog/{type}", get(catalog::show_type))
        .route(
            "/console/login",
            get(access::show_login).post(access::log_in),
        )
        .route("/console/logout", post(access::log_out))
        .route("/console/assets/{name}", get(assets::serve_asset))
        .route_layer(axum::middleware::from_fn_with_state(
            settings.clone(),
            access::gate,
        ))
        .layer(Extension(settings))
}

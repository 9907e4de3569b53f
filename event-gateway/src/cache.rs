//! The in-memory copy of the subscriptions that ingest matches events against and the
//! dispatcher claims for. Reloaded from the store after every local change, and whenever the
//! store's subscriptions version moves (polled a few times a second: one tiny read), so a change
//! made through another replica takes effect here well within a second.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use shared_events::service::shutdown::CancellationToken;

use crate::domain::{EventAttributes, Subscription, SubscriptionId};
use crate::store::{Store, StoreError};

/// One consistent view of every subscription.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Counts reloads: a snapshot is stale when the cache's current one has another.
    pub generation: u64,
    /// All subscriptions, by id.
    pub subscriptions: Vec<Arc<Subscription>>,
    by_id: HashMap<SubscriptionId, Arc<Subscription>>,
}

impl Snapshot {
    fn new(generation: u64, subscriptions: Vec<Arc<Subscription>>) -> Self {
        let by_id = subscriptions
            .iter()
            .map(|s| (s.id.clone(), s.clone()))
            .collect();
        Self {
            generation,
            subscriptions,
            by_id,
        }
    }

    /// The subscription `id`, if it exists.
    pub fn get(&self, id: &SubscriptionId) -> Option<&Arc<Subscription>> {
        self.by_id.get(id)
    }

    /// The ids of the subscriptions `event` matches (disabled and refused ones match nothing;
    /// those pending validation get their events held).
    pub fn matching(&self, event: &impl EventAttributes) -> Vec<SubscriptionId> {
        self.subscriptions
            .iter()
            .filter(|s| s.state.status.accepts_events() && s.matches(event))
            .map(|s| s.id.clone())
            .collect()
    }
}

/// The shared, swappable snapshot.
#[derive(Debug, Default)]
pub struct SubscriptionCache {
    current: RwLock<Arc<Snapshot>>,
}

impl SubscriptionCache {
    /// The current snapshot (cheap: an `Arc` clone).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Marks subscription `id` as `status` in this replica's snapshot at once, ahead of the
    /// store. The completer disables a subscription this way before writing it, so an event
    /// this replica accepts after the store says `disabled` cannot have been matched to it
    /// (ingest matches again when the generation moved); the next reload brings the stored
    /// state.
    pub fn set_status(&self, id: &SubscriptionId, status: crate::domain::Status) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let subscriptions: Vec<Arc<Subscription>> = guard
            .subscriptions
            .iter()
            .map(|s| {
                if s.id == *id {
                    let mut changed = Subscription::clone(s);
                    changed.state.status = status;
                    Arc::new(changed)
                } else {
                    s.clone()
                }
            })
            .collect();
        *guard = Arc::new(Snapshot::new(guard.generation + 1, subscriptions));
    }

    /// Replaces the snapshot with what the store holds now.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be read; the old snapshot stays.
    pub async fn reload(&self, store: &dyn Store) -> Result<(), StoreError> {
        let subscriptions: Vec<Arc<Subscription>> = store
            .subscriptions()
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
        let install = |current: &mut Arc<Snapshot>| {
            *current = Arc::new(Snapshot::new(current.generation + 1, subscriptions));
        };
        match self.current.write() {
            Ok(mut guard) => install(&mut guard),
            Err(poisoned) => install(&mut poisoned.into_inner()),
        }
        Ok(())
    }

    /// Polls the subscriptions version every `period` and reloads when it moved, until
    /// `shutdown`.
    pub async fn refresh_until(
        self: Arc<Self>,
        store: Arc<dyn Store>,
        period: Duration,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen = None;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {
                    // The version is read before the reload: a change after this read moves it
                    // again, and the next tick reloads once more.
                    let refreshed = match store.subscriptions_version().await {
                        Ok(version) if seen == Some(version) => Ok(()),
                        Ok(version) => self.reload(store.as_ref()).await.map(|()| seen = Some(version)),
                        Err(error) => Err(error),
                    };
                    if let Err(error) = refreshed {
                        tracing::warn!(error = %error, "could not reload subscriptions");
                    }
                }
            }
        }
    }
}

//! `AppState`: what every REST handler can reach.

use std::sync::Arc;

use crate::config::Config;
use crate::registry::RegistryService;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub registry: RegistryService,
    /// Turns credentials into callers (the edge's guard, and the routes that describe auth).
    pub auth: Arc<crate::auth::Authenticator>,
}

//! What every request can reach (`AppState`), and the current request's: below the router,
//! so that the resources that ask for it don't depend on the router that serves them.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;

use super::{config::Settings, db::Db, mail::Mailer};
use crate::error::AppError;

/// What every request can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    pub mail: Mailer,
    /// Each access token's allowance of API requests.
    pub api_limits: Arc<crate::api::auth::Limiter>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn new(settings: Settings, db: Db) -> Self {
        let leptos_options = LeptosOptions::builder()
            .output_name("roster")
            .site_root(settings.resolved_site_root().to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(settings.listen)
            .env(leptos::config::Env::PROD)
            .build();
        let mail = Mailer::from_settings(&settings);
        let api_limits = Arc::new(crate::api::auth::limiter(settings.api_requests_per_minute));
        AppState { leptos_options, db, settings: Arc::new(settings), mail, api_limits }
    }
}

/// The state of the request being served, for server functions and pages.
pub fn current() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        if use_context::<axum::http::request::Parts>().is_none() {
            // No request at all: the client went away while its page was rendering, and a
            // resource started for it finished late. There is no one to answer.
            tracing::debug!("a request ended before its work did");
            AppError::Internal(String::new())
        } else {
            AppError::internal("AppState missing from context")
        }
    })
}

//! Live reload of the configuration files: the user's `config.toml` and the workspace's
//! `.switchboard.toml` are looked at twice a second (a `stat` each, no read unless it changed),
//! and a file that changed, appeared or went away is read again with the same validation and
//! messages as at start-up. Polling works the same for every editor and needs neither a file
//! watching dependency nor the client's `workspace/didChangeWatchedFiles`, which several
//! clients do not offer for files outside the workspace (where the user's file lives).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use crate::lsp::session::Session;

/// How often the files are looked at.
const INTERVAL: Duration = Duration::from_millis(500);

/// What says a file changed: whether it is there, its size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp(Option<(u64, Option<SystemTime>)>);

impl Stamp {
    fn of(path: Option<&Path>) -> Self {
        let metadata = path.and_then(|path| std::fs::metadata(path).ok());
        Self(metadata.map(|metadata| (metadata.len(), metadata.modified().ok())))
    }
}

/// The files as last seen: the user's file, and the workspace root with its file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    user: Stamp,
    workspace: (Option<PathBuf>, Stamp),
}

fn look(session: &Session) -> Seen {
    let root = session.root.lock().ok().and_then(|root| root.clone());
    let workspace_file = root.as_ref().map(|root| root.join(crate::config::WORKSPACE_FILE_NAME));
    Seen {
        user: Stamp::of(session.config_location.path.as_deref()),
        workspace: (root, Stamp::of(workspace_file.as_deref())),
    }
}

/// Watches the files for as long as the session lives.
pub fn spawn(session: &Arc<Session>) {
    let weak: Weak<Session> = Arc::downgrade(session);
    let mut seen = look(session);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(session) = weak.upgrade() else { return };
            let now = look(&session);
            if now != seen {
                reload(&session, &seen, &now).await;
                seen = now;
            }
        }
    });
}

async fn reload(session: &Session, before: &Seen, now: &Seen) {
    let location = session.config_location.clone();
    let update = session.update_config(|state| {
        let mut update = None;
        if now.user != before.user {
            update = Some(state.load_user_file(&location));
        }
        if now.workspace != before.workspace {
            update = Some(match &now.workspace.0 {
                Some(root) => state.load_workspace_file(root),
                None => state.clear_workspace_file(),
            });
        }
        update
    });
    if let Some(Some(update)) = update {
        session.config_changed(&update, "a configuration file changed").await;
    }
}

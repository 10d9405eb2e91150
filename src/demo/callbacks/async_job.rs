// The same job as one coroutine: `?` passes errors up, with context.
use anyhow::{Context, Result};

use super::services::Io;

pub async fn job(io: &Io) -> Result<usize> {
    let config = io.fetch_config().await.context("reading the config")?;
    let data = io
        .fetch_data(&config.source)
        .await
        .with_context(|| format!("fetching {}", config.source))?;
    let saved = io
        .save_report(&config, &data)
        .await
        .context("saving the report")?;
    Ok(saved)
}

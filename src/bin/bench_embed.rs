//! Benchmark helper (`bench/load.sh`): embeds each line of stdin as a search query with the
//! configured embedder (built-in or `EMBEDDING_ENDPOINT_URL`) and prints it as a pgvector
//! literal, one per line, so the same query can be run directly in PostgreSQL.

use std::io::{BufRead, Write};

use toolbox::Config;
use toolbox::embedding::{self, InputKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let cfg = Config::from_env()?;
    let embedder = embedding::from_config(&cfg.embedding)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let emb = embedder.embed_one(line.trim(), InputKind::Query).await?;
        let parts: Vec<String> = emb.as_slice().iter().map(|x| x.to_string()).collect();
        writeln!(out, "[{}]", parts.join(","))?;
    }
    out.flush()?;
    Ok(())
}

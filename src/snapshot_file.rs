//! The file `toolbox export` writes and `toolbox import` reads back: JSON Lines, one header
//! line and then one record per line, each tagged by `kind`:
//!
//! ```text
//! {"kind":"header","format":"toolbox-export","version":1,"counts":{"tools":2,...},"embedding":{"model":"...","dimension":384},...}
//! {"kind":"server","name":"github","url":"https://...","headers":{...},...}
//! {"kind":"tool","name":"get_weather","description":"...","embedding":[0.01,...],...}
//! {"kind":"execution","tool_name":"get_weather","linked":true,"success":true,...}
//! ```
//!
//! The header's counts are those of the exporting transaction; a file that holds fewer
//! records (cut short by a full disk or a closed pipe) is refused, as is a file of a newer
//! format version or one with a `kind` this binary does not know. The record kinds and how
//! to add one are described in [`crate::store::Snapshot`]'s module. The file holds secrets
//! (HTTP tools' and upstream servers' header values): keep it like a database dump.

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{
    ExportOptions, Snapshot, SnapshotCounts, SnapshotMeta, SnapshotRecord, SnapshotSink,
};

/// The header's `format`.
pub const FORMAT: &str = "toolbox-export";
/// The newest format version this binary writes and reads.
pub const VERSION: u32 = 1;

/// The first line of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always `header`.
    pub kind: String,
    pub format: String,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    /// The toolbox release that wrote the file.
    pub toolbox_version: String,
    /// The store it was read from (`postgresql` or `sqlite`).
    pub backend: String,
    /// The model and dimension of the stored embeddings (absent: none are in the file).
    pub embedding: Option<EmbeddingInfo>,
    pub with_history: bool,
    pub with_embeddings: bool,
    pub counts: SnapshotCounts,
}

/// Which embeddings the file carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingInfo {
    pub model: Option<String>,
    pub dimension: usize,
}

/// Writes an export as the store reads it, one line per record.
pub struct JsonlWriter<W> {
    out: W,
    opts: ExportOptions,
}

impl<W: Write + Send> JsonlWriter<W> {
    pub fn new(out: W, opts: ExportOptions) -> Self {
        Self { out, opts }
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn line<T: Serialize>(&mut self, value: &T) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write + Send> SnapshotSink for JsonlWriter<W> {
    fn begin(&mut self, meta: &SnapshotMeta) -> std::io::Result<()> {
        let with_embeddings = !self.opts.without_embeddings;
        let header = Header {
            kind: "header".into(),
            format: FORMAT.into(),
            version: VERSION,
            exported_at: Utc::now(),
            toolbox_version: env!("CARGO_PKG_VERSION").into(),
            backend: meta.backend.into(),
            embedding: meta
                .embedding_dimension
                .filter(|_| with_embeddings)
                .map(|dimension| EmbeddingInfo {
                    model: meta.embedding_model.clone(),
                    dimension,
                }),
            with_history: self.opts.with_history,
            with_embeddings,
            counts: meta.counts,
        };
        self.line(&header)
    }

    fn record(&mut self, record: &SnapshotRecord) -> std::io::Result<()> {
        self.line(record)
    }
}

/// Whether `line` (the first non-blank line of a file) is an export's header, rather than
/// the start of a plain list of tool definitions.
pub fn is_header(line: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        kind: Option<String>,
        format: Option<String>,
    }
    serde_json::from_str::<Probe>(line)
        .is_ok_and(|p| p.kind.as_deref() == Some("header") && p.format.as_deref() == Some(FORMAT))
}

/// Reads a whole export, checking its header and that it holds every record the header
/// counts. Errors name the line.
pub fn read(input: impl BufRead) -> anyhow::Result<(Header, Snapshot)> {
    let mut header: Option<Header> = None;
    let mut snapshot = Snapshot::default();
    for (n, line) in input.lines().enumerate() {
        let n = n + 1;
        let line = line.with_context(|| format!("line {n}: cannot read"))?;
        if line.trim().is_empty() {
            continue;
        }
        let Some(h) = &header else {
            let h: Header = serde_json::from_str(&line)
                .with_context(|| format!("line {n}: not a toolbox export header"))?;
            if h.kind != "header" || h.format != FORMAT {
                bail!(
                    "line {n}: not a toolbox export header (format {:?})",
                    h.format
                );
            }
            if h.version > VERSION {
                bail!(
                    "line {n}: written by a newer toolbox (format version {}); this one reads \
                     version {VERSION}",
                    h.version
                );
            }
            snapshot.with_history = h.with_history;
            header = Some(h);
            continue;
        };
        let record: SnapshotRecord =
            serde_json::from_str(&line).with_context(|| format!("line {n}: not a record"))?;
        if matches!(record, SnapshotRecord::Execution(_)) && !h.with_history {
            bail!("line {n}: a history record in an export made without --with-history");
        }
        snapshot.push(record);
    }
    let Some(header) = header else {
        bail!("empty input: no toolbox export header");
    };
    let found = snapshot.counts();
    if found != header.counts {
        bail!(
            "the file is incomplete or altered: its header counts {} tools, {} servers, {} \
             history rows and {} keys, but it holds {}, {}, {} and {}",
            header.counts.tools,
            header.counts.servers,
            header.counts.executions,
            header.counts.keys,
            found.tools,
            found.servers,
            found.executions,
            found.keys
        );
    }
    Ok((header, snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(tools: u64) -> SnapshotMeta {
        SnapshotMeta {
            backend: "sqlite",
            embedding_model: Some("m".into()),
            embedding_dimension: Some(2),
            counts: SnapshotCounts {
                tools,
                servers: 0,
                executions: 0,
                keys: 0,
            },
        }
    }

    fn tool(name: &str) -> SnapshotRecord {
        SnapshotRecord::Tool(
            serde_json::from_value(serde_json::json!({
                "name": name, "description": "d", "category": "general",
                "input_schema": {"type": "object"}, "version": "1.0.0", "config": {},
                "created_at": "2026-01-02T03:04:05.123456Z",
                "updated_at": "2026-01-02T03:04:05.123456Z",
                "embedding_model": "m", "embedding_hash": "h", "embedding": [0.1, -0.25]
            }))
            .unwrap(),
        )
    }

    fn export(records: &[SnapshotRecord], counted: u64) -> Vec<u8> {
        let mut w = JsonlWriter::new(Vec::new(), ExportOptions::default());
        w.begin(&meta(counted)).unwrap();
        for r in records {
            w.record(r).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn an_export_reads_back_record_for_record() {
        let records = [tool("a"), tool("b")];
        let bytes = export(&records, 2);
        let first = std::str::from_utf8(&bytes).unwrap().lines().next().unwrap();
        assert!(is_header(first));
        let (header, snap) = read(&bytes[..]).unwrap();
        assert_eq!(header.embedding.unwrap().dimension, 2);
        let back: Vec<SnapshotRecord> = snap.tools.into_iter().map(SnapshotRecord::Tool).collect();
        assert_eq!(back, records);
    }

    #[test]
    fn a_file_cut_short_is_refused() {
        let bytes = export(&[tool("a")], 2);
        let err = read(&bytes[..]).unwrap_err().to_string();
        assert!(err.contains("incomplete"), "{err}");
    }

    #[test]
    fn an_unknown_kind_is_refused_by_line() {
        let mut bytes = export(&[], 0);
        bytes.extend_from_slice(b"{\"kind\":\"gadget\",\"name\":\"x\"}\n");
        let err = format!("{:#}", read(&bytes[..]).unwrap_err());
        assert!(
            err.starts_with("line 2:") && err.contains("gadget"),
            "{err}"
        );
    }

    #[test]
    fn a_newer_format_version_is_refused() {
        let text = String::from_utf8(export(&[], 0)).unwrap();
        let newer = text.replace("\"version\":1", "\"version\":99");
        let err = read(newer.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("newer toolbox"), "{err}");
    }

    #[test]
    fn a_plain_tool_list_is_not_an_export() {
        assert!(!is_header(
            r#"{"name":"x","description":"y","input_schema":{}}"#
        ));
        assert!(!is_header("[{\"name\":\"x\"}]"));
    }
}

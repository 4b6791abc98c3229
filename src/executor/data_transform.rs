//! `data_transform`: JSON ↔ CSV.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::{BuiltinTool, OutputBound, json_str_len, str_arg, value};
use crate::domain::{NewTool, ToolName};

pub struct DataTransform;

/// Inputs past this many bytes (CSV text) or rows (JSON) are refused.
const MAX_CSV_BYTES: usize = 5_000_000;
const MAX_ROWS: usize = 100_000;

impl BuiltinTool for DataTransform {
    fn definition(&self) -> NewTool {
        NewTool {
            name: ToolName::parse("data_transform").expect("valid name"),
            description: "Convert data between formats: a JSON array of objects to CSV text, or CSV \
                          text to a JSON array of objects"
                .into(),
            long_description: Some(
                "json_to_csv takes `data` as an array of objects; the header is the union of their \
                 keys in first-seen order, and nested values are written as JSON. csv_to_json takes \
                 `data` as CSV text with a header row (RFC 4180 quoting, embedded newlines allowed); \
                 short rows are padded with nulls, long rows are an error."
                    .into(),
            ),
            category: "data".into(),
            tags: vec!["data".into(), "csv".into(), "json".into(), "conversion".into()],
            examples: vec![
                "turn this JSON list into a CSV file".into(),
                "parse a CSV spreadsheet export into JSON records".into(),
            ],
            input_schema: json!({
                "type": "object",
                "properties": {
                    "operation": {"type": "string", "enum": ["json_to_csv", "csv_to_json"]},
                    "data": {"description": "An array of objects (json_to_csv) or CSV text (csv_to_json)"}
                },
                "required": ["operation", "data"],
                "additionalProperties": false,
                "allOf": [
                    {"if": {"properties": {"operation": {"const": "json_to_csv"}}},
                     "then": {"properties": {"data": {"type": "array", "items": {"type": "object"},
                                                      "maxItems": MAX_ROWS}}}},
                    {"if": {"properties": {"operation": {"const": "csv_to_json"}}},
                     "then": {"properties": {"data": {"type": "string", "maxLength": MAX_CSV_BYTES}}}}
                ]
            }),
            output_schema: Some(json!({
                "type": "object",
                "properties": {"value": {"type": ["string", "array"]}},
                "required": ["value"]
            })),
            version: "1.0.0".into(),
            author: Some("toolbox".into()),
            config: json!({"annotations": {"readOnlyHint": true, "idempotentHint": true, "openWorldHint": false}}),
        }
    }

    fn run(&self, args: &Value, bound: OutputBound) -> Result<Value, String> {
        let data = args.get("data").ok_or("`data` is required")?;
        match str_arg(args, "operation")? {
            "json_to_csv" => json_to_csv(data, bound).and_then(value),
            "csv_to_json" => {
                let text = data
                    .as_str()
                    .ok_or("`data` must be CSV text for csv_to_json")?;
                csv_to_json(text, bound).and_then(value)
            }
            other => Err(format!("unknown operation {other:?}")),
        }
    }
}

fn json_to_csv(data: &Value, bound: OutputBound) -> Result<String, String> {
    let rows = data
        .as_array()
        .ok_or("`data` must be an array of objects for json_to_csv")?;
    if rows.len() > MAX_ROWS {
        return Err(format!("too many rows: at most {MAX_ROWS}"));
    }
    let mut header: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let obj = row
            .as_object()
            .ok_or_else(|| format!("`data/{i}` must be an object"))?;
        for k in obj.keys() {
            if seen.insert(k) {
                header.push(k);
            }
        }
    }
    // Every row gets every column: 26,000 objects with distinct keys are 676 million cells.
    bound.cells(rows.len().saturating_add(1).saturating_mul(header.len()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    if !header.is_empty() {
        w.write_record(&header).map_err(|e| e.to_string())?;
    }
    for row in rows {
        let obj = row.as_object().expect("checked above");
        let record: Vec<String> = header
            .iter()
            .map(|k| match obj.get(*k) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        w.write_record(&record).map_err(|e| e.to_string())?;
        // The writer's buffer holds at most a few KB more than what it has flushed.
        bound.bytes(w.get_ref().len())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    bound.bytes(json_str_len(&text))?;
    Ok(text)
}

fn csv_to_json(text: &str, bound: OutputBound) -> Result<Vec<Value>, String> {
    if text.len() > MAX_CSV_BYTES {
        return Err(format!("CSV is too large: at most {MAX_CSV_BYTES} bytes"));
    }
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| format!("malformed CSV header: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    if header.iter().all(String::is_empty) {
        return Err("CSV has no header row".into());
    }
    // Each row repeats every header name: a 20,000-column header turns each one-value row
    // into 20,000 entries, so the size is counted row by row before the row is built.
    let names_len: usize = header.iter().map(|h| json_str_len(h) + 2).sum();
    let mut bytes = 2;
    let mut cells = 0usize;
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("malformed CSV at record {}: {e}", i + 1))?;
        if rec.len() > header.len() {
            return Err(format!(
                "record {} has {} fields but the header has {}",
                i + 1,
                rec.len(),
                header.len()
            ));
        }
        if out.len() >= MAX_ROWS {
            return Err(format!("too many rows: at most {MAX_ROWS}"));
        }
        cells += header.len();
        bound.cells(cells)?;
        let values_len: usize = (0..header.len())
            .map(|j| rec.get(j).map_or(4, json_str_len))
            .sum();
        bytes += names_len + values_len + 2;
        bound.bytes(bytes)?;
        let mut obj = Map::new();
        for (j, h) in header.iter().enumerate() {
            obj.insert(
                h.clone(),
                rec.get(j)
                    .map_or(Value::Null, |v| Value::String(v.to_owned())),
            );
        }
        out.push(Value::Object(obj));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: OutputBound = OutputBound {
        max_bytes: 1 << 20,
        max_cells: crate::executor::MAX_CELLS,
    };

    #[test]
    fn csv_round_trips_quotes_and_newlines() {
        let data = json!([{"name": "a, \"b\"", "note": "line1\nline2"}, {"name": "c", "extra": 1}]);
        let csv = json_to_csv(&data, BOUND).unwrap();
        let back = csv_to_json(&csv, BOUND).unwrap();
        assert_eq!(back[0]["name"], "a, \"b\"");
        assert_eq!(back[0]["note"], "line1\nline2");
        assert_eq!(back[1]["extra"], "1");
        assert_eq!(back[0]["extra"], "");
    }

    #[test]
    fn ragged_rows_are_padded_or_refused() {
        let short = csv_to_json("a,b\n1\n", BOUND).unwrap();
        assert_eq!(short[0]["b"], Value::Null);
        let long = csv_to_json("a,b\n1,2,3\n", BOUND).unwrap_err();
        assert!(long.contains("3 fields"));
    }

    #[test]
    fn non_objects_are_refused_with_their_index() {
        let err = json_to_csv(&json!([{"a": 1}, 2]), BOUND).unwrap_err();
        assert!(err.contains("data/1"));
    }
}

//! A deterministic property test of the built-ins' output bound: every operation, fed
//! generated adversarial inputs (expanding Unicode, escapes, wide CSV headers, distinct keys,
//! replacements that multiply the text), either answers within the bound or refuses, and
//! does so quickly.

use serde_json::{Value, json};

use super::{BuiltinTool, OutputBound, calculator, data_transform, string_utils};

/// A seeded xorshift generator: the same cases on every run, so a failure reproduces.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Text of up to `max` characters, heavy in characters that grow when cased or escaped.
    fn text(&mut self, max: usize) -> String {
        const ALPHABET: &[char] = &[
            'a', 'B', ' ', ',', '"', '\\', '\n', '\u{1}', 'ß', 'ΐ', 'ﬃ', 'İ', 'é', '-', '0',
        ];
        let len = self.below(max + 1);
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
}

/// Runs one case and checks the property: Ok within the bound, or an error. (No clock: how
/// fast a refusal is belongs to benchmarks; a result over the bound fails here whatever the
/// machine.)
fn check(tool: &dyn BuiltinTool, args: &Value, bound: OutputBound) {
    let result = tool.run(args, bound);
    if let Ok(v) = result {
        let size = serde_json::to_vec(&v["value"]).unwrap().len();
        assert!(
            size <= bound.max_bytes,
            "{size} bytes over {} for {}",
            bound.max_bytes,
            preview(args)
        );
    }
}

fn preview(args: &Value) -> String {
    args.to_string().chars().take(200).collect()
}

#[test]
fn every_builtin_operation_answers_within_its_bound_or_refuses() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for case in 0..150 {
        let bound = OutputBound {
            max_bytes: [256, 4_096, 65_536][case % 3],
            max_cells: [16, 1_000, 20_000][case % 3],
        };
        for op in [
            "upper",
            "lower",
            "reverse",
            "length",
            "word_count",
            "slugify",
            "trim",
            "title",
        ] {
            let args = json!({"operation": op, "text": g.text(bound.max_bytes)});
            check(&string_utils::StringUtils, &args, bound);
        }
        let text = "a".repeat(g.below(20_000));
        let with = g.text(20_000);
        let args = json!({"operation": "replace", "text": text, "find": "a", "replace_with": with});
        check(&string_utils::StringUtils, &args, bound);

        let columns = 1 + g.below(3_000);
        let header: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
        let rows: String = (0..g.below(3_000)).map(|_| g.text(3) + "\n").collect();
        let csv = format!("{}\n{rows}", header.join(","));
        let args = json!({"operation": "csv_to_json", "data": csv});
        check(&data_transform::DataTransform, &args, bound);

        let keys = 1 + g.below(50);
        let objects: Vec<Value> = (0..g.below(3_000))
            .map(|i| json!({format!("k{}", i % keys): g.text(8), "n": i}))
            .collect();
        let args = json!({"operation": "json_to_csv", "data": objects});
        check(&data_transform::DataTransform, &args, bound);

        let depth = g.below(40);
        let expression = format!("{}2^999{}", "(".repeat(depth), ")".repeat(depth));
        let args = json!({"operation": "expression", "expression": expression});
        check(&calculator::Calculator, &args, bound);
    }
}

#[test]
fn the_reproducers_of_issue_14_are_refused_as_too_large() {
    let bound = OutputBound {
        max_bytes: 1 << 20,
        max_cells: super::MAX_CELLS,
    };
    let wide = |columns: usize, rows: usize| {
        let header: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
        json!({"operation": "csv_to_json", "data": format!("{}\n{}", header.join(","), "1\n".repeat(rows))})
    };
    let distinct: Vec<Value> = (0..26_000).map(|i| json!({format!("k{i}"): 1})).collect();
    let cases: [(&dyn BuiltinTool, Value); 4] = [
        (
            &string_utils::StringUtils,
            json!({"operation": "replace", "text": "a".repeat(130_000), "find": "a",
                   "replace_with": "b".repeat(130_000)}),
        ),
        (&data_transform::DataTransform, wide(20_000, 50_000)),
        (&data_transform::DataTransform, wide(2_000, 5_000)),
        (
            &data_transform::DataTransform,
            json!({"operation": "json_to_csv", "data": distinct}),
        ),
    ];
    for (tool, args) in cases {
        let err = tool.run(&args, bound).unwrap_err();
        assert!(
            err.contains("TOOL_MAX_OUTPUT_BYTES") || err.contains("cells"),
            "{err}"
        );
    }
}

//! The retrieval benchmark on the shipped MetaTool split with the built-in embedder: hybrid
//! Recall@5 must not fall below the figure recorded in `bench/baseline.json`.

use std::collections::HashMap;
use std::path::Path;

use toolbox::Config;

#[tokio::test]
async fn hybrid_recall_at_5_on_metatool_stays_at_or_above_the_recorded_baseline() {
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("bench/baseline.json").unwrap()).unwrap();
    let floor = baseline["recall_at_5"].as_f64().unwrap();
    let method = baseline["method"].as_str().unwrap();
    let database_url = crate::common::fresh_database().await;
    let cfg = Config::from_map(&HashMap::from([
        ("DATABASE_URL".to_owned(), database_url),
        ("DB_POOL_SIZE".to_owned(), "8".to_owned()),
    ]))
    .unwrap();
    let methods = toolbox::eval::all_methods(&cfg);
    let report = toolbox::eval::evaluate(
        cfg,
        Path::new("bench/datasets/metatool/tools.jsonl"),
        Path::new("bench/datasets/metatool/queries.jsonl"),
        None,
        None,
        &methods,
        toolbox::domain::QueryMode::Auto,
    )
    .await
    .unwrap();
    println!("{}", report.table());
    let got = report.get(method).unwrap().recall_at_5;
    assert!(
        got + 1e-3 >= floor,
        "{method} Recall@5 fell to {got:.3}, below the recorded {floor:.3}"
    );
}

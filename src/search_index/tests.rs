//! Ranking and consistency tests on a hand-made catalogue.

use super::*;

fn doc(id: i64, name: &str, description: &str, category: &str, tags: &[&str]) -> IndexDoc {
    IndexDoc {
        id,
        name: name.into(),
        category: category.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        name_words: crate::domain::split_identifier(name),
        tag_words: tags.join(" "),
        description: description.into(),
        long_description: String::new(),
        examples: String::new(),
        parameters: String::new(),
        server: None,
        embedding: None,
    }
}

fn with_vector(mut d: IndexDoc, v: &[f32]) -> IndexDoc {
    d.embedding = Some(v.to_vec());
    d
}

fn index(docs: Vec<IndexDoc>) -> SearchIndex {
    let index = SearchIndex::new(2).unwrap();
    index
        .apply(docs.into_iter().map(Change::Upsert).collect())
        .unwrap();
    index
}

fn text_ids(index: &SearchIndex, query: &str, filter: &IndexFilter, k: usize) -> Vec<i64> {
    index
        .text_top_k(query, filter, k)
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

fn vector_ids(index: &SearchIndex, q: &[f32], filter: &IndexFilter, k: usize) -> Vec<i64> {
    index
        .vector_top_k(q, filter, k, None)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

const ALL: IndexFilter = IndexFilter {
    category: None,
    tags: vec![],
    allowed: None,
};

#[test]
fn a_rare_query_word_outranks_a_common_one() {
    // "report" is in every tool; "invoice" in one. Tool 1 holds "report" twice, tool 2 holds
    // "invoice" once: only inverse document frequency puts tool 2 first.
    let mut docs: Vec<IndexDoc> = (10..30)
        .map(|i| doc(i, &format!("tool_{i}"), "builds a report", "misc", &[]))
        .collect();
    docs.push(doc(1, "report_report", "report report", "misc", &[]));
    docs.push(doc(2, "invoice_tool", "an invoice report", "misc", &[]));
    let index = index(docs);
    assert_eq!(text_ids(&index, "invoice report", &ALL, 1), [2]);
}

#[test]
fn a_parameter_name_in_the_schema_makes_a_tool_findable() {
    let mut with_param = doc(1, "lookup", "looks things up", "misc", &[]);
    with_param.parameters = schema_words(&serde_json::json!({
        "type": "object",
        "properties": {"postalCode": {"type": "string", "description": "Where to look"}}
    }));
    let index = index(vec![
        with_param,
        doc(2, "other", "does other things", "misc", &[]),
    ]);
    assert_eq!(text_ids(&index, "postal code", &ALL, 10), [1]);
}

#[test]
fn filters_return_k_results_when_that_many_match() {
    // Forty unfiltered tools rank above every tool in the filtered category.
    let mut docs: Vec<IndexDoc> = (100..140)
        .map(|i| {
            let d = doc(i, "weather_weather", "weather weather", "other", &["x"]);
            with_vector(d, &[1.0, 0.0])
        })
        .collect();
    for i in 1..=8 {
        let tags: &[&str] = if i % 2 == 0 { &["fx", "live"] } else { &["fx"] };
        let d = doc(i, "rates", "weather in markets", "finance", tags);
        docs.push(with_vector(d, &[0.0, 1.0]));
    }
    let index = index(docs);
    let finance = IndexFilter {
        category: Some("finance".into()),
        tags: vec![],
        allowed: None,
    };
    let live_fx = IndexFilter {
        category: Some("finance".into()),
        tags: vec!["live".into(), "fx".into()],
        allowed: None,
    };
    assert_eq!(text_ids(&index, "weather", &finance, 5).len(), 5);
    assert_eq!(vector_ids(&index, &[1.0, 0.0], &finance, 5).len(), 5);
    assert_eq!(text_ids(&index, "weather", &live_fx, 10), [2, 4, 6, 8]);
    assert_eq!(vector_ids(&index, &[1.0, 0.0], &live_fx, 10), [2, 4, 6, 8]);
    let unknown = IndexFilter {
        category: Some("nowhere".into()),
        tags: vec![],
        allowed: None,
    };
    assert!(text_ids(&index, "weather", &unknown, 5).is_empty());
    assert!(vector_ids(&index, &[1.0, 0.0], &unknown, 5).is_empty());
}

#[test]
fn upsert_replaces_a_tool_on_both_sides() {
    let index = index(vec![with_vector(
        doc(1, "weather", "current weather", "a", &[]),
        &[1.0, 0.0],
    )]);
    let generation = index.generation();
    index
        .upsert(with_vector(
            doc(1, "stocks", "stock prices", "b", &[]),
            &[0.0, 1.0],
        ))
        .unwrap();
    assert!(index.generation() > generation);
    assert_eq!(index.len(), 1);
    assert!(text_ids(&index, "weather", &ALL, 10).is_empty());
    assert_eq!(text_ids(&index, "stock", &ALL, 10), [1]);
    let b = IndexFilter {
        category: Some("b".into()),
        tags: vec![],
        allowed: None,
    };
    assert_eq!(index.vector_top_k(&[0.0, 1.0], &b, 10, None)[0].0, 1);
    assert!((index.vector_top_k(&[0.0, 1.0], &ALL, 1, None)[0].1 - 1.0).abs() < 1e-6);
}

#[test]
fn remove_removes_a_tool_from_both_sides() {
    let index = index(vec![
        with_vector(doc(1, "weather", "current weather", "a", &[]), &[1.0, 0.0]),
        with_vector(
            doc(2, "weather_alerts", "storm weather", "a", &[]),
            &[0.0, 1.0],
        ),
    ]);
    index.remove(1).unwrap();
    index.remove(99).unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(index.vector_len(), 1);
    assert_eq!(text_ids(&index, "weather", &ALL, 10), [2]);
    assert_eq!(vector_ids(&index, &[1.0, 0.0], &ALL, 10), [2]);
}

#[test]
fn the_last_change_to_an_id_in_a_batch_wins() {
    let index = index(vec![]);
    index
        .apply(vec![
            Change::Upsert(doc(1, "weather", "weather", "a", &[])),
            Change::Remove(1),
            Change::Upsert(doc(2, "weather", "weather", "a", &[])),
            Change::Remove(2),
            Change::Upsert(doc(2, "stocks", "stocks", "a", &[])),
        ])
        .unwrap();
    assert!(text_ids(&index, "weather", &ALL, 10).is_empty());
    assert_eq!(text_ids(&index, "stocks", &ALL, 10), [2]);
}

#[test]
fn an_embedding_of_the_wrong_dimension_refuses_the_batch() {
    let index = index(vec![]);
    let bad = with_vector(doc(1, "weather", "weather", "a", &[]), &[1.0, 0.0, 0.0]);
    let err = index.apply(vec![Change::Upsert(bad)]).unwrap_err();
    assert!(matches!(
        err,
        IndexError::Dimension {
            id: 1,
            got: 3,
            expected: 2
        }
    ));
    assert!(index.is_empty());
}

#[test]
fn vector_ties_are_broken_by_id() {
    let index = index(vec![
        with_vector(doc(3, "c", "c", "a", &[]), &[1.0, 0.0]),
        with_vector(doc(1, "a", "a", "a", &[]), &[2.0, 0.0]),
        with_vector(doc(2, "b", "b", "a", &[]), &[0.5, 0.0]),
    ]);
    assert_eq!(vector_ids(&index, &[1.0, 0.0], &ALL, 3), [1, 2, 3]);
    assert_eq!(
        index
            .vector_top_k(&[1.0, 0.0], &ALL, 3, Some(2))
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        [1, 3]
    );
}

#[test]
fn an_empty_or_stop_word_query_answers_nothing() {
    let index = index(vec![doc(1, "the_tool", "it is what it is", "a", &[])]);
    assert!(text_ids(&index, "", &ALL, 10).is_empty());
    assert!(text_ids(&index, "  ", &ALL, 10).is_empty());
    assert!(text_ids(&index, "the and of it", &ALL, 10).is_empty());
}

#[test]
fn query_syntax_characters_are_taken_as_words() {
    let index = index(vec![
        doc(1, "weather", "current weather", "a", &[]),
        doc(2, "stocks", "stock prices", "a", &[]),
    ]);
    for q in [
        "\"weather",
        "weather:",
        "(weather",
        "-weather",
        "weather*",
        "title:weather AND (",
        "\"unbalanced ( quote: -*",
    ] {
        let ids = text_ids(&index, q, &ALL, 10);
        if q.contains("weather") {
            assert_eq!(ids, [1], "{q:?}");
        } else {
            assert!(ids.is_empty(), "{q:?}");
        }
    }
}

#[test]
fn stemming_matches_other_forms_of_a_word() {
    let index = index(vec![doc(
        1,
        "convert_currencies",
        "converts amounts",
        "a",
        &[],
    )]);
    assert_eq!(text_ids(&index, "currency conversion", &ALL, 10), [1]);
}

#[test]
fn a_filter_sees_every_labelled_row_after_batches_of_upserts() {
    let index = SearchIndex::new(2).unwrap();
    let mut next = 1i64;
    for _ in 0..10 {
        let batch: Vec<Change> = (0..10_000)
            .map(|_| {
                let id = next;
                next += 1;
                let category = if id % 1000 == 0 { "rare" } else { "common" };
                Change::Upsert(with_vector(
                    doc(id, &format!("t{id}"), "bulk tool", category, &[]),
                    &[(id as f32).sin(), (id as f32).cos()],
                ))
            })
            .collect();
        index.apply(batch).unwrap();
    }
    let rare = IndexFilter {
        category: Some("rare".into()),
        tags: vec![],
        allowed: None,
    };
    assert_eq!(index.vector_top_k(&[1.0, 0.0], &rare, 200, None).len(), 100);
}

/// A built index in bulk equals one built batch by batch: same digest, same text and vector
/// answers, and writes after the build replace and remove as usual.
#[test]
fn a_bulk_build_answers_as_batches_applied_one_by_one() {
    let docs: Vec<IndexDoc> = (0..300)
        .map(|i| {
            let words = ["weather", "invoice", "email", "calendar", "pdf"][i % 5];
            let d = doc(
                i as i64,
                &format!("tool_{i}"),
                &format!("{words} tool {i}"),
                "c",
                &[],
            );
            let angle = i as f32 * 0.01;
            with_vector(d, &[angle.cos(), angle.sin()])
        })
        .collect();
    let one_by_one = SearchIndex::new(2).unwrap();
    let bulk = SearchIndex::new(2).unwrap();
    bulk.begin_bulk(docs.len());
    for batch in docs.chunks(64) {
        let changes: Vec<Change> = batch.iter().cloned().map(Change::Upsert).collect();
        one_by_one.apply(changes.clone()).unwrap();
        bulk.apply(changes).unwrap();
    }
    let before = bulk.generation();
    bulk.finish_bulk().unwrap();
    assert!(
        bulk.generation() > before,
        "finishing moves the generation on"
    );
    assert_eq!(bulk.digest(), one_by_one.digest());
    assert_eq!(bulk.len(), 300);
    // Equal scores tie in segment order, which differs (one segment against several): so
    // the sets of matches are compared, and each tool's score.
    for q in ["invoice", "pdf calendar"] {
        let scores = |index: &SearchIndex| {
            let mut hits = index.text_top_k(q, &ALL, 300).unwrap();
            hits.sort_by_key(|h| h.0);
            hits
        };
        let (bulk_hits, batch_hits) = (scores(&bulk), scores(&one_by_one));
        assert_eq!(bulk_hits.len(), if q == "invoice" { 60 } else { 120 });
        assert_eq!(bulk_hits, batch_hits, "{q}");
    }
    let q = [0.3f32.cos(), 0.3f32.sin()];
    assert_eq!(
        vector_ids(&bulk, &q, &ALL, 10),
        vector_ids(&one_by_one, &q, &ALL, 10)
    );
    assert_eq!(vector_ids(&bulk, &q, &ALL, 1), [30]);
    // After the build, a write commits at once: a replaced tool is found by its new words only.
    bulk.upsert(doc(30, "tool_30", "spreadsheet", "c", &[]))
        .unwrap();
    bulk.remove(31).unwrap();
    assert_eq!(text_ids(&bulk, "spreadsheet", &ALL, 5), [30]);
    assert!(!text_ids(&bulk, "weather", &ALL, 100).contains(&30));
    assert!(!text_ids(&bulk, "invoice", &ALL, 100).contains(&31));
    assert_eq!(bulk.len(), 299);
}

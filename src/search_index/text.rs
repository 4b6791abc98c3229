//! The text side: tantivy over an in-RAM directory, BM25 per field with field boosts.
//!
//! Query semantics are "any word may match", ranked: the query is analysed like the documents
//! and becomes one boosted term query per (field, word), all optional. A union of plain term
//! queries is what tantivy answers with block-max WAND, so the top k costs far less than
//! scoring every tool that holds some query word. No query parser is involved: user input is
//! only ever words, so `"`, `:`, `(` or `-` can never make a query fail.

use std::collections::HashSet;
use std::sync::Mutex;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::{IndexDoc, IndexError, IndexFilter};

const TOKENIZER: &str = "toolbox_english";
/// Writer heap: tantivy's minimum is 15 MB per thread; one thread keeps memory bounded and a
/// batch is flushed when the budget is full.
const WRITER_HEAP: usize = 48_000_000;

/// The searchable text fields and their boosts.
///
/// The order follows the stores' full-text weights today (name and tags A = 1.0, description
/// B = 0.5, long description and examples C = 0.2), with the fields tantivy lets us separate:
/// a name word says most about what a tool does; tags are chosen labels, a little less
/// precise; the description is the tool's one-line summary; parameter names and their
/// descriptions say what it takes (often the words a caller uses: `city`, `currency`); the
/// examples are phrasings of uses; the long description is the longest and noisiest.
const FIELDS: [(&str, f32); 6] = [
    ("name", 1.0),
    ("tags_text", 0.8),
    ("description", 0.5),
    ("parameters", 0.35),
    ("examples", 0.3),
    ("long_description", 0.2),
];

pub(super) struct TextIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    analyzer: TextAnalyzer,
    id: Field,
    category: Field,
    tags: Field,
    text: [Field; FIELDS.len()],
}

/// English analysis close to the stores': words (letters and digits) lowercased, English stop
/// words left out (as PostgreSQL's `english` configuration does; FTS5's `porter` keeps them,
/// but they carry no ranking signal), Porter-family stemming (both stores stem).
fn analyzer() -> TextAnalyzer {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop) = StopWordFilter::new(Language::English) {
        builder = builder.filter_dynamic(stop);
    }
    builder
        .filter_dynamic(Stemmer::new(Language::English))
        .build()
}

impl TextIndex {
    pub(super) fn new() -> Result<Self, IndexError> {
        let mut schema = Schema::builder();
        // Indexed to delete by term, fast to map a hit back to its tool.
        let id = schema.add_i64_field("id", INDEXED | FAST);
        let category = schema.add_text_field("category", STRING);
        let tags = schema.add_text_field("tags", STRING);
        // Frequencies without positions: BM25 needs no more, and positions would double the
        // postings.
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let text = FIELDS.map(|(name, _)| schema.add_text_field(name, options.clone()));
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(TOKENIZER, analyzer());
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        // Manual: a write is made visible by `reload` right after its commit, so the next
        // search on this process sees it (read-your-writes), and nothing reloads behind it.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            reader,
            writer: Mutex::new(writer),
            analyzer: analyzer(),
            id,
            category,
            tags,
            text,
        })
    }

    /// Applies upserts and removals as one commit, then makes them visible.
    pub(super) fn apply(&self, upserts: &[&IndexDoc], removals: &[i64]) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for &id in removals {
            writer.delete_term(Term::from_field_i64(self.id, id));
        }
        for doc in upserts {
            // A delete applies to the documents added before it, so this replaces the tool.
            writer.delete_term(Term::from_field_i64(self.id, doc.id));
            writer.add_document(self.document(doc))?;
        }
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn document(&self, doc: &IndexDoc) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_i64(self.id, doc.id);
        d.add_text(self.category, &doc.category);
        for t in &doc.tags {
            d.add_text(self.tags, t);
        }
        let texts = [
            &doc.name_words,
            &doc.tag_words,
            &doc.description,
            &doc.parameters,
            &doc.examples,
            &doc.long_description,
        ];
        for (field, text) in self.text.iter().zip(texts) {
            d.add_text(*field, text);
        }
        d
    }

    /// How many documents a search sees.
    pub(super) fn len(&self) -> usize {
        self.reader.searcher().num_docs() as usize
    }

    /// How many segments a search visits (each commit adds one until merges fold them).
    pub(super) fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The analysed, de-duplicated words of `query`, in order.
    fn words(&self, query: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let split = crate::domain::split_identifier(query);
        let mut stream = analyzer.token_stream(&split);
        let mut seen = HashSet::new();
        let mut words = Vec::new();
        while stream.advance() {
            let w = &stream.token().text;
            if seen.insert(w.clone()) {
                words.push(w.clone());
            }
        }
        words
    }

    /// The `k` best BM25 matches of `query` that pass `filter`, best first.
    pub(super) fn top_k(
        &self,
        query: &str,
        filter: &IndexFilter,
        k: usize,
    ) -> Result<Vec<(i64, f32)>, IndexError> {
        let words = self.words(query);
        if words.is_empty() || k == 0 {
            return Ok(vec![]);
        }
        let mut any_word: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, (_, boost)) in self.text.iter().zip(FIELDS) {
            for w in &words {
                let term = TermQuery::new(
                    Term::from_field_text(*field, w),
                    IndexRecordOption::WithFreqs,
                );
                any_word.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term), boost)),
                ));
            }
        }
        let any_word = BooleanQuery::new(any_word);
        let query: Box<dyn Query> = if filter.category.is_none() && filter.tags.is_empty() {
            Box::new(any_word)
        } else {
            // Filters are required clauses scoring nothing, so they restrict without ranking.
            let exact = |field: Field, value: &str| -> (Occur, Box<dyn Query>) {
                let term = TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                );
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(Box::new(term), 0.0)),
                )
            };
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(any_word))];
            clauses.extend(filter.category.as_deref().map(|c| exact(self.category, c)));
            clauses.extend(filter.tags.iter().map(|t| exact(self.tags, t)));
            Box::new(BooleanQuery::new(clauses))
        };
        let searcher = self.reader.searcher();
        let hits = searcher.search(&*query, &TopDocs::with_limit(k).order_by_score())?;
        let mut out = Vec::with_capacity(hits.len());
        for (score, address) in hits {
            let ids = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .i64("id")?;
            if let Some(id) = ids.first(address.doc_id) {
                out.push((id, score));
            }
        }
        // Equal scores in id order, so answers do not depend on segment layout.
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(out)
    }
}

//! The text side: tantivy over an in-RAM directory, BM25 per field with field boosts.
//!
//! Query semantics are "any word may match", ranked: the query is analysed like the documents
//! and becomes one boosted term query per (field, word), all optional. A union of plain term
//! queries is what tantivy answers with block-max WAND, so the top k costs far less than
//! scoring every tool that holds some query word. No query parser is involved: user input is
//! only ever words, so `"`, `:`, `(` or `-` can never make a query fail.

use std::collections::HashSet;
use std::sync::Mutex;

use tantivy::collector::{FilterCollector, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
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

/// How much each part of a tool's body counts, as the number of times its words are indexed.
///
/// A tool is two fields, scored by BM25 each and summed, as a title and a body are: its name
/// words, and its body. The body's parts go into one field, each repeated this many times:
/// BM25F (Robertson, Zaragoza and Taylor, 2004) with integer weights. A query word's weighted
/// occurrences across the parts are saturated once, and its IDF counts tools, not parts, so
/// a word repeated in every part of one tool (a `text` tool whose tags, description and
/// parameters all say "text") cannot outweigh a tool matching more of the query's words,
/// which summing a BM25 per part does. With frequencies and no positions indexed, repetition
/// costs no postings, only a larger count and a longer length norm.
///
/// Tags are chosen labels; the description is the tool's one-line summary; parameter names
/// and their descriptions say what it takes (often the words a caller uses: `city`,
/// `currency`); the examples are phrasings of uses; the long description is the longest and
/// noisiest. MetaTool (`toolbox eval`, built-in embedder) measured text Recall@5 0.735 for
/// a BM25 per part summed, 0.710 for all parts (the name too) in one BM25F field, and
/// 0.748 for this name + body split (hybrid 0.672).
const WEIGHTS: Weights = Weights {
    tags: 2,
    description: 2,
    parameters: 1,
    examples: 1,
    long_description: 1,
};

struct Weights {
    tags: usize,
    description: usize,
    parameters: usize,
    examples: usize,
    long_description: usize,
}

pub(super) struct TextIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    analyzer: TextAnalyzer,
    id: Field,
    category: Field,
    tags: Field,
    text: Field,
    name: Field,
}

/// English analysis: words (letters and digits) lowercased, English stop words left out,
/// Porter-family stemming. The stop words are PostgreSQL's (`tsearch_data/english.stop`,
/// from Snowball, 127 words), longer than tantivy's own English list: in a natural-language
/// request ("can you show me what my ...") every such word matches most tools and, summed
/// over a long query, buries the words that say what is wanted.
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| w.to_string()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// PostgreSQL's English stop words, sorted.
#[rustfmt::skip]
const STOP_WORDS: [&str; 127] = [
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "did", "do", "does", "doing", "don", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
    "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same", "she",
    "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "why", "will", "with", "you", "your", "yours", "yourself", "yourselves",
];

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
        let text = schema.add_text_field("text", options.clone());
        let name = schema.add_text_field("name", options);
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
            name,
        })
    }

    /// Applies upserts and removals as one commit, then makes them visible. `held(id)` says
    /// whether the index holds `id` already: only those need deleting first, which spares a
    /// full build (every tool new) a delete per tool. On failure nothing of the batch stays.
    ///
    /// With `commit` false (a full build, whose index nobody searches yet) the batch is only
    /// handed to tantivy's indexing thread, which keeps indexing while the next batch is read
    /// and prepared; [`TextIndex::commit`] ends the build. A commit per batch made the two
    /// wait for each other.
    pub(super) fn apply(
        &self,
        upserts: &[&IndexDoc],
        removals: &[i64],
        held: impl Fn(i64) -> bool,
        commit: bool,
    ) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut write = || -> Result<(), IndexError> {
            for &id in removals.iter().filter(|&&id| held(id)) {
                writer.delete_term(Term::from_field_i64(self.id, id));
            }
            for doc in upserts {
                // A delete applies to the documents added before it, so this replaces the tool.
                if held(doc.id) {
                    writer.delete_term(Term::from_field_i64(self.id, doc.id));
                }
                writer.add_document(self.document(doc))?;
            }
            if commit {
                writer.commit()?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            // Uncommitted documents would otherwise go out with the next batch's commit.
            let _ = writer.rollback();
            return Err(e);
        }
        if commit {
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Commits what was applied without committing, and makes it visible.
    pub(super) fn commit(&self) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = writer.commit() {
            let _ = writer.rollback();
            return Err(e.into());
        }
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
        let w = &WEIGHTS;
        let parts = [
            (&doc.tag_words, w.tags),
            (&doc.description, w.description),
            (&doc.parameters, w.parameters),
            (&doc.examples, w.examples),
            (&doc.long_description, w.long_description),
        ];
        let mut text = String::new();
        for (part, times) in parts {
            for _ in 0..times {
                text.push_str(part);
                // A separator no word contains, so the parts' words never run together.
                text.push_str(" . ");
            }
        }
        d.add_text(self.text, &text);
        d.add_text(self.name, &doc.name_words);
        d
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
        let any_word: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| {
                let term = TermQuery::new(
                    Term::from_field_text(self.text, w),
                    IndexRecordOption::WithFreqs,
                );
                (Occur::Should, Box::new(term) as Box<dyn Query>)
            })
            .chain(words.iter().map(|w| {
                let term = TermQuery::new(
                    Term::from_field_text(self.name, w),
                    IndexRecordOption::WithFreqs,
                );
                (Occur::Should, Box::new(term) as Box<dyn Query>)
            }))
            .collect();
        let any_word = BooleanQuery::new(any_word);
        if filter.allowed.as_ref().is_some_and(|a| a.is_empty()) {
            return Ok(vec![]);
        }
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
        let top = TopDocs::with_limit(k).order_by_score();
        let hits = match &filter.allowed {
            None => searcher.search(&*query, &top)?,
            // A caller's tool set: tools outside it are left out before the top k are taken,
            // so the caller still gets k of its own.
            Some(allowed) => {
                let allowed = allowed.clone();
                let only =
                    FilterCollector::new("id".to_owned(), move |id: i64| allowed.contains(id), top);
                searcher.search(&*query, &only)?
            }
        };
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

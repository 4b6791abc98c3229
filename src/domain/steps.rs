//! Task queries: recognising a request that names several steps, and splitting it into them.
//!
//! A step boundary is a word or sign that sequences or adds a request: `then`, `after that`,
//! `afterwards`, `finally`, `next`, `also`, `additionally`, `as well as`, `plus`, a semicolon,
//! or list items on their own lines (`1.`, `2)`, `-`, `*`). Sentence ends split too, but only in
//! a query that has one of those words: "I'm planning a trip. What will the weather be?" is one
//! request in two sentences. A piece of fewer than three words ("Could you") joins the next.
//! A query is a task when this leaves at least two steps; otherwise it is searched as one, so a
//! single-intent query ranks exactly as it did before task queries existed.

/// Words that start a new step (matched as whole words, case-insensitively).
const CONNECTIVES: &[&str] = &[
    "and then",
    "then",
    "after that",
    "afterwards",
    "and finally",
    "finally",
    "next",
    "and also",
    "also",
    "additionally",
    "as well as",
    "plus",
];

/// Words that carry no request by themselves: a piece of only these ("Could you", "and
/// please") joins the next one.
const FILLER: &[&str] = &[
    "a", "an", "and", "can", "could", "do", "for", "i", "it", "me", "my", "please", "the", "to",
    "us", "we", "will", "would", "you", "your",
];

/// How a search request is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryMode {
    /// A task when [`task_steps`] finds several steps, otherwise one search.
    #[default]
    Auto,
    /// Always one search of the whole query.
    Single,
    /// Split into steps even without the words that mark them (at sentence ends too).
    Task,
}

impl std::str::FromStr for QueryMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "single" => Ok(Self::Single),
            "task" => Ok(Self::Task),
            _ => Err("must be `auto`, `single` or `task`".into()),
        }
    }
}

/// The steps of `query` in order, when it names at least two; empty otherwise. With
/// `forced` (`"mode": "task"`), sentence ends split even without a connective.
pub fn task_steps(query: &str, forced: bool) -> Vec<String> {
    let lines: Vec<&str> = query
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let items: Vec<String> = lines
        .iter()
        .filter_map(|l| strip_list_marker(l))
        .map(str::to_owned)
        .collect();
    if items.len() >= 2 {
        return join_short(items);
    }
    let mut pieces = Vec::new();
    let mut connective = false;
    for sentence in sentences(&lines.join(" ")) {
        for part in sentence.split(';') {
            connective |= sentence.contains(';');
            let (parts, found) = split_connectives(part);
            connective |= found;
            pieces.extend(parts);
        }
    }
    if !connective && !forced {
        return Vec::new();
    }
    let steps = join_short(pieces);
    if steps.len() >= 2 { steps } else { Vec::new() }
}

/// The text after a list marker (`1.`, `2)`, `-`, `*`, `•`), if the line starts with one.
fn strip_list_marker(line: &str) -> Option<&str> {
    for bullet in ["- ", "* ", "• "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(rest.trim());
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 2 {
        let rest = &line[digits..];
        for mark in [". ", ") ", ": "] {
            if let Some(rest) = rest.strip_prefix(mark) {
                return Some(rest.trim());
            }
        }
    }
    None
}

/// Sentences: split after `.`, `?` or `!` followed by a space.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'?' | b'!') && bytes.get(i + 1) == Some(&b' ') {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    out.push(&text[start..]);
    out
}

/// Splits at connectives (whole words); says whether there was one.
fn split_connectives(text: &str) -> (Vec<String>, bool) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let norm: Vec<String> = words
        .iter()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    let mut parts = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut found = false;
    let mut i = 0;
    while i < words.len() {
        let matched = CONNECTIVES.iter().find_map(|c| {
            let cw: Vec<&str> = c.split(' ').collect();
            let fits = norm.len() >= i + cw.len()
                && cw.iter().zip(&norm[i..]).all(|(a, b)| *a == b.as_str())
                // "then" after "and" is matched as "and then", never as "then" alone.
                && !(i + cw.len() < words.len() && words[i + cw.len() - 1].ends_with(['.', '?', '!']));
            fits.then_some(cw.len())
        });
        match matched {
            Some(n) => {
                found = true;
                parts.push(current.join(" "));
                current.clear();
                i += n;
            }
            None => {
                current.push(words[i]);
                i += 1;
            }
        }
    }
    parts.push(current.join(" "));
    (parts, found)
}

/// Drops empty pieces and joins a piece of [`FILLER`] words only to the next (the last one to
/// the one before).
fn join_short(pieces: Vec<String>) -> Vec<String> {
    let mut steps: Vec<String> = Vec::new();
    let mut carry = String::new();
    for p in pieces {
        let p = p
            .trim()
            .trim_matches(|c: char| c == ',' || c == ';')
            .trim()
            .to_owned();
        if p.is_empty() {
            continue;
        }
        let joined = if carry.is_empty() {
            p
        } else {
            format!("{carry} {p}")
        };
        let content = joined
            .split_whitespace()
            .map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|w| !w.is_empty() && !FILLER.contains(&w.as_str()))
            .count();
        if content == 0 {
            carry = joined;
        } else {
            steps.push(joined);
            carry.clear();
        }
    }
    if !carry.is_empty() {
        match steps.last_mut() {
            Some(last) => {
                last.push(' ');
                last.push_str(&carry);
            }
            None => steps.push(carry),
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_names_its_steps_is_split_into_them() {
        let steps = task_steps(
            "get the exchange rate, then convert the invoice, then email it to the client",
            false,
        );
        assert_eq!(
            steps,
            [
                "get the exchange rate",
                "convert the invoice",
                "email it to the client"
            ]
        );
    }

    #[test]
    fn an_added_request_in_a_second_sentence_is_a_step() {
        let steps = task_steps(
            "What is the weather forecast for tomorrow? Could you also recommend indoor courses?",
            false,
        );
        assert_eq!(
            steps,
            [
                "What is the weather forecast for tomorrow?",
                "Could you recommend indoor courses?"
            ]
        );
    }

    #[test]
    fn a_single_intent_query_has_no_steps_even_in_two_sentences() {
        assert!(task_steps("tool to add numbers", false).is_empty());
        assert!(task_steps("I'm planning a trip. What will the weather be?", false).is_empty());
        assert!(task_steps("send an email and attach the file", false).is_empty());
    }

    #[test]
    fn listed_items_are_steps_and_task_mode_splits_sentences() {
        assert_eq!(
            task_steps("1. fetch the sales figures\n2. draw a bar chart", false),
            ["fetch the sales figures", "draw a bar chart"]
        );
        assert_eq!(
            task_steps("I'm planning a trip. What will the weather be?", true).len(),
            2
        );
    }
}

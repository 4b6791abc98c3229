//! The console's page templates: the layout, and each page's skeleton (headings, forms, empty
//! tables) that `console.js` fills from the API. A page holds no registry data.

use maud::{DOCTYPE, Markup, html};

/// Which page to render, with the path parameter it names.
pub enum Page {
    Search,
    Tools,
    Tool(String),
    Edit(String),
    Register,
    Executions,
    Execution(String),
    Servers,
}

impl Page {
    /// The `data-page` the script dispatches on.
    fn id(&self) -> &'static str {
        match self {
            Page::Search => "search",
            Page::Tools => "tools",
            Page::Tool(_) => "tool",
            Page::Edit(_) => "edit",
            Page::Register => "register",
            Page::Executions => "executions",
            Page::Execution(_) => "execution",
            Page::Servers => "servers",
        }
    }

    fn title(&self) -> String {
        match self {
            Page::Search => "Search".into(),
            Page::Tools => "Tools".into(),
            Page::Tool(name) => name.clone(),
            Page::Edit(name) => format!("Edit {name}"),
            Page::Register => "Register a tool".into(),
            Page::Executions => "Executions".into(),
            Page::Execution(id) => format!("Execution {id}"),
            Page::Servers => "Upstream servers".into(),
        }
    }

    /// The navigation entry this page sits under.
    fn section(&self) -> &'static str {
        match self {
            Page::Search => "search",
            Page::Tools | Page::Tool(_) | Page::Edit(_) => "tools",
            Page::Register => "register",
            Page::Executions | Page::Execution(_) => "executions",
            Page::Servers => "servers",
        }
    }

    fn subject(&self) -> Option<&str> {
        match self {
            Page::Tool(s) | Page::Edit(s) | Page::Execution(s) => Some(s),
            _ => None,
        }
    }
}

/// Section, link, label, and whether only an admin can use the page (the script hides such
/// entries from a key whose role is known to be less).
const NAV: &[(&str, &str, &str, bool)] = &[
    ("search", "/", "Search", false),
    ("tools", "/ui/tools", "Tools", false),
    ("register", "/ui/register", "Register", true),
    ("executions", "/ui/executions", "Executions", false),
    ("servers", "/ui/servers", "Servers", true),
];

/// The whole document for `page`.
pub fn render(page: &Page, builtins: &[String]) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title()) " · toolbox console" }
                link rel="stylesheet" href="/ui/assets/console.css";
                script type="module" src="/ui/assets/console.js" {}
            }
            body data-page=(page.id()) data-subject=[page.subject()]
                data-builtins=(builtins.join(" ")) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "toolbox" span.brand-sub { "console" } }
                    nav aria-label="Console" {
                        ul {
                            @for (id, href, label, admin) in NAV {
                                li data-needs=[admin.then_some("admin")] {
                                    @if *id == page.section() {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                            li { a href="/docs" { "API docs" } }
                        }
                    }
                    div #access .access aria-live="polite" {}
                }
                (key_panel())
                main #main tabindex="-1" {
                    (content(page))
                }
                noscript { p.alert { "The console needs JavaScript: it reads everything through the API." } }
            }
        }
    }
}

fn key_panel() -> Markup {
    html! {
        section #key-panel .key-panel hidden aria-labelledby="key-title" {
            form #key-form novalidate {
                h2 #key-title { "API key" }
                p #key-reason .hint { "This service checks API keys. Enter one to use the console." }
                div.row {
                    label for="key-input" { "Key" }
                    input #key-input type="password" name="key" autocomplete="off" spellcheck="false";
                    button type="submit" { "Use this key" }
                    button #key-cancel .secondary type="button" { "Cancel" }
                }
                p.hint { "Kept in this browser tab only (session storage) and sent as "
                    code { "Authorization: Bearer" } "." }
            }
        }
    }
}

fn content(page: &Page) -> Markup {
    match page {
        Page::Search => search(),
        Page::Tools => tools(),
        Page::Tool(name) => tool(name),
        Page::Edit(name) => tool_form(Some(name)),
        Page::Register => tool_form(None),
        Page::Executions => executions(),
        Page::Execution(id) => html! {
            h1 { "Execution " (id) }
            div #execution .panel { (loading()) }
        },
        Page::Servers => html! {
            h1 { "Upstream servers" }
            p.lead { "MCP servers whose tools are synced into the registry. Reading them needs an admin key." }
            div #servers { (loading()) }
        },
    }
}

fn loading() -> Markup {
    html! { p.muted role="status" { "Loading…" } }
}

/// A labelled control with its error slot; `pointer` is the JSON pointer the API names when
/// this field is at fault.
fn field(id: &str, label: &str, pointer: &str, hint: Option<&str>, control: Markup) -> Markup {
    html! {
        div.field data-pointer=(pointer) {
            label for=(id) { (label) }
            (control)
            @if let Some(h) = hint { p.hint id={(id) "-hint"} { (h) } }
            p.field-error id={(id) "-error"} hidden {}
        }
    }
}

fn search() -> Markup {
    html! {
        h1 { "Search playground" }
        p.lead { "Describe a task in plain words: see which tools rank first, and which side of the search found each one." }
        form #search-form .card novalidate {
            p.form-error role="alert" hidden {}
            div.grid {
                div.span-all {
                    (field("q", "Query", "/query", None, html! {
                        input #q name="query" type="search" placeholder="e.g. add two numbers" autocomplete="off";
                    }))
                }
                (field("method", "Method", "/fusion", None, html! {
                    select #method name="method" {
                        option value="" { "Service default" }
                        option value="weighted" { "Hybrid, weighted" }
                        option value="rrf" { "Hybrid, reciprocal rank fusion" }
                        option value="vector" { "Vector only" }
                        option value="text" { "Full text (BM25) only" }
                    }
                }))
                (field("category", "Category", "/category", None, html! {
                    input #category name="category" autocomplete="off";
                }))
                (field("tags", "Tags", "/tags", Some("comma-separated; all must match"), html! {
                    input #tags name="tags" autocomplete="off";
                }))
                (field("limit", "Limit", "/limit", None, html! {
                    input #limit name="limit" inputmode="numeric" placeholder="default";
                }))
                (field("threshold", "Threshold", "/threshold", Some("minimum relevance, 0 to 1 (empty: the service default)"), html! {
                    input #threshold name="threshold" inputmode="decimal" placeholder="default";
                }))
            }
            div.actions { button type="submit" { "Search" } }
        }
        div #search-status role="status" aria-live="polite" {}
        ol #results .results {}
        p.legend hidden {
            span.swatch.vector {} " vector side (cosine similarity, normalised in a weighted fusion) "
            span.swatch.text {} " text side (BM25, relative to the best text match) "
        }
    }
}

fn tools() -> Markup {
    html! {
        div.title-row {
            h1 { "Tools" }
            a.button data-needs="admin" hidden href="/ui/register" { "Register a tool" }
        }
        form #tools-filter .card.filters novalidate {
            (field("f-category", "Category", "category", None, html! { input #f-category name="category" autocomplete="off"; }))
            (field("f-tags", "Tags", "tags", Some("comma-separated"), html! { input #f-tags name="tags" autocomplete="off"; }))
            (field("f-origin", "Origin", "origin", None, html! {
                select #f-origin name="origin" {
                    option value="" { "Any" }
                    option value="builtin" { "Built in" }
                    option value="http" { "HTTP endpoint" }
                    option value="upstream" { "Upstream MCP server" }
                    option value="discovery" { "Discovery only" }
                }
            }))
            (field("f-name", "Name contains", "name", None, html! { input #f-name name="name" autocomplete="off"; }))
            div.actions { button type="submit" { "Filter" } }
        }
        div #tools-status role="status" aria-live="polite" {}
        div.table-wrap {
            table #tools-table .table hidden {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Description" } th scope="col" { "Category" } th scope="col" { "Tags" } th scope="col" { "Origin" } } }
                tbody {}
            }
        }
        button #tools-more .secondary type="button" hidden { "Load more" }
    }
}

fn tool(name: &str) -> Markup {
    html! {
        div.title-row {
            h1 #tool-title { (name) }
            div #tool-actions .actions {}
        }
        div #tool-notice role="status" aria-live="polite" {}
        div #tool-summary { (loading()) }
        div.columns {
            section #tryit .card aria-labelledby="tryit-title" {
                h2 #tryit-title { "Try it" }
                div #tryit-body {}
                div #tryit-result aria-live="polite" {}
            }
            section #schemas .card aria-labelledby="schemas-title" {
                h2 #schemas-title { "Schemas" }
                div #schemas-body {}
            }
        }
        section #stats .card aria-labelledby="stats-title" {
            h2 #stats-title { "Calls" }
            div #stats-body { (loading()) }
        }
        div.columns {
            section #recent .card aria-labelledby="recent-title" {
                h2 #recent-title { "Recent executions" }
                div #recent-body { (loading()) }
            }
            section #similar .card aria-labelledby="similar-title" {
                h2 #similar-title { "Similar tools" }
                div #similar-body { (loading()) }
            }
        }
        dialog #delete-dialog aria-labelledby="delete-title" {
            form method="dialog" {
                h2 #delete-title { "Delete " (name) "?" }
                p { "Agents will no longer find or call it. Its execution history is kept." }
                p.form-error role="alert" hidden {}
                div.actions {
                    button #delete-confirm .danger type="button" { "Delete" }
                    button .secondary value="cancel" { "Cancel" }
                }
            }
        }
    }
}

/// The register form, or the edit form of `editing`.
fn tool_form(editing: Option<&str>) -> Markup {
    html! {
        @if let Some(name) = editing {
            h1 { "Edit " a href={"/ui/tools/" (name)} { (name) } }
        } @else {
            h1 { "Register a tool" }
        }
        div #form-status role="status" aria-live="polite" {}
        form #tool-form .card novalidate data-editing=[editing] {
            p.form-error role="alert" hidden {}
            div.grid {
                (field("t-name", "Name", "/name", Some("1–128 of A–Z a–z 0–9 _ - ."), html! {
                    @if editing.is_some() {
                        input #t-name name="name" readonly value=[editing];
                    } @else {
                        input #t-name name="name" autocomplete="off" required;
                    }
                }))
                (field("t-category", "Category", "/category", Some("default: general"), html! { input #t-category name="category" autocomplete="off"; }))
                div.span-all {
                    (field("t-description", "Description", "/description", Some("one line: what agents search against first"), html! {
                        input #t-description name="description" autocomplete="off" required;
                    }))
                }
                div.span-all {
                    (field("t-long", "Long description", "/long_description", None, html! { textarea #t-long name="long_description" rows="3" {} }))
                }
                (field("t-tags", "Tags", "/tags", Some("comma-separated"), html! { input #t-tags name="tags" autocomplete="off"; }))
                (field("t-version", "Version", "/version", Some("default: 1.0.0"), html! { input #t-version name="version" autocomplete="off"; }))
                (field("t-author", "Author", "/author", None, html! { input #t-author name="author" autocomplete="off"; }))
                div.span-all {
                    (field("t-examples", "Examples", "/examples", Some("one per line: requests this tool answers"), html! { textarea #t-examples name="examples" rows="3" {} }))
                }
                div.span-all {
                    (field("t-input", "Input schema", "/input_schema", Some("a JSON Schema object"), html! {
                        textarea #t-input .code name="input_schema" rows="8" spellcheck="false" {
                            "{\n  \"type\": \"object\",\n  \"properties\": {}\n}"
                        }
                    }))
                }
                div.span-all {
                    (field("t-output", "Output schema", "/output_schema", Some("optional JSON Schema"), html! { textarea #t-output .code name="output_schema" rows="4" spellcheck="false" {} }))
                }
                div.span-all {
                    (field("t-config", "Config", "/config", Some("optional JSON object, e.g. an HTTP executor"), html! { textarea #t-config .code name="config" rows="4" spellcheck="false" {} }))
                }
            }
            div.actions {
                button type="submit" { @if editing.is_some() { "Save changes" } @else { "Register" } }
            }
        }
    }
}

fn executions() -> Markup {
    html! {
        h1 { "Executions" }
        p.lead { "The recorded calls of one tool, newest first." }
        form #exec-filter .card.filters novalidate {
            (field("x-tool", "Tool", "tool", None, html! { select #x-tool name="tool" { option value="" { "Choose a tool…" } } }))
            (field("x-outcome", "Outcome", "outcome", None, html! {
                select #x-outcome name="outcome" {
                    option value="all" { "All" }
                    option value="success" { "Succeeded" }
                    option value="failure" { "Failed (any kind)" }
                    option value="tool_error" { "Tool error" }
                    option value="invalid_arguments" { "Invalid arguments" }
                    option value="timeout" { "Timed out" }
                    option value="unavailable" { "Unavailable" }
                    option value="not_executable" { "Not executable" }
                }
            }))
            div.actions { button type="submit" { "Show" } }
        }
        div #exec-status role="status" aria-live="polite" {}
        div.table-wrap {
            table #exec-table .table hidden {
                thead { tr { th scope="col" { "Id" } th scope="col" { "When" } th scope="col" { "Tool" } th scope="col" { "Outcome" } th scope="col" { "Duration" } th scope="col" { "Request id" } } }
                tbody {}
            }
        }
        button #exec-more .secondary type="button" hidden { "Load more" }
    }
}

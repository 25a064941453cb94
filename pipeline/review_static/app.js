// parks review: document list, document view with highlighted entities, queue mode.
// Every piece of document text goes into the page with textContent, never as HTML.
"use strict";

const TYPES = ["park", "country", "company", "figure"];
const LABELS = {park: "PARK 园区", country: "COUNTRY 国家", company: "COMPANY 企业", figure: "FIGURE 数值"};
const state = {csrf: null, doc: null, order: [], current: -1, queue: null, queuePos: 0, listFilter: "", theme: null};

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(text, kind = "ok") {
  const box = $("#message");
  box.textContent = text;
  box.className = kind;
}

function reviewer() {
  const name = $("#reviewer").value.trim();
  if (!name) {
    say("Type your name in the Reviewer box first: it is saved with every decision.", "error");
    $("#reviewer").focus();
    return null;
  }
  localStorage.setItem("parks.reviewer", name);
  return name;
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": state.csrf},
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(data.detail) ? data.detail.map(d => `${d.loc.join(".")}: ${d.msg}`).join("; ") : data.detail;
    throw new Error(detail || `${response.status} ${response.statusText}`);
  }
  return data;
}

// --- document list ---------------------------------------------------------------

async function showList() {
  state.doc = null;
  const view = $("#view");
  view.replaceChildren(el("p", {}, "Loading…"));
  const documents = await api("/api/documents");
  const search = el("input", {id: "search", type: "search", placeholder: "filter by id or title (/)", value: state.listFilter});
  const language = el("select", {id: "language"}, el("option", {value: ""}, "all languages"),
    ...["en", "zh", "mixed"].map(l => el("option", {value: l}, l)));
  const body = el("tbody");
  const total = {all: 0, reviewed: 0};
  const render = () => {
    state.listFilter = search.value;
    const needle = search.value.trim().toLowerCase();
    body.replaceChildren(...documents.filter(d =>
      (!language.value || d.language === language.value) &&
      (!needle || [d.doc_id, d.title, d.title_zh].some(t => (t || "").toLowerCase().includes(needle)))
    ).map(row));
  };
  const row = d => {
    let all = 0, reviewed = 0;
    const cells = TYPES.map(t => {
      const c = d.counts[t];
      all += c.pending + c.accepted + c.rejected + c.corrected;
      reviewed += c.accepted + c.rejected + c.corrected;
      return el("td", {class: "num", title: `${t}: pending / accepted / rejected / corrected`},
        `${c.pending} / ${c.accepted} / ${c.rejected} / ${c.corrected}`);
    });
    return el("tr", {},
      el("td", {}, el("a", {href: `#/doc/${encodeURIComponent(d.doc_id)}`}, d.doc_id)),
      el("td", {}, d.title || d.title_zh || ""), el("td", {}, d.language || d.status),
      ...cells, el("td", {class: "num"}, `${reviewed} / ${all}`, d.orphans ? ` (${d.orphans} orphans)` : ""));
  };
  for (const d of documents) for (const t of TYPES) {
    const c = d.counts[t];
    total.all += c.pending + c.accepted + c.rejected + c.corrected;
    total.reviewed += c.accepted + c.rejected + c.corrected;
  }
  search.addEventListener("input", render);
  language.addEventListener("change", render);
  view.replaceChildren(
    el("h1", {}, `${documents.length} documents`),
    el("p", {class: "progress"}, `Reviewed ${total.reviewed} of ${total.all} entities `,
      el("progress", {max: total.all || 1, value: total.reviewed})),
    el("div", {class: "filters"}, search, language),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "doc_id"), el("th", {}, "title"), el("th", {}, "language"),
      ...TYPES.map(t => el("th", {class: "num"}, `${t} p/a/r/c`)), el("th", {class: "num"}, "reviewed"))), body));
  render();
}

// --- document view ---------------------------------------------------------------

async function showDocument(docId, entityId) {
  const doc = await api(`/api/documents/${encodeURIComponent(docId)}`);
  state.doc = doc;
  state.order = [...doc.entities, ...doc.rejected].sort((a, b) => a.start - b.start || a.end - b.end);
  state.current = Math.max(0, entityId ? state.order.findIndex(e => e.id === entityId) : state.order.findIndex(e => e.review_status === "pending"));
  const text = el("div", {class: "text", id: "text", lang: doc.language === "zh" ? "zh" : "en"});
  let position = 0;
  for (const entity of state.order) {
    if (entity.start < position) continue;  // overlapping corrections: the first one is shown
    text.append(doc.text.slice(position, entity.start));
    const mark = el("mark", {id: `e-${entity.id}`, "data-label": LABELS[entity.type], "data-id": entity.id,
      onclick: () => select(state.order.indexOf(entity))}, doc.text.slice(entity.start, entity.end));
    text.append(mark);
    position = entity.end;
  }
  text.append(doc.text.slice(position));
  const orphans = doc.orphans.length ? el("div", {class: "orphans"},
    el("strong", {}, `${doc.orphans.length} decisions could not be applied:`),
    el("ul", {}, doc.orphans.map(o => el("li", {}, `${o.action} ${o.type} “${o.text}” by ${o.reviewer}: …${o.context}…`
      + (o.reason ? ` (${o.reason})` : ""))))) : null;
  $("#view").replaceChildren(...[
    el("h1", {}, doc.title || doc.doc_id),
    el("p", {class: "progress", id: "progress"}),
    themeBar(doc),
    orphans,
    doc.status !== "ok" ? el("p", {class: "orphans"}, `This document failed: ${doc.error}`) : null,
    el("div", {class: "layout"}, text, el("aside", {class: "panel", id: "panel"}))].filter(Boolean));
  state.order.forEach(refreshMark);
  renderProgress();
  select(state.current);
}

// --- themes: which passages a theme was given to, and the terms that drove it ------------

function themeBar(doc) {
  state.theme = null;
  if (window.CSS && CSS.highlights) CSS.highlights.delete("theme");
  if (!doc.themes || !doc.themes.length) return el("p", {class: "themes", id: "themes"}, "No themes in this document.");
  return el("div", {class: "themes", id: "themes"}, "Themes: ",
    doc.themes.map(t => el("button", {class: `theme theme-${t.group}`, id: `theme-${t.id}`, title: `${t.id}: ${t.terms.join(", ")}`,
      onclick: () => showTheme(t)}, `${t.label} ${t.label_zh} · ${t.passages.length}`)),
    el("div", {id: "theme-passage", class: "context"}));
}

function showTheme(theme) {
  // a second click on the same theme moves on to its next passage
  const next = state.theme && state.theme.id === theme.id ? (state.theme.index + 1) % theme.passages.length : 0;
  state.theme = {id: theme.id, index: next};
  document.querySelectorAll("button.theme.current").forEach(b => b.classList.remove("current"));
  document.getElementById(`theme-${theme.id}`).classList.add("current");
  const ranges = theme.passages.map(p => textRange(p.start, p.end));
  if (window.CSS && CSS.highlights) CSS.highlights.set("theme", new Highlight(...ranges.filter(Boolean)));
  const passage = theme.passages[next];
  $("#theme-passage").replaceChildren(
    `${theme.label} ${theme.label_zh} (${theme.group}): passage ${next + 1} of ${theme.passages.length}, `,
    `characters ${passage.start}–${passage.end}, score ${passage.score}, terms: `,
    el("strong", {}, passage.terms.join(", ")));
  const range = ranges[next];
  if (range) {
    const text = $("#text");
    text.scrollTop += range.getBoundingClientRect().top - text.getBoundingClientRect().top - 40;
  }
}

function textRange(start, end) {
  // offsets into the document's text, found in the text nodes of #text (entity marks included)
  const walker = document.createTreeWalker($("#text"), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let position = 0, started = false;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const length = node.data.length;
    if (!started && start <= position + length) { range.setStart(node, start - position); started = true; }
    if (started && end <= position + length) { range.setEnd(node, end - position); return range; }
    position += length;
  }
  return null;
}

function refreshMark(entity) {
  const mark = document.getElementById(`e-${entity.id}`);
  if (mark) mark.className = `ent ent-${entity.type} status-${entity.review_status}`;
}

function renderProgress() {
  const all = state.order.length;
  const reviewed = state.order.filter(e => e.review_status !== "pending").length;
  $("#progress").replaceChildren(`Reviewed ${reviewed} of ${all} `, el("progress", {max: all || 1, value: reviewed}),
    state.queue ? ` · queue ${state.queuePos + 1} of ${state.queue.length}` : "");
}

function select(index) {
  if (!state.order.length) {
    $("#panel").replaceChildren(el("p", {}, "No entities in this document."));
    return;
  }
  state.current = Math.min(Math.max(index, 0), state.order.length - 1);
  document.querySelectorAll("mark.current").forEach(m => m.classList.remove("current"));
  const entity = state.order[state.current];
  const mark = document.getElementById(`e-${entity.id}`);
  if (mark) {
    mark.classList.add("current");
    mark.scrollIntoView({block: "center", behavior: "instant"});
  }
  renderPanel(entity);
}

function renderPanel(entity) {
  const doc = state.doc;
  const canonical = entity.canonical;
  const context = entity.context ? doc.text.slice(entity.context.start, entity.context.end) : "";
  const details = el("dl", {},
    el("dt", {}, "type"), el("dd", {}, entity.type),
    el("dt", {}, "text"), el("dd", {id: "entity-text"}, entity.text),
    el("dt", {}, "span"), el("dd", {}, `${entity.start}–${entity.end}`),
    el("dt", {}, "status"), el("dd", {}, el("span", {class: `badge ${entity.review_status}`, id: "entity-status"}, entity.review_status),
      entity.review ? ` by ${entity.review.reviewer}` : ""),
    el("dt", {}, "canonical"), el("dd", {}, canonical ? `${canonical.name || ""} ${canonical.name_zh || ""} (${canonical.id})` : "—"),
    entity.country ? [el("dt", {}, "country"), el("dd", {}, entity.country)] : null,
    entity.type === "figure" ? [el("dt", {}, "value"), el("dd", {id: "entity-value"}, `${entity.value ?? "—"} ${entity.unit ?? ""} ${entity.noun ?? ""}`)] : null,
    el("dt", {}, "confidence"), el("dd", {}, `${entity.confidence} (${entity.source})`));
  const actions = el("div", {class: "actions"},
    el("button", {id: "accept", onclick: () => act("accept")}, "Accept (a)"),
    el("button", {id: "reject", onclick: () => act("reject")}, "Reject (r)"),
    el("button", {onclick: () => select(state.current - 1)}, "← Previous (k)"),
    el("button", {onclick: () => select(state.current + 1)}, "Next (j) →"),
    el("button", {id: "undo", onclick: undoLast}, "Undo (u)"));
  $("#panel").replaceChildren(
    el("h2", {}, `${state.current + 1} / ${state.order.length}`),
    details, el("div", {class: "context", lang: doc.language === "zh" ? "zh" : "en"}, context), actions,
    correctionForm(entity), distinctList());
}

function correctionForm(entity) {
  const form = el("form", {class: "correct", id: "correct"});
  const field = (label, input) => el("label", {}, label, input);
  const type = el("select", {name: "type"}, ...TYPES.map(t => el("option", {value: t, selected: t === entity.type ? "" : null}, t)));
  const start = el("input", {name: "start", type: "number", value: entity.start});
  const end = el("input", {name: "end", type: "number", value: entity.end});
  const nudge = (input, by) => el("button", {type: "button", onclick: () => { input.value = Number(input.value) + by; preview(); }}, by > 0 ? "+" : "−");
  const spanText = el("div", {class: "context", id: "span-preview"});
  const preview = () => { spanText.textContent = state.doc.text.slice(Number(start.value), Number(end.value)); };
  const canonicalInput = el("input", {name: "canonical", list: "canonical-options", placeholder: "search and pick, or type a new name",
    value: entity.canonical ? entity.canonical.id : ""});
  const options = el("datalist", {id: "canonical-options"});
  canonicalInput.addEventListener("input", async () => {
    if (entity.type === "figure") return;
    const hits = await api(`/api/canonical?type=${encodeURIComponent(type.value === "figure" ? "park" : type.value)}&q=${encodeURIComponent(canonicalInput.value)}`);
    state.canonicalHits = hits;
    options.replaceChildren(...hits.map(c => el("option", {value: c.id}, `${c.name || ""} ${c.name_zh || ""}`)));
  });
  const country = el("input", {name: "country", value: entity.country || "", maxlength: 2, placeholder: "ISO code, e.g. BY"});
  const value = el("input", {name: "value", type: "number", step: "any", value: entity.value ?? ""});
  const unit = el("input", {name: "unit", value: entity.unit || ""});
  const noun = el("input", {name: "noun", value: entity.noun || ""});
  start.addEventListener("input", preview);
  end.addEventListener("input", preview);
  preview();
  form.append(...[el("h3", {}, "Correct (e)"),
    field("type", type),
    el("div", {class: "span-row"}, "start", nudge(start, -1), start, nudge(start, 1), "end", nudge(end, -1), end, nudge(end, 1)),
    spanText,
    entity.type !== "figure" ? [field("canonical entity (id from the list, or a new name)", canonicalInput), options, field("country", country)] : null,
    entity.type === "figure" ? [field("value", value), field("unit (USD, CNY, percent, count, km2 …)", unit), field("noun (counted thing)", noun)] : null,
    el("button", {type: "submit", id: "save-correction"}, "Save correction (Enter)")].flat().filter(Boolean));
  form.addEventListener("submit", event => {
    event.preventDefault();
    const after = {};
    if (type.value !== entity.type) after.type = type.value;
    if (Number(start.value) !== entity.start) after.start = Number(start.value);
    if (Number(end.value) !== entity.end) after.end = Number(end.value);
    if (entity.type === "figure") {
      const v = value.value === "" ? null : Number(value.value);
      if (v !== entity.value) after.value = v;
      if ((unit.value || null) !== entity.unit) after.unit = unit.value || null;
      if ((noun.value || null) !== entity.noun) after.noun = noun.value || null;
    } else {
      const picked = canonicalInput.value.trim();
      if (picked && (!entity.canonical || picked !== entity.canonical.id)) {
        const known = (state.canonicalHits || []).find(c => c.id === picked);
        const kind = type.value;
        after.canonical = known || {id: `${kind}:review:${picked.toLowerCase().replace(/[^a-z0-9\u4e00-\u9fff]+/g, "-")}`,
          name: /[\u4e00-\u9fff]/.test(picked) ? null : picked, name_zh: /[\u4e00-\u9fff]/.test(picked) ? picked : null, aliases: []};
      }
      if ((country.value.toUpperCase() || null) !== entity.country) after.country = country.value.toUpperCase() || null;
    }
    if (!Object.keys(after).length) { say("Nothing changed.", "error"); return; }
    act("correct", after);
  });
  return form;
}

function distinctList() {
  const groups = new Map();
  for (const e of state.order) {
    const key = e.canonical ? e.canonical.id : `${e.type}:${e.text}`;
    if (!groups.has(key)) groups.set(key, {key, entity: e, mentions: []});
    groups.get(key).mentions.push(e);
  }
  const bulk = (group, action, scope) => el("button", {onclick: () => bulkDecide(group, action, scope)}, `${action} all${scope === "corpus" ? " in corpus" : ""}`);
  return el("div", {class: "distinct"}, el("h3", {}, `${groups.size} distinct entities`),
    el("ul", {}, [...groups.values()].map(g => el("li", {},
      el("a", {href: "#", onclick: ev => { ev.preventDefault(); select(state.order.indexOf(g.mentions[0])); }},
        `${g.entity.type}: ${g.entity.canonical ? (g.entity.canonical.name || g.entity.canonical.name_zh || g.entity.text) : g.entity.text}`),
      ` ×${g.mentions.length} `,
      g.entity.canonical ? [bulk(g, "accept", "document"), bulk(g, "reject", "document"), bulk(g, "accept", "corpus"), bulk(g, "reject", "corpus")] : null))));
}

// --- decisions -------------------------------------------------------------------

async function act(action, after) {
  const name = reviewer();
  if (!name || !state.order.length) return;
  const entity = state.order[state.current];
  try {
    const result = await api("/api/decisions", {doc_id: state.doc.doc_id, entity_id: entity.id, action, reviewer: name, after: after || null});
    if (action === "correct") {
      say(`Corrected “${result.entity.text}”.`);
      await showDocument(state.doc.doc_id, result.entity.id);
      return;
    }
    Object.assign(entity, result.entity);
    refreshMark(entity);
    renderProgress();
    say(`${action === "accept" ? "Accepted" : "Rejected"} “${entity.text}”.`);
    advance();
  } catch (err) {
    say(`Not saved: ${err.message}`, "error");
  }
}

function advance() {
  if (state.queue) {
    state.queuePos += 1;
    if (state.queuePos < state.queue.length) return openQueueItem();
    state.queue = null;
    return say("Queue done.");
  }
  select(state.current + 1);
}

async function bulkDecide(group, action, scope) {
  const name = reviewer();
  if (!name) return;
  try {
    const result = await api("/api/bulk", {doc_id: state.doc.doc_id, canonical_id: group.key, action, scope, reviewer: name});
    say(`${result.decided} mentions ${action}ed.`);
    await showDocument(state.doc.doc_id, state.order[state.current]?.id);
  } catch (err) {
    say(`Not saved: ${err.message}`, "error");
  }
}

async function undoLast() {
  const name = reviewer();
  if (!name) return;
  try {
    const result = await api("/api/undo", {reviewer: name});
    say("Undone.");
    if (state.doc && result.doc_id === state.doc.doc_id) await showDocument(result.doc_id, result.entity_id);
    else location.hash = `#/doc/${encodeURIComponent(result.doc_id)}`;
  } catch (err) {
    say(`Nothing undone: ${err.message}`, "error");
  }
}

// --- queue ------------------------------------------------------------------------

async function showQueue() {
  const items = await api("/api/queue?limit=200");
  state.queue = items;
  state.queuePos = 0;
  if (!items.length) {
    state.queue = null;
    $("#view").replaceChildren(el("p", {}, "Nothing pending."));
    return;
  }
  await openQueueItem();
}

async function openQueueItem() {
  const item = state.queue[state.queuePos];
  if (!state.doc || state.doc.doc_id !== item.doc_id) await showDocument(item.doc_id, item.entity_id);
  else select(state.order.findIndex(e => e.id === item.entity_id));
  renderProgress();
}

// --- routing and keys -----------------------------------------------------------------

async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "doc" && parts[1]) { state.queue = null; await showDocument(parts[1], parts[2]); }
    else if (parts[0] === "queue") await showQueue();
    else { state.queue = null; await showList(); }
  } catch (err) {
    say(err.message, "error");
  }
}

document.addEventListener("keydown", event => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
  if (event.key === "Escape" && typing) { event.target.blur(); return; }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "/") { const s = $("#search"); if (s) { event.preventDefault(); s.focus(); } return; }
  if (!state.doc) return;
  const keys = {
    a: () => act("accept"), r: () => act("reject"), u: undoLast,
    j: () => select(state.current + 1), ArrowRight: () => select(state.current + 1),
    k: () => select(state.current - 1), ArrowLeft: () => select(state.current - 1),
    n: () => {
      const next = state.order.findIndex((e, i) => i > state.current && e.review_status === "pending");
      if (next < 0) say("No pending entity after this one."); else select(next);
    },
    e: () => $("#correct select").focus(),
  };
  if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
});

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  $("#reviewer").value = localStorage.getItem("parks.reviewer") || "";
  $("#reviewer").addEventListener("change", reviewer);
  state.csrf = (await api("/api/session")).csrf;
  await route();
});

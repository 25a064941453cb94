// parks review: document list, document view with highlighted entities, queue mode, and the
// Parks and Companies views of the dataset (one entity per real park or company) with entity decisions.
// Every piece of document text goes into the page with textContent, never as HTML.
"use strict";

const TYPES = ["park", "country", "company", "figure"];
const LABELS = {park: "PARK 园区", country: "COUNTRY 国家", company: "COMPANY 企业", figure: "FIGURE 数值"};
const state = {csrf: null, doc: null, order: [], current: -1, queue: null, queuePos: 0, listFilter: "", theme: null,
  ent: null};

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
  state.ent = null;
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
  state.ent = null;
  state.order = [...doc.entities, ...doc.rejected].sort((a, b) => a.start - b.start || a.end - b.end);
  // "@start-end": an evidence sentence (from the Parks view): its first mention is selected
  const evidence = /^@(\d+)-(\d+)$/.exec(entityId || "");
  state.current = Math.max(0, evidence ? state.order.findIndex(e => e.start >= Number(evidence[1]))
    : entityId ? state.order.findIndex(e => e.id === entityId) : state.order.findIndex(e => e.review_status === "pending"));
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
  if (window.CSS && CSS.highlights) CSS.highlights.delete("evidence");
  if (evidence) showEvidence(Number(evidence[1]), Number(evidence[2]));
}

function showEvidence(start, end) {
  const range = textRange(start, end);
  if (!range) return;
  if (window.CSS && CSS.highlights) CSS.highlights.set("evidence", new Highlight(range));
  const text = $("#text");
  text.scrollTop += range.getBoundingClientRect().top - text.getBoundingClientRect().top - 40;
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
  state.ent = null;
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

// --- Parks and Companies: one entity per real park or company, and decisions on them ---------

const PLURAL = {park: "parks", company: "companies"};
const ROLES = {develops: "develops 开发", operates: "operates 运营", invests: "invests 投资", tenant: "tenant 入驻"};

async function showEntities(kind, selectedId) {
  state.doc = null;
  state.queue = null;
  const list = await api(`/api/entities/${PLURAL[kind]}`);
  const previous = state.ent && state.ent.kind === kind ? state.ent : null;
  state.ent = {kind, list, shown: [], current: -1, card: null, candidate: 0, member: 0,
    filter: previous ? previous.filter : "", scope: previous ? previous.scope : "", sort: previous ? previous.sort : "documents"};
  const search = el("input", {id: "search", type: "search", value: state.ent.filter,
    placeholder: "search any name, English or Chinese (/)"});
  const scope = kind === "park" ? el("select", {id: "scope-filter"}, el("option", {value: ""}, "every scope"),
    el("option", {value: "overseas"}, "overseas"), el("option", {value: "domestic"}, "domestic"),
    el("option", {value: "none"}, "no scope")) : null;
  if (scope) scope.value = state.ent.scope;
  const sort = el("select", {id: "sort"}, el("option", {value: "documents"}, "most documents first"),
    el("option", {value: "mentions"}, "most mentions first"), el("option", {value: "name"}, "by name"));
  sort.value = state.ent.sort;
  const body = el("tbody", {id: "entity-rows"});
  const render = keep => {
    Object.assign(state.ent, {filter: search.value, scope: scope ? scope.value : "", sort: sort.value});
    const needle = search.value.trim().toLowerCase();
    const shown = list.filter(e => (!needle || entityNames(e).some(n => n.toLowerCase().includes(needle))) &&
      (!state.ent.scope || (state.ent.scope === "none" ? !e.scope : e.scope === state.ent.scope)));
    const byName = (a, b) => (a.name || a.name_zh || a.id).localeCompare(b.name || b.name_zh || b.id);
    shown.sort(state.ent.sort === "name" ? byName : (a, b) => b[state.ent.sort] - a[state.ent.sort] || byName(a, b));
    state.ent.shown = shown;
    body.replaceChildren(...shown.map((e, i) => el("tr", {id: `row-${i}`, "data-id": e.id, onclick: () => selectEntity(i)},
      el("td", {}, e.name || ""), el("td", {lang: "zh"}, e.name_zh || ""), el("td", {}, e.host || "—"),
      kind === "park" ? el("td", {}, e.scope || "—") : null, el("td", {class: "num"}, e.documents),
      el("td", {class: "num"}, e.mentions), el("td", {class: "num"}, e.members), el("td", {class: "num"}, e.candidates))));
    const index = keep ? shown.findIndex(e => e.id === keep) : -1;
    selectEntity(index >= 0 ? index : 0);
  };
  search.addEventListener("input", () => render());
  sort.addEventListener("change", () => render(state.ent.card && state.ent.card.id));
  if (scope) scope.addEventListener("change", () => render());
  $("#view").replaceChildren(
    el("h1", {}, `${list.length} ${PLURAL[kind]}`),
    el("div", {class: "filters"}, search, scope, sort),
    el("div", {class: "entities"},
      el("div", {class: "entity-list"}, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "中文名"),
        el("th", {}, kind === "park" ? "host" : "country"), kind === "park" ? el("th", {}, "scope") : null,
        el("th", {class: "num"}, "documents"), el("th", {class: "num"}, "mentions"), el("th", {class: "num"}, "members"),
        el("th", {class: "num"}, "candidates"))), body)),
      el("aside", {class: "panel card", id: "card"})));
  render(selectedId);
}

function entityNames(e) {
  return [e.id, e.name, e.name_zh, ...(e.aliases || [])].filter(Boolean);
}

async function selectEntity(index) {
  const ent = state.ent;
  if (!ent.shown.length) {
    ent.current = -1;
    ent.card = null;
    $("#card").replaceChildren(el("p", {}, `No ${PLURAL[ent.kind]} match.`));
    return;
  }
  ent.current = Math.min(Math.max(index, 0), ent.shown.length - 1);
  document.querySelectorAll("#entity-rows tr.current").forEach(r => r.classList.remove("current"));
  const row = document.getElementById(`row-${ent.current}`);
  row.classList.add("current");
  row.scrollIntoView({block: "nearest", behavior: "instant"});
  const id = ent.shown[ent.current].id;
  history.replaceState(null, "", `#/${PLURAL[ent.kind]}/${encodeURIComponent(id)}`);
  const card = await api(`/api/entities/${PLURAL[ent.kind]}/${encodeURIComponent(id)}`);
  if (state.ent !== ent || ent.shown[ent.current].id !== id) return;  // another entity was chosen meanwhile
  ent.card = card;
  ent.candidate = 0;
  ent.member = card.members.findIndex(m => m.basis !== "self");
  renderCard();
}

function sourceLink(source, label) {
  return el("a", {href: `#/doc/${encodeURIComponent(source.doc_id)}/@${source.start}-${source.end}`,
    title: "open the document at this sentence"}, label || source.doc_id);
}

function evidence(source) {
  return el("div", {class: "context evidence"}, source.text, " ", sourceLink(source, `↗ ${source.doc_id}`));
}

function renderCard() {
  const {card, kind} = state.ent;
  const section = (title, items) => items.length ? [el("h3", {}, title), ...items] : [];
  const host = card.host_country;
  const details = el("dl", {},
    el("dt", {}, "id"), el("dd", {id: "card-id"}, card.id),
    el("dt", {}, "English"), el("dd", {}, card.names.en || "—"),
    el("dt", {}, "中文"), el("dd", {lang: "zh"}, card.names.zh || "—"),
    el("dt", {}, "aliases"), el("dd", {}, card.names.aliases.join(" · ") || "—"),
    kind === "park" ? [
      el("dt", {}, "host"), el("dd", {id: "card-host"}, host ? `${host.iso} ${host.name || ""} ${host.name_zh || ""} (${host.basis})` : "—"),
      el("dt", {}, "scope"), el("dd", {id: "card-scope"}, card.scope ? `${card.scope}${card.scope_basis ? ` (${card.scope_basis})` : ""}` : "—"),
      card.other_countries.length ? [el("dt", {}, "also placed in"),
        el("dd", {}, card.other_countries.map(c => `${c.iso} (${c.basis})`).join(", "))] : null,
    ] : [el("dt", {}, "country"), el("dd", {}, card.country || "—")],
    el("dt", {}, "review"), el("dd", {}, card.review.status));
  const chosen = (list, index, id, render) => list.map((item, i) => el("li", {
    class: i === index ? "chosen" : null, id: `${id}-${i}`, onclick: () => { state.ent[id] = i; renderCard(); }}, ...render(item)));
  const links = Object.entries(card.by_role).map(([role, items]) => [el("h4", {}, ROLES[role] || role),
    el("ul", {}, items.map(l => el("li", {}, el("a", {href: `#/${kind === "park" ? "companies" : "parks"}/${encodeURIComponent(l.company || l.park)}`},
      `${l.name || ""} ${l.name_zh || ""}`.trim() || l.company || l.park), ...l.sources.map(evidence))))]);
  const actions = el("div", {class: "actions"},
    el("button", {id: "merge", onclick: openMerge}, "Merge with… (m)"),
    el("button", {id: "split", onclick: splitMember}, "Split member off (s)"),
    kind === "park" ? [el("button", {id: "host", onclick: () => $("#host-input").focus()}, "Set host (h)"),
      el("button", {id: "scope", onclick: toggleScope}, "Toggle scope (o)")] : null,
    el("button", {id: "entity-undo", onclick: undoEntity}, "Undo (u)"));
  const merge = el("form", {id: "merge-form", class: "entity-form"},
    el("label", {}, "merge with (search any name) ", el("input", {id: "merge-search", list: "merge-options", autocomplete: "off"})),
    el("datalist", {id: "merge-options"}, state.ent.list.filter(e => e.id !== card.id).map(e =>
      el("option", {value: e.id}, [e.name, e.name_zh].filter(Boolean).join(" · ")))),
    el("button", {type: "submit"}, "Merge"));
  merge.addEventListener("submit", event => { event.preventDefault(); mergeWith($("#merge-search").value); });
  const hostForm = kind === "park" ? el("form", {id: "host-form", class: "entity-form"},
    el("label", {}, "host country (ISO code) ", el("input", {id: "host-input", maxlength: 2, placeholder: "e.g. ET",
      value: host ? host.iso : ""})), el("button", {type: "submit"}, "Set host")) : null;
  if (hostForm) hostForm.addEventListener("submit", event => {
    event.preventDefault();
    entityDecision({action: "host", value: $("#host-input").value.trim().toUpperCase()});
  });
  $("#card").replaceChildren(...[
    el("h2", {}, [card.names.en, card.names.zh].filter(Boolean).join(" · ") || card.id),
    details, actions, merge, hostForm,
    ...section("Documents", [el("ul", {}, card.documents.map(d => el("li", {},
      el("a", {href: `#/doc/${encodeURIComponent(d.doc_id)}`}, d.title || d.doc_id), ` · ${d.mentions} mentions`)))]),
    kind === "park" && host && host.sources.length ? [el("h3", {}, `Host ${host.iso}: evidence`), ...host.sources.map(evidence)] : null,
    ...section(kind === "park" ? "Companies by role" : "Parks by role", links.flat()),
    ...section("Figures", (card.figures || []).map(f => el("div", {class: "figure"},
      el("strong", {}, `${f.kind}: ${f.text}`), ` ${f.value ?? ""} ${f.unit ?? ""}`, f.as_of ? ` (as of ${f.as_of})` : "",
      f.qualifier ? ` [${f.qualifier}]` : "", ` · ${f.review_status}`, evidence(f.source)))),
    ...section("Founded", (card.founded || []).map(f => el("div", {}, el("strong", {}, String(f.year)), evidence(f.source)))),
    ...section("Members (s splits the chosen one off; x chooses)", card.members.length ? [el("ul", {class: "choices", id: "members"},
      chosen(card.members, state.ent.member, "member", m => [`${m.id} `, el("span", {class: "badge"}, m.basis), ` ${m.score} · ${m.names.join(" · ")}`]))] : []),
    ...section("Candidate links (a accept, r reject; c chooses)", card.candidates.length ? [el("ul", {class: "choices", id: "candidates"},
      chosen(card.candidates, state.ent.candidate, "candidate", c => [`${[c.name, c.name_zh].filter(Boolean).join(" · ") || c.other} `,
        el("span", {class: "badge"}, c.basis), ` ${c.score} `,
        el("button", {onclick: ev => { ev.stopPropagation(); linkDecision("accept_link", c); }}, "accept"),
        el("button", {onclick: ev => { ev.stopPropagation(); linkDecision("reject_link", c); }}, "reject")]))] : []),
    ...section("Reviewers' decisions in force", card.decisions.length ? [el("ul", {id: "entity-decisions"}, card.decisions.map(d =>
      el("li", {}, `${d.action} ${[d.subject, d.other, d.member, d.value].filter(Boolean).join(" ")} by ${d.reviewer}, ${d.created_at}`)))] : []),
  ].flat().filter(Boolean));
}

async function entityDecision(fields) {
  const name = reviewer();
  const ent = state.ent;
  if (!name || !ent || !ent.card) return;
  try {
    const result = await api("/api/entity-decisions", {kind: ent.kind, subject: ent.card.id, reviewer: name, ...fields});
    say(`Saved: ${fields.action} ${[ent.card.id, fields.other, fields.member, fields.value].filter(Boolean).join(" ")}.`);
    await showEntities(ent.kind, result.entity_id || ent.card.id);
  } catch (err) {
    say(`Not saved: ${err.message}`, "error");
  }
}

function openMerge() {
  $("#merge-search").focus();
}

function mergeWith(picked) {
  const needle = picked.trim().toLowerCase();
  if (!needle) { say("Type or pick the entity to merge with.", "error"); return; }
  const others = state.ent.list.filter(e => e.id !== state.ent.card.id);
  const other = others.find(e => e.id === picked.trim()) || others.find(e => entityNames(e).some(n => n.toLowerCase() === needle))
    || others.find(e => entityNames(e).some(n => n.toLowerCase().includes(needle)));
  if (!other) { say(`No other ${state.ent.kind} is named “${picked}”.`, "error"); return; }
  entityDecision({action: "merge", other: other.id});
}

function splitMember() {
  const member = state.ent.card.members[state.ent.member];
  if (!member) { say("No member to split off: click one in the Members list (or x) first.", "error"); return; }
  entityDecision({action: "split", member: member.id});
}

function linkDecision(action, candidate) {
  candidate = candidate || state.ent.card.candidates[state.ent.candidate];
  if (!candidate) { say("This entity has no candidate links.", "error"); return; }
  entityDecision({action, other: candidate.other});
}

function toggleScope() {
  if (state.ent.kind !== "park") return;
  entityDecision({action: "scope", value: state.ent.card.scope === "domestic" ? "overseas" : "domestic"});
}

function choose(list, key) {
  const items = state.ent.card[list];
  if (!items.length) return;
  state.ent[key] = (state.ent[key] + 1) % items.length;
  renderCard();
}

async function undoEntity() {
  const name = reviewer();
  if (!name) return;
  try {
    const result = await api("/api/entity-decisions/undo", {reviewer: name});
    say(`Undone: ${result.action}.`);
    await showEntities(result.kind, result.entity_id || (state.ent && state.ent.card && state.ent.card.id));
  } catch (err) {
    say(`Nothing undone: ${err.message}`, "error");
  }
}

// --- routing and keys -----------------------------------------------------------------

async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  document.body.classList.toggle("entity-view", parts[0] === "parks" || parts[0] === "companies");
  try {
    if (parts[0] === "doc" && parts[1]) { state.queue = null; await showDocument(parts[1], parts[2]); }
    else if (parts[0] === "queue") await showQueue();
    else if (parts[0] === "parks" || parts[0] === "companies") await showEntities(parts[0] === "parks" ? "park" : "company", parts[1]);
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
  if (state.ent) {
    const entityKeys = {
      j: () => selectEntity(state.ent.current + 1), ArrowDown: () => selectEntity(state.ent.current + 1),
      k: () => selectEntity(state.ent.current - 1), ArrowUp: () => selectEntity(state.ent.current - 1),
      m: openMerge, s: splitMember, a: () => linkDecision("accept_link"), r: () => linkDecision("reject_link"),
      h: () => { const input = $("#host-input"); if (input) { input.focus(); input.select(); } },
      o: toggleScope, u: undoEntity, c: () => choose("candidates", "candidate"), x: () => choose("members", "member"),
    };
    if (entityKeys[event.key] && state.ent.card) { event.preventDefault(); entityKeys[event.key](); }
    return;
  }
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

window.addEventListener("hashchange", route);  // the Parks view's own moves use replaceState: no reload
window.addEventListener("DOMContentLoaded", async () => {
  $("#reviewer").value = localStorage.getItem("parks.reviewer") || "";
  $("#reviewer").addEventListener("change", reviewer);
  state.csrf = (await api("/api/session")).csrf;
  await route();
});

// envkb page: search, cited answers, compare retrievers, exercises, documents. No framework, no network beyond this
// server. User text is always inserted as text (never as HTML) and marked dir="auto" so
// Persian, English and digits keep their order.
"use strict";

const STRINGS = {
  fa: {
    skip: "پرش به محتوا",
    title: "پایگاه دانش محیط زیست",
    language: "زبان",
    apiKey: "کلید API",
    views: "بخش‌ها",
    tabSearch: "جستجو",
    tabAsk: "پرسش",
    tabCompare: "مقایسهٔ روش‌ها",
    tabDocs: "اسناد",
    tabExercises: "تمرین‌ها",
    exercisesHint: "یک مجموعه تمرین با کلید پاسخ از همین اسناد بسازید. به کلید ویرایشگر نیاز دارد و ممکن است یک دقیقه طول بکشد.",
    topic: "موضوع",
    count: "تعداد از هر نوع",
    handoutLang: "زبان برگه",
    format: "قالب",
    kinds: "انواع تمرین",
    kindFind: "یافتن منبع",
    kindDisagree: "اختلاف روش‌های بازیابی",
    kindCite: "بررسی ارجاع",
    kindNorm: "یکسان‌سازی نوشتار",
    makeSet: "ساخت مجموعه",
    dlExercises: "دریافت برگهٔ تمرین",
    dlKey: "دریافت کلید پاسخ",
    kindsCaption: "گزارش ساخت",
    written: "نوشته‌شده",
    droppedCol: "کنارگذاشته در اعتبارسنجی",
    making: "در حال ساخت و اعتبارسنجی تمرین‌ها…",
    made: (n, d) => `${n.toLocaleString("fa")} تمرین ساخته شد؛ ${d.toLocaleString("fa")} مورد در اعتبارسنجی کنار رفت.`,
    askLabel: "پرسش خود را به فارسی یا انگلیسی بنویسید",
    askButton: "بپرس",
    askHint: "پاسخ فقط از منابع ساخته می‌شود و هر جمله به منبعش ارجاع می‌دهد؛ برای دیدن متن منبع روی [n] بزنید.",
    sources: "منابع",
    seeAlso: "بیشتر بخوانید",
    asking: "در حال یافتن پاسخ در منابع…",
    answered: (n) => `پاسخ با ${n.toLocaleString("fa")} ارجاع`,
    abstained: "پاسخ در منابع نبود؛ نزدیک‌ترین بخش‌ها در «بیشتر بخوانید» آمده‌اند.",
    openCitation: (n) => `نمایش منبع ${n.toLocaleString("fa")}`,
    page: (p) => `ص. ${p}`,
    searchLabel: "چه چیزی را می‌جویید؟",
    searchButton: "جستجو",
    filters: "فیلترها",
    docType: "نوع سند",
    docLang: "زبان سند",
    year: "سال",
    mode: "روش",
    any: "همه",
    law: "قانون",
    policy: "سیاست",
    standard: "راهنمای استاندارد",
    course: "درس",
    agreement: "تفاهم‌نامه",
    glossary: "واژه‌نامه",
    hybrid: "ترکیبی",
    lexical: "واژگانی",
    semantic: "معنایی",
    compareLabel: "یک پرسش را با سه روش بازیابی مقایسه کنید",
    compareButton: "مقایسه",
    uploadLabel: "افزودن سند (md، txt یا html)",
    uploadButton: "بارگذاری",
    uploadHint: "بارگذاری و حذف به کلید ویرایشگر نیاز دارد.",
    docsCaption: "اسناد نمایه‌شده",
    colId: "شناسه",
    colTitle: "عنوان",
    colChunks: "بخش‌ها",
    colActions: "کارها",
    close: "بستن",
    apiDocs: "راهنمای API",
    fontLicence: "قلم وزیرمتن (مجوز OFL)",
    searching: "در حال جستجو…",
    noResults: "نتیجه‌ای پیدا نشد.",
    results: (n) => `${n.toLocaleString("fa")} نتیجه`,
    open: "نمایش متن کامل",
    score: "امتیاز",
    rank: "رتبه",
    inAll: "در هر سه فهرست",
    loading: "در حال بارگذاری…",
    uploaded: (id, n) => `«${id}» با ${n.toLocaleString("fa")} بخش نمایه شد.`,
    deleted: (id) => `«${id}» حذف شد.`,
    confirmDelete: (id) => `سند «${id}» حذف شود؟`,
    delete: "حذف",
    upload: "بارگذاری‌شده",
    documents: (n) => `${n.toLocaleString("fa")} سند`,
    errorPrefix: "خطا: ",
  },
  en: {
    skip: "Skip to content",
    title: "Environmental knowledge base",
    language: "Language",
    apiKey: "API key",
    views: "Views",
    tabSearch: "Search",
    tabAsk: "Ask",
    tabCompare: "Compare retrievers",
    tabDocs: "Documents",
    tabExercises: "Exercises",
    exercisesHint: "Make an exercise set with its answer key from these documents. Needs an editor key and may take a minute.",
    topic: "Topic",
    count: "Items of each kind",
    handoutLang: "Handout language",
    format: "Format",
    kinds: "Kinds",
    kindFind: "Find the source",
    kindDisagree: "Retriever disagreement",
    kindCite: "Cite check",
    kindNorm: "Normalization",
    makeSet: "Make the set",
    dlExercises: "Download the handout",
    dlKey: "Download the key",
    kindsCaption: "How generation went",
    written: "Written",
    droppedCol: "Dropped by validation",
    making: "Making and validating the exercises…",
    made: (n, d) => `${n} exercises made; ${d} dropped by validation.`,
    askLabel: "Ask a question in Persian or English",
    askButton: "Ask",
    askHint: "Answers are built only from the sources and every sentence cites one; press [n] to read the source.",
    sources: "Sources",
    seeAlso: "See also",
    asking: "Looking for the answer in the sources…",
    answered: (n) => `Answer with ${n} citation${n === 1 ? "" : "s"}`,
    abstained: "The sources do not answer this; the closest passages are under “See also”.",
    openCitation: (n) => `Show source ${n}`,
    page: (p) => `p. ${p}`,
    searchLabel: "What are you looking for?",
    searchButton: "Search",
    filters: "Filters",
    docType: "Document type",
    docLang: "Document language",
    year: "Year",
    mode: "Retriever",
    any: "Any",
    law: "Law",
    policy: "Policy",
    standard: "Standard guidance",
    course: "Course",
    agreement: "Agreement",
    glossary: "Glossary",
    hybrid: "Hybrid",
    lexical: "Lexical",
    semantic: "Semantic",
    compareLabel: "Compare one query across the three retrievers",
    compareButton: "Compare",
    uploadLabel: "Add a document (md, txt or html)",
    uploadButton: "Upload",
    uploadHint: "Uploading and deleting need an editor key.",
    docsCaption: "Indexed documents",
    colId: "Id",
    colTitle: "Title",
    colChunks: "Passages",
    colActions: "Actions",
    close: "Close",
    apiDocs: "API reference",
    fontLicence: "Vazirmatn font (OFL licence)",
    searching: "Searching…",
    noResults: "No results.",
    results: (n) => `${n} result${n === 1 ? "" : "s"}`,
    open: "Show the full passage",
    score: "score",
    rank: "rank",
    inAll: "in all three lists",
    loading: "Loading…",
    uploaded: (id, n) => `“${id}” indexed with ${n} passages.`,
    deleted: (id) => `“${id}” deleted.`,
    confirmDelete: (id) => `Delete the document “${id}”?`,
    delete: "Delete",
    upload: "uploaded",
    documents: (n) => `${n} documents`,
    errorPrefix: "Error: ",
  },
};

let lang = "fa";
const $ = (id) => document.getElementById(id);
const t = (key, ...args) => {
  const v = STRINGS[lang][key];
  return typeof v === "function" ? v(...args) : v;
};

// ---- language -----------------------------------------------------------------------

function initialLang() {
  const saved = localStorage.getItem("envkb.lang");
  if (saved === "fa" || saved === "en") return saved;
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "fa"];
  for (const p of prefs) {
    const code = String(p).toLowerCase();
    if (code.startsWith("fa")) return "fa";
    if (code.startsWith("en")) return "en";
  }
  return "fa";
}

function setLang(next) {
  lang = next;
  localStorage.setItem("envkb.lang", next);
  const root = document.documentElement;
  root.lang = next;
  root.dir = next === "fa" ? "rtl" : "ltr";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  $("lang-switch").value = next;
  document.title = `envkb · ${t("title")}`;
  renderStatuses();
}

// ---- API ----------------------------------------------------------------------------

/** `extra` headers plus the API key the user entered, if any. */
function authHeaders(extra = {}) {
  const headers = new Headers(extra);
  const key = sessionStorage.getItem("envkb.key");
  if (key) headers.set("Authorization", `Bearer ${key}`);
  return headers;
}

async function api(path, options = {}) {
  const headers = authHeaders(options.headers || {});
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = body && body.message ? body.message : `HTTP ${response.status}`;
    const err = new Error(message);
    err.status = response.status;
    throw err;
  }
  return body;
}

function searchUrl(q, mode, extra = {}) {
  const p = new URLSearchParams({ q, mode, k: "10", explain: "true", ...extra });
  for (const f of currentFilters()) p.append("filter", f);
  return `/api/search?${p}`;
}

function currentFilters() {
  const out = [];
  const docType = $("f-doc-type").value;
  const docLang = $("f-lang").value;
  const year = $("f-year").value.trim();
  if (docType) out.push(`doc_type=${docType}`);
  if (docLang) out.push(`lang=${docLang}`);
  if (year) out.push(`year=${year}`);
  return out;
}

// ---- rendering helpers --------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/** The snippet with its highlights; highlight offsets are UTF-8 byte offsets. */
function highlighted(text, ranges) {
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const [s, e] of ranges) {
    frag.append(dec.decode(bytes.slice(at, s)));
    frag.append(el("mark", {}, dec.decode(bytes.slice(s, e))));
    at = e;
  }
  frag.append(dec.decode(bytes.slice(at)));
  return frag;
}

function fmt(x) {
  return typeof x === "number" ? x.toFixed(3) : "–";
}

// The last status of each line, as a function of the language, so a language switch
// re-renders it.
const statuses = {};

function setStatus(id, text, isError = false) {
  statuses[id] = typeof text === "function" ? text : () => text;
  const s = $(id);
  s.textContent = isError ? t("errorPrefix") + statuses[id]() : statuses[id]();
  s.classList.toggle("error", isError);
  s.dataset.error = isError ? "1" : "";
}

function renderStatuses() {
  for (const [id, text] of Object.entries(statuses)) {
    const s = $(id);
    s.textContent = s.dataset.error ? t("errorPrefix") + text() : text();
  }
}

// ---- search -------------------------------------------------------------------------

function renderHit(h) {
  const e = h.explain || {};
  const parts = [`${t("score")} ${fmt(h.score)}`];
  if (e.lexical_rank) parts.push(`${t("lexical")} #${e.lexical_rank}`);
  if (e.semantic_rank) parts.push(`${t("semantic")} #${e.semantic_rank}`);
  return el(
    "li",
    { "data-chunk": h.chunk_id },
    el("h3", { class: "hit-title", dir: "auto" },
      el("button", { type: "button", title: t("open"), onclick: () => openPassage(h.chunk_id) }, h.title)),
    el("p", { class: "crumb", dir: "auto" }, h.breadcrumb.join(" › ")),
    el("p", { class: "snippet", dir: "auto", lang: h.lang }, highlighted(h.snippet, h.highlights)),
    el("p", { class: "scores", dir: "auto" }, parts.join(" · ")),
  );
}

async function runSearch(event) {
  event.preventDefault();
  const q = $("q").value.trim();
  if (!q) return;
  const list = $("results");
  list.replaceChildren();
  setStatus("search-status", () => t("searching"));
  try {
    const r = await api(searchUrl(q, $("f-mode").value));
    list.replaceChildren(...r.hits.map(renderHit));
    const note = r.warning ? ` (${r.warning})` : "";
    setStatus("search-status", () => (r.hits.length ? t("results", r.hits.length) : t("noResults")) + note);
  } catch (err) {
    setStatus("search-status", err.message, true);
  }
}

// ---- passage dialog -----------------------------------------------------------------

/**
 * Opens a passage. `span` highlights the cited quote: `{start, end}` are UTF-8 byte
 * offsets into the stored passage text (as citations give them), so a quote that occurs
 * twice is marked where it was cited.
 */
async function openPassage(chunkId, span) {
  const dialog = $("passage");
  $("passage-title").textContent = t("loading");
  $("passage-crumb").textContent = "";
  $("passage-text").replaceChildren();
  if (!dialog.open) dialog.showModal();
  try {
    const c = await api(`/api/chunks/${encodeURIComponent(chunkId)}`);
    $("passage-title").textContent = c.title;
    $("passage-crumb").textContent = c.breadcrumb.join(" › ");
    const box = $("passage-text");
    box.setAttribute("lang", c.lang);
    const bytes = new TextEncoder().encode(c.text);
    if (span && span.start < span.end && span.end <= bytes.length) {
      const dec = new TextDecoder();
      const mark = el("mark", { class: "quote" }, dec.decode(bytes.slice(span.start, span.end)));
      box.replaceChildren(dec.decode(bytes.slice(0, span.start)), mark, dec.decode(bytes.slice(span.end)));
      mark.scrollIntoView({ block: "center" });
    } else {
      box.replaceChildren(c.text);
    }
    box.focus();
  } catch (err) {
    $("passage-title").textContent = t("errorPrefix") + err.message;
  }
}

// ---- ask ----------------------------------------------------------------------------

/** The answer text with each [n] marker as a button that opens citation n. */
function answerWithMarkers(text, citations) {
  const frag = document.createDocumentFragment();
  const byN = new Map(citations.map((c) => [c.n, c]));
  let at = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const c = byN.get(Number(m[1]));
    if (!c) continue;
    frag.append(text.slice(at, m.index));
    frag.append(el("button", {
      type: "button",
      class: "cite",
      "data-n": String(c.n),
      "aria-label": t("openCitation", c.n),
      onclick: () => openPassage(c.chunk_id, c),
    }, `[${c.n}]`));
    at = m.index + m[0].length;
  }
  frag.append(text.slice(at));
  return frag;
}

function pageLabel(page) {
  if (page === undefined || page === null) return "";
  return " · " + t("page", Array.isArray(page) ? page.join("–") : page);
}

function renderAnswer(a) {
  $("answer").hidden = false;
  const text = $("answer-text");
  text.classList.remove("draft");
  text.setAttribute("lang", a.lang);
  text.replaceChildren(answerWithMarkers(a.answer, a.citations));
  $("citations").replaceChildren(...a.citations.map((c) =>
    el("li", { "data-n": String(c.n) },
      el("button", { type: "button", class: "secondary", dir: "auto", onclick: () => openPassage(c.chunk_id, c) },
        `[${c.n}] ${c.breadcrumb.join(" › ")}`),
      el("span", { class: "hint", dir: "ltr" }, ` ${c.chunk_id}${pageLabel(c.page)}`),
      el("blockquote", { dir: "auto" }, c.quote))));
  $("citations-title").hidden = a.citations.length === 0;
  $("see-also").replaceChildren(...a.see_also.map((s) =>
    el("li", {},
      el("button", { type: "button", class: "secondary", dir: "auto", onclick: () => openPassage(s.chunk_id) },
        s.breadcrumb.join(" › ")))));
  $("see-also-title").hidden = a.see_also.length === 0;
  setStatus("ask-status", () => (a.abstained ? t("abstained") : t("answered", a.citations.length)));
}

/** Reads a Server-Sent Events body, calling `onEvent(name, data)` for each event. */
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const dec = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += dec.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trimStart();
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

async function runAsk(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("answer").hidden = true;
  $("answer-text").replaceChildren();
  setStatus("ask-status", () => t("asking"));
  const headers = authHeaders({ "Content-Type": "application/json" });
  try {
    const response = await fetch("/api/ask/stream", {
      method: "POST",
      headers,
      body: JSON.stringify({ question }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.message || `HTTP ${response.status}`);
    }
    let failure = null;
    let drafting = false;
    await readEvents(response, (name, data) => {
      if (name === "token") {
        // A language model's draft (generative mode), shown while it is written; the
        // checked answer that follows replaces it.
        $("answer").hidden = false;
        $("answer-text").classList.add("draft");
        $("answer-text").append(data.text);
        drafting = true;
      } else if (name === "delta") {
        if (drafting) {
          $("answer-text").replaceChildren();
          $("answer-text").classList.remove("draft");
          drafting = false;
        }
        $("answer").hidden = false;
        $("answer-text").append(data.text);
      } else if (name === "done") {
        renderAnswer(data.answer);
      } else if (name === "error") {
        failure = data.message;
      }
    });
    if (failure) throw new Error(failure);
  } catch (err) {
    setStatus("ask-status", err.message, true);
  }
}

// ---- compare retrievers -------------------------------------------------------------

async function runCompare(event) {
  event.preventDefault();
  const q = $("cq").value.trim();
  if (!q) return;
  const modes = ["lexical", "semantic", "hybrid"];
  for (const m of modes) $(`cmp-${m}`).replaceChildren();
  setStatus("compare-status", () => t("searching"));
  try {
    // One at a time: the server bounds concurrent model work per client fairly.
    const results = [];
    for (const m of modes) results.push(await api(searchUrl(q, m, { k: "10" })));
    const sets = results.map((r) => new Set(r.hits.map((h) => h.chunk_id)));
    const inAll = (id) => sets.every((s) => s.has(id));
    modes.forEach((m, i) => {
      const r = results[i];
      $(`cmp-${m}`).replaceChildren(
        ...r.hits.map((h) => {
          const e = h.explain || {};
          const side = m === "hybrid"
            ? `${t("lexical")} ${e.lexical_rank ? "#" + e.lexical_rank : "–"} · ${t("semantic")} ${e.semantic_rank ? "#" + e.semantic_rank : "–"}`
            : `${t("score")} ${fmt(m === "lexical" ? e.lexical_score : e.semantic_score)}`;
          return el(
            "li",
            { class: inAll(h.chunk_id) ? "in-all" : "", title: inAll(h.chunk_id) ? t("inAll") : "" },
            el("span", { class: "rank" }, `${h.rank}.`),
            el("button", { type: "button", class: "secondary", dir: "auto", onclick: () => openPassage(h.chunk_id) }, h.breadcrumb.slice(-2).join(" › ")),
            el("div", { class: "scores", dir: "auto" }, side),
          );
        }),
      );
      if (r.warning && m !== "lexical") {
        $(`cmp-${m}`).prepend(el("li", { dir: "auto" }, r.warning));
      }
    });
    setStatus("compare-status", "");
  } catch (err) {
    setStatus("compare-status", err.message, true);
  }
}

// ---- documents ----------------------------------------------------------------------

async function loadDocuments() {
  const body = $("doc-table").tBodies[0];
  setStatus("docs-status", () => t("loading"));
  try {
    const r = await api("/api/documents");
    body.replaceChildren(
      ...r.documents.map((d) =>
        el(
          "tr",
          {},
          el("td", { dir: "ltr" }, d.doc_id),
          el("td", { dir: "auto" }, d.title),
          el("td", {}, d.doc_type),
          el("td", {}, d.lang),
          el("td", {}, String(d.chunks)),
          el("td", {},
            d.uploaded ? el("span", { class: "hint" }, t("upload") + " ") : null,
            el("button", { type: "button", class: "danger", "aria-label": `${t("delete")} ${d.doc_id}`, onclick: () => deleteDocument(d.doc_id) }, t("delete"))),
        ),
      ),
    );
    setStatus("docs-status", () => t("documents", r.documents.length));
  } catch (err) {
    setStatus("docs-status", err.message, true);
  }
}

async function uploadDocument(event) {
  event.preventDefault();
  const input = $("upload-file");
  if (!input.files.length) return;
  const form = new FormData();
  form.append("file", input.files[0]);
  setStatus("docs-status", () => t("loading"));
  try {
    const r = await api("/api/documents", { method: "POST", body: form });
    input.value = "";
    await loadDocuments();
    setStatus("docs-status", () => t("uploaded", r.doc_id, r.chunks));
  } catch (err) {
    setStatus("docs-status", err.message, true);
  }
}

async function deleteDocument(id) {
  if (!confirm(t("confirmDelete", id))) return;
  try {
    await api(`/api/documents/${id.split("/").map(encodeURIComponent).join("/")}`, { method: "DELETE" });
    await loadDocuments();
    setStatus("docs-status", () => t("deleted", id));
  } catch (err) {
    setStatus("docs-status", err.message, true);
  }
}

// ---- exercises (trainers) -----------------------------------------------------------

const MIME = { html: "text/html", md: "text/markdown", jsonl: "application/x-ndjson" };
let downloadUrls = [];

async function makeExercises(event) {
  event.preventDefault();
  const body = {
    count: Number($("x-count").value) || 3,
    lang: $("x-lang").value,
    format: $("x-format").value,
    kinds: [...document.querySelectorAll('input[name="kind"]:checked')].map((k) => k.value),
  };
  const topic = $("x-topic").value.trim();
  const docType = $("x-doc-type").value;
  if (topic) body.topic = topic;
  if (docType) body.doc_type = docType;
  $("exercises-result").hidden = true;
  setStatus("exercises-status", () => t("making"));
  try {
    const r = await api("/api/exercises", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    for (const u of downloadUrls) URL.revokeObjectURL(u);
    const type = `${MIME[r.format] || "text/plain"};charset=utf-8`;
    downloadUrls = [r.exercises, r.key].map((text) => URL.createObjectURL(new Blob([text], { type })));
    const dlEx = $("dl-exercises");
    const dlKey = $("dl-key");
    dlEx.href = downloadUrls[0];
    dlEx.download = `exercises.${r.format}`;
    dlKey.href = downloadUrls[1];
    dlKey.download = `key.${r.format}`;
    $("kinds-table").tBodies[0].replaceChildren(...r.kinds.map((k) =>
      el("tr", {},
        el("td", { dir: "ltr" }, k.kind),
        el("td", {}, `${k.written} / ${k.requested}`),
        el("td", { dir: "auto" }, String(k.dropped) + (k.note ? ` (${k.note})` : "")))));
    $("exercises-result").hidden = false;
    setStatus("exercises-status", () => t("made", r.items, r.dropped));
  } catch (err) {
    setStatus("exercises-status", err.message, true);
  }
}

// ---- tabs ---------------------------------------------------------------------------

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const on = other === tab;
    other.setAttribute("aria-selected", String(on));
    other.tabIndex = on ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !on;
  }
  if (tab.id === "tab-docs") loadDocuments();
}

function tabKeys(event) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const i = tabs.indexOf(event.target);
  // Arrow keys follow the reading direction.
  const forward = document.documentElement.dir === "rtl" ? "ArrowLeft" : "ArrowRight";
  const back = document.documentElement.dir === "rtl" ? "ArrowRight" : "ArrowLeft";
  let next = null;
  if (event.key === forward) next = tabs[(i + 1) % tabs.length];
  else if (event.key === back) next = tabs[(i - 1 + tabs.length) % tabs.length];
  else if (event.key === "Home") next = tabs[0];
  else if (event.key === "End") next = tabs[tabs.length - 1];
  if (next) {
    event.preventDefault();
    next.focus();
    selectTab(next);
  }
}

// ---- start --------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  setLang(initialLang());
  $("lang-switch").addEventListener("change", (e) => setLang(e.target.value));
  const key = $("api-key");
  key.value = sessionStorage.getItem("envkb.key") || "";
  key.addEventListener("change", () => {
    if (key.value.trim()) sessionStorage.setItem("envkb.key", key.value.trim());
    else sessionStorage.removeItem("envkb.key");
  });
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", tabKeys);
  }
  $("search-form").addEventListener("submit", runSearch);
  $("ask-form").addEventListener("submit", runAsk);
  $("exercises-form").addEventListener("submit", makeExercises);
  $("compare-form").addEventListener("submit", runCompare);
  $("upload-form").addEventListener("submit", uploadDocument);
  window.envkb = { openPassage, setLang, renderAnswer };
});

// envkb page: search, cited answers, compare retrievers, exercises, documents. No framework, no network beyond this
// server. Text from documents and users is always inserted as text nodes (never as HTML):
// Markdown marks are hidden, not interpreted, so a document cannot add elements or links.
// Direction comes from the text's language (the chunk's `lang`, or the majority script of
// the text), never from its first letter, and Latin and number runs inside right-to-left text
// are isolated in <bdi> so that «ISO 14001 بند 6.1.2» keeps its order.
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
    fromScan: "متن از اسکن",
    ocrConfidence: (p) => `خوانده‌شده با OCR از صفحهٔ اسکن‌شده؛ اطمینان ${p}٪`,
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
    fusionWeight: "وزن معنایی این پرسش",
    fusionFixed: "(ثابت)",
    fusionNoSignal: "هیچ نشانه‌ای برجسته نبود",
    signal_rare_share: "واژه‌های کمیاب",
    signal_exact: "عبارت دقیق یا +",
    signal_numbers: "عدد یا شمارهٔ ماده",
    signal_length: "طول پرسش",
    signal_lexical_margin: "برتری نتیجهٔ اول واژگانی",
    signal_semantic_margin: "برتری نتیجهٔ اول معنایی",
    signal_overlap: "هم‌پوشانی دو فهرست",
    compareButton: "مقایسه",
    uploadLabel: "افزودن سند (md، txt، html، pdf یا docx)",
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
    uploaded: (id, n) => `«\u2068${id}\u2069» با ${n.toLocaleString("fa")} بخش نمایه شد.`,
    deleted: (id) => `«\u2068${id}\u2069» حذف شد.`,
    confirmDelete: (id) => `سند «\u2068${id}\u2069» حذف شود؟`,
    delete: "حذف",
    upload: "بارگذاری‌شده",
    documents: (n) => `${n.toLocaleString("fa")} سند`,
    errorPrefix: "خطا: ",
    noExactMatch: "نتیجهٔ دقیقی یافت نشد؛ نزدیک‌ترین بخش‌ها:",
    syntaxHint: "عبارت دقیق در گیومه، + برای واژهٔ لازم، - برای واژهٔ ناخواسته:",
    tooLong: (n, max) => `متن ${n.toLocaleString("fa")} نویسه است و بیش از ${max.toLocaleString("fa")} نویسه پذیرفته نمی‌شود؛ کوتاه‌ترش کنید.`,
    inAllLegend: "نوار سبز: بخشی که در هر سه فهرست آمده است",
    document: "سند",
    keyBox: "کادر «کلید API»",
    warningPrefix: "هشدار: ",
    errors: {
      bad_request: "درخواست پذیرفته نشد؛ نوشتار پرسش یا فیلترها را بررسی کنید.",
      invalid_json: "داده‌های فرستاده‌شده خوانا نبود.",
      invalid_input: "ورودی درست نیست؛ مقدارها را بررسی کنید.",
      unsupported_media_type: "این نوع پرونده پذیرفته نمی‌شود (md، txt، html، pdf یا docx).",
      too_large: "پرونده یا درخواست بزرگ‌تر از حد مجاز است.",
      unauthorized: "این کار به کلید API نیاز دارد یا کلید واردشده معتبر نیست. کلید را در این کادر بالای صفحه وارد کنید:",
      forbidden: "کلید شما اجازهٔ این کار را ندارد؛ کلید ویرایشگر یا مدیر را در این کادر وارد کنید:",
      not_found: "پیدا نشد؛ شاید حذف شده باشد.",
      method_not_allowed: "این کار در این نشانی پشتیبانی نمی‌شود.",
      conflict: "این کار با وضعیت کنونی نمایه ناسازگار است.",
      busy: "کارساز سرش شلوغ است؛ چند لحظه بعد دوباره بکوشید.",
      timeout: "پاسخ بیش از حد طول کشید و متوقف شد؛ کمی بعد دوباره بکوشید یا درخواست را کوچک‌تر کنید.",
      unavailable: "این بخش از خدمت اکنون در دسترس نیست.",
      internal: "خطای درونی کارساز؛ شناسهٔ درخواست در جزئیات آمده است.",
      network: "ارتباط با کارساز برقرار نشد.",
      other: "درخواست انجام نشد.",
    },
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
    fromScan: "text from a scan",
    ocrConfidence: (p) => `Read by OCR from a scanned page; confidence ${p}%`,
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
    fusionWeight: "Semantic weight for this query",
    fusionFixed: "(fixed)",
    fusionNoSignal: "no signal stood out",
    signal_rare_share: "rare words",
    signal_exact: "exact phrase or +",
    signal_numbers: "numbers or article number",
    signal_length: "query length",
    signal_lexical_margin: "lexical first hit stands out",
    signal_semantic_margin: "semantic first hit stands out",
    signal_overlap: "the two lists agree",
    compareButton: "Compare",
    uploadLabel: "Add a document (md, txt, html, pdf or docx)",
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
    noExactMatch: "No exact match; the closest passages:",
    syntaxHint: "Exact phrases in quotes, + for a required word, - for an excluded one:",
    tooLong: (n, max) => `The text is ${n} characters long; at most ${max} are accepted. Please shorten it.`,
    inAllLegend: "Green bar: a passage found by all three retrievers",
    document: "Document",
    keyBox: "the “API key” box",
    warningPrefix: "Warning: ",
    errors: {
      bad_request: "The request was not accepted; check the query syntax or the filters.",
      invalid_json: "The data sent could not be read.",
      invalid_input: "The input is not valid; check the values.",
      unsupported_media_type: "This type of file is not accepted (md, txt, html, pdf or docx).",
      too_large: "The file or request is larger than the limit.",
      unauthorized: "This needs an API key, or the key entered is not valid. Enter it in this box at the top of the page:",
      forbidden: "Your key may not do this; enter an editor or admin key in this box:",
      not_found: "Not found; it may have been deleted.",
      method_not_allowed: "This is not supported here.",
      conflict: "This conflicts with the current state of the index.",
      busy: "The server is busy; try again in a moment.",
      timeout: "The request took too long and was stopped; try again later or ask for less.",
      unavailable: "This part of the service is not available now.",
      internal: "An internal server error; the request id is in the details.",
      network: "Could not reach the server.",
      other: "The request failed.",
    },
  },
};

let lang = "fa";
const $ = (id) => document.getElementById(id);
const t = (key, ...args) => {
  const v = STRINGS[lang][key];
  return typeof v === "function" ? v(...args) : v;
};

/** The longest query or question the server takes (its `query_chars` limit). */
const MAX_TEXT_CHARS = 1000;

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
  for (const input of document.querySelectorAll("input[data-typed]")) followTyping(input);
  renderStatuses();
}

/** A number in the UI's digits (Persian digits in the Persian UI). */
function num(n, fraction = 0) {
  if (typeof n !== "number") return "–";
  return n.toLocaleString(lang === "fa" ? "fa" : "en", {
    minimumFractionDigits: fraction,
    maximumFractionDigits: fraction,
    useGrouping: false,
  });
}

// ---- direction ----------------------------------------------------------------------

const ARABIC_LETTER = /[\u0600-\u0669\u066E-\u06EF\u06FA-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/g;
const LATIN_LETTER = /[A-Za-z\u00C0-\u024F]/g;

/**
 * The language of a piece of text by the script most of its letters are in, so a Persian
 * sentence that starts with «ISO 14001» is still Persian; `known` (a chunk's or the UI's
 * language) decides text without letters.
 */
function textLang(text, known = lang) {
  const s = String(text || "");
  const fa = (s.match(ARABIC_LETTER) || []).length;
  const en = (s.match(LATIN_LETTER) || []).length;
  if (fa === en) return fa === 0 ? known : (known === "en" ? "en" : "fa");
  return fa > en ? "fa" : "en";
}

const dirOfLang = (l) => (l === "fa" ? "rtl" : "ltr");

/** `dir` and `lang` attributes for a text element holding `text`. */
function textAttrs(text, known) {
  const l = textLang(text, known);
  return { dir: dirOfLang(l), lang: l };
}

/** An input's direction follows what is typed in it (by script majority), not its first letter. */
function followTyping(input) {
  input.dataset.typed = "1";
  input.dir = dirOfLang(textLang(input.value, lang));
}

// Latin words and numbers (with the punctuation that joins them, as in «ISO 14001:2015» or
// «6.1.2») form one run that is isolated from the right-to-left text around it.
const LTR_RUN = /[A-Za-z0-9\u00C0-\u024F](?:[A-Za-z0-9\u00C0-\u024F.,:/\-_+%'’ ]*[A-Za-z0-9\u00C0-\u024F%])?/g;

/** `text` as nodes: in right-to-left text each Latin or number run inside a <bdi>. */
function isolated(text, rtl) {
  if (!rtl || !text) return [text];
  const out = [];
  let at = 0;
  for (const m of text.matchAll(LTR_RUN)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(el("bdi", { dir: "ltr" }, m[0]));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/** A title, breadcrumb or label: direction from its script, Latin runs isolated. */
function labelNodes(text, known) {
  const a = textAttrs(text, known);
  return isolated(text, a.dir === "rtl");
}

// ---- document text ------------------------------------------------------------------

/**
 * Which UTF-16 units of `text` are Markdown marks to hide: heading and quote marks at line
 * starts, the brackets and targets of links and images (the target is never shown or
 * followed, so a `javascript:` link is only text), and the marks around strong, emphasis and
 * code. Marks are hidden, not removed, so byte offsets into the original text (highlights,
 * cited quotes) stay exact.
 */
function markdownMask(text) {
  const hide = new Uint8Array(text.length);
  const cover = (from, to) => hide.fill(1, from, to);
  for (const m of text.matchAll(/^([ \t]{0,3})(#{1,6}[ \t]+|>[ \t]?)/gm)) {
    cover(m.index + m[1].length, m.index + m[0].length);
  }
  for (const m of text.matchAll(/(!?\[)([^\]\n]*)(\]\((?:[^()\n]|\([^()\n]*\))*\))/g)) {
    cover(m.index, m.index + m[1].length);
    const close = m.index + m[1].length + m[2].length;
    cover(close, close + m[3].length);
  }
  for (const m of text.matchAll(/(\*\*|__)(?=\S)([^\n]*?\S)\1/g)) {
    cover(m.index, m.index + 2);
    cover(m.index + m[0].length - 2, m.index + m[0].length);
  }
  for (const m of text.matchAll(/(^|[^*\w])(\*)(?=[^\s*])([^*\n]*?[^\s*])\*(?!\*)/g)) {
    const open = m.index + m[1].length;
    cover(open, open + 1);
    cover(m.index + m[0].length - 1, m.index + m[0].length);
  }
  for (const m of text.matchAll(/`([^`\n]+)`/g)) {
    cover(m.index, m.index + 1);
    cover(m.index + m[0].length - 1, m.index + m[0].length);
  }
  return hide;
}

/** UTF-8 byte offset → UTF-16 index, for every byte offset that starts a character. */
function byteToIndex(text) {
  const map = new Map();
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    map.set(bytes, i);
    const cp = ch.codePointAt(0);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += ch.length;
  }
  map.set(bytes, i);
  return (b) => (map.has(b) ? map.get(b) : null);
}

/**
 * Text from a document for display, as nodes: Markdown marks hidden, `ranges` (UTF-8 byte
 * offsets `[start, end)` into `text`, as the API gives them) wrapped in <mark>, and Latin runs
 * isolated when `rtl`. Returns `{ nodes, marks }`.
 */
function docText(text, ranges = [], { rtl = false, markClass = "" } = {}) {
  const toIndex = byteToIndex(text);
  const spans = [];
  for (const [s, e] of ranges) {
    const a = toIndex(s);
    const b = toIndex(e);
    if (a !== null && b !== null && a < b) spans.push([a, b]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  const hide = markdownMask(text);
  const visible = (from, to) => {
    let out = "";
    for (let i = from; i < to; i++) if (!hide[i]) out += text[i];
    return out;
  };
  const nodes = [];
  const marks = [];
  let at = 0;
  for (const [s, e] of spans) {
    if (s < at) continue;
    nodes.push(...isolated(visible(at, s), rtl));
    const mark = el("mark", markClass ? { class: markClass } : {}, ...isolated(visible(s, e), rtl));
    nodes.push(mark);
    marks.push(mark);
    at = e;
  }
  nodes.push(...isolated(visible(at, text.length), rtl));
  return { nodes: nodes.filter((n) => n !== ""), marks };
}

// ---- API ----------------------------------------------------------------------------

/** `extra` headers plus the API key the user entered, if any. */
function authHeaders(extra = {}) {
  const headers = new Headers(extra);
  const key = sessionStorage.getItem("envkb.key");
  if (key) headers.set("Authorization", `Bearer ${key}`);
  return headers;
}

/**
 * An API failure: `code` is the API's stable error code (`bad_request`, `unauthorized`, ...),
 * `detail` its English message. The page shows its own message for the code.
 */
class ApiFailure extends Error {
  constructor(code, detail, status) {
    super(detail || code);
    this.code = code;
    this.detail = detail || "";
    this.status = status;
  }
}

function failureOf(response, body) {
  const code = body && typeof body.error === "string" ? body.error : "other";
  const detail = body && typeof body.message === "string" ? body.message : `HTTP ${response.status}`;
  return new ApiFailure(code, detail, response.status);
}

async function api(path, options = {}) {
  const headers = authHeaders(options.headers || {});
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (err) {
    throw new ApiFailure("network", String(err.message || err), 0);
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw failureOf(response, body);
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

/** A message from the server (a warning or error detail) in English, isolated left to right. */
function serverText(text) {
  return el("bdi", { dir: "ltr", lang: "en", class: "server-text" }, text);
}

/** The page's own message for an API failure, in the UI's language, with the code and detail. */
function errorNodes(err) {
  if (!(err instanceof ApiFailure)) err = new ApiFailure("other", String(err && err.message ? err.message : err), 0);
  const messages = t("errors");
  const out = [messages[err.code] || messages.other];
  if (err.code === "unauthorized" || err.code === "forbidden") {
    // Point at the box rather than at an HTTP header.
    out.push(" ", el("button", { type: "button", class: "linkish key-link", onclick: () => $("api-key").focus() }, t("keyBox")));
  } else if (err.detail) {
    out.push(" ", el("span", { class: "detail" }, "(", serverText(err.detail), ")"));
  }
  if (err.code !== "other" && err.code !== "network") {
    out.push(" ", el("bdi", { dir: "ltr", class: "code" }, err.code));
  }
  return out;
}

// The last status of each line, as a function of the language, so a language switch
// re-renders it.
const statuses = {};

function setStatus(id, content, isError = false) {
  statuses[id] = { render: typeof content === "function" ? content : () => content, isError };
  renderStatus(id);
}

function setError(id, err) {
  setStatus(id, () => errorNodes(err), true);
}

function renderStatus(id) {
  const { render, isError } = statuses[id];
  const s = $(id);
  const body = render();
  const nodes = Array.isArray(body) ? body : [body];
  s.replaceChildren(...(isError ? [t("errorPrefix")] : []), ...nodes.filter((n) => n !== null && n !== undefined));
  s.classList.toggle("error", isError);
  s.dataset.error = isError ? "1" : "";
}

function renderStatuses() {
  for (const id of Object.keys(statuses)) renderStatus(id);
}

/** Checks the length of a query or question before it is sent; says so when it is too long. */
function withinLimit(text, statusId) {
  const n = [...text].length;
  if (n <= MAX_TEXT_CHARS) return true;
  setStatus(statusId, () => t("tooLong", n, MAX_TEXT_CHARS), true);
  return false;
}

const DOC_TYPES = {
  law: "law",
  policy: "policy",
  "standard-guidance": "standard",
  course: "course",
  agreement: "agreement",
  glossary: "glossary",
  document: "document",
};

function docTypeLabel(type) {
  return DOC_TYPES[type] ? t(DOC_TYPES[type]) : el("bdi", { dir: "ltr" }, type);
}

function langLabel(code) {
  return code === "fa" ? "فارسی" : code === "en" ? "English" : code;
}

// ---- search -------------------------------------------------------------------------

function renderHit(h) {
  const e = h.explain || {};
  const parts = [`${t("score")} ${num(h.score, 3)}`];
  if (e.lexical_rank) parts.push(`${t("lexical")} #${num(e.lexical_rank)}`);
  if (e.semantic_rank) parts.push(`${t("semantic")} #${num(e.semantic_rank)}`);
  const crumb = h.breadcrumb.join(" › ");
  const snippet = docText(h.snippet, h.highlights, { rtl: h.lang === "fa" });
  return el(
    "li",
    { "data-chunk": h.chunk_id },
    el("h3", { class: "hit-title", ...textAttrs(h.title, h.lang) },
      el("button", { type: "button", title: t("open"), onclick: () => openPassage(h.chunk_id) }, ...labelNodes(h.title, h.lang))),
    el("p", { class: "crumb", ...textAttrs(crumb, h.lang) }, ...labelNodes(crumb, h.lang)),
    el("p", { class: "snippet", dir: dirOfLang(h.lang), lang: h.lang }, ...snippet.nodes),
    el("p", { class: "scores" }, parts.join(" · "), h.ocr ? " " : "", ocrMark(h.ocr)),
  );
}

function searchStatus(r) {
  const out = [];
  if (!r.hits.length) out.push(t("noResults"));
  else if (r.no_exact_match) out.push(el("strong", { class: "no-exact" }, t("noExactMatch")), " ", t("results", r.hits.length));
  else out.push(t("results", r.hits.length));
  if (r.warning) out.push(" · ", t("warningPrefix"), serverText(r.warning));
  return out;
}

async function runSearch(event) {
  event.preventDefault();
  const q = $("q").value.trim();
  if (!q || !withinLimit(q, "search-status")) return;
  const list = $("results");
  list.replaceChildren();
  setStatus("search-status", () => t("searching"));
  try {
    const r = await api(searchUrl(q, $("f-mode").value));
    list.replaceChildren(...r.hits.map(renderHit));
    setStatus("search-status", () => searchStatus(r));
  } catch (err) {
    setError("search-status", err);
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
    const crumb = c.breadcrumb.join(" › ");
    const title = $("passage-title");
    for (const [k, v] of Object.entries(textAttrs(c.title, c.lang))) title.setAttribute(k, v);
    title.replaceChildren(...labelNodes(c.title, c.lang));
    const crumbEl = $("passage-crumb");
    for (const [k, v] of Object.entries(textAttrs(crumb, c.lang))) crumbEl.setAttribute(k, v);
    crumbEl.replaceChildren(...labelNodes(crumb, c.lang), c.ocr ? " " : "", ocrMark(c.ocr));
    const box = $("passage-text");
    box.setAttribute("lang", c.lang);
    box.setAttribute("dir", dirOfLang(c.lang));
    const ranges = span && span.start < span.end ? [[span.start, span.end]] : [];
    const shown = docText(c.text, ranges, { rtl: c.lang === "fa", markClass: "quote" });
    box.replaceChildren(...shown.nodes);
    if (shown.marks.length) shown.marks[0].scrollIntoView({ block: "center" });
    box.focus();
  } catch (err) {
    $("passage-title").replaceChildren(t("errorPrefix"), ...errorNodes(err));
  }
}

// ---- ask ----------------------------------------------------------------------------

/** The answer text with each [n] marker as a button that opens citation n. */
function answerWithMarkers(text, citations, rtl) {
  const frag = document.createDocumentFragment();
  const byN = new Map(citations.map((c) => [c.n, c]));
  let at = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const c = byN.get(Number(m[1]));
    if (!c) continue;
    frag.append(...docText(text.slice(at, m.index), [], { rtl }).nodes);
    frag.append(el("button", {
      type: "button",
      class: "cite",
      "data-n": String(c.n),
      "aria-label": t("openCitation", c.n),
      onclick: () => openPassage(c.chunk_id, c),
    }, `[${num(c.n)}]`));
    at = m.index + m[0].length;
  }
  frag.append(...docText(text.slice(at), [], { rtl }).nodes);
  return frag;
}

/** The «متن از اسکن» mark of a passage read by OCR (`ocr` in search hits and citations). */
function ocrMark(ocr) {
  if (!ocr) return "";
  const pct = num(Math.round(ocr.confidence * 100));
  return el("span", { class: "ocr-mark", title: t("ocrConfidence", pct) }, t("fromScan"));
}

function pageLabel(page) {
  if (page === undefined || page === null) return "";
  return " · " + t("page", Array.isArray(page) ? page.map((p) => num(p)).join("–") : num(page));
}

function renderAnswer(a) {
  $("answer").hidden = false;
  const text = $("answer-text");
  text.classList.remove("draft");
  text.setAttribute("lang", a.lang);
  text.setAttribute("dir", dirOfLang(a.lang));
  text.replaceChildren(answerWithMarkers(a.answer, a.citations, a.lang === "fa"));
  $("citations").replaceChildren(...a.citations.map((c) => {
    const crumb = c.breadcrumb.join(" › ");
    const quote = docText(c.quote, [], { rtl: a.lang === "fa" });
    return el("li", { "data-n": String(c.n) },
      el("button", { type: "button", class: "secondary", ...textAttrs(crumb, a.lang), onclick: () => openPassage(c.chunk_id, c) },
        `[${num(c.n)}] `, ...labelNodes(crumb, a.lang)),
      " ",
      el("bdi", { class: "hint chunk-id", dir: "ltr" }, c.chunk_id),
      pageLabel(c.page),
      c.ocr ? " " : "",
      ocrMark(c.ocr),
      el("blockquote", textAttrs(c.quote, a.lang), ...quote.nodes));
  }));
  $("citations-title").hidden = a.citations.length === 0;
  $("see-also").replaceChildren(...a.see_also.map((s) => {
    const crumb = s.breadcrumb.join(" › ");
    return el("li", textAttrs(crumb, a.lang),
      el("button", { type: "button", class: "secondary", ...textAttrs(crumb, a.lang), onclick: () => openPassage(s.chunk_id) },
        ...labelNodes(crumb, a.lang)));
  }));
  $("see-also-title").hidden = a.see_also.length === 0;
  setStatus("ask-status", () => {
    const out = [a.abstained ? t("abstained") : t("answered", a.citations.length)];
    if (a.warning) out.push(" · ", t("warningPrefix"), serverText(a.warning));
    return out;
  });
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
  if (!question || !withinLimit(question, "ask-status")) return;
  $("answer").hidden = true;
  const answerText = $("answer-text");
  answerText.replaceChildren();
  // The answer is written in the question's language: its direction is known before the
  // first word streams in.
  const qLang = textLang(question, lang);
  answerText.setAttribute("lang", qLang);
  answerText.setAttribute("dir", dirOfLang(qLang));
  setStatus("ask-status", () => t("asking"));
  const headers = authHeaders({ "Content-Type": "application/json" });
  try {
    let response;
    try {
      response = await fetch("/api/ask/stream", {
        method: "POST",
        headers,
        body: JSON.stringify({ question }),
      });
    } catch (err) {
      throw new ApiFailure("network", String(err.message || err), 0);
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw failureOf(response, body);
    }
    let failure = null;
    let drafting = false;
    await readEvents(response, (name, data) => {
      if (name === "token") {
        // A language model's draft (generative mode), shown while it is written; the
        // checked answer that follows replaces it.
        $("answer").hidden = false;
        answerText.classList.add("draft");
        answerText.append(data.text);
        drafting = true;
      } else if (name === "delta") {
        if (drafting) {
          answerText.replaceChildren();
          answerText.classList.remove("draft");
          drafting = false;
        }
        $("answer").hidden = false;
        answerText.append(data.text);
      } else if (name === "done") {
        renderAnswer(data.answer);
      } else if (name === "error") {
        failure = new ApiFailure(data.error || "other", data.message, 0);
      }
    });
    if (failure) throw failure;
  } catch (err) {
    setError("ask-status", err);
  }
}

// ---- compare retrievers -------------------------------------------------------------

async function runCompare(event) {
  event.preventDefault();
  const q = $("cq").value.trim();
  if (!q || !withinLimit(q, "compare-status")) return;
  const modes = ["lexical", "semantic", "hybrid"];
  for (const m of modes) $(`cmp-${m}`).replaceChildren();
  $("cmp-fusion").replaceChildren();
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
            ? `${t("lexical")} ${e.lexical_rank ? "#" + num(e.lexical_rank) : "–"} · ${t("semantic")} ${e.semantic_rank ? "#" + num(e.semantic_rank) : "–"}`
            : `${t("score")} ${num(m === "lexical" ? e.lexical_score : e.semantic_score, 3)}`;
          const crumb = h.breadcrumb.slice(-2).join(" › ");
          return el(
            "li",
            { class: inAll(h.chunk_id) ? "in-all" : "", title: inAll(h.chunk_id) ? t("inAll") : "" },
            el("span", { class: "rank" }, `${num(h.rank)}.`),
            el("button", { type: "button", class: "secondary", ...textAttrs(crumb, h.lang), onclick: () => openPassage(h.chunk_id) }, ...labelNodes(crumb, h.lang)),
            el("div", { class: "scores" }, side),
          );
        }),
      );
      if (r.warning && m !== "lexical") {
        $(`cmp-${m}`).prepend(el("li", {}, t("warningPrefix"), serverText(r.warning)));
      }
    });
    showFusion(results[2].fusion);
    setStatus("compare-status", "");
  } catch (err) {
    setError("compare-status", err);
  }
}

/** Why the hybrid column fused as it did: the query's semantic weight and the signals that
 * moved it most (each toward the lexical or the semantic side). */
function showFusion(f) {
  if (!f) return;
  const moved = (f.contributions || [])
    .filter((c) => c.signal !== "intercept" && Math.abs(c.effect) >= 0.25)
    .slice(0, 3)
    .map((c) => `${t("signal_" + c.signal)} → ${t(c.effect > 0 ? "semantic" : "lexical")}`);
  const why = f.adaptive ? (moved.length ? moved.join(lang === "fa" ? "، " : ", ") : t("fusionNoSignal")) : t("fusionFixed");
  $("cmp-fusion").replaceChildren(
    `${t("fusionWeight")}: ${num(f.semantic_weight, 2)} · ${why}`,
  );
  $("cmp-fusion").title = f.reason || "";
}

// ---- documents ----------------------------------------------------------------------

async function loadDocuments() {
  const body = $("doc-table").tBodies[0];
  const head = [...$("doc-table").tHead.rows[0].cells].map((c) => c.dataset.i18n);
  const cell = (i, attrs, ...children) => el("td", { "data-label": t(head[i]), ...attrs }, ...children);
  setStatus("docs-status", () => t("loading"));
  try {
    const r = await api("/api/documents");
    body.replaceChildren(
      ...r.documents.map((d) =>
        el(
          "tr",
          {},
          cell(0, { dir: "ltr", class: "doc-id" }, d.doc_id),
          cell(1, textAttrs(d.title, d.lang), ...labelNodes(d.title, d.lang)),
          cell(2, {}, docTypeLabel(d.doc_type)),
          cell(3, {}, el("bdi", {}, langLabel(d.lang))),
          cell(4, {}, num(d.chunks)),
          cell(5, {},
            d.uploaded ? el("span", { class: "hint" }, t("upload") + " ") : null,
            el("button", { type: "button", class: "danger", "aria-label": `${t("delete")} ${d.doc_id}`, onclick: () => deleteDocument(d.doc_id) }, t("delete"))),
        ),
      ),
    );
    setStatus("docs-status", () => t("documents", r.documents.length));
  } catch (err) {
    setError("docs-status", err);
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
    setError("docs-status", err);
  }
}

async function deleteDocument(id) {
  if (!confirm(t("confirmDelete", id))) return;
  try {
    await api(`/api/documents/${id.split("/").map(encodeURIComponent).join("/")}`, { method: "DELETE" });
    await loadDocuments();
    setStatus("docs-status", () => t("deleted", id));
  } catch (err) {
    setError("docs-status", err);
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
        el("td", {}, `${num(k.written)} / ${num(k.requested)}`),
        el("td", {}, num(k.dropped), k.note ? " (" : null, k.note ? serverText(k.note) : null, k.note ? ")" : null))));
    $("exercises-result").hidden = false;
    setStatus("exercises-status", () => t("made", r.items, r.dropped));
  } catch (err) {
    setError("exercises-status", err);
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
  for (const id of ["q", "question", "cq", "x-topic"]) {
    const input = $(id);
    input.addEventListener("input", () => followTyping(input));
    followTyping(input);
  }
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
  window.envkb = { openPassage, setLang, renderAnswer, textLang, markdownMask, docText };
});

// The Document Enhancer console: plain JavaScript, no build step, no dependencies.
// Every piece of text from the API (file names, titles, summaries, messages) goes into the page through
// text nodes (h() below, textContent) and never through innerHTML: a document cannot inject markup.
"use strict";

const PAGE_ROWS = 50;
const LIST_PAGE = 100;
const RECENT_PER_STATUS = 25;
const MAX_DOCUMENTS = 5000;
const LIST_REFRESH_MS = 4000;
const DOCUMENT_REFRESH_MS = 2000;
const HEALTH_REFRESH_MS = 20000;
const STATUSES = ["RECEIVED", "EXTRACTING", "ENRICHING", "VALIDATING", "COMPLETED", "PARTIAL", "FAILED"];
const TERMINAL = new Set(["COMPLETED", "PARTIAL", "FAILED"]);

const state = {
  docs: new Map(),
  listLoaded: false,
  listTimer: null,
  docTimer: null,
  page: 0,
  filterStatus: "",
  search: "",
  profiles: null,
  uploads: [],
  timing: {},
};

// --- DOM helpers: text only ---------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value); // CSSOM, allowed by the CSP (attributes are not)
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(...nodes) {
  const view = document.getElementById("view");
  view.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

function fileName(key) {
  return (key || "").split("/").pop();
}

function money(value) {
  return value ? "$" + Number(value).toFixed(4) : "$0";
}

function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "";
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 120000) return (ms / 1000).toFixed(1) + " s";
  return Math.round(ms / 60000) + " min";
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// --- the API: its own error messages ------------------------------------------------------------------

class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...options,
      headers: { Accept: "application/json", ...(options.body ? { "Content-Type": "application/json" } : {}) },
    });
  } catch (error) {
    throw new ApiFailure(0, "UNREACHABLE", "cannot reach the API (" + error.message + ")");
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (_error) {
    body = null;
  }
  if (!response.ok) {
    const detail = body && body.error ? body.error : { code: "HTTP_" + response.status, message: text.slice(0, 300) };
    const failure = new ApiFailure(response.status, detail.code, detail.message);
    failure.body = body;
    throw failure;
  }
  return body;
}

function report(error) {
  const banner = document.getElementById("error");
  if (!error) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  const code = error.code ? error.code + ": " : "";
  banner.replaceChildren(h("strong", {}, code), error.message || String(error));
  banner.hidden = false;
}

// --- routing ------------------------------------------------------------------------------------------

function route() {
  clearTimeout(state.listTimer);
  clearTimeout(state.docTimer);
  report(null);
  const hash = location.hash.replace(/^#\/?/, "");
  const [section, id] = hash.split("/");
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("active", link.dataset.nav === (section || "documents"));
  }
  if (section === "documents" && id) return documentPage(decodeURIComponent(id));
  if (section === "operations") return operationsPage();
  if (section === "eval") return evalPage();
  return documentsPage();
}

// --- documents list -----------------------------------------------------------------------------------

async function loadAllDocuments(onFirstPage) {
  // The first request is one screen's worth, so rows appear after the cheapest possible call.
  const seen = new Map();
  let token = null;
  let first = true;
  do {
    const size = first ? PAGE_ROWS : LIST_PAGE;
    const query = "documents?limit=" + size + (token ? "&next_token=" + encodeURIComponent(token) : "");
    const page = await api(query);
    for (const item of page.items) seen.set(item.document_id, item);
    token = page.next_token;
    if (first) {
      first = false;
      for (const item of page.items) state.docs.set(item.document_id, item);
      onFirstPage();
    }
  } while (token && seen.size < MAX_DOCUMENTS);
  state.docs = seen;
}

async function loadRecentChanges() {
  // The status index is sorted by updated_at: the newest few of each status hold every recent change, so a
  // refresh costs one small query per status instead of reading every document again.
  const pages = await Promise.all(STATUSES.map((s) => api("documents?status=" + s + "&limit=" + RECENT_PER_STATUS)));
  for (const page of pages) {
    for (const item of page.items) {
      const known = state.docs.get(item.document_id);
      if (!known || known.updated_at <= item.updated_at) state.docs.set(item.document_id, item);
    }
  }
}

function visibleDocuments() {
  const needle = state.search.trim().toLowerCase();
  return [...state.docs.values()]
    .filter((d) => !state.filterStatus || d.status === state.filterStatus)
    .filter((d) => !needle || fileName(d.source_key).toLowerCase().includes(needle))
    .sort((a, b) => (b.created_at || "").localeCompare(a.created_at || "") || a.document_id.localeCompare(b.document_id));
}

function documentRow(doc) {
  const total = doc.chapter_count;
  const finished = doc.chapters_done + doc.chapters_failed;
  const chapters = total === null || total === undefined ? "" : finished + " / " + total + (doc.chapters_failed ? " (" + doc.chapters_failed + " failed)" : "");
  const elapsed = TERMINAL.has(doc.status) ? Date.parse(doc.updated_at) - Date.parse(doc.created_at) : Date.now() - Date.parse(doc.created_at);
  return h(
    "tr",
    { class: "clickable", dataset: { documentId: doc.document_id, status: doc.status }, onclick: () => (location.hash = "#/documents/" + doc.document_id) },
    h("td", { class: "file" }, fileName(doc.source_key), h("div", { class: "muted" }, doc.title || "")),
    h("td", {}, h("span", { class: "status " + doc.status }, doc.status)),
    h("td", { class: "num" }, doc.page_count ?? ""),
    h("td", { class: "num chapters" }, chapters),
    h("td", { class: "num" }, money(doc.estimated_cost_usd)),
    h("td", { class: "num" }, duration(elapsed)),
    h("td", { class: "error-code" }, doc.error_code || ""),
    h("td", { class: "muted" }, when(doc.updated_at)),
  );
}

function renderTable() {
  const holder = document.getElementById("documents");
  if (!holder) return;
  const started = performance.now();
  const rows = visibleDocuments();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  state.page = Math.min(state.page, pages - 1);
  const slice = rows.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS);
  const head = h(
    "tr",
    {},
    ["file", "status", "pages", "chapters done / total", "cost", "time", "error code", "updated"].map((c, i) =>
      h("th", { class: [2, 3, 4, 5].includes(i) ? "num" : null }, c),
    ),
  );
  const body = slice.length ? slice.map(documentRow) : [h("tr", {}, h("td", { colspan: 8, class: "muted" }, state.listLoaded ? "No documents match." : "Loading…"))];
  holder.replaceChildren(
    h("table", { id: "documents-table" }, h("thead", {}, head), h("tbody", {}, body)),
    h(
      "div",
      { class: "pager" },
      h("button", { id: "prev-page", disabled: state.page === 0, onclick: () => { state.page -= 1; renderTable(); } }, "‹ previous"),
      h("span", { id: "page-info" }, "page " + (state.page + 1) + " of " + pages + " · " + rows.length + " of " + state.docs.size + " document(s)"),
      h("button", { id: "next-page", disabled: state.page >= pages - 1, onclick: () => { state.page += 1; renderTable(); } }, "next ›"),
    ),
  );
  state.timing.renderMs = performance.now() - started; // filter, sort and draw one page of the whole list
}

async function refreshList() {
  const started = performance.now();
  try {
    if (state.listLoaded) {
      await loadRecentChanges();
    } else {
      await loadAllDocuments(() => {
        if (!state.timing.firstPageMs) state.timing.firstPageMs = performance.now() - started;
        renderTable();
      });
      state.listLoaded = true;
      if (!state.timing.allDocumentsMs) state.timing.allDocumentsMs = performance.now() - started;
    }
    renderTable();
    document.body.dataset.documentsLoaded = String(state.docs.size);
  } catch (error) {
    report(error);
  }
  if (document.getElementById("documents")) state.listTimer = setTimeout(refreshList, LIST_REFRESH_MS);
}

async function loadProfiles() {
  if (state.profiles) return state.profiles;
  try {
    state.profiles = (await api("profiles")).profiles;
  } catch (error) {
    state.profiles = [];
    report(error);
  }
  return state.profiles;
}

function uploadPanel() {
  const select = h("select", { id: "profile" }, h("option", { value: "" }, "profile: automatic"));
  loadProfiles().then((profiles) => {
    for (const name of profiles) select.append(h("option", { value: name }, name));
  });
  const input = h("input", { type: "file", id: "file-input", accept: "application/pdf,.pdf", multiple: true, onchange: () => uploadFiles(input.files, select.value) });
  const zone = h(
    "div",
    { id: "dropzone" },
    "Drop PDFs here, or ",
    h("label", {}, h("u", {}, "choose files"), input),
    h("ul", { id: "uploads", class: "muted" }),
  );
  input.style.display = "none";
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    uploadFiles(event.dataTransfer.files, select.value);
  });
  return h("section", {}, h("div", { class: "toolbar" }, select), zone);
}

async function s3Reason(response) {
  // S3 answers in XML: its <Code> and <Message>, shown as text like every other value.
  const body = await response.text().catch(() => "");
  const xml = new DOMParser().parseFromString(body, "application/xml");
  const code = xml.querySelector("Error > Code")?.textContent;
  const message = xml.querySelector("Error > Message")?.textContent;
  return code ? ": " + code + (message ? ": " + message : "") : "";
}

async function uploadFiles(files, profile) {
  const list = document.getElementById("uploads");
  await Promise.all(
    [...files].map(async (file) => {
      const line = h("li", { dataset: { file: file.name } }, file.name + ": asking for an upload URL…");
      list.append(line);
      try {
        const body = { filename: file.name, size_bytes: file.size || undefined };
        if (profile) body.profile = profile;
        const ticket = await api("documents", { method: "POST", body: JSON.stringify(body) });
        line.textContent = file.name + ": uploading…";
        const put = await fetch(ticket.upload_url, { method: "PUT", headers: ticket.upload_headers, body: file });
        if (!put.ok) throw new ApiFailure(put.status, "UPLOAD_FAILED", "S3 refused the upload (HTTP " + put.status + ")" + (await s3Reason(put)));
        line.textContent = file.name + ": uploaded as " + ticket.document_id;
        line.dataset.documentId = ticket.document_id;
        line.dataset.state = "uploaded";
      } catch (error) {
        line.textContent = file.name + ": " + (error.code ? error.code + ": " : "") + error.message;
        line.dataset.state = "failed";
        report(error);
      }
    }),
  );
  clearTimeout(state.listTimer);
  refreshList();
}

function documentsPage() {
  const status = h("select", { id: "status-filter", onchange: () => { state.filterStatus = status.value; state.page = 0; renderTable(); } },
    h("option", { value: "" }, "all statuses"), STATUSES.map((s) => h("option", { value: s, selected: s === state.filterStatus }, s)));
  const search = h("input", { id: "search", type: "search", placeholder: "search file names", value: state.search,
    oninput: () => { state.search = search.value; state.page = 0; renderTable(); } });
  show(
    h("h2", {}, "Documents"),
    uploadPanel(),
    h("div", { class: "toolbar" }, status, search),
    h("div", { id: "documents" }),
  );
  renderTable();
  refreshList();
}

// --- one document -------------------------------------------------------------------------------------

function tags(values) {
  return h("span", { class: "tags" }, (values || []).map((v) => h("span", {}, v)));
}

function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function fieldValue(value) {
  if (Array.isArray(value)) return value.every((v) => typeof v !== "object") ? tags(value.map(String)) : JSON.stringify(value);
  if (value && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function chapterBlock(chapter) {
  const meta = chapter.metadata || {};
  const llm = chapter.llm;
  const extra = Object.entries(meta).filter(([k]) => !["summary", "keywords", "concepts"].includes(k));
  const sections = chapter.sections || [];
  return h(
    "details",
    { class: "chapter", dataset: { chapterIndex: chapter.index } },
    h(
      "summary",
      {},
      h("strong", { class: "chapter-title" }, chapter.title),
      " — pages " + chapter.start_page + "–" + chapter.end_page +
        (chapter.start_label ? " (printed " + chapter.start_label + "–" + (chapter.end_label || "") + ")" : "") +
        " · detected by " + chapter.detected_by + " · ",
      h("span", { class: "status " + chapter.status }, chapter.status),
    ),
    h(
      "div",
      { class: "body" },
      meta.summary ? h("p", { class: "text chapter-summary" }, meta.summary) : null,
      kv([
        ["keywords", meta.keywords ? tags(meta.keywords) : null],
        ["concepts", meta.concepts ? tags(meta.concepts) : null],
        ...extra.map(([k, v]) => [k.replaceAll("_", " "), fieldValue(v)]),
        ["characters", chapter.char_count],
      ]),
      sections.length
        ? h("div", {}, h("h4", {}, "sections"), h("ul", { class: "tree" }, sections.map((s) => h("li", { style: { marginLeft: 14 * ((s.level || 1) - 1) + "px" } }, s.title + " (page " + s.page + ")"))))
        : null,
      llm
        ? h("div", { class: "llm" }, h("h4", {}, "LLM"), kv([
            ["provider / model", llm.provider + " / " + llm.model],
            ["tokens in / out", llm.input_tokens + " / " + llm.output_tokens],
            ["cost", money(llm.estimated_cost_usd)],
            ["cached", llm.cached ? "yes" : "no"],
            ["latency", duration(llm.latency_ms)],
            ["attempts", llm.attempts],
          ]))
        : null,
      chapter.error ? h("p", { class: "issue error" }, chapter.error.code + ": " + chapter.error.message) : null,
    ),
  );
}

function chapterTree(chapters) {
  // Parts group chapters when the result names them; otherwise the chapters are the top level.
  const groups = new Map();
  for (const chapter of chapters) {
    const part = chapter.part_title || "";
    if (!groups.has(part)) groups.set(part, []);
    groups.get(part).push(chapter);
  }
  return h("div", { id: "chapters" }, [...groups.entries()].map(([part, list]) =>
    part ? h("section", { class: "part" }, h("h4", {}, part), list.map(chapterBlock)) : list.map(chapterBlock)));
}

function timingBars(timings) {
  if (!timings) return null;
  const steps = [["extract", timings.extract_ms], ["enrich", timings.enrich_ms], ["validate", timings.validate_ms], ["total", timings.total_ms]];
  const longest = Math.max(1, ...steps.map(([, v]) => v || 0));
  return h("div", { class: "bars", id: "timings" }, steps.map(([name, ms]) => [
    h("span", {}, name),
    h("div", { class: "bar", style: { width: (100 * (ms || 0)) / longest + "%" }, title: name + " " + duration(ms) }),
    h("span", { class: "num" }, duration(ms || 0)),
  ]));
}

async function documentPage(id) {
  show(h("p", { class: "muted" }, "Loading " + id + "…"));
  let doc;
  try {
    doc = await api("documents/" + encodeURIComponent(id));
  } catch (error) {
    show(h("h2", {}, "Document " + id), h("p", { class: "muted" }, "Not available."));
    report(error);
    return;
  }
  let result = null;
  if (doc.result_available) {
    try {
      result = await api("documents/" + encodeURIComponent(id) + "/result");
    } catch (error) {
      report(error);
    }
  }
  const reprocess = h("button", { id: "reprocess", disabled: !TERMINAL.has(doc.status), onclick: async () => {
    reprocess.disabled = true;
    try {
      const accepted = await api("documents/" + encodeURIComponent(id) + "/reprocess", { method: "POST" });
      document.getElementById("doc-status").textContent = accepted.status + " (run " + accepted.run + ")";
      state.docTimer = setTimeout(() => documentPage(id), DOCUMENT_REFRESH_MS);
    } catch (error) {
      report(error);
      reprocess.disabled = false;
    }
  } }, "Reprocess");
  const usage = (result && result.usage) || doc;
  const issues = (result && result.validation && result.validation.issues) || [];
  show(
    h("p", {}, h("a", { href: "#/documents" }, "‹ all documents")),
    h("h2", { id: "doc-title" }, (result && result.document && result.document.title) || doc.title || fileName(doc.source_key)),
    h("div", { class: "toolbar" },
      h("span", { id: "doc-status", class: "status " + doc.status, dataset: { status: doc.status } }, doc.status),
      reprocess,
      doc.result_available ? h("a", { id: "result-link", href: "documents/" + encodeURIComponent(id) + "/result", target: "_blank", rel: "noopener" }, "result JSON") : null),
    kv([
      ["document id", doc.document_id],
      ["file", fileName(doc.source_key)],
      ["profile", doc.profile],
      ["pages", doc.page_count],
      ["chapters", doc.chapter_count === null ? "" : doc.chapters_done + doc.chapters_failed + " / " + doc.chapter_count],
      ["run", doc.run],
      ["error", doc.error_code ? doc.error_code + ": " + (doc.error_message || "") : null],
      ["LLM calls / cache hits", usage.llm_calls + " / " + usage.cache_hits],
      ["tokens in / out", usage.input_tokens + " / " + usage.output_tokens],
      ["cost", money(usage.estimated_cost_usd)],
      ["created", when(doc.created_at)],
      ["updated", when(doc.updated_at)],
    ]),
    result && result.document ? [h("h3", {}, "Document"), h("p", { class: "text", id: "doc-summary" }, result.document.summary || ""),
      kv([["keywords", tags(result.document.keywords)], ["topics", tags(result.document.topics)], ["language", result.document.language]])] : null,
    result ? [h("h3", {}, "Timings"), timingBars(result.timings)] : null,
    result ? [h("h3", {}, "Chapters (" + result.chapters.length + ")"), chapterTree(result.chapters)] : null,
    result ? [h("h3", {}, "Validation: " + (result.validation && result.validation.passed ? "passed" : "not passed")),
      issues.length ? h("table", { id: "issues" }, h("tr", {}, h("th", {}, "severity"), h("th", {}, "rule"), h("th", {}, "path"), h("th", {}, "message")),
        issues.map((i) => h("tr", { class: "issue " + i.severity }, h("td", {}, i.severity), h("td", {}, i.rule), h("td", {}, i.path), h("td", {}, i.message))))
        : h("p", { class: "muted" }, "No issues.")] : null,
  );
  if (!TERMINAL.has(doc.status)) state.docTimer = setTimeout(() => documentPage(id), DOCUMENT_REFRESH_MS);
}

// --- operations ---------------------------------------------------------------------------------------

async function healthReport() {
  try {
    return await api("health/detailed");
  } catch (error) {
    if (error.body && error.body.checks) return error.body; // 503 still carries the report
    throw error;
  }
}

async function refreshBadge() {
  const badge = document.getElementById("health-badge");
  try {
    const health = await healthReport();
    badge.className = "light " + health.status;
    badge.textContent = "health: " + health.status;
  } catch (error) {
    badge.className = "light unavailable";
    badge.textContent = "health: unreachable";
  }
  setTimeout(refreshBadge, HEALTH_REFRESH_MS);
}

async function operationsPage() {
  const health = h("div", { id: "health", class: "grid" }, h("span", { class: "muted" }, "checking…"));
  const queues = h("div", { id: "queues" });
  const minutes = h("input", { id: "stuck-minutes", type: "number", min: 0, value: 15, style: { width: "6em" }, onchange: () => loadStuck() });
  const stuck = h("div", { id: "stuck" });
  show(
    h("h2", {}, "Operations"),
    h("h3", {}, "Health"), health,
    h("h3", {}, "Queues and dead-letter queues"), queues,
    h("h3", {}, "Stuck documents"), h("div", { class: "toolbar" }, "not finished and unchanged for at least", minutes, "minutes"), stuck,
  );
  async function loadHealth() {
    try {
      const reportBody = await healthReport();
      health.replaceChildren(...reportBody.checks.map((c) => h("div", { class: "card", dataset: { check: c.name, status: c.status } },
        h("span", { class: "light " + c.status }, c.status), " ", h("span", { class: "name" }, c.name), h("div", { class: "muted" }, c.kind + " · " + c.latency_ms.toFixed(1) + " ms"), h("div", {}, c.message))));
    } catch (error) {
      report(error);
    }
  }
  async function loadQueues() {
    try {
      const body = await api("operations/queues");
      queues.replaceChildren(h("table", { id: "queues-table" },
        h("tr", {}, h("th", {}, "queue"), h("th", { class: "num" }, "waiting / in flight"), h("th", { class: "num" }, "dead letters"), h("th", {}, "")),
        body.queues.map((q) => {
          const button = h("button", { class: "redrive", disabled: !q.dead_letters, onclick: async () => {
            button.disabled = true;
            try {
              const moved = await api("operations/queues/" + encodeURIComponent(q.queue) + "/redrive", { method: "POST" });
              button.textContent = "moved " + moved.moved;
              setTimeout(loadQueues, 500);
            } catch (error) {
              report(error);
              button.disabled = false;
            }
          } }, "Redrive");
          return h("tr", { dataset: { queue: q.queue, deadLetters: q.dead_letters ?? "" } }, h("td", {}, q.queue), h("td", { class: "num" }, q.depth),
            h("td", { class: "num dlq-depth" }, h("span", { class: "light " + (q.dead_letters ? "degraded" : "ok") }, q.dead_letters ?? "none")), h("td", {}, button));
        })));
    } catch (error) {
      report(error);
    }
  }
  async function loadStuck() {
    try {
      const body = await api("operations/stuck?older_than_minutes=" + encodeURIComponent(minutes.value || 0));
      stuck.replaceChildren(body.items.length ? h("table", {}, h("tbody", {}, body.items.map(documentRow))) : h("p", { class: "muted" }, "None."));
    } catch (error) {
      report(error);
    }
  }
  await Promise.all([loadHealth(), loadQueues(), loadStuck()]);
  state.listTimer = setTimeout(() => { if (location.hash.startsWith("#/operations")) operationsPage(); }, 10000);
}

// --- eval report --------------------------------------------------------------------------------------

function evalTable(reportBody) {
  const metrics = Object.keys(reportBody.overall);
  return h("table", { class: "eval" },
    h("tr", {}, h("th", {}, "document"), h("th", {}, "status"), metrics.map((m) => h("th", { class: "num" }, m.replaceAll("_", " ")))),
    reportBody.documents.map((d) => h("tr", {}, h("td", {}, d.file), h("td", {}, d.error_code || d.status || "missing"),
      metrics.map((m) => h("td", { class: "num" }, d.scores[m] === undefined ? "" : d.scores[m].toFixed(3))))),
    h("tr", {}, h("th", {}, "overall"), h("th", {}, ""), metrics.map((m) => h("th", { class: "num" }, reportBody.overall[m].toFixed(3)))));
}

async function evalPage() {
  show(h("h2", {}, "Eval"), h("p", { class: "muted" }, "Loading…"));
  try {
    const body = await api("console/eval-report");
    show(
      h("h2", {}, "Eval" + (body.label ? ": " + body.label : "")),
      h("p", { class: "muted" }, body.results + " against " + body.truth + " · " + when(body.created_at)),
      body.failures && body.failures.length ? h("p", { class: "issue error" }, "below threshold: " + body.failures.join("; ")) : null,
      evalTable(body),
      body.baseline ? [h("h3", {}, "Baseline: " + (body.baseline.label || body.baseline.results)), evalTable(body.baseline)] : null,
    );
  } catch (error) {
    show(h("h2", {}, "Eval"), h("p", { class: "muted", id: "no-eval" }, error.message));
  }
}

// --- start --------------------------------------------------------------------------------------------

window.consoleTiming = state.timing;
window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  route();
  refreshBadge();
});

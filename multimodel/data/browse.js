/* multimodel results browser: search, filter, sort and read an evaluation's rows, or two runs paired.
 *
 * Self-contained (no library, no network). The data comes from the JSON script element (type application/json) in
 * the same output, written by multimodel/notebook/browse.py. Model output is untrusted: every string from the data
 * reaches the page through textContent or createTextNode, never innerHTML, so a script tag in an answer is text.
 * This file is inlined into a script element: it must never hold a closing script tag or an HTML comment opener.
 */
(function () {
  "use strict";
  var VERSION = "2";  // bump on every change, so a page that ran an older copy runs this one
  if (window.MMBrowse && window.MMBrowse.version === VERSION) return;

  // ------------------------------------------------------------------------------------------------ DOM, text only
  function el(tag, props, children) {
    var node = document.createElement(tag);
    props = props || {};
    if (props.cls) node.className = props.cls;
    if (props.text != null) node.textContent = String(props.text);
    if (props.title != null) node.title = String(props.title);
    if (props.attrs) Object.keys(props.attrs).forEach(function (k) { node.setAttribute(k, String(props.attrs[k])); });
    if (props.on) Object.keys(props.on).forEach(function (k) { node.addEventListener(k, props.on[k]); });
    (children || []).forEach(function (c) {
      if (c == null || c === false) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function option(value, label, selected) {
    var o = el("option", { text: label, attrs: { value: value } });
    if (selected) o.selected = true;
    return o;
  }

  // ------------------------------------------------------------------------------------------------ numbers
  function isNum(v) { return typeof v === "number" && isFinite(v); }
  function fmtSeconds(v) { return !isNum(v) ? "n/a" : v < 1 ? Math.round(v * 1000) + " ms" : v.toFixed(2) + " s"; }
  function fmtUsd(v) {
    if (!isNum(v)) return "n/a";
    if (v === 0) return "$0";
    return Math.abs(v) < 0.01 ? "$" + v.toFixed(6) : "$" + v.toFixed(4);
  }
  function fmtInt(v) { return !isNum(v) ? "n/a" : Math.round(v).toLocaleString("en-US"); }
  function fmtTps(v) { return !isNum(v) ? "n/a" : Math.round(v) + " tok/s"; }
  function fmtScore(v) { return !isNum(v) ? "n/a" : (Math.round(v * 1000) / 1000).toString(); }
  function fmtDelta(v) { return !isNum(v) ? "" : (v > 0 ? "+" : v < 0 ? "\u2212" : "\u00b1") + fmtScore(Math.abs(v)); }
  function fmtMetric(fmt, v, P, i) {
    if (fmt === "s") return fmtSeconds(v);
    if (fmt === "usd") return fmtUsd(v);
    if (fmt === "int") return fmtInt(v);
    if (fmt === "tps") return fmtTps(v);
    if (fmt === "time") return (P && P.cols._created_at_text && P.cols._created_at_text[i]) || "n/a";
    return fmtScore(v);
  }
  function compareValues(a, b) {  // missing values last whatever the direction (handled by the caller)
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b));
  }
  function preview(text, limit) {
    if (!text) return "";
    var one = text.replace(/\s+/g, " ").trim();
    return one.length > limit ? one.slice(0, limit - 1) + "\u2026" : one;
  }

  // ------------------------------------------------------------------------------------------------ word diff
  var TOKEN = /\s+|[^\s]+/g;
  function normWord(w) { var n = w.replace(/[\W_]+/g, "").toLowerCase(); return n || w; }
  // text's tokens, each marked changed when its word is not in the longest common word sequence with reference
  function diffTokens(reference, text) {
    var a = (reference || "").match(TOKEN) || [], b = (text || "").match(TOKEN) || [];
    var aw = a.filter(function (t) { return !/^\s+$/.test(t); }).map(normWord);
    var bIdx = [], bw = [];
    b.forEach(function (t, i) { if (!/^\s+$/.test(t)) { bIdx.push(i); bw.push(normWord(t)); } });
    var n = aw.length, m = bw.length, changed = {};
    if (n * m > 2500000) return null;  // too long to compare word by word here
    var W = m + 1, L = new Int32Array((n + 1) * W);
    for (var i = n - 1; i >= 0; i--) for (var j = m - 1; j >= 0; j--)
      L[i * W + j] = aw[i] === bw[j] ? L[(i + 1) * W + j + 1] + 1 : Math.max(L[(i + 1) * W + j], L[i * W + j + 1]);
    var x = 0, y = 0, kept = {};
    while (x < n && y < m) {
      if (aw[x] === bw[y]) { kept[y] = true; x++; y++; } else if (L[(x + 1) * W + y] >= L[x * W + y + 1]) x++; else y++;
    }
    bIdx.forEach(function (ti, k) { if (!kept[k]) changed[ti] = true; });
    return b.map(function (t, i) { return [t, !!changed[i]]; });
  }
  function textBlock(cls, text, reference) {
    var box = el("div", { cls: cls });
    var tokens = reference != null ? diffTokens(reference, text) : null;
    if (!tokens) { box.textContent = text; return box; }
    var run = "";
    tokens.forEach(function (t) {
      if (!t[1]) { run += t[0]; return; }
      if (run) { box.appendChild(document.createTextNode(run)); run = ""; }
      box.appendChild(el("mark", { cls: "mm-b-diff", text: t[0] }));
    });
    if (run) box.appendChild(document.createTextNode(run));
    return box;
  }

  // ------------------------------------------------------------------------------------------------ one row's card
  function txt(P, name, i) { var id = P.cols[name] ? P.cols[name][i] : null; return id == null ? null : P.texts[id]; }
  function badge(label, value, cls) {
    return el("span", { cls: "mm-b-badge" + (cls ? " " + cls : "") }, [el("b", { text: label }), " " + value]);
  }
  function card(P, i, opts) {
    opts = opts || {};
    var C = P.cols, bits = [];
    // a fallback's answer stands in the place of its model as requested: say which model gave it
    var answeredBy = txt(P, "answered_by", i);
    if (answeredBy) bits.push(txt(P, "error_kind", i) ? "fallback " + answeredBy + " failed too" : "answered by " + answeredBy + " (fallback)");
    ["provider", "response_model"].forEach(function (k) { var v = txt(P, k, i); if (v) bits.push(v); });
    var finish = txt(P, "finish_reason", i);
    if (finish) bits.push("finish: " + finish);
    if (C.cached[i]) bits.push("cache replay");
    if (C.simulated[i]) bits.push("simulated");
    var head = el("div", { cls: "mm-b-card-head" }, [
      el("div", { cls: "mm-b-card-model", text: txt(P, "model", i) }),
      el("div", { cls: "mm-b-muted", text: (opts.caption ? opts.caption + " \u00b7 " : "") + "row " + C._label[i] +
        (P.repeats > 1 ? " \u00b7 repeat " + C.repeat[i] : "") + (bits.length ? " \u00b7 " + bits.join(" \u00b7 ") : "") })
    ]);
    var badges = el("div", { cls: "mm-b-badges" });
    P.scores.forEach(function (s) { badges.appendChild(badge(s, fmtScore(C[s][i]), "mm-b-score")); });
    P.metrics.forEach(function (m) {
      if (m.key === "created_at" || m.key === "attempts" && !(C.attempts[i] > 1)) return;
      if (m.key === "ttft_s" && !isNum(C.ttft_s[i]) && !C.stream[i]) { badges.appendChild(badge("TTFT", "not streamed")); return; }
      if (m.key === "ttfat_s" || m.key === "itl_s" || m.key === "cached_tokens" && !(C.cached_tokens[i] > 0)) return;
      badges.appendChild(badge(m.label, fmtMetric(m.fmt, C[m.key][i], P, i)));
    });
    var node = el("div", { cls: "mm-b-card" + (opts.selected ? " mm-b-selected" : ""),
      attrs: { "data-model": txt(P, "model", i), "data-row": C._label[i] } }, [head, badges]);
    var kind = txt(P, "error_kind", i);
    if (kind) {
      var status = C.error_status[i] != null ? " (HTTP " + C.error_status[i] + ")" : "";
      node.appendChild(el("div", { cls: "mm-b-error" }, [el("b", { text: kind + status }), ": " + (txt(P, "error_message", i) || "")]));
    }
    var content = txt(P, "content", i);
    if (content) node.appendChild(textBlock("mm-b-answer", content, opts.reference));
    else if (!kind) node.appendChild(el("div", { cls: "mm-b-muted", text: "(no answer text)" }));
    var reasoning = txt(P, "reasoning", i);
    if (reasoning == null) node.appendChild(el("div", { cls: "mm-b-muted", text: "reasoning: none returned" }));
    else {
      var det = el("details", { cls: "mm-b-reasoning" }, [el("summary", { text: "reasoning (" + reasoning.length.toLocaleString("en-US") + " chars)" }),
        el("div", { cls: "mm-b-pre", text: reasoning })]);
      if (opts.openReasoning) det.open = true;
      node.appendChild(det);
    }
    (C._tools[i] || []).forEach(function (call) {
      node.appendChild(el("div", { cls: "mm-b-tool" }, [el("div", { cls: "mm-b-tool-name", text: "tool call: " + call[0] }),
        el("pre", { text: call[1] })]));
    });
    var extra = [];
    ["cost_source", "route_reason", "request_id"].forEach(function (k) {
      var v = txt(P, k, i); if (v) extra.push(k + ": " + v);
    });
    if (C._created_at_text && C._created_at_text[i]) extra.push("created " + C._created_at_text[i]);
    if (extra.length) node.appendChild(el("div", { cls: "mm-b-muted mm-b-small", text: extra.join(" \u00b7 ") }));
    return node;
  }

  // ------------------------------------------------------------------------------------------------ shared widgets
  function banner(data) {
    return data.simulated ? el("div", { cls: "mm-b-banner mm-simulated",
      text: "SIMULATED: answers come from multimodel's built-in simulator, not from real models" }) : null;
  }
  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }
  function ModelChips(models, counts, onChange) {
    var chosen = {}, box = el("div", { cls: "mm-b-models" }, [el("span", { cls: "mm-b-label", text: "models" })]);
    var inputs = models.map(function (m) {
      chosen[m] = true;
      var input = el("input", { attrs: { type: "checkbox", "data-model": m }, on: { change: function () { chosen[m] = input.checked; onChange(); } } });
      input.checked = true;
      box.appendChild(el("label", { cls: "mm-b-chip" }, [input, " " + m + " (" + counts[m] + ")"]));
      return input;
    });
    function setAll(v) { inputs.forEach(function (inp, k) { inp.checked = v; chosen[models[k]] = v; }); onChange(); }
    box.appendChild(el("button", { text: "all", attrs: { type: "button" }, on: { click: function () { setAll(true); } } }));
    box.appendChild(el("button", { text: "none", attrs: { type: "button" }, on: { click: function () { setAll(false); } } }));
    return { node: box, chosen: chosen, only: function (m) { inputs.forEach(function (inp, k) { inp.checked = models[k] === m; chosen[models[k]] = inp.checked; }); },
      reset: function () { inputs.forEach(function (inp, k) { inp.checked = true; chosen[models[k]] = true; }); } };
  }
  function Pager(onChange) {
    var state = { page: 0, size: 50, total: 0 };
    var info = el("span", { cls: "mm-b-status" });
    var prev = el("button", { text: "\u2039 prev", attrs: { type: "button" }, on: { click: function () { go(state.page - 1); } } });
    var next = el("button", { text: "next \u203a", attrs: { type: "button" }, on: { click: function () { go(state.page + 1); } } });
    var size = el("select", { attrs: { "aria-label": "rows per page" }, on: { change: function () { state.size = +size.value; go(0); } } },
      [25, 50, 100, 250, 1000].map(function (k) { return option(k, k + " per page", k === 50); }));
    function pages() { return Math.max(1, Math.ceil(state.total / state.size)); }
    function go(p) { state.page = Math.max(0, Math.min(pages() - 1, p)); onChange(); }
    return {
      node: el("span", { cls: "mm-b-pager" }, [prev, next, size]), info: info, state: state, go: go,
      setSize: function (k) { state.size = k; size.value = String(k); },
      update: function (total, of, noun) {
        state.total = total;
        if (state.page > pages() - 1) state.page = pages() - 1;
        var lo = total ? state.page * state.size + 1 : 0, hi = Math.min(total, (state.page + 1) * state.size);
        info.textContent = total.toLocaleString("en-US") + " of " + of.toLocaleString("en-US") + " " + noun + " match" +
          (total ? " \u00b7 showing " + lo + "\u2013" + hi + " \u00b7 page " + (state.page + 1) + " of " + pages() : "");
        prev.disabled = state.page === 0; next.disabled = state.page >= pages() - 1;
      }
    };
  }
  // A sortable table of the rows on the current page: columns are {key, label, cell(i) -> string|node, cls}
  function renderTable(table, columns, rows, sort, selected, onSort, onPick) {
    clear(table);
    var tr = el("tr");
    columns.forEach(function (c) {
      var mark = sort.key === c.key ? (sort.dir > 0 ? " \u25b2" : " \u25bc") : "";
      var th = el("th", { text: c.label + mark, cls: c.cls, attrs: { "data-key": c.key, title: "sort by " + c.label,
        "aria-sort": sort.key === c.key ? (sort.dir > 0 ? "ascending" : "descending") : "none" },
        on: c.sortable === false ? {} : { click: function () { onSort(c.key); } } });
      tr.appendChild(th);
    });
    table.appendChild(el("thead", {}, [tr]));
    var body = el("tbody");
    rows.forEach(function (i) {
      var row = el("tr", { cls: i === selected ? "mm-b-selected" : "", attrs: { "data-index": i },
        on: { click: function () { onPick(i); } } });
      columns.forEach(function (c) {
        var v = c.cell(i);
        row.appendChild(typeof v === "string" ? el("td", { text: v, cls: c.cls }) : el("td", { cls: c.cls }, [v]));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
  }
  function sortRows(rows, keyOf, dir) {
    var withKey = rows.map(function (i) { return [i, keyOf(i)]; });
    withKey.sort(function (x, y) {
      var a = x[1], b = y[1], am = a == null || a === "" || (typeof a === "number" && !isFinite(a)),
        bm = b == null || b === "" || (typeof b === "number" && !isFinite(b));
      if (am || bm) return am && bm ? x[0] - y[0] : am ? 1 : -1;  // missing last, whatever the direction
      return dir * compareValues(a, b) || x[0] - y[0];
    });
    return withKey.map(function (p) { return p[0]; });
  }
  function moveOnKeys(scroller, step) {
    scroller.addEventListener("keydown", function (ev) {
      var d = ev.key === "ArrowDown" || ev.key === "j" ? 1 : ev.key === "ArrowUp" || ev.key === "k" ? -1 : 0;
      if (!d) return;
      ev.preventDefault(); ev.stopPropagation();
      step(d);
    });
  }
  function promptBlock(P, i, extraNames) {
    var text = txt(P, "prompt", i) || "";
    var box = el("div", { cls: "mm-b-prompt" }, [el("b", { text: "prompt" }), el("div", { cls: "mm-b-pre", text: text || "(none)" })]);
    var bits = (extraNames || []).map(function (name) { var v = txt(P, name, i); return v == null ? null : name + ": " + v; })
      .filter(function (x) { return x; });
    if (bits.length) box.appendChild(el("div", { cls: "mm-b-extras", text: bits.join(" \u00b7 ") }));
    return box;
  }

  // ------------------------------------------------------------------------------------------------ results view
  function prepare(P) {
    var C = P.cols, models = [], counts = {}, kinds = {}, groups = {}, repeats = 0;
    for (var i = 0; i < P.n; i++) {
      var m = P.texts[C.model[i]];
      if (!(m in counts)) { counts[m] = 0; models.push(m); }
      counts[m]++;
      var k = C.error_kind[i] == null ? null : P.texts[C.error_kind[i]];
      if (k) kinds[k] = (kinds[k] || 0) + 1;
      var g = C._group[i] + "|" + C.repeat[i];
      (groups[g] = groups[g] || []).push(i);
      repeats = Math.max(repeats, C.repeat[i] + 1);
    }
    P.models = models; P.modelCounts = counts; P.kinds = kinds; P.groups = groups; P.repeats = repeats;
    P.modelOrder = {}; models.forEach(function (m, k) { P.modelOrder[m] = k; });
    return P;
  }
  var SEARCH_FIELDS = [["all", "everywhere"], ["content", "answer"], ["reasoning", "reasoning"], ["prompt", "prompt"],
    ["tools", "tool calls"], ["error", "error"], ["model", "model"]];
  function haystack(P, field, i) {
    var C = P.cols;
    function t(name) { return txt(P, name, i) || ""; }
    if (field === "tools") return (C._tools[i] || []).map(function (c) { return c[0] + " " + c[1]; }).join("\n");
    if (field === "error") return t("error_kind") + " " + t("error_message");
    if (field === "model") return t("model") + "\n" + t("answered_by");
    if (field !== "all") return t(field);
    return [haystack(P, "model", i), t("prompt"), t("content"), t("reasoning"), haystack(P, "tools", i), haystack(P, "error", i)]
      .concat(P.extras.map(function (x) { return t(x); })).join("\n");
  }

  function ResultsView(root, P) {
    prepare(P);
    var C = P.cols, ui = {}, st = { q: "", field: "all", err: "", score: P.scores[0] || "", min: "", max: "",
      extra: {}, sortKey: "row", sortDir: 1, selected: null, diff: false, repeat: null }, cache = {}, current = [];
    var refresh = debounce(function () { apply(); }, P.n > 10000 ? 120 : 30);
    ui.search = el("input", { cls: "mm-b-search", attrs: { type: "search", placeholder: "search answers, prompts, reasoning, tool calls, errors",
      "aria-label": "search" }, on: { input: function () { st.q = ui.search.value; refresh(); } } });
    ui.field = el("select", { attrs: { "aria-label": "search in" }, on: { change: function () { st.field = ui.field.value; apply(); } } },
      SEARCH_FIELDS.map(function (f) { return option(f[0], "in: " + f[1], f[0] === "all"); }));
    var errOptions = [option("", "all rows", true), option("ok", "answers only (no error)"), option("error", "errors only")];
    Object.keys(P.kinds).sort().forEach(function (k) { errOptions.push(option("kind:" + k, "error: " + k + " (" + P.kinds[k] + ")")); });
    ui.err = el("select", { cls: "mm-b-errors", attrs: { "aria-label": "errors" }, on: { change: function () { st.err = ui.err.value; apply(); } } }, errOptions);
    ui.extras = P.extras.filter(function (x) { return P.choices[x]; }).map(function (x) {
      var s = el("select", { attrs: { "aria-label": x, "data-extra": x }, on: { change: function () { st.extra[x] = s.value; apply(); } } },
        [option("", x + ": all", true)].concat(P.choices[x].map(function (v) { return option(v, x + ": " + v); })));
      return s;
    });
    ui.reset = el("button", { text: "reset", attrs: { type: "button" }, on: { click: reset } });
    ui.models = ModelChips(P.models, P.modelCounts, function () { apply(); });
    var scoreBar = null;
    if (P.scores.length) {
      ui.score = el("select", { cls: "mm-b-score-col", attrs: { "aria-label": "score" }, on: { change: function () { st.score = ui.score.value; apply(); } } },
        P.scores.map(function (s) { return option(s, "score: " + s, s === st.score); }));
      ui.min = el("input", { cls: "mm-b-min", attrs: { type: "number", step: "any", placeholder: "min", "aria-label": "minimum score" },
        on: { input: function () { st.min = ui.min.value; refresh(); } } });
      ui.max = el("input", { cls: "mm-b-max", attrs: { type: "number", step: "any", placeholder: "max", "aria-label": "maximum score" },
        on: { input: function () { st.max = ui.max.value; refresh(); } } });
      scoreBar = el("span", { cls: "mm-b-group" }, [ui.score, " between ", ui.min, " and ", ui.max]);
    }
    var sortable = [["row", "row order"], ["model", "model"], ["prompt", "prompt"]].concat(
      P.scores.map(function (s) { return [s, "score: " + s]; }), P.metrics.map(function (m) { return [m.key, m.label]; }));
    ui.sort = el("select", { cls: "mm-b-sort", attrs: { "aria-label": "sort by" }, on: { change: function () { setSort(ui.sort.value, st.sortKey === ui.sort.value ? st.sortDir : defaultDir(ui.sort.value)); } } },
      sortable.map(function (s) { return option(s[0], "sort: " + s[1], s[0] === "row"); }));
    ui.dir = el("button", { cls: "mm-b-dir", text: "\u25b2 ascending", attrs: { type: "button" }, on: { click: function () { setSort(st.sortKey, -st.sortDir); } } });
    ui.labels = el("button", { text: "row labels", attrs: { type: "button", title: "the DataFrame index labels of the matching rows, to use with df.loc[...]" },
      on: { click: showLabels } });
    ui.labelBox = el("textarea", { cls: "mm-b-labels", attrs: { readonly: "readonly", rows: 2 } });
    ui.labelBox.style.display = "none";
    ui.pager = Pager(function () { draw(); });
    ui.table = el("table", { cls: "mm-b-table" });
    ui.scroller = el("div", { cls: "mm-b-scroller", attrs: { tabindex: 0, "aria-label": "rows: click one, or use the arrow keys" } }, [ui.table]);
    ui.detail = el("div", { cls: "mm-b-detail" }, [el("div", { cls: "mm-b-muted", text: "click a row to read its full answer, reasoning and tool calls beside the other models' answers to the same prompt" })]);
    moveOnKeys(ui.scroller, step);
    var prompts = {};
    for (var g = 0; g < P.n; g++) prompts[C._group[g]] = 1;
    var nPrompts = Object.keys(prompts).length;
    var heading = (P.title ? P.title + ": " : "") + P.n.toLocaleString("en-US") + " rows \u00b7 " + P.models.length + " model" +
      (P.models.length === 1 ? "" : "s") + " \u00b7 " + nPrompts + " prompt" + (nPrompts === 1 ? "" : "s") +
      (P.repeats > 1 ? " \u00b7 " + P.repeats + " repeats" : "");
    root.appendChild(el("div", { cls: "mm-b-view mm-b-results" }, [banner(P), el("div", { cls: "mm-b-title", text: heading }),
      el("div", { cls: "mm-b-toolbar" }, [ui.search, ui.field, ui.err].concat(ui.extras, [ui.reset])), ui.models.node,
      el("div", { cls: "mm-b-toolbar" }, [scoreBar, ui.sort, ui.dir]),
      el("div", { cls: "mm-b-toolbar" }, [ui.pager.info, ui.pager.node, ui.labels]), ui.labelBox, ui.scroller, ui.detail]));

    function defaultDir(key) { return key === "row" || key === "model" || key === "prompt" ? 1 : -1; }
    function setSort(key, dir) {
      st.sortKey = key; st.sortDir = dir; ui.sort.value = key;
      ui.dir.textContent = dir > 0 ? "\u25b2 ascending" : "\u25bc descending";
      apply();
    }
    function keyOf(key) {
      if (key === "row") return function (i) { return i; };
      if (key === "model") return function (i) { return txt(P, "model", i); };
      if (key === "prompt") return function (i) { return C._group[i] * 1e6 + C.repeat[i] * 1e3 + P.modelOrder[txt(P, "model", i)]; };
      if (key === "answer") return function (i) { return txt(P, "content", i) || ""; };
      if (key === "error") return function (i) { return txt(P, "error_kind", i) || ""; };
      return function (i) { return C[key] ? C[key][i] : null; };
    }
    function matches(i, needle) {
      if (!ui.models.chosen[txt(P, "model", i)]) return false;
      var kind = C.error_kind[i];
      if (st.err === "ok" && kind != null || st.err === "error" && kind == null) return false;
      if (st.err.indexOf("kind:") === 0 && (kind == null || P.texts[kind] !== st.err.slice(5))) return false;
      for (var x in st.extra) if (st.extra[x] && txt(P, x, i) !== st.extra[x]) return false;
      if (st.score && (st.min !== "" || st.max !== "")) {
        var v = C[st.score][i];
        if (!isNum(v) || st.min !== "" && v < +st.min || st.max !== "" && v > +st.max) return false;
      }
      if (needle) {
        var hay = cache[st.field] || (cache[st.field] = []);
        if (hay[i] == null) hay[i] = haystack(P, st.field, i).toLowerCase();
        if (hay[i].indexOf(needle) < 0) return false;
      }
      return true;
    }
    function apply() {
      var started = window.performance ? performance.now() : 0, needle = st.q.trim().toLowerCase(), rows = [];
      for (var i = 0; i < P.n; i++) if (matches(i, needle)) rows.push(i);
      current = st.sortKey === "row" && st.sortDir > 0 ? rows : sortRows(rows, keyOf(st.sortKey), st.sortDir);
      draw();
      root.setAttribute("data-matching", String(current.length));
      if (window.performance) root.setAttribute("data-update-ms", (performance.now() - started).toFixed(1));
    }
    function columns() {
      var cols = [{ key: "row", label: "row", cls: "mm-b-num", cell: function (i) { return C._label[i]; } },
        { key: "model", label: "model", cell: function (i) { return txt(P, "model", i); } },
        { key: "prompt", label: "prompt", cls: "mm-b-wide", cell: function (i) { return preview(txt(P, "prompt", i), 70); } },
        { key: "answer", label: "answer", cls: "mm-b-wider", cell: function (i) { return preview(txt(P, "content", i), 110); } },
        { key: "error", label: "error", cell: function (i) { return txt(P, "error_kind", i) || ""; } }];
      P.scores.forEach(function (s) { cols.push({ key: s, label: s, cls: "mm-b-num", cell: function (i) { return fmtScore(C[s][i]); } }); });
      [["e2e_s", "total"], ["ttft_s", "TTFT"], ["completion_tokens", "out tokens"], ["output_tps", "tok/s"], ["cost_usd", "cost"]].forEach(function (m) {
        var spec = P.metrics.filter(function (x) { return x.key === m[0]; })[0];
        if (spec) cols.push({ key: m[0], label: m[1], cls: "mm-b-num", cell: function (i) { return fmtMetric(spec.fmt, C[m[0]][i], P, i); } });
      });
      if (nPrompts === 1) cols.splice(2, 1);  // one prompt (a comparison): it is shown above each row's answers
      if (P.repeats > 1) cols.splice(2, 0, { key: "repeat", label: "repeat", cls: "mm-b-num", cell: function (i) { return String(C.repeat[i]); } });
      return cols;
    }
    function draw() {
      ui.pager.update(current.length, P.n, "rows");
      var s = ui.pager.state, page = current.slice(s.page * s.size, (s.page + 1) * s.size);
      renderTable(ui.table, columns(), page, { key: st.sortKey, dir: st.sortDir }, st.selected,
        function (key) { setSort(key, st.sortKey === key ? -st.sortDir : defaultDir(key)); }, pick);
    }
    function pick(i) {
      st.selected = i; st.repeat = C.repeat[i];
      var rows = ui.table.querySelectorAll("tbody tr");
      for (var k = 0; k < rows.length; k++) rows[k].classList.toggle("mm-b-selected", +rows[k].getAttribute("data-index") === i);
      detail();
    }
    function step(d) {
      if (!current.length) return;
      var at = current.indexOf(st.selected), next = at < 0 ? 0 : Math.max(0, Math.min(current.length - 1, at + d));
      var size = ui.pager.state.size;
      if (Math.floor(next / size) !== ui.pager.state.page) ui.pager.go(Math.floor(next / size));
      pick(current[next]);
      var row = ui.table.querySelector("tbody tr.mm-b-selected");
      if (row && row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
    }
    function detail() {
      var i = st.selected;
      clear(ui.detail);
      if (i == null) return;
      var group = (P.groups[C._group[i] + "|" + st.repeat] || []).slice();
      group.sort(function (a, b) { return (a === i ? -1 : b === i ? 1 : P.modelOrder[txt(P, "model", a)] - P.modelOrder[txt(P, "model", b)]); });
      var selectedInGroup = group.indexOf(i) >= 0, ref = selectedInGroup ? txt(P, "content", i) : null;
      var tools = [el("label", {}, [(function () {
        var box = el("input", { cls: "mm-b-diff-toggle", attrs: { type: "checkbox" }, on: { change: function () { st.diff = box.checked; detail(); } } });
        box.checked = st.diff; return box;
      })(), " highlight words that differ from the selected answer"])];
      if (P.repeats > 1) {
        var rep = el("select", { cls: "mm-b-repeat", attrs: { "aria-label": "repeat" }, on: { change: function () { st.repeat = +rep.value; detail(); } } });
        for (var r = 0; r < P.repeats; r++) rep.appendChild(option(r, "repeat " + r, r === st.repeat));
        tools.unshift(rep);
      }
      var row = el("div", { cls: "mm-b-cards" }, group.map(function (j) {
        return card(P, j, { selected: j === i, openReasoning: j === i, reference: st.diff && j !== i && ref ? ref : null,
          caption: j === i ? "selected" : null });
      }));
      ui.detail.appendChild(el("div", { cls: "mm-b-detail-head" }, [el("b", { text: "row " + C._label[i] + " \u00b7 " + txt(P, "model", i) }),
        el("span", { cls: "mm-b-muted", text: " \u00b7 " + group.length + " answer" + (group.length === 1 ? "" : "s") + " to this prompt" +
          (P.repeats > 1 ? " (repeat " + st.repeat + ")" : "") }), el("span", { cls: "mm-b-toolbar" }, tools)]));
      ui.detail.appendChild(promptBlock(P, i, P.extras));
      ui.detail.appendChild(row);
    }
    function reset() {
      st.q = ""; ui.search.value = ""; st.err = ""; ui.err.value = ""; st.extra = {};
      ui.extras.forEach(function (s) { s.value = ""; });
      if (ui.min) { ui.min.value = ""; ui.max.value = ""; st.min = st.max = ""; }
      ui.models.reset(); setSort("row", 1);
    }
    function showLabels() {
      ui.labelBox.style.display = "";
      ui.labelBox.value = "[" + current.map(function (i) { var l = C._label[i]; return /^-?\d+$/.test(l) ? l : JSON.stringify(l); }).join(", ") + "]";
      ui.labelBox.select();
    }
    apply();
    // the search text of every row, lower-cased, built in slices while the page is idle so the first search is quick
    (function warm(from) {
      var hay = cache.all || (cache.all = []), idle = window.requestIdleCallback || function (f) { return setTimeout(f, 30); };
      idle(function () {
        var end = Math.min(P.n, from + 500);
        for (var i = from; i < end; i++) if (hay[i] == null) hay[i] = haystack(P, "all", i).toLowerCase();
        if (end < P.n) warm(end);
      });
    })(0);
  }

  // ------------------------------------------------------------------------------------------------ runs view
  var CHANGE_ORDER = ["better", "worse", "same", "fixed", "broke", "failed", "unscored", "changed", "only before", "only after"];
  function RunsView(root, D) {
    var B = prepare(Object.assign(D.before, { texts: D.texts })), A = prepare(Object.assign(D.after, { texts: D.texts }));
    var X = D.pairs, n = X.model.length, lb = D.labels[0], la = D.labels[1], current = [];
    function t(id) { return id == null ? null : D.texts[id]; }
    var models = [], seen = {};
    for (var i = 0; i < n; i++) { var m = t(X.model[i]); if (!seen[m]) { seen[m] = 1; models.push(m); } }
    var st = { score: D.primary || "", q: "", change: "", model: "", sortKey: "pair", sortDir: 1, selected: null, diff: true };
    var ui = {};
    function changes() { return X.change[st.score]; }
    ui.score = el("select", { cls: "mm-b-score-col", attrs: { "aria-label": "score" }, on: { change: function () { st.score = ui.score.value; summary(); apply(); } } },
      D.scores.map(function (s) { return option(s, "changes in score: " + s, s === st.score); }).concat([option("", "changes in the answers (no score)", !st.score)]));
    ui.search = el("input", { cls: "mm-b-search", attrs: { type: "search", placeholder: "search prompts and both runs' answers", "aria-label": "search" },
      on: { input: debounce(function () { st.q = ui.search.value; apply(); }, 80) } });
    ui.model = el("select", { cls: "mm-b-model", attrs: { "aria-label": "model" }, on: { change: function () { st.model = ui.model.value; apply(); } } },
      [option("", "all models", true)].concat(models.map(function (m) { return option(m, m); })));
    ui.change = el("select", { cls: "mm-b-change", attrs: { "aria-label": "change" }, on: { change: function () { st.change = ui.change.value; apply(); } } },
      [option("", "every change", true)].concat(CHANGE_ORDER.map(function (c) { return option(c, c); })));
    ui.reset = el("button", { text: "reset", attrs: { type: "button" }, on: { click: function () {
      st.q = st.change = st.model = ""; ui.search.value = ui.change.value = ui.model.value = ""; st.sortKey = "pair"; st.sortDir = 1; apply();
    } } });
    ui.summary = el("div", { cls: "mm-b-summary" });
    ui.pager = Pager(function () { draw(); });
    ui.table = el("table", { cls: "mm-b-table" });
    ui.scroller = el("div", { cls: "mm-b-scroller", attrs: { tabindex: 0 } }, [ui.table]);
    ui.detail = el("div", { cls: "mm-b-detail" }, [el("div", { cls: "mm-b-muted", text: "click a row to read both runs' answers side by side" })]);
    moveOnKeys(ui.scroller, function (d) {
      var at = current.indexOf(st.selected), next = at < 0 ? 0 : Math.max(0, Math.min(current.length - 1, at + d));
      if (Math.floor(next / ui.pager.state.size) !== ui.pager.state.page) ui.pager.go(Math.floor(next / ui.pager.state.size));
      if (current.length) pick(current[next]);
    });
    var title = lb + " \u2192 " + la + ": " + n + " prompt \u00d7 model pairs, matched by " + (D.on === "prompt" ? "prompt text" : "prompt_index");
    root.appendChild(el("div", { cls: "mm-b-view mm-b-runs" }, [banner(D), el("div", { cls: "mm-b-title", text: (D.title ? D.title + ": " : "") + title }),
      el("div", { cls: "mm-b-toolbar" }, [ui.score]), ui.summary,
      el("div", { cls: "mm-b-toolbar" }, [ui.search, ui.model, ui.change, ui.reset]),
      el("div", { cls: "mm-b-toolbar" }, [ui.pager.info, ui.pager.node]), ui.scroller, ui.detail]));

    function summary() {
      clear(ui.summary);
      var ch = changes(), per = {}, used = {};
      models.forEach(function (m) { per[m] = { pairs: 0, sb: 0, sa: 0, k: 0 }; CHANGE_ORDER.forEach(function (c) { per[m][c] = 0; }); });
      for (var i = 0; i < n; i++) {
        var p = per[t(X.model[i])]; p.pairs++; p[ch[i]]++; used[ch[i]] = true;
        if (st.score) { var b = X.score[st.score].b[i], a = X.score[st.score].a[i]; if (isNum(b) && isNum(a)) { p.sb += b; p.sa += a; p.k++; } }
      }
      var kinds = CHANGE_ORDER.filter(function (c) { return used[c]; });
      var head = ["model", "pairs"].concat(kinds, st.score ? ["mean " + lb, "mean " + la, "mean \u0394"] : []);
      var table = el("table", { cls: "mm-b-table mm-b-summary-table" }, [el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { text: h }); }))])]);
      var body = el("tbody");
      models.forEach(function (m) {
        var p = per[m], tr = el("tr", { attrs: { "data-model": m } }, [el("td", { text: m }), el("td", { cls: "mm-b-num", text: String(p.pairs) })]);
        kinds.forEach(function (c) {
          var b = el("button", { cls: "mm-b-count mm-b-ch-" + c.replace(" ", "-"), text: String(p[c]), attrs: { type: "button", "data-change": c, title: "show " + m + ": " + c },
            on: { click: function () { st.model = m; st.change = c; ui.model.value = m; ui.change.value = c; apply(); } } });
          if (!p[c]) b.disabled = true;
          tr.appendChild(el("td", { cls: "mm-b-num" }, [b]));
        });
        if (st.score) [p.k ? p.sb / p.k : null, p.k ? p.sa / p.k : null].forEach(function (v) { tr.appendChild(el("td", { cls: "mm-b-num", text: fmtScore(v) })); });
        if (st.score) tr.appendChild(el("td", { cls: "mm-b-num", text: p.k ? fmtDelta((p.sa - p.sb) / p.k) || "\u00b10" : "n/a" }));
        body.appendChild(tr);
      });
      table.appendChild(body);
      ui.summary.appendChild(table);
    }
    function hay(i) {
      var parts = [t(X.prompt[i]), t(X.model[i])];
      X.b[i].forEach(function (j) { parts.push(txt(B, "content", j) || "", txt(B, "error_message", j) || ""); });
      X.a[i].forEach(function (j) { parts.push(txt(A, "content", j) || "", txt(A, "error_message", j) || ""); });
      return parts.join("\n").toLowerCase();
    }
    var hays = [];
    function keyOf(key) {
      if (key === "pair") return function (i) { return i; };
      if (key === "model") return function (i) { return t(X.model[i]); };
      if (key === "prompt") return function (i) { return t(X.prompt[i]); };
      if (key === "change") return function (i) { return CHANGE_ORDER.indexOf(changes()[i]); };
      var s = st.score && X.score[st.score];
      if (key === "before") return function (i) { return s ? s.b[i] : null; };
      if (key === "after") return function (i) { return s ? s.a[i] : null; };
      if (key === "delta") return function (i) { return s ? s.d[i] : null; };
      return function (i) { return X[key] ? X[key][i] : null; };
    }
    function apply() {
      var needle = st.q.trim().toLowerCase(), ch = changes(), rows = [];
      for (var i = 0; i < n; i++) {
        if (st.model && t(X.model[i]) !== st.model || st.change && ch[i] !== st.change) continue;
        if (needle) { if (hays[i] == null) hays[i] = hay(i); if (hays[i].indexOf(needle) < 0) continue; }
        rows.push(i);
      }
      current = st.sortKey === "pair" && st.sortDir > 0 ? rows : sortRows(rows, keyOf(st.sortKey), st.sortDir);
      root.setAttribute("data-matching", String(current.length));
      draw();
    }
    function draw() {
      ui.pager.update(current.length, n, "pairs");
      var s = ui.pager.state, page = current.slice(s.page * s.size, (s.page + 1) * s.size), sc = st.score && X.score[st.score];
      var cols = [{ key: "pair", label: "#", cls: "mm-b-num", cell: function (i) { return String(i); } },
        { key: "prompt", label: "prompt", cls: "mm-b-wide", cell: function (i) { return preview(t(X.prompt[i]), 90); } },
        { key: "model", label: "model", cell: function (i) { return t(X.model[i]); } }];
      if (sc) cols.push({ key: "before", label: st.score + " " + lb, cls: "mm-b-num", cell: function (i) { return fmtScore(sc.b[i]); } },
        { key: "after", label: st.score + " " + la, cls: "mm-b-num", cell: function (i) { return fmtScore(sc.a[i]); } },
        { key: "delta", label: "\u0394", cls: "mm-b-num mm-b-delta", cell: function (i) { return fmtDelta(sc.d[i]); } });
      cols.push({ key: "change", label: "change", cell: function (i) { var c = changes()[i]; return el("span", { cls: "mm-b-change-tag mm-b-ch-" + c.replace(" ", "-"), text: c }); } },
        { key: "err_b", label: "errors " + lb, cls: "mm-b-num", cell: function (i) { return X.n_b[i] ? X.err_b[i] + "/" + X.n_b[i] : "\u2014"; } },
        { key: "err_a", label: "errors " + la, cls: "mm-b-num", cell: function (i) { return X.n_a[i] ? X.err_a[i] + "/" + X.n_a[i] : "\u2014"; } },
        { key: "e2e_b", label: "total " + lb, cls: "mm-b-num", cell: function (i) { return fmtSeconds(X.e2e_b[i]); } },
        { key: "e2e_a", label: "total " + la, cls: "mm-b-num", cell: function (i) { return fmtSeconds(X.e2e_a[i]); } },
        { key: "cost_b", label: "cost " + lb, cls: "mm-b-num", cell: function (i) { return fmtUsd(X.cost_b[i]); } },
        { key: "cost_a", label: "cost " + la, cls: "mm-b-num", cell: function (i) { return fmtUsd(X.cost_a[i]); } });
      renderTable(ui.table, cols, page, { key: st.sortKey, dir: st.sortDir }, st.selected, function (key) {
        st.sortDir = st.sortKey === key ? -st.sortDir : key === "pair" || key === "prompt" || key === "model" ? 1 : -1; st.sortKey = key; apply();
      }, pick);
    }
    function pick(i) {
      st.selected = i;
      var rows = ui.table.querySelectorAll("tbody tr");
      for (var k = 0; k < rows.length; k++) rows[k].classList.toggle("mm-b-selected", +rows[k].getAttribute("data-index") === i);
      detail();
    }
    function detail() {
      var i = st.selected;
      clear(ui.detail);
      if (i == null) return;
      var sc = st.score && X.score[st.score], c = changes()[i];
      var toggle = el("input", { cls: "mm-b-diff-toggle", attrs: { type: "checkbox" }, on: { change: function () { st.diff = toggle.checked; detail(); } } });
      toggle.checked = st.diff;
      ui.detail.appendChild(el("div", { cls: "mm-b-detail-head" }, [el("b", { text: t(X.model[i]) }),
        el("span", { cls: "mm-b-change-tag mm-b-ch-" + c.replace(" ", "-"), text: c }),
        sc ? el("span", { cls: "mm-b-muted", text: st.score + ": " + fmtScore(sc.b[i]) + " \u2192 " + fmtScore(sc.a[i]) + (isNum(sc.d[i]) ? " (" + fmtDelta(sc.d[i]) + ")" : "") }) : null,
        el("label", {}, [toggle, " highlight words of " + la + " that differ from " + lb])]));
      var P0 = X.b[i].length ? B : A, j0 = X.b[i].length ? X.b[i][0] : X.a[i][0];
      ui.detail.appendChild(promptBlock(P0, j0, P0.extras));
      function side(P, rows, label, other) {
        var col = el("div", { cls: "mm-b-side", attrs: { "data-side": label } }, [el("div", { cls: "mm-b-side-title", text: label })]);
        if (!rows.length) col.appendChild(el("div", { cls: "mm-b-muted", text: "no row for this prompt and model in " + label }));
        rows.forEach(function (j, k) {
          var ref = other && other[k] != null ? (txt(B, "content", other[k]) || "") : null;
          col.appendChild(card(P, j, { reference: st.diff && ref ? ref : null, openReasoning: false }));
        });
        return col;
      }
      ui.detail.appendChild(el("div", { cls: "mm-b-sides" }, [side(B, X.b[i], lb, null), side(A, X.a[i], la, X.b[i])]));
    }
    summary();
    apply();
  }

  // ------------------------------------------------------------------------------------------------ entry point
  function mount(root) {
    if (!root || root.getAttribute("data-mounted")) return;
    var script = root.querySelector("script.mm-browse-data");
    if (!script) return;
    var started = window.performance ? performance.now() : 0;
    var data = JSON.parse(script.textContent);
    var fallback = root.querySelector(".mm-browse-static");
    root.setAttribute("data-mounted", "1");
    try {
      if (data.kind === "runs") RunsView(root, data); else ResultsView(root, data);
      if (fallback) fallback.style.display = "none";
      if (window.performance) root.setAttribute("data-render-ms", (performance.now() - started).toFixed(1));
    } catch (err) {
      root.appendChild(el("div", { cls: "mm-b-error", text: "the results browser failed: " + err + " (the static table above still holds the data)" }));
      throw err;
    }
  }
  window.MMBrowse = { version: VERSION, mount: mount, diffTokens: diffTokens };
})();
